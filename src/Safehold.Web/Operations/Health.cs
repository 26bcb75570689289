using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Safehold.Web.Data;
using Safehold.Web.Jobs;

namespace Safehold.Web.Operations;

/// <summary>
/// <c>/health/live</c>: the process answers (no check, so a slow database never gets a live host restarted).
/// <c>/health/ready</c>: the database answers and has every migration, and this host's timed work is running (the
/// sweeper made progress lately, or it is switched off here because another host sweeps). 200 when ready, 503 when not,
/// each with a small JSON body naming the checks; anyone may ask, and the body says nothing secret.
/// </summary>
public static class Health
{
    public const string Ready = "ready";

    public static void AddSafeholdHealth(this IServiceCollection services) => services.AddHealthChecks()
        .AddDbContextCheck<SafeholdDb>("database", tags: [Ready], customTestQuery: async (db, ct) =>
            await db.Database.CanConnectAsync(ct) && !(await db.Database.GetPendingMigrationsAsync(ct)).Any())
        .AddCheck<SweeperCheck>("sweeper", tags: [Ready]);

    public static void MapSafeholdHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .WithName("live").ExcludeFromDescription();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteAsync })
            .WithName("ready").ExcludeFromDescription();
    }

    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        http.Response.Headers.CacheControl = "no-store";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = Name(report.Status),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = Name(e.Value.Status), description = e.Value.Description }),
        }));
    }

    private static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };

    /// <summary>This host's sweeper is alive: it made progress within <see cref="SweeperOptions.StaleAfterSeconds"/>.</summary>
    private sealed class SweeperCheck(DeadlineSweeper sweeper, IOptions<SweeperOptions> options) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var o = options.Value;
            if (!o.Enabled) return Task.FromResult(HealthCheckResult.Healthy("Switched off on this host (Safehold:Sweeper:Enabled): another host runs timed work."));
            var staleAfter = TimeSpan.FromSeconds(Math.Max(o.StaleAfterSeconds, 3 * o.IntervalSeconds));
            return Task.FromResult(sweeper.SinceLastProgress switch
            {
                null => HealthCheckResult.Unhealthy("The sweeper has not run yet."),
                { } since when since > staleAfter => HealthCheckResult.Unhealthy($"The sweeper last made progress {since.TotalSeconds:0} s ago."),
                { } since => HealthCheckResult.Healthy($"The sweeper made progress {since.TotalSeconds:0} s ago."),
            });
        }
    }
}
