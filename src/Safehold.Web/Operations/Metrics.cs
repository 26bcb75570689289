using System.Linq.Expressions;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Prometheus;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Domain.Payments;
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

    /// <summary>
    /// How often a scrape counts every order, dispute and payment instruction by status (0: at every scrape). Those counts
    /// read each table's status index whole (0.07 to 0.2 s a million rows); between them a scrape answers the last counts.
    /// </summary>
    public double CountsEverySeconds { get; set; } = 60;
}

/// <summary>
/// <c>/metrics</c> in Prometheus text, from prometheus-net: the HTTP requests (count and duration by route and status)
/// and, read from the database, the orders, disputes and payment instructions by status, the timers due and the
/// sweeper's lag (how long the oldest due timer has waited), the payment instructions due and how long the oldest has
/// waited, and the webhook endpoints (failing, due, how long the oldest has waited).
/// One registry per host, not prometheus-net's static one, so several hosts in one process (the tests) keep their own.
/// </summary>
/// <remarks>
/// What is due is read at every scrape, through the indexes of the due instants: it is as small as the backlog. The counts
/// by status grow with every order ever placed, so they are read at most every <see cref="MetricsOptions.CountsEverySeconds"/>,
/// only through the status indexes (never the rows), and one scrape at a time: scrapes that meet share one reading.
/// </remarks>
public sealed class SafeholdMetrics
{
    public const string Policy = "metrics";

    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _clock;
    private readonly DeadlineSweeper _sweeper;
    private readonly IOptionsMonitor<MetricsOptions> _options;
    private readonly Gauge _orders, _disputes, _instructions, _unsettled, _instructionsDue, _instructionLag, _dueTimers, _sweeperLag, _sweeperIdle,
        _webhooks, _webhooksDue, _webhookLag;
    private readonly SemaphoreSlim _reading = new(1, 1);
    private DateTimeOffset? _countedAt;

    public SafeholdMetrics(IServiceScopeFactory scopes, TimeProvider clock, DeadlineSweeper sweeper, CollectorRegistry registry,
        IOptionsMonitor<MetricsOptions> options)
    {
        (_scopes, _clock, _sweeper, Registry, _options) = (scopes, clock, sweeper, registry, options);
        Factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _orders = Factory.CreateGauge("safehold_orders", "Orders by status.", ["status"]);
        _disputes = Factory.CreateGauge("safehold_disputes", "Disputes by status.", ["status"]);
        _instructions = Factory.CreateGauge("safehold_payment_instructions", "Payment instructions (captures, refunds, payouts) by status.", ["status"]);
        _unsettled = Factory.CreateGauge("safehold_payment_instructions_unsettled",
            "Payment instructions not yet settled, by kind and status: pending or processing (the money has not moved yet), failed (waiting for an admin).",
            ["kind", "status"]);
        _instructionsDue = Factory.CreateGauge("safehold_payment_instructions_due",
            "Payment instructions pending or processing whose next attempt (or claim's end) has come: the instruction worker's backlog; on external rails, those whose result the marketplace has not reported.");
        _instructionLag = Factory.CreateGauge("safehold_payment_instructions_backlog_seconds",
            "How long the most overdue payment instruction has waited for its next attempt (0 when none is due).");
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
        await _reading.WaitAsync(ct);
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
            var now = _clock.GetUtcNow();
            if (_countedAt is not { } at || now - at >= TimeSpan.FromSeconds(_options.CurrentValue.CountsEverySeconds) || now < at)
            {
                await CountAsync(db, ct);
                _countedAt = now;
            }
            await ReadWaitingAsync(db, now, ct);
        }
        finally
        {
            _reading.Release();
        }
    }

    /// <summary>Every order, dispute and instruction by status: each a group by the leading column of a status index, read whole.</summary>
    private async Task CountAsync(SafeholdDb db, CancellationToken ct)
    {
        var orders = await db.Orders.AsNoTracking().GroupBy(o => o.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        foreach (var status in Enum.GetValues<OrderStatus>())
            _orders.WithLabels(Wire(status)).Set(orders.FirstOrDefault(o => o.Key == status)?.Count ?? 0);
        var disputes = await db.Disputes.AsNoTracking().GroupBy(d => d.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        foreach (var status in Enum.GetValues<DisputeStatus>())
            _disputes.WithLabels(Wire(status)).Set(disputes.FirstOrDefault(d => d.Key == status)?.Count ?? 0);
        var instructions = await db.PaymentInstructions.AsNoTracking().GroupBy(i => i.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        foreach (var status in Enum.GetValues<InstructionStatus>())
            _instructions.WithLabels(Wire(status)).Set(instructions.FirstOrDefault(i => i.Key == status)?.Count ?? 0);
    }

    /// <summary>What waits: instructions not settled, timers and instructions due, webhook endpoints; each read through an index of its status or due instant.</summary>
    private async Task ReadWaitingAsync(SafeholdDb db, DateTimeOffset now, CancellationToken ct)
    {
        // By kind only those not settled: a seek on the status index to the few rows that wait, where grouping every
        // instruction by kind would read the table itself.
        var unsettled = await db.PaymentInstructions.AsNoTracking().Where(i => Unsettled.Contains(i.Status))
            .GroupBy(i => new { i.Kind, i.Status }).Select(g => new { g.Key.Kind, g.Key.Status, Count = g.Count() }).ToListAsync(ct);
        foreach (var kind in Enum.GetValues<InstructionKind>())
            foreach (var status in Unsettled)
                _unsettled.WithLabels(Wire(kind), Wire(status)).Set(unsettled.FirstOrDefault(u => u.Kind == kind && u.Status == status)?.Count ?? 0);
        var instructions = await Backlog.OfAsync(db.PaymentInstructions.Where(PaymentInstruction.DueBy(now)), i => i.NextAttemptAt, ct);
        _instructionsDue.Set(instructions.Count);
        _instructionLag.Set(instructions.WaitedSeconds(now));

        var orderTimers = await Backlog.OfAsync(db.Timers.Where(t => t.DueAt <= now), t => t.DueAt, ct);
        var disputeTimers = await Backlog.OfAsync(db.DisputeTimers.Where(t => t.DueAt <= now), t => t.DueAt, ct);
        _dueTimers.WithLabels("order").Set(orderTimers.Count);
        _dueTimers.WithLabels("dispute").Set(disputeTimers.Count);
        _sweeperLag.Set((orderTimers + disputeTimers).WaitedSeconds(now));
        _sweeperIdle.Set(_sweeper.SinceLastProgress?.TotalSeconds ?? -1);

        var endpoints = db.WebhookEndpoints.AsNoTracking();
        _webhooks.WithLabels("failing").Set(await endpoints.CountAsync(w => w.FailingSince != null, ct));
        _webhooks.WithLabels("retrying").Set(await endpoints.CountAsync(w => w.FailingSince == null && w.FailedAttempts > 0, ct));
        _webhooks.WithLabels("ok").Set(await endpoints.CountAsync(w => w.FailingSince == null && w.FailedAttempts == 0, ct));
        var webhooks = await Backlog.OfAsync(endpoints.Where(w => w.NextAttemptAt <= now), w => w.NextAttemptAt, ct);
        _webhooksDue.Set(webhooks.Count);
        _webhookLag.Set(webhooks.WaitedSeconds(now));
    }

    /// <summary>How many things are due, and since when the oldest of them has been.</summary>
    private readonly record struct Backlog(int Count, DateTimeOffset? Oldest)
    {
        /// <summary>
        /// The count and the oldest instant of what <paramref name="due"/> finds, by the index of <paramref name="at"/>. The oldest
        /// by ordering rather than Min: EF Core orders the instants on SQLite but does not aggregate them.
        /// </summary>
        public static async Task<Backlog> OfAsync<T>(IQueryable<T> due, Expression<Func<T, DateTimeOffset>> at, CancellationToken ct) where T : class
        {
            var nullable = Expression.Lambda<Func<T, DateTimeOffset?>>(Expression.Convert(at.Body, typeof(DateTimeOffset?)), at.Parameters);
            due = due.AsNoTracking();
            return new(await due.CountAsync(ct), await due.OrderBy(at).Select(nullable).FirstOrDefaultAsync(ct));
        }

        public static Backlog operator +(Backlog a, Backlog b) =>
            new(a.Count + b.Count, a.Oldest is null ? b.Oldest : b.Oldest is null ? a.Oldest : a.Oldest < b.Oldest ? a.Oldest : b.Oldest);

        /// <summary>How long the oldest has waited, in seconds (0 when nothing is due).</summary>
        public double WaitedSeconds(DateTimeOffset now) => Oldest is { } since ? Math.Max(0, (now - since).TotalSeconds) : 0;
    }

    private static readonly InstructionStatus[] Unsettled = [InstructionStatus.Pending, InstructionStatus.Processing, InstructionStatus.Failed];

    /// <summary>A status as the API writes it (<c>awaiting_payment</c>).</summary>
    private static string Wire<T>(T value) where T : struct, Enum =>
        System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());
}

/// <summary>Registration and the read rule of <c>/metrics</c>: an admin's API key, or the configured scrape token.</summary>
public static class MetricsEndpoint
{
    public static void AddSafeholdMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MetricsOptions>().Bind(configuration.GetSection(MetricsOptions.Section))
            .Validate(o => o.CountsEverySeconds is >= 0 and <= 86_400, "Safehold:Metrics:CountsEverySeconds must be from 0 to 86400.").ValidateOnStart();
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

    private sealed class ScraperOrAdmin(IOptionsMonitor<MetricsOptions> options)
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
