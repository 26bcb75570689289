using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;

namespace Safehold.Web.Jobs;

/// <summary><c>Safehold:Sweeper</c>: how the timed work runs.</summary>
public sealed class SweeperOptions
{
    public bool Enabled { get; set; } = true;
    public double IntervalSeconds { get; set; } = 1;
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// SQLite: prepare each batch (read, fired in memory, without EF Core's tracking) while the one before it is written.
    /// False runs every batch inside its transaction with EF Core's change tracking, as on PostgreSQL: slower, and the
    /// reference the prepared batches are tested against.
    /// </summary>
    public bool PrepareAhead { get; set; } = true;
}

/// <summary>
/// Processes due timers, oldest first, in batches: each batch is one transaction holding the orders' state
/// changes, their journal entries and the deletion of the fired timers, so a timer fires at most once and a
/// crash mid-batch leaves it due for the next run. Several hosts can sweep one database: on PostgreSQL each
/// claims its batch with <c>FOR UPDATE SKIP LOCKED</c>; on SQLite write transactions are serialized, and any
/// host that loses a race on an order rolls its batch back and tries again.
/// </summary>
public sealed class DeadlineSweeper(IServiceScopeFactory scopes, TimeProvider clock, IOptions<SweeperOptions> options, DisputeSweep disputes,
    ILogger<DeadlineSweeper> log)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// What the sweeper reports as it goes, for tools and tests that watch it: <see cref="PreparedEvent"/> with the ids of
    /// a batch's orders once it is prepared ahead and before it is written, and <see cref="LostRaceEvent"/> with the
    /// exception when a batch rolled back because one of its orders changed first.
    /// </summary>
    public static readonly DiagnosticListener Diagnostics = new("Safehold.DeadlineSweeper");

    public const string PreparedEvent = "BatchPrepared";
    public const string LostRaceEvent = "BatchLostRace";

    /// <summary>Fires everything due now, including what becomes due by firing; returns how many timers fired.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            // The sandbox clock is every host's: read it first, and sweep nothing when it cannot be read.
            if (clock is Features.Sandbox.SandboxClock sandbox) await sandbox.RefreshAsync(scopes, ct);
            var total = 0;
            var conflicts = 0;
            // On SQLite batches are prepared ahead of the write lock; after a lost race or a batch that needs the
            // payment provider, one batch runs wholly inside its transaction, as on PostgreSQL.
            var prepareAhead = options.Value.PrepareAhead && IsSqlite();
            var inTransactionNext = !prepareAhead;
            while (!ct.IsCancellationRequested)
            {
                var now = clock.GetUtcNow();
                int? fired;
                try
                {
                    if (inTransactionNext)
                    {
                        fired = await RunBatchAsync(now, ct);
                        inTransactionNext = !prepareAhead;
                    }
                    else
                    {
                        (fired, inTransactionNext) = await RunAheadAsync(now, ct);
                    }
                }
                catch (TimerFailedException failed)
                {
                    // One order's refusal must not hold up every other deadline: it waits, the rest go on.
                    log.LogError(failed, "Postponing the {Kind} timer of order {OrderId}", failed.Kind, failed.OrderId);
                    await PostponeAsync(failed.OrderId, failed.Kind, now.Add(FailedTimerRetry), ct);
                    continue;
                }
                catch (DbUpdateException e) when (++conflicts <= 20)
                {
                    // Another host or a user changed one of the batch's orders first: the whole batch rolled back.
                    log.LogInformation("Sweep batch lost a race ({Message}); retrying", e.InnerException?.Message ?? e.Message);
                    inTransactionNext = true;
                    if (Diagnostics.IsEnabled(LostRaceEvent)) Diagnostics.Write(LostRaceEvent, e);
                    await Task.Delay(TimeSpan.FromMilliseconds(20 * conflicts), ct);
                    continue;
                }
                if (fired is null)
                {
                    // Then the disputes' timers; what their outcomes start on the orders is swept by the next round.
                    var disputeTimers = await disputes.RunDueAsync(now, ct);
                    if (disputeTimers == 0) break;
                    total += disputeTimers;
                    continue;
                }
                total += fired.Value;
                // The limit is on losing without firing anything: a long sweep beside busy requests may lose now and then.
                if (fired.Value > 0) conflicts = 0;
            }
            return total;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>How long a timer whose effect was refused waits before it is tried again.</summary>
    public static readonly TimeSpan FailedTimerRetry = TimeSpan.FromMinutes(10);

    private async Task PostponeAsync(Guid orderId, OrderTimerKind kind, DateTimeOffset until, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        await db.Timers.Where(t => t.OrderId == orderId && t.Kind == kind).ExecuteUpdateAsync(u => u.SetProperty(t => t.DueAt, until), ct);
    }

    private bool IsSqlite()
    {
        using var scope = scopes.CreateScope();
        return scope.ServiceProvider.GetRequiredService<SafeholdDb>().Database.IsSqlite();
    }

    /// <summary>
    /// SQLite: runs batches as a pipeline of two stages, so the two halves of the work overlap on two cores. A batch is
    /// prepared (loaded, fired by the domain, its statements' values read) on its own context and connection without
    /// the write lock, while the batch before it is written and committed under the lock. SQLite's WAL lets the
    /// preparing reader see the last commit; the batch being written is excluded from the next one, since its rows
    /// are not committed yet.
    /// </summary>
    /// <remarks>
    /// Exactly once still holds: every order row is updated only where its <c>Version</c> is the one it was read with,
    /// and every fired timer row deleted only if it is still there, so a request or another host that changed an order
    /// between the read and the write makes the whole batch roll back (<see cref="DbUpdateConcurrencyException"/>); the
    /// caller then runs the next batch inside its transaction. A batch in which a timer needs the payment provider is
    /// not prepared ahead either: the provider is only called under the write lock.
    /// </remarks>
    /// <returns>How many timers fired (null when nothing was due), and whether the next batch must run inside its transaction.</returns>
    private async Task<(int? Fired, bool InTransactionNext)> RunAheadAsync(DateTimeOffset now, CancellationToken ct)
    {
        int? total = null;
        // Preparing runs on another thread: SQLite's "asynchronous" calls complete synchronously.
        var next = Task.Run(() => PrepareAsync(now, [], ct), ct);
        while (true)
        {
            var batch = await next;
            if (batch is null)
            {
                if (total > 0) await CheckpointAsync(ct);
                return (total, false);
            }
            await using (batch)
            {
                if (batch.NeedsProvider) return (total ?? 0, true);
                next = Task.Run(() => PrepareAsync(now, batch.OrderIds, ct), ct);
                try
                {
                    await batch.Db.Database.OpenConnectionAsync(ct);
                    try
                    {
                        await batch.Db.Database.ExecuteSqlRawAsync(
                            $"PRAGMA wal_autocheckpoint={SweepCheckpointPages}; PRAGMA cache_size=-{SweepCacheKiB}", ct);
                        await using var tx = await batch.Scope.ServiceProvider.GetRequiredService<WriteGate>().BeginTransactionAsync(batch.Db, ct);
                        await batch.Plan!.ExecuteAsync(batch.Db, ct);
                        await tx.CommitAsync(ct);
                    }
                    finally
                    {
                        // The connection goes back to the pool for requests, which keep SQLite's own threshold and cache.
                        await ResetConnectionAsync(batch.Db);
                    }
                }
                catch
                {
                    // The batch prepared meanwhile read rows of this one's time; it is dropped with it.
                    try
                    {
                        if (await next is { } dropped) await dropped.DisposeAsync();
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        log.LogDebug(e, "A batch prepared ahead failed after the batch before it failed");
                    }
                    throw;
                }
                if (batch.Fired > 0) log.LogDebug("Fired {Count} timers of {Orders} orders", batch.Fired, batch.OrderIds.Length);
                total = (total ?? 0) + batch.Fired;
            }
        }
    }

    /// <summary>
    /// The WAL pages after which the sweeper's own commits copy the WAL back into the database file (SQLite's automatic
    /// checkpoint, run by the committing writer). At SQLite's default of 1,000 a backlog's batches, which dirty a page
    /// per seller in the journal's seller index, spent much of their commits copying the same pages again and again;
    /// the sweep checkpoints once when it is done instead.
    /// </summary>
    private const int SweepCheckpointPages = 20_000;
    private const int SqliteDefaultCheckpointPages = 1_000;

    /// <summary>
    /// The page cache of the sweeper's connection while it writes a batch, in KiB. With many sellers a batch dirties more
    /// pages (a page of each seller index per seller) than SQLite's default 2,000 KiB hold, and SQLite then spills them
    /// into the WAL before the commit, to write some of them again at the commit (1,000 sellers: 9,400 → 9,900 a second).
    /// </summary>
    private const int SweepCacheKiB = 16_384;
    private const int SqliteDefaultCacheKiB = 2_000;

    private async Task ResetConnectionAsync(SafeholdDb db)
    {
        try
        {
            await db.Database.ExecuteSqlRawAsync(
                $"PRAGMA wal_autocheckpoint={SqliteDefaultCheckpointPages}; PRAGMA cache_size=-{SqliteDefaultCacheKiB}", CancellationToken.None);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            // A broken connection is not returned to the pool as it is; the batch's own failure is what matters.
            log.LogWarning(e, "Could not reset the sweeper connection's checkpoint threshold and page cache");
        }
    }

    /// <summary>Copies the WAL the sweep left back into the database, without waiting on readers or blocking writers.</summary>
    private async Task CheckpointAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<SafeholdDb>().Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(PASSIVE)", ct);
    }

    /// <summary>The first stage: the next batch of due orders but <paramref name="excluded"/>, fired in memory; null when none is due.</summary>
    private async Task<PreparedBatch?> PrepareAsync(DateTimeOffset now, Guid[] excluded, CancellationToken ct)
    {
        var scope = scopes.CreateAsyncScope();
        try
        {
            var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
            // One joined query: without a transaction, the orders and their timers are then read from one snapshot. They are
            // not tracked: what firing changes in them is found by comparing them with their values as read.
            var orders = await LoadForFiringAsync(DueOrders(db, now, excluded).AsNoTracking(), ct);
            if (orders.Count == 0)
            {
                await scope.DisposeAsync();
                return null;
            }
            var timers = scope.ServiceProvider.GetRequiredService<DueTimers>();
            var entries = new List<Domain.Ledger.JournalEntry>();
            var fired = 0;
            var ids = orders.Select(o => o.Id).ToArray();
            var aggregates = orders.Select(o => AggregateChanges.Take(db.Model, o)).ToList();
            try
            {
                foreach (var order in InDueOrder(orders, now))
                    fired += await timers.FireAsync(order, now, entries, withoutProvider: true, ct);
            }
            catch (NeedsProviderException)
            {
                return new PreparedBatch(scope, db, ids, null, 0);
            }
            var plan = PreparedSaver.Plan(db, inserts: entries.Concat<object>(entries.SelectMany(e => e.Lines)), aggregates);
            plan.AddBalanceMoves(entries);
            if (Diagnostics.IsEnabled(PreparedEvent)) Diagnostics.Write(PreparedEvent, ids);
            return new PreparedBatch(scope, db, ids, plan, fired);
        }
        catch
        {
            await scope.DisposeAsync();
            throw;
        }
    }

    /// <summary>A batch fired in memory and ready to write (or, without a plan, one that needs the payment provider).</summary>
    private sealed record PreparedBatch(AsyncServiceScope Scope, SafeholdDb Db, Guid[] OrderIds, PreparedSaver.SavePlan? Plan, int Fired)
        : IAsyncDisposable
    {
        public bool NeedsProvider => Plan is null;
        public ValueTask DisposeAsync() => Scope.DisposeAsync();
    }

    private static IEnumerable<Order> InDueOrder(List<Order> orders, DateTimeOffset now) =>
        orders.OrderBy(o => o.Timers.Where(t => t.DueAt <= now).Select(t => t.DueAt).DefaultIfEmpty(now).Min());

    /// <summary>One batch; null when nothing was due.</summary>
    private async Task<int?> RunBatchAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var timers = scope.ServiceProvider.GetRequiredService<DueTimers>();
        var batch = options.Value.BatchSize;

        await using var tx = await scope.ServiceProvider.GetRequiredService<WriteGate>().BeginTransactionAsync(db, ct);
        List<Guid> orderIds;
        if (db.Database.IsNpgsql())
        {
            var claimed = await db.Timers
                .FromSqlInterpolated($"""SELECT * FROM "Timers" WHERE "DueAt" <= {now} ORDER BY "DueAt" LIMIT {batch} FOR UPDATE SKIP LOCKED""")
                .ToListAsync(ct);
            // The orders too, in a fixed order and skipping any a request holds, so a user's change and the sweep
            // never wait on each other (the request path locks the order row first as well).
            var candidates = claimed.Select(t => t.OrderId).Distinct().ToArray();
            orderIds = await db.Database
                .SqlQuery<Guid>($"""SELECT "Id" AS "Value" FROM "Orders" WHERE "Id" = ANY({candidates}) ORDER BY "Id" FOR UPDATE SKIP LOCKED""")
                .ToListAsync(ct);
        }
        else
        {
            var batchOrders = await LoadForFiringAsync(DueOrders(db, now, []), ct);
            return await FireAndSaveAsync(db, tx, timers, batchOrders, now, ct);
        }
        if (orderIds.Count == 0) return null;
        orderIds = orderIds.Distinct().ToList();
        var orders = await LoadForFiringAsync(db.Orders.Where(o => orderIds.Contains(o.Id)), ct);
        return await FireAndSaveAsync(db, tx, timers, orders, now, ct);
    }

    /// <summary>
    /// SQLite's next batch: the orders of the earliest due timers but those of <paramref name="excluded"/>, found through a
    /// subquery, so by key rather than by scanning the table against a list of ids (which grows with the table and the batch).
    /// </summary>
    private IQueryable<Order> DueOrders(SafeholdDb db, DateTimeOffset now, Guid[] excluded)
    {
        var due = excluded.Length == 0
            ? db.Timers.Where(t => t.DueAt <= now)
            : db.Timers.Where(t => t.DueAt <= now && !excluded.Contains(t.OrderId));
        var ids = due.OrderBy(t => t.DueAt).Take(options.Value.BatchSize).Select(t => t.OrderId);
        return db.Orders.Where(o => ids.Contains(o.Id));
    }

    /// <summary>Firing needs the order, its timers and extensions; not its lines or its (append-only) timeline.</summary>
    private static Task<List<Order>> LoadForFiringAsync(IQueryable<Order> orders, CancellationToken ct) =>
        orders.IgnoreAutoIncludes().Include(o => o.Timers).AsSingleQuery().ToListAsync(ct);

    private async Task<int?> FireAndSaveAsync(SafeholdDb db, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx, DueTimers timers,
        List<Order> orders, DateTimeOffset now, CancellationToken ct)
    {
        if (orders.Count == 0) return null;
        var fired = 0;
        var entries = new List<Domain.Ledger.JournalEntry>();
        foreach (var order in InDueOrder(orders, now))
            fired += await timers.FireAsync(order, now, entries, ct);
        if (db.Database.IsSqlite())
        {
            // A batch is thousands of rows of a few shapes: on SQLite, written in multi-row statements, the journal
            // entries without tracking them, and the context is thrown away after the commit.
            await db.MoveBalancesAsync(entries, ct);
            await PreparedSaver.SaveAsync(db, ct, inserts: entries.Concat<object>(entries.SelectMany(e => e.Lines)), acceptChanges: false);
        }
        else
        {
            await db.PostAllAsync(entries, ct);
            await db.SaveChangesAsync(ct);
        }
        await tx.CommitAsync(ct);
        if (fired > 0) log.LogDebug("Fired {Count} timers of {Orders} orders", fired, orders.Count);
        return fired;
    }
}

/// <summary>Runs the sweeper in the host: at start (what fell due while it was down), then every interval.</summary>
public sealed class DeadlineSweeperService(DeadlineSweeper sweeper, TimeProvider clock, IOptions<SweeperOptions> options, ILogger<DeadlineSweeperService> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        var interval = TimeSpan.FromSeconds(Math.Max(0.05, options.Value.IntervalSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await sweeper.RunDueAsync(stoppingToken);
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
