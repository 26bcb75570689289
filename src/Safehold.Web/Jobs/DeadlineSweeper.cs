using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Web.Data;
using Safehold.Web.Features;

namespace Safehold.Web.Jobs;

/// <summary><c>Safehold:Sweeper</c>: how the timed work runs.</summary>
public sealed class SweeperOptions
{
    public bool Enabled { get; set; } = true;
    public double IntervalSeconds { get; set; } = 1;
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// SQLite: prepare each batch (read, fired in memory, without EF Core's tracking) while the one before it is written
    /// (<see cref="SqlitePreparedWriter"/>). False writes every batch with <see cref="EfBatchWriter"/>, as on PostgreSQL:
    /// slower, and the reference the prepared batches are tested against.
    /// </summary>
    public bool PrepareAhead { get; set; } = true;

    /// <summary>
    /// Readiness (<c>/health/ready</c>): a host whose sweeper has not made progress for this long (and at least three
    /// intervals) is not ready. Progress is a run finished or a batch written.
    /// </summary>
    public double StaleAfterSeconds { get; set; } = 60;
}

/// <summary>
/// What the sweeper reports as it goes, for tools and tests that watch one app's sweeper:
/// <see cref="PreparedEvent"/> with the ids of a batch's aggregates once it is prepared ahead and before it is written, and
/// <see cref="LostRaceEvent"/> with the exception when a batch rolled back because one of its aggregates changed first.
/// One per app (a singleton), so a test sees only its own app's events.
/// </summary>
public sealed class SweeperDiagnostics() : DiagnosticListener("Safehold.DeadlineSweeper")
{
    public const string PreparedEvent = "BatchPrepared";
    public const string LostRaceEvent = "BatchLostRace";

    public void Prepared(Guid[] ids)
    {
        if (IsEnabled(PreparedEvent)) Write(PreparedEvent, ids);
    }

    public void LostRace(Exception e)
    {
        if (IsEnabled(LostRaceEvent)) Write(LostRaceEvent, e);
    }
}

/// <summary>
/// Fires due timers, oldest first, in batches: orders' and disputes' alike (<see cref="ITimedAggregate"/>), each batch one
/// transaction holding the aggregates' state changes, their journal entries and the deletion of the fired timers, so a
/// timer fires at most once and a crash mid-batch leaves it due for the next run. Batches are written by
/// <see cref="EfBatchWriter"/>, the reference, or on SQLite by <see cref="SqlitePreparedWriter"/>, which falls back to
/// the reference for one batch after a lost race or for a batch that needs the payment provider. Several hosts can sweep
/// one database: on PostgreSQL each claims its batch with <c>FOR UPDATE SKIP LOCKED</c>; on SQLite write transactions are
/// serialized, and any host that loses a race on an aggregate rolls its batch back and tries again.
/// </summary>
public sealed class DeadlineSweeper(IServiceScopeFactory scopes, TimeProvider clock, IOptions<SweeperOptions> options, EfBatchWriter reference,
    SqlitePreparedWriter prepared, SweeperDiagnostics diagnostics, ILogger<DeadlineSweeper> log,
    [FromKeyedServices(Features.Sandbox.SandboxClock.RealClockKey)] TimeProvider realClock)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _lastProgress = -1;

    /// <summary>
    /// How long ago (on the real clock, which the sandbox clock's jumps do not move) this host's sweeper last made
    /// progress: finished a run or wrote a batch (a run that fails, or hangs on a lock, makes none). Null before any.
    /// </summary>
    public TimeSpan? SinceLastProgress => Interlocked.Read(ref _lastProgress) is var last and >= 0 ? realClock.GetElapsedTime(last) : null;

    private void Progressed() => Interlocked.Exchange(ref _lastProgress, realClock.GetTimestamp());

    /// <summary>Orders first, then disputes: a dispute's outcome may start or resume timers of its order, swept next round.</summary>
    private static readonly ITimedAggregate[] Kinds = [new TimedOrders(), new TimedDisputes()];

    /// <summary>This app's sweeper events.</summary>
    public SweeperDiagnostics Diagnostics => diagnostics;

    /// <summary>How long a timer whose effect was refused waits before it is tried again.</summary>
    public static readonly TimeSpan FailedTimerRetry = TimeSpan.FromMinutes(10);

    /// <summary>Fires everything due now, including what becomes due by firing; returns how many timers fired.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            // The sandbox clock is every host's: read it first, and sweep nothing when it cannot be read.
            if (clock is Features.Sandbox.SandboxClock sandbox) await sandbox.RefreshAsync(scopes, ct);
            IBatchWriter writer = options.Value.PrepareAhead && IsSqlite() ? prepared : reference;
            var total = 0;
            while (!ct.IsCancellationRequested)
            {
                var round = 0;
                foreach (var kind in Kinds) round += await RunAsync(kind, writer, ct);
                total += round;
                if (round == 0) break;
            }
            Progressed();
            return total;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Batches of one kind until none is due; returns how many timers fired.</summary>
    private async Task<int> RunAsync(ITimedAggregate kind, IBatchWriter writer, CancellationToken ct)
    {
        var total = 0;
        var conflicts = 0;
        var referenceNext = false;
        while (!ct.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            int? fired;
            using var span = Operations.Telemetry.Source.StartActivity("sweep batch");
            span?.SetTag("safehold.aggregate", kind.Name);
            try
            {
                (fired, referenceNext) = await (referenceNext ? reference : writer).RunAsync(kind, now, ct);
                span?.SetTag("safehold.timers_fired", fired ?? 0);
                Progressed();
            }
            catch (TimerFailedException failed)
            {
                // One refusal must not hold up every other deadline: it waits, the rest go on.
                log.LogError(failed, "Postponing the {Kind} timer of {Aggregate} {Id}", failed.Kind, failed.Aggregate, failed.Id);
                await using var scope = scopes.CreateAsyncScope();
                await kind.PostponeAsync(scope.ServiceProvider.GetRequiredService<SafeholdDb>(), failed.Id, failed.Kind, now.Add(FailedTimerRetry), ct);
                continue;
            }
            catch (DbUpdateException e) when (++conflicts <= 20)
            {
                // A request or another host changed one of the batch's aggregates first: the whole batch rolled back.
                log.LogInformation("Sweep batch of {Kind}s lost a race ({Message}); retrying", kind.Name, e.InnerException?.Message ?? e.Message);
                referenceNext = true;
                diagnostics.LostRace(e);
                await Task.Delay(TimeSpan.FromMilliseconds(20 * conflicts), ct);
                continue;
            }
            if (fired is null) return total;
            total += fired.Value;
            // The limit is on losing without firing anything: a long sweep beside busy requests may lose now and then.
            if (fired.Value > 0) conflicts = 0;
        }
        return total;
    }

    private bool IsSqlite()
    {
        using var scope = scopes.CreateScope();
        return scope.ServiceProvider.GetRequiredService<SafeholdDb>().OnSqlite;
    }
}

/// <summary>
/// Runs the sweeper in the host: at start (what fell due while it was down), then every interval; and every
/// <see cref="IdempotencyCleanup.Every"/> the expired Idempotency-Key answers go.
/// </summary>
public sealed class DeadlineSweeperService(DeadlineSweeper sweeper, IdempotencyCleanup keys, TimeProvider clock, IOptions<SweeperOptions> options,
    ILogger<DeadlineSweeperService> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        var interval = TimeSpan.FromSeconds(Math.Max(0.05, options.Value.IntervalSeconds));
        var keysNextAt = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await sweeper.RunDueAsync(stoppingToken);
                if (clock.GetUtcNow() >= keysNextAt)
                {
                    keysNextAt = clock.GetUtcNow() + IdempotencyCleanup.Every;
                    await keys.RunAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogError(e, "The deadline sweeper failed; it will try again");
            }
            try
            {
                await Task.Delay(interval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
