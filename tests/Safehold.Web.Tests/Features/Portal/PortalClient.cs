using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Safehold.Web.Tests.Features.Portal;

/// <summary>A browser without the browser: cookies, forms with their antiforgery token, and HTML answers.</summary>
public sealed partial class PortalClient(SafeholdApp app)
{
    public HttpClient Http { get; } = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public static async Task<PortalClient> SignedIn(SafeholdApp app, string email, string password)
    {
        var client = new PortalClient(app);
        var response = await client.Post("/signin", new() { ["Email"] = email, ["Password"] = password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    /// <summary>A user made through the API (with a key only) given a portal password, the way the admin's form does, and signed in.</summary>
    public static async Task<PortalClient> As(SafeholdApp app, TestUser user, string? language = null)
    {
        const string password = "portal-password";
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var stored = db.Users.Single(u => u.Id == user.Id);
            // Set unless it is already this one: setting a password ends the sessions of the user's other clients (User.SetPasswordHash).
            var hasher = new Microsoft.AspNetCore.Identity.PasswordHasher<Safehold.Web.Features.Users.User>();
            if (stored.PasswordHash is null || hasher.VerifyHashedPassword(stored, stored.PasswordHash, password) == Microsoft.AspNetCore.Identity.PasswordVerificationResult.Failed)
                stored.SetPasswordHash(hasher.HashPassword(stored, password));
            await db.SaveChangesAsync();
        }
        var client = await SignedIn(app, user.Email, password);
        if (language is not null) client.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
        return client;
    }

    /// <summary>A page's HTML, failing unless it answered 200.</summary>
    public async Task<string> Page(string path)
    {
        var response = await Http.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}: {html[..Math.Min(html.Length, 2000)]}");
        return html;
    }

    /// <summary>The page's text as a reader sees it: tags dropped, entities decoded, white space collapsed.</summary>
    public static string Text(string html)
    {
        var body = html[(html.IndexOf("<main", StringComparison.Ordinal) is var i and >= 0 ? i : 0)..];
        var text = System.Net.WebUtility.HtmlDecode(Tags().Replace(InlineTags().Replace(body, ""), " "));
        return Spaces().Replace(text, " ");
    }

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tags();

    [GeneratedRegex("</?(span|strong|small|a|em|time|label)( [^>]*)?>")]
    private static partial Regex InlineTags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    /// <summary>The antiforgery token of the first form on a page (and its cookie, kept by the client).</summary>
    public async Task<string> TokenFrom(string path)
    {
        var html = await Http.GetStringAsync(path);
        return Token().Match(html).Groups[1].Value;
    }

    /// <summary>Posts a form the way the page's own form does: with the token taken from <paramref name="formPage"/>.</summary>
    public async Task<HttpResponseMessage> Post(string path, Dictionary<string, string> fields, string? formPage = null)
    {
        var form = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = await TokenFrom(formPage ?? path.Split('?')[0]) };
        return await Http.PostAsync(path, new FormUrlEncodedContent(form));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
