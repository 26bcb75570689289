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

    /// <summary>Fires everything due now, including what becomes due by firing; returns how many timers fired.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var total = 0;
            var conflicts = 0;
            while (!ct.IsCancellationRequested)
            {
                var now = clock.GetUtcNow();
                int? fired;
                try
                {
                    fired = await RunBatchAsync(now, ct);
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
            // SQLite: the batch stays a subquery, so the orders are found by key rather than by scanning
            // the table against a list of ids (which grows with the table and the batch).
            var due = db.Timers.Where(t => t.DueAt <= now).OrderBy(t => t.DueAt).Take(batch).Select(t => t.OrderId);
            var batchOrders = await LoadForFiringAsync(db.Orders.Where(o => due.Contains(o.Id)), ct);
            return await FireAndSaveAsync(db, tx, timers, batchOrders, now, ct);
        }
        if (orderIds.Count == 0) return null;
        orderIds = orderIds.Distinct().ToList();
        var orders = await LoadForFiringAsync(db.Orders.Where(o => orderIds.Contains(o.Id)), ct);
        return await FireAndSaveAsync(db, tx, timers, orders, now, ct);
    }

    /// <summary>Firing needs the order, its timers and extensions; not its lines or its (append-only) timeline.</summary>
    private static Task<List<Order>> LoadForFiringAsync(IQueryable<Order> orders, CancellationToken ct) =>
        orders.IgnoreAutoIncludes().Include(o => o.Timers).AsSplitQuery().ToListAsync(ct);

    private async Task<int?> FireAndSaveAsync(SafeholdDb db, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx, DueTimers timers,
        List<Order> orders, DateTimeOffset now, CancellationToken ct)
    {
        if (orders.Count == 0) return null;
        var fired = 0;
        var entries = new List<Domain.Ledger.JournalEntry>();
        foreach (var order in orders.OrderBy(o => o.Timers.Where(t => t.DueAt <= now).Select(t => t.DueAt).DefaultIfEmpty(now).Min()))
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
