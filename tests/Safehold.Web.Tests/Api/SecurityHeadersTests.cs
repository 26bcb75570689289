using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Safehold.Web.Tests.Http;

/// <summary>What every answer tells the browser: no framing, no sniffing, no foreign scripts, no referrer leaks; HSTS over HTTPS.</summary>
public sealed class SecurityHeadersTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values)
        : response.Content.Headers.TryGetValues(name, out var content) ? string.Join(", ", content) : "";

    [Theory]
    [InlineData("/signin")]
    [InlineData("/")]
    [InlineData("/no-such-page")]
    public async Task A_portal_page_may_not_be_framed_sniffed_or_run_foreign_scripts(string path)
    {
        var response = await app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).GetAsync(path);

        var csp = Header(response, "Content-Security-Policy");
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("same-origin", Header(response, "Referrer-Policy"));
    }

    [Fact]
    public async Task An_API_answer_is_never_sniffed_or_framed()
    {
        var response = await app.Admin.GetAsync("/api/v1/users/me");
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Contains("frame-ancestors 'none'", Header(response, "Content-Security-Policy"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HSTS_is_sent_over_HTTPS_and_not_over_plain_HTTP()
    {
        var https = app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://safehold.example/"), AllowAutoRedirect = false });
        Assert.StartsWith("max-age=", Header(await https.GetAsync("/signin"), "Strict-Transport-Security"), StringComparison.Ordinal);
        var http = app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://safehold.example/"), AllowAutoRedirect = false });
        Assert.Equal("", Header(await http.GetAsync("/signin"), "Strict-Transport-Security"));
    }
}

/// <summary>Safehold behind real Kestrel: no <c>Server</c> header, and what Kestrel itself refuses.</summary>
public sealed class KestrelTests : IDisposable
{
    private readonly SafeholdApp _app = new();

    public KestrelTests() => _app.UseKestrel(0);

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Kestrel_does_not_name_itself()
    {
        var response = await _app.CreateClient().GetAsync("/signin");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Server"));
    }

    /// <remarks>
    /// Kestrel refuses a NUL in the path while decoding the request line, before the app or its middleware runs, and
    /// writes a bare 400 of its own with no hook to shape it (ASP.NET Core's path decoding refuses it wherever it
    /// runs, TestServer too, so no NUL ever reaches a handler). This pins that the refusal stays where it is.
    /// </remarks>
    [Fact]
    public async Task Kestrel_refuses_a_NUL_in_the_path_before_the_app_with_a_bare_400()
    {
        var response = await _app.CreateClient().GetAsync("/api/v1/orders/%00");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }
}
