using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Api;

/// <summary>
/// The budgets of <see cref="RateLimits"/> (<c>Safehold:RateLimits</c>), each a number of requests per minute, spent as a
/// token bucket: up to the whole minute's budget at once, then refilled evenly.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "Safehold:RateLimits";

    /// <summary>Each authenticated caller (a user's API keys, or their signed-in session).</summary>
    public int PerCallerPerMinute { get; set; } = 1_200;

    /// <summary>A platform key, which acts for many users.</summary>
    public int PlatformPerMinute { get; set; } = 12_000;

    /// <summary>Every request from one client address, whoever it is.</summary>
    public int PerAddressPerMinute { get; set; } = 6_000;

    /// <summary>Requests with an API key that is not (or no longer) valid, from one address.</summary>
    public int WrongKeysPerAddressPerMinute { get; set; } = 30;

    /// <summary>Sign-in attempts from one address.</summary>
    public int SignInsPerAddressPerMinute { get; set; } = 20;

    /// <summary>Sign-in attempts for one email, from anywhere.</summary>
    public int SignInsPerEmailPerMinute { get; set; } = 5;
}

/// <summary>
/// ASP.NET Core's rate limiter, one global chain: every request spends from its address's budget and, when it has a
/// caller, from the caller's (a platform key has its own, higher one); a request with a wrong key spends from its
/// address's wrong-key budget, and a sign-in from its address's sign-in budget (and, in the page, from its email's:
/// <see cref="SignInThrottle"/>). Over budget: 429 <c>rate_limited</c> problem+json with <c>Retry-After</c> (a page
/// gets the portal's own 429 page). The probes and the scrape are never limited.
/// </summary>
public static class RateLimits
{
    public static void AddSafeholdRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var o = configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        foreach (var (name, value) in new[] { ("PerCallerPerMinute", o.PerCallerPerMinute), ("PlatformPerMinute", o.PlatformPerMinute),
            ("PerAddressPerMinute", o.PerAddressPerMinute), ("WrongKeysPerAddressPerMinute", o.WrongKeysPerAddressPerMinute),
            ("SignInsPerAddressPerMinute", o.SignInsPerAddressPerMinute), ("SignInsPerEmailPerMinute", o.SignInsPerEmailPerMinute) })
            if (value < 1) throw new InvalidOperationException($"{RateLimitOptions.Section}:{name} must be at least 1 (it is {value}).");
        services.AddSingleton(new SignInThrottle(o.SignInsPerEmailPerMinute));
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(http => Exempt(http)
                    ? RateLimitPartition.GetNoLimiter("")
                    : Bucket("address:" + AddressOf(http), o.PerAddressPerMinute)),
                PartitionedRateLimiter.Create<HttpContext, string>(http => Exempt(http) ? RateLimitPartition.GetNoLimiter("") : CallerPartition(http, o)));
            limiter.OnRejected = RejectAsync;
        });
    }

    private static RateLimitPartition<string> CallerPartition(HttpContext http, RateLimitOptions o)
    {
        if (http.User.FindFirstValue(ClaimTypes.NameIdentifier) is { } id)
            return http.User.IsInRole("Platform") ? Bucket("platform:" + id, o.PlatformPerMinute) : Bucket("caller:" + id, o.PerCallerPerMinute);
        if (http.Request.Headers.Authorization.Count > 0) return Bucket("wrong-key:" + AddressOf(http), o.WrongKeysPerAddressPerMinute);
        if (HttpMethods.IsPost(http.Request.Method) && http.Request.Path.StartsWithSegments("/signin"))
            return Bucket("sign-in:" + AddressOf(http), o.SignInsPerAddressPerMinute);
        return RateLimitPartition.GetNoLimiter("");
    }

    /// <summary>
    /// A budget of <paramref name="perMinute"/> a minute: that many at once, and the minute's worth again over a minute. The
    /// partitioned limiter refills its buckets on its own timer (one for all), so none has a timer of its own.
    /// </summary>
    internal static TokenBucketRateLimiterOptions BucketOptions(int perMinute) => new()
    {
        TokenLimit = perMinute,
        TokensPerPeriod = perMinute,
        ReplenishmentPeriod = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
        AutoReplenishment = false,
    };

    private static RateLimitPartition<string> Bucket(string key, int perMinute) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => BucketOptions(perMinute));

    /// <summary>The probes and the scrape; and a page re-executed to show a status (its request was already counted).</summary>
    private static bool Exempt(HttpContext http) =>
        Operations.Telemetry.Machine(http.Request.Path) || http.Features.Get<IStatusCodeReExecuteFeature>() is not null;

    private static string AddressOf(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken ct)
    {
        var http = context.HttpContext;
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        if (!PortalSetup.IsApi(http.Request)) return; // the portal's status page says it in the reader's language
        var problem = new ProblemDetails
        {
            Status = 429,
            Title = "Too many requests.",
            Detail = "Slow down: try again after the number of seconds in Retry-After.",
        };
        problem.Extensions["code"] = "rate_limited";
        await http.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem });
    }
}

/// <summary>Sign-in attempts per email, whatever address they come from: guessing one account's password slowly.</summary>
public sealed class SignInThrottle(int perMinute) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(email =>
        RateLimitPartition.GetTokenBucketLimiter(email, _ => RateLimits.BucketOptions(perMinute)));

    /// <summary>Spends one attempt for <paramref name="email"/>; null when allowed, else how long to wait.</summary>
    public TimeSpan? Attempt(string email)
    {
        using var lease = _limiter.AttemptAcquire(email.Trim().ToLowerInvariant());
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(60.0 / perMinute);
    }

    public void Dispose() => _limiter.Dispose();
}
