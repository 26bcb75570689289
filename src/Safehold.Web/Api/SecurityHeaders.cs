using Safehold.Web.Features.Portal;

namespace Safehold.Web.Api;

/// <summary>
/// What every answer tells the browser: never sniff a type, never be framed, send the referrer only to this site,
/// and (pages) run scripts from this site only, no plugins, forms posted only here. The API's answers are data, so
/// their policy allows nothing at all. An answer that set its own policy (an evidence preview: sandboxed) keeps it.
/// </summary>
public static class SecurityHeaders
{
    public const string PortalPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; "
        + "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public const string ApiPolicy = "default-src 'none'; frame-ancestors 'none'; sandbox";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "same-origin";
            if (!headers.ContainsKey("Content-Security-Policy"))
                headers.ContentSecurityPolicy = PortalSetup.IsApi(http.Request) ? ApiPolicy : PortalPolicy;
            return Task.CompletedTask;
        });
        return next(http);
    });
}
