using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Prometheus;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Users;
using Safehold.Web.Jobs;

namespace Safehold.Web.Operations;

/// <summary>Who may read <c>/metrics</c> besides an admin key: a scraper holding this token (<c>Safehold:Metrics</c>).</summary>
public sealed class MetricsOptions
{
    public const string Section = "Safehold:Metrics";

    /// <summary>A bearer token for Prometheus (<c>authorization: { credentials: ... }</c>); none: admin keys only.</summary>
    public string? ScrapeToken { get; set; }
}

/// <summary>
/// <c>/metrics</c> in Prometheus text, from prometheus-net: the HTTP requests (count and duration by route and status)
/// and, read from the database at each scrape, the orders and disputes by status, the timers due and the sweeper's lag
/// (how long the oldest due timer has waited), and the webhook endpoints (failing, due, how long the oldest has waited).
/// One registry per host, not prometheus-net's static one, so several hosts in one process (the tests) keep their own.
/// </summary>
public sealed class SafeholdMetrics
{
    public const string Policy = "metrics";

    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _clock;
    private readonly DeadlineSweeper _sweeper;
    private readonly Gauge _orders, _disputes, _dueTimers, _sweeperLag, _sweeperIdle, _webhooks, _webhooksDue, _webhookLag;

    public SafeholdMetrics(IServiceScopeFactory scopes, TimeProvider clock, DeadlineSweeper sweeper, CollectorRegistry registry)
    {
        (_scopes, _clock, _sweeper, Registry) = (scopes, clock, sweeper, registry);
        Factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _orders = Factory.CreateGauge("safehold_orders", "Orders by status.", ["status"]);
        _disputes = Factory.CreateGauge("safehold_disputes", "Disputes by status.", ["status"]);
        _dueTimers = Factory.CreateGauge("safehold_due_timers", "Timers due and not yet fired, by the kind of aggregate they belong to.", ["aggregate"]);
        _sweeperLag = Factory.CreateGauge("safehold_sweeper_lag_seconds", "How long the oldest due timer has waited to be fired (0 when none is due).");
        _sweeperIdle = Factory.CreateGauge("safehold_sweeper_seconds_since_progress", "Seconds since this host's sweeper last made progress (-1: never, or switched off).");
        _webhooks = Factory.CreateGauge("safehold_webhook_endpoints", "Webhook endpoints: retrying after a refused delivery; failing, with an event parked after its last attempt; or ok.", ["state"]);
        _webhooksDue = Factory.CreateGauge("safehold_webhook_endpoints_due", "Webhook endpoints whose next delivery attempt is due.");
        _webhookLag = Factory.CreateGauge("safehold_webhook_backlog_seconds", "How long the most overdue webhook endpoint has waited for its next attempt (0 when none).");
        Registry.AddBeforeCollectCallback(RefreshAsync);
    }

    /// <summary>The host's own registry (a singleton of its services): what else measures itself (<see cref="WriteGate"/>) adds to it.</summary>
    public CollectorRegistry Registry { get; }
    public IMetricFactory Factory { get; }

    private async Task RefreshAsync(CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var now = _clock.GetUtcNow();

        var orders = await db.Orders.AsNoTracking().GroupBy(o => o.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        foreach (var status in Enum.GetValues<OrderStatus>())
            _orders.WithLabels(Wire(status)).Set(orders.FirstOrDefault(o => o.Key == status)?.Count ?? 0);
        var disputes = await db.Disputes.AsNoTracking().GroupBy(d => d.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        foreach (var status in Enum.GetValues<DisputeStatus>())
            _disputes.WithLabels(Wire(status)).Set(disputes.FirstOrDefault(d => d.Key == status)?.Count ?? 0);

        var orderTimers = db.Timers.AsNoTracking().Where(t => t.DueAt <= now);
        var disputeTimers = db.DisputeTimers.AsNoTracking().Where(t => t.DueAt <= now);
        _dueTimers.WithLabels("order").Set(await orderTimers.CountAsync(ct));
        _dueTimers.WithLabels("dispute").Set(await disputeTimers.CountAsync(ct));
        // The oldest by ordering rather than Min: SQLite stores the instants as text EF Core can compare and sort, not aggregate.
        var oldest = new[]
        {
            await orderTimers.OrderBy(t => t.DueAt).Select(t => (DateTimeOffset?)t.DueAt).FirstOrDefaultAsync(ct),
            await disputeTimers.OrderBy(t => t.DueAt).Select(t => (DateTimeOffset?)t.DueAt).FirstOrDefaultAsync(ct),
        }.Where(d => d is not null).Min();
        _sweeperLag.Set(oldest is { } dueAt ? Math.Max(0, (now - dueAt).TotalSeconds) : 0);
        _sweeperIdle.Set(_sweeper.SinceLastProgress?.TotalSeconds ?? -1);

        var endpoints = db.WebhookEndpoints.AsNoTracking();
        _webhooks.WithLabels("failing").Set(await endpoints.CountAsync(w => w.FailingSince != null, ct));
        _webhooks.WithLabels("retrying").Set(await endpoints.CountAsync(w => w.FailingSince == null && w.FailedAttempts > 0, ct));
        _webhooks.WithLabels("ok").Set(await endpoints.CountAsync(w => w.FailingSince == null && w.FailedAttempts == 0, ct));
        var due = endpoints.Where(w => w.NextAttemptAt <= now);
        _webhooksDue.Set(await due.CountAsync(ct));
        var overdue = await due.OrderBy(w => w.NextAttemptAt).Select(w => (DateTimeOffset?)w.NextAttemptAt).FirstOrDefaultAsync(ct);
        _webhookLag.Set(overdue is { } at ? Math.Max(0, (now - at).TotalSeconds) : 0);
    }

    /// <summary>A status as the API writes it (<c>awaiting_payment</c>).</summary>
    private static string Wire<T>(T value) where T : struct, Enum =>
        System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());
}

/// <summary>Registration and the read rule of <c>/metrics</c>: an admin's API key, or the configured scrape token.</summary>
public static class MetricsEndpoint
{
    public static void AddSafeholdMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<MetricsOptions>(configuration.GetSection(MetricsOptions.Section));
        services.AddSingleton(_ => Prometheus.Metrics.NewCustomRegistry());
        services.AddSingleton<SafeholdMetrics>();
        services.AddSingleton<IAuthorizationHandler, ScraperOrAdmin>();
        services.AddAuthorizationBuilder().AddPolicy(SafeholdMetrics.Policy, p => p.AddRequirements(new ScraperOrAdmin.Requirement()));
    }

    /// <summary>Counts and times every request (by route pattern, method and status) into the host's registry.</summary>
    public static IApplicationBuilder UseSafeholdRequestMetrics(this IApplicationBuilder app) =>
        app.UseHttpMetrics(o => o.SetMetricFactory(app.ApplicationServices.GetRequiredService<SafeholdMetrics>().Factory));

    public static void MapSafeholdMetrics(this IEndpointRouteBuilder app) =>
        app.MapMetrics("/metrics", app.ServiceProvider.GetRequiredService<SafeholdMetrics>().Registry)
            .RequireAuthorization(SafeholdMetrics.Policy);

    private sealed class ScraperOrAdmin(Microsoft.Extensions.Options.IOptionsMonitor<MetricsOptions> options)
        : AuthorizationHandler<ScraperOrAdmin.Requirement>
    {
        public sealed class Requirement : IAuthorizationRequirement;

        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, Requirement requirement)
        {
            if (context.User.IsInRole(nameof(UserRole.Admin))) context.Succeed(requirement);
            else if (options.CurrentValue.ScrapeToken is { Length: >= 16 } token && Bearer(context.Resource as HttpContext) is { } given
                     && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token)))
                context.Succeed(requirement);
            return Task.CompletedTask;
        }

        private static string? Bearer(HttpContext? http) =>
            http?.Request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                ? header["Bearer ".Length..].Trim() : null;
    }
}
