using System.Net;
using System.Net.Http.Headers;
using System.Xml.Linq;
using Safehold.Domain.Orders;
using Safehold.Web.Features.Orders;

namespace Safehold.Web.Tests.Features.Portal;

/// <summary>The portal over HTTP: sign-in, the two credentials kept apart, antiforgery, 404 for others' orders, the strings.</summary>
public sealed class PortalTests : IDisposable
{
    private readonly SafeholdApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task A_page_without_the_sign_in_cookie_redirects_to_sign_in_while_the_API_without_a_key_answers_401_problem_json()
    {
        var client = new PortalClient(_app);
        var page = await client.Http.GetAsync("/orders");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/signin", page.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        await Api.ExpectProblem(await client.Http.GetAsync("/api/v1/orders"), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task The_sign_in_cookie_does_not_open_the_API_and_an_API_key_does_not_open_a_page()
    {
        var buyer = await _app.NewUser("buyer", "buyer-password");
        var portal = await PortalClient.SignedIn(_app, buyer.Email, "buyer-password");
        Assert.Equal(HttpStatusCode.OK, (await portal.Http.GetAsync("/orders")).StatusCode);
        await Api.ExpectProblem(await portal.Http.GetAsync("/api/v1/orders"), HttpStatusCode.Unauthorized, "unauthorized");

        var withKey = new PortalClient(_app);
        withKey.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", buyer.ApiKey);
        Assert.Equal(HttpStatusCode.Redirect, (await withKey.Http.GetAsync("/orders")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await withKey.Http.GetAsync("/api/v1/orders")).StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_email_are_refused_alike_and_sign_in_nobody()
    {
        var buyer = await _app.NewUser("buyer", "buyer-password");
        foreach (var (email, password) in new[] { (buyer.Email, "not-the-password"), ("nobody@test.example", "buyer-password") })
        {
            var client = new PortalClient(_app);
            var response = await client.Post("/signin", new() { ["Email"] = email, ["Password"] = password });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("The email or the password is wrong.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Redirect, (await client.Http.GetAsync("/orders")).StatusCode);
        }
    }

    [Fact]
    public async Task A_form_posted_without_its_antiforgery_token_is_refused_and_changes_nothing()
    {
        var (buyer, _, orderId) = await _app.OrderIn("awaiting_delivery");
        var portal = await PortalClient.SignedIn(_app, buyer.Email, GivePassword(buyer));

        var forged = await portal.Http.PostAsync($"/orders/{orderId}?handler=ConfirmReceipt", new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal("awaiting_delivery", (await Api.GetOrder(buyer, orderId)).Status());

        var genuine = await portal.Post($"/orders/{orderId}?handler=ConfirmReceipt", new() { ["confirmed"] = "true" }, formPage: $"/orders/{orderId}");
        Assert.Equal(HttpStatusCode.Redirect, genuine.StatusCode);
        Assert.Equal("completed", (await Api.GetOrder(buyer, orderId)).Status());
    }

    [Fact]
    public async Task Someone_elses_order_page_answers_404_and_shows_nothing_of_it()
    {
        var (_, _, orderId) = await _app.OrderIn("awaiting_shipment");
        var other = await _app.NewUser("buyer", "other-password");
        var portal = await PortalClient.SignedIn(_app, other.Email, "other-password");
        var response = await portal.Http.GetAsync($"/orders/{orderId}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<h1>Not found</h1>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Test product", html, StringComparison.Ordinal);

        var forged = await portal.Post($"/orders/{orderId}?handler=Cancel", [], formPage: "/orders");
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
    }

    [Fact]
    public async Task A_refused_action_shows_the_code_in_words_with_the_APIs_status_and_changes_nothing()
    {
        var (buyer, seller, orderId) = await _app.OrderIn("awaiting_shipment");
        var portal = await PortalClient.SignedIn(_app, seller.Email, GivePassword(seller));
        // The buyer cancels meanwhile; the seller's page still shows the ship form.
        Assert.Equal(HttpStatusCode.OK, (await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/cancel", null)).StatusCode);
        var response = await portal.Post($"/orders/{orderId}?handler=Ship", new() { ["carrier"] = "DHL", ["trackingNumber"] = "JD1" }, formPage: "/seller/to-ship");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("This cannot be done at this stage of the order", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("closed", (await Api.GetOrder(buyer, orderId)).Status());
    }

    [Fact]
    public void The_Georgian_strings_have_every_English_key_and_every_string_a_page_asks_for_exists()
    {
        var folder = Path.Combine(SourceRoot(), "src", "Safehold.Web", "Features", "Portal");
        var english = Keys(Path.Combine(folder, "PortalText.resx"));
        var georgian = Keys(Path.Combine(folder, "PortalText.ka.resx"));
        Assert.Equal(english.Order(), georgian.Order());

        var features = Path.Combine(SourceRoot(), "src", "Safehold.Web", "Features");
        var asked = Directory.EnumerateFiles(features, "*.cshtml", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(features, "*.cs", SearchOption.AllDirectories))
            .SelectMany(f => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(f), "L\\[\"((?:[^\"\\\\]|\\\\.)*)\"[\\],]").Select(m => m.Groups[1].Value))
            .Where(k => !k.EndsWith('.') || k.Contains(' ', StringComparison.Ordinal)) // "tab." + key: a prefix, checked by the pages
            .Distinct();
        var missing = asked.Where(k => !english.Contains(k)).ToList();
        Assert.True(missing.Count == 0, "Strings a page asks for that PortalText.resx lacks: " + string.Join(" | ", missing));
    }

    /// <summary>Gives a user made through the API (with a key only) a portal password, the way the admin's form does.</summary>
    private string GivePassword(TestUser user)
    {
        const string password = "portal-password";
        var (scope, db) = _app.OpenDb();
        using (scope)
        {
            var stored = db.Users.Single(u => u.Id == user.Id);
            // Set unless it is already this one: setting a password ends the sessions of the user's other clients (User.SetPasswordHash).
            var hasher = new Microsoft.AspNetCore.Identity.PasswordHasher<Safehold.Web.Features.Users.User>();
            if (stored.PasswordHash is null || hasher.VerifyHashedPassword(stored, stored.PasswordHash, password) == Microsoft.AspNetCore.Identity.PasswordVerificationResult.Failed)
                stored.SetPasswordHash(hasher.HashPassword(stored, password));
            db.SaveChanges();
        }
        return password;
    }

    private static HashSet<string> Keys(string resx) =>
        XDocument.Load(resx).Root!.Elements("data").Select(d => d.Attribute("name")!.Value).ToHashSet();

    private static string SourceRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Safehold.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Safehold.slnx not found above the test's folder.");
    }
}
