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
