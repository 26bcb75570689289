using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Tests.Features.Disputes;
using Safehold.Web.Tests.Features.Portal;

namespace Safehold.Web.Tests.Features.Users;

/// <summary>
/// Each person's language and time zone, stored on the user: chosen through the API or with the portal's switches, and
/// used when they read: their notifications (API and inbox) and the pages once they sign in, in another browser too.
/// </summary>
public sealed class PreferencesTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static Task<HttpResponseMessage> Prefer(TestUser user, object body) => user.Http.PatchAsJsonAsync("/api/v1/users/me", body);

    private static async Task<JsonNode> Inbox(HttpClient http) => (await Api.Json(await http.GetAsync("/api/v1/notifications")))["items"]![0]!;

    [Fact]
    public async Task A_user_chooses_a_language_and_time_zone_through_the_api_and_their_notifications_are_written_in_them()
    {
        var (_, seller, _, _) = await app.Disputed(outcome: "partial_refund", requested: 2_500);
        var english = await Inbox(seller.Http);
        Assert.Equal("dispute_opened", english["kind"]!.GetValue<string>());
        Assert.Equal("en", english["language"]!.GetValue<string>());
        Assert.Contains("Partial refund 25.00 USD", english["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(":00 UTC;", english["body"]!.GetValue<string>(), StringComparison.Ordinal);

        var me = await Api.Json(await Prefer(seller, new { language = "ka", timeZone = "Asia/Tbilisi" }));
        Assert.Equal("ka", me["language"]!.GetValue<string>());
        Assert.Equal("Asia/Tbilisi", me["timeZone"]!.GetValue<string>());
        Assert.Equal("Asia/Tbilisi", (await Api.Json(await seller.Http.GetAsync("/api/v1/users/me")))["timeZone"]!.GetValue<string>());

        // The same stored notification, read again: now Georgian, money written the Georgian way, times at UTC+4.
        var georgian = await Inbox(seller.Http);
        Assert.Equal(english["id"]!.GetValue<string>(), georgian["id"]!.GetValue<string>());
        Assert.Equal("ka", georgian["language"]!.GetValue<string>());
        Assert.StartsWith("გაიხსნა დავა: „", georgian["subject"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("ნაწილობრივი დაბრუნება 25,00 USD", georgian["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("UTC+4)", georgian["body"]!.GetValue<string>(), StringComparison.Ordinal);

        // Only the field sent changes.
        var zoneOnly = await Api.Json(await Prefer(seller, new { timeZone = "Europe/Berlin" }));
        Assert.Equal("ka", zoneOnly["language"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_a_stored_language_notifications_follow_the_requests_accept_language()
    {
        var (_, seller, _, _) = await app.Disputed();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/notifications");
        request.Headers.AcceptLanguage.ParseAdd("ka-GE,ka;q=0.9,en;q=0.5");
        var item = (await Api.Json(await seller.Http.SendAsync(request)))["items"]![0]!;
        Assert.Equal("ka", item["language"]!.GetValue<string>());
        Assert.Equal("en", (await Inbox(seller.Http))["language"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("fr", null, "language")]
    [InlineData(null, "Mars/Olympus_Mons", "timeZone")]
    public async Task An_unknown_language_or_time_zone_is_refused_beside_its_field_and_changes_nothing(string? language, string? timeZone, string field)
    {
        var buyer = await app.NewUser("buyer");
        await Api.ExpectStatus(await Prefer(buyer, new { language = "en", timeZone = "UTC" }), HttpStatusCode.OK);
        var problem = await Api.ExpectProblem(await Prefer(buyer, new { language, timeZone }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]![field]);
        var me = await Api.Json(await buyer.Http.GetAsync("/api/v1/users/me"));
        Assert.Equal("en", me["language"]!.GetValue<string>());
        Assert.Equal("UTC", me["timeZone"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_admin_creates_a_user_with_a_language_and_time_zone()
    {
        var email = $"ka-{Guid.NewGuid():N}@test.example";
        var created = await Api.Json(await app.Admin.PostAsJsonAsync("/api/v1/users",
            new { email, displayName = "ნინო", role = "buyer", language = "ka", timeZone = "Asia/Tbilisi" }));
        var user = app.As(created["apiKey"]!.GetValue<string>());
        var me = await Api.Json(await user.GetAsync("/api/v1/users/me"));
        Assert.Equal("ka", me["language"]!.GetValue<string>());
        Assert.Equal("Asia/Tbilisi", me["timeZone"]!.GetValue<string>());
        await Api.ExpectProblem(await app.Admin.PostAsJsonAsync("/api/v1/users", new { email = "x" + email, displayName = "X", role = "buyer", language = "de" }),
            HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task The_portals_switches_write_through_to_the_signed_in_user_and_their_choice_follows_them_to_another_browser()
    {
        var buyer = await app.NewUser("buyer");
        var portal = await PortalClient.As(app, buyer);
        Assert.Contains("<html lang=\"en\"", await portal.Page("/orders"), StringComparison.Ordinal);
        await Api.ExpectStatus(await portal.Post("/culture", new() { ["culture"] = "ka-GE", ["returnUrl"] = "/orders" }, formPage: "/orders"), HttpStatusCode.Redirect);
        await Api.ExpectStatus(await portal.Post("/culture?handler=Zone", new() { ["zone"] = "Asia/Tbilisi", ["returnUrl"] = "/orders" }, formPage: "/orders"),
            HttpStatusCode.Redirect);
        var me = await Api.Json(await buyer.Http.GetAsync("/api/v1/users/me"));
        Assert.Equal("ka", me["language"]!.GetValue<string>());
        Assert.Equal("Asia/Tbilisi", me["timeZone"]!.GetValue<string>());

        // Another browser, with no cookie but the sign-in, whose browser asks for English: the stored choice wins.
        var elsewhere = await PortalClient.As(app, buyer, language: "en");
        var page = await elsewhere.Page("/orders");
        Assert.Contains("<html lang=\"ka\"", page, StringComparison.Ordinal);
        Assert.Contains("<option value=\"Asia/Tbilisi\" selected=\"selected\">", page, StringComparison.Ordinal); // the stored zone

        // A choice made through the API shows on the next page of a session already open (in a browser that made none with the switch).
        await Api.ExpectStatus(await Prefer(buyer, new { language = "en" }), HttpStatusCode.OK);
        Assert.Contains("<html lang=\"en\"", await elsewhere.Page("/orders"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_notification_stored_as_english_prose_before_values_still_reads_as_it_was_written()
    {
        var (_, seller, _, _) = await app.Disputed();
        var id = Guid.Parse((await Inbox(seller.Http))["id"]!.GetValue<string>());
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.Notifications.Where(n => n.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(n => n.Values, (string?)null)
                .SetProperty(n => n.Subject, "A dispute was opened on \"Old watch\"")
                .SetProperty(n => n.Body, "The buyer opened a dispute (damaged)."));
        }
        await Api.ExpectStatus(await Prefer(seller, new { language = "ka" }), HttpStatusCode.OK);
        var legacy = await Inbox(seller.Http);
        Assert.Equal("A dispute was opened on \"Old watch\"", legacy["subject"]!.GetValue<string>());
        Assert.Equal("en", legacy["language"]!.GetValue<string>());
        var inbox = PortalClient.Text(await (await PortalClient.As(app, seller)).Page("/inbox"));
        Assert.Contains("A dispute was opened on \"Old watch\"", inbox, StringComparison.Ordinal);
    }
}
