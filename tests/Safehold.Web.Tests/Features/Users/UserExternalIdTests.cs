using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;

namespace Safehold.Web.Tests.Features.Users;

/// <summary>
/// SPEC 1: a user carries the marketplace's own <c>externalId</c> (unique among users) and <c>metadata</c>; the admin and
/// the platform find a user by it (the platform only a buyer or seller, whom it may act for).
/// </summary>
public sealed class UserExternalIdTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static string NewExternalId() => $"mp-user-{Guid.NewGuid():N}";

    private Task<HttpResponseMessage> Create(string role, object? externalId, object? metadata, string? email = null) =>
        app.Admin.PostAsJsonAsync("/api/v1/users", new
        {
            email = email ?? $"{role}-{Guid.NewGuid():N}@test.example",
            displayName = "Nino Beridze",
            role,
            externalId,
            metadata,
        });

    private async Task<int> UserCount()
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.Users.CountAsync();
    }

    [Fact]
    public async Task A_user_created_with_an_externalId_and_metadata_carries_them_on_every_read()
    {
        var externalId = NewExternalId();

        var response = await Create("buyer", externalId, new Dictionary<string, string> { ["tier"] = "gold" });

        await Api.ExpectStatus(response, HttpStatusCode.Created);
        var created = await Api.Json(response);
        Assert.Equal(externalId, created["externalId"]!.GetValue<string>());
        Assert.Equal("gold", created["metadata"]!["tier"]!.GetValue<string>());
        var user = app.As(created["apiKey"]!.GetValue<string>());
        var me = await Api.Json(await user.GetAsync("/api/v1/users/me"));
        Assert.Equal(externalId, me["externalId"]!.GetValue<string>());
        Assert.Equal("gold", me["metadata"]!["tier"]!.GetValue<string>());
        var found = Assert.Single(await Api.ItemsOf(app.Admin, $"/api/v1/users?externalId={externalId}"))!;
        Assert.Equal(me.ToJsonString(), found.ToJsonString());
        Assert.Empty(await Api.ItemsOf(app.Admin, $"/api/v1/users?externalId={NewExternalId()}"));
    }

    [Fact]
    public async Task The_platform_finds_a_buyer_or_seller_by_externalId_but_not_staff_and_may_not_list_everyone()
    {
        var platform = await app.NewUser("platform");
        var sellerId = NewExternalId();
        var arbiterId = NewExternalId();
        var seller = await Api.Json(await Create("seller", sellerId, null));
        await Api.ExpectStatus(await Create("arbiter", arbiterId, null), HttpStatusCode.Created);

        var found = Assert.Single(await Api.ItemsOf(platform, $"/api/v1/users?externalId={sellerId}"))!;
        Assert.Equal(seller.Id(), found.Id());
        Assert.Empty(await Api.ItemsOf(platform, $"/api/v1/users?externalId={arbiterId}"));
        await Api.ExpectProblem(await platform.Http.GetAsync("/api/v1/users"), HttpStatusCode.Forbidden, "action_not_allowed");
        // Acting for a user, the platform has that user's rights: a seller may not look up users.
        var acting = app.ActingFor(platform, await app.NewUser("seller"));
        await Api.ExpectProblem(await acting.Http.GetAsync($"/api/v1/users?externalId={sellerId}"), HttpStatusCode.Forbidden, "action_not_allowed");
        await Api.ExpectProblem(await app.As(seller["apiKey"]!.GetValue<string>()).GetAsync($"/api/v1/users?externalId={sellerId}"),
            HttpStatusCode.Forbidden, "action_not_allowed");
    }

    [Fact]
    public async Task A_second_user_with_a_taken_externalId_is_refused_409_and_nothing_is_written()
    {
        var externalId = NewExternalId();
        await Api.ExpectStatus(await Create("buyer", externalId, null), HttpStatusCode.Created);
        var before = await UserCount();

        await Api.ExpectProblem(await Create("seller", externalId, new { note = "again" }), HttpStatusCode.Conflict, "external_id_taken");

        Assert.Equal(before, await UserCount());
    }

    [Fact]
    public async Task Users_created_at_once_with_one_externalId_leave_exactly_one_winner()
    {
        var externalId = NewExternalId();

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Create("buyer", externalId, null)));

        var winner = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        foreach (var lost in responses.Where(r => r != winner))
            await Api.ExpectProblem(lost, HttpStatusCode.Conflict, "external_id_taken");
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var user = await db.Users.SingleAsync(u => u.ExternalId == externalId);
            Assert.Equal((await Api.Json(winner)).Id(), user.Id);
            Assert.Equal(1, await db.ApiKeys.CountAsync(k => k.UserId == user.Id));
        }
    }

    [Fact]
    public async Task Bad_externalId_or_metadata_is_refused_400_and_no_user_is_written()
    {
        var before = await UserCount();

        var problem = await Api.ExpectProblem(await Create("buyer", new string('x', 101), new Dictionary<string, string> { [""] = "v" }),
            HttpStatusCode.BadRequest, "validation_failed");

        Assert.NotNull(problem["errors"]!["externalId"]);
        Assert.NotNull(problem["errors"]!["metadata"]);
        await Api.ExpectProblem(await Create("buyer", null, new { n = 1 }), HttpStatusCode.BadRequest, "malformed_request");
        Assert.Equal(before, await UserCount());
    }
}
