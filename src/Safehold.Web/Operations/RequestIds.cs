using System.Diagnostics;

namespace Safehold.Web.Operations;

/// <summary>
/// <c>Request-Id</c> on every response: the request's trace id (W3C, 32 hex digits) when it is traced, else ASP.NET
/// Core's own request identifier. Problem bodies carry the same value as <c>traceId</c>, so a support request quoting
/// either finds the request's log lines and trace.
/// </summary>
public static class RequestIds
{
    public const string Header = "Request-Id";

    public static string Of(HttpContext http) =>
        Activity.Current is { } activity && activity.TraceId != default ? activity.TraceId.ToHexString() : http.TraceIdentifier;

    /// <summary>First in the pipeline, and set as the answer starts: the exception handler clears headers set earlier.</summary>
    public static IApplicationBuilder UseRequestIds(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        var id = Of(http);
        http.Response.OnStarting(() =>
        {
            http.Response.Headers[Header] = id;
            return Task.CompletedTask;
        });
        return next(http);
    });
}
