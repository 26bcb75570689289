using System.Net;
using Safehold.Web.Tests.Features.Portal;

namespace Safehold.Web.Tests.Features.Users;

/// <summary>API keys (SPEC 5): a user's keys listed without the key itself, issued, rotated, revoked at once; a user disabled.</summary>
public sealed class ApiKeyTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static async Task<JsonArrayOf> Keys(HttpClient http, Guid userId)
    {
        var response = await http.GetAsync($"/api/v1/users/{userId}/api-keys");
        await Api.ExpectStatus(response, HttpStatusCode.OK);
        var text = await response.Content.ReadAsStringAsync();
        return new JsonArrayOf(text, System.Text.Json.Nodes.JsonNode.Parse(text)!["items"]!.AsArray());
    }

    private sealed record JsonArrayOf(string Text, System.Text.Json.Nodes.JsonArray Items);

    [Fact]
    public async Task A_user_lists_their_keys_by_prefix_created_last_used_and_revoked_and_never_sees_a_key_or_its_hash()
    {
        var buyer = await app.NewUser("buyer");

        var keys = await Keys(buyer.Http, buyer.Id);

        var key = Assert.Single(keys.Items)!;
        Assert.Equal(buyer.ApiKey[..8], key["prefix"]!.GetValue<string>());
        Assert.NotNull(key["createdAt"]);
        Assert.NotNull(key["lastUsedAt"]); // this very request used it
        Assert.Null(key["revokedAt"]);
        Assert.DoesNotContain(buyer.ApiKey, keys.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("hash", keys.Text, StringComparison.OrdinalIgnoreCase);
        Assert.Single((await Keys(app.Admin, buyer.Id)).Items);
    }

    [Fact]
    public async Task A_revoked_key_stops_at_once_on_the_host_that_revoked_it()
    {
        var buyer = await app.NewUser("buyer");
        await Api.ExpectStatus(await buyer.Http.GetAsync("/api/v1/users/me"), HttpStatusCode.OK); // remembered by the host
        var keyId = (await Keys(app.Admin, buyer.Id)).Items.Single()!.Id();

        var revoked = await app.Admin.PostAsync($"/api/v1/api-keys/{keyId}/revoke", null);

        await Api.ExpectStatus(revoked, HttpStatusCode.OK);
        Assert.NotNull((await Api.Json(revoked))["revokedAt"]);
        await Api.ExpectProblem(await buyer.Http.GetAsync("/api/v1/users/me"), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_user_rotates_their_own_key_by_issuing_a_new_one_and_revoking_the_old()
    {
        var seller = await app.NewUser("seller");
        var oldId = (await Keys(seller.Http, seller.Id)).Items.Single()!.Id();

        var issued = await seller.Http.PostAsync($"/api/v1/users/{seller.Id}/api-keys", null);
        await Api.ExpectStatus(issued, HttpStatusCode.Created);
        var fresh = app.As((await Api.Json(issued))["apiKey"]!.GetValue<string>());
        await Api.ExpectStatus(await fresh.PostAsync($"/api/v1/api-keys/{oldId}/revoke", null), HttpStatusCode.OK);

        await Api.ExpectProblem(await seller.Http.GetAsync("/api/v1/users/me"), HttpStatusCode.Unauthorized, "unauthorized");
        await Api.ExpectStatus(await fresh.GetAsync("/api/v1/users/me"), HttpStatusCode.OK);
        var keys = (await Keys(fresh, seller.Id)).Items;
        Assert.Equal(2, keys.Count);
        Assert.NotNull(keys.Single(k => k!.Id() == oldId)!["revokedAt"]);
    }

    [Fact]
    public async Task Nobody_else_lists_issues_or_revokes_a_users_keys()
    {
        var buyer = await app.NewUser("buyer");
        var keyId = (await Keys(buyer.Http, buyer.Id)).Items.Single()!.Id();
        foreach (var other in new[] { await app.NewUser("buyer"), await app.NewUser("seller"), await app.NewUser("arbiter") })
        {
            await Api.ExpectProblem(await other.Http.GetAsync($"/api/v1/users/{buyer.Id}/api-keys"), HttpStatusCode.NotFound, "not_found");
            await Api.ExpectProblem(await other.Http.PostAsync($"/api/v1/users/{buyer.Id}/api-keys", null), HttpStatusCode.NotFound, "not_found");
            await Api.ExpectProblem(await other.Http.PostAsync($"/api/v1/api-keys/{keyId}/revoke", null), HttpStatusCode.NotFound, "not_found");
        }
        await Api.ExpectProblem(await app.Admin.PostAsync($"/api/v1/api-keys/{Guid.NewGuid()}/revoke", null), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectStatus(await buyer.Http.GetAsync("/api/v1/users/me"), HttpStatusCode.OK);
        Assert.Single((await Keys(buyer.Http, buyer.Id)).Items);
    }

    [Fact]
    public async Task Disabling_a_user_stops_every_key_and_session_of_theirs_at_once_and_enabling_lets_them_back()
    {
        var buyer = await app.NewUser("buyer", "buyer-password");
        var second = app.As((await Api.Json(await app.Admin.PostAsync($"/api/v1/users/{buyer.Id}/api-keys", null)))["apiKey"]!.GetValue<string>());
        await Api.ExpectStatus(await second.GetAsync("/api/v1/users/me"), HttpStatusCode.OK);
        var portal = await PortalClient.SignedIn(app, buyer.Email, "buyer-password");

        var disabled = await app.Admin.PostAsync($"/api/v1/users/{buyer.Id}/disable", null);

        await Api.ExpectStatus(disabled, HttpStatusCode.OK);
        Assert.NotNull((await Api.Json(disabled))["disabledAt"]);
        await Api.ExpectProblem(await buyer.Http.GetAsync("/api/v1/users/me"), HttpStatusCode.Unauthorized, "unauthorized");
        await Api.ExpectProblem(await second.GetAsync("/api/v1/users/me"), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(HttpStatusCode.Redirect, (await portal.Http.GetAsync("/orders")).StatusCode);
        var again = await new PortalClient(app).Post("/signin", new() { ["Email"] = buyer.Email, ["Password"] = "buyer-password" });
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);

        await Api.ExpectStatus(await app.Admin.PostAsync($"/api/v1/users/{buyer.Id}/enable", null), HttpStatusCode.OK);
        await Api.ExpectStatus(await buyer.Http.GetAsync("/api/v1/users/me"), HttpStatusCode.OK);
        await PortalClient.SignedIn(app, buyer.Email, "buyer-password");
    }

    [Fact]
    public async Task Only_an_admin_disables_or_enables_a_user_and_not_themselves()
    {
        var buyer = await app.NewUser("buyer");
        var seller = await app.NewUser("seller");
        await Api.ExpectProblem(await seller.Http.PostAsync($"/api/v1/users/{buyer.Id}/disable", null), HttpStatusCode.Forbidden, "action_not_allowed");
        await Api.ExpectProblem(await seller.Http.PostAsync($"/api/v1/users/{buyer.Id}/enable", null), HttpStatusCode.Forbidden, "action_not_allowed");
        await Api.ExpectProblem(await app.Admin.PostAsync($"/api/v1/users/{Guid.NewGuid()}/disable", null), HttpStatusCode.NotFound, "not_found");
        var me = (await Api.Json(await app.Admin.GetAsync("/api/v1/users/me"))).Id();
        await Api.ExpectProblem(await app.Admin.PostAsync($"/api/v1/users/{me}/disable", null), HttpStatusCode.UnprocessableEntity, "cannot_disable_yourself");
        await Api.ExpectStatus(await buyer.Http.GetAsync("/api/v1/users/me"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_admin_revokes_a_key_and_disables_and_enables_a_user_on_the_users_page()
    {
        var admin = await PortalClient.SignedIn(app, (await app.NewUser("admin", "admin-password")).Email, "admin-password");
        var buyer = await app.NewUser("buyer");
        var keyId = (await Keys(app.Admin, buyer.Id)).Items.Single()!.Id();
        var page = await admin.Http.GetStringAsync("/admin/users");
        Assert.Contains("handler=RevokeKey", page, StringComparison.Ordinal);
        Assert.Contains("handler=Disable", page, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await admin.Post("/admin/users?handler=Disable", new() { ["userId"] = buyer.Id.ToString() })).StatusCode);
        await Api.ExpectProblem(await buyer.Http.GetAsync("/api/v1/users/me"), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(HttpStatusCode.OK, (await admin.Post("/admin/users?handler=Enable", new() { ["userId"] = buyer.Id.ToString() })).StatusCode);
        await Api.ExpectStatus(await buyer.Http.GetAsync("/api/v1/users/me"), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await admin.Post("/admin/users?handler=RevokeKey", new() { ["keyId"] = keyId.ToString() })).StatusCode);
        await Api.ExpectProblem(await buyer.Http.GetAsync("/api/v1/users/me"), HttpStatusCode.Unauthorized, "unauthorized");
    }
}
