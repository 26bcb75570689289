using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain.Disputes;
using Safehold.Web.Data;

namespace Safehold.Web.Jobs;

/// <summary>
/// The disputes' pass of the sweeper: fires due dispute timers in batches, each batch one transaction with the
/// disputes' steps, their orders' settlements and journal entries, and the deletion of the fired timers, so a timer
/// fires at most once. Across hosts on PostgreSQL each claims its timers and their orders with
/// <c>FOR UPDATE SKIP LOCKED</c> (a request changing an order holds its row, so the two never both act); on SQLite
/// write transactions are serialized.
/// </summary>
public sealed class DisputeSweep(IServiceScopeFactory scopes, IOptions<SweeperOptions> options, ILogger<DisputeSweep> log)
{
    /// <summary>Fires every dispute timer due at <paramref name="now"/>; returns how many fired.</summary>
    public async Task<int> RunDueAsync(DateTimeOffset now, CancellationToken ct)
    {
        var total = 0;
        var conflicts = 0;
        while (!ct.IsCancellationRequested)
        {
            int? fired;
            try
            {
                fired = await RunBatchAsync(now, ct);
            }
            catch (DisputeTimerFailedException failed)
            {
                // A refused refund holds up only its own dispute: it is tried again later, the rest go on.
                log.LogError(failed, "Postponing the {Kind} timer of dispute {DisputeId}", failed.Kind, failed.DisputeId);
                await PostponeAsync(failed.DisputeId, failed.Kind, now.Add(DeadlineSweeper.FailedTimerRetry), ct);
                continue;
            }
            catch (DbUpdateException e) when (++conflicts <= 20)
            {
                log.LogInformation("Dispute sweep batch lost a race ({Message}); retrying", e.InnerException?.Message ?? e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(20 * conflicts), ct);
                continue;
            }
            if (fired is null) break;
            total += fired.Value;
        }
        return total;
    }

    private async Task PostponeAsync(Guid disputeId, DisputeTimerKind kind, DateTimeOffset until, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        await db.DisputeTimers.Where(t => t.DisputeId == disputeId && t.Kind == kind).ExecuteUpdateAsync(u => u.SetProperty(t => t.DueAt, until), ct);
    }

    /// <summary>One batch; null when nothing was due (or everything due is held by another host).</summary>
    private async Task<int?> RunBatchAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var due = scope.ServiceProvider.GetRequiredService<DueDisputeTimers>();
        var batch = options.Value.BatchSize;

        await using var tx = await scope.ServiceProvider.GetRequiredService<WriteGate>().BeginTransactionAsync(db, ct);
        List<Guid> disputeIds;
        if (db.Database.IsNpgsql())
        {
            var claimed = await db.DisputeTimers
                .FromSqlInterpolated($"""SELECT * FROM "DisputeTimers" WHERE "DueAt" <= {now} ORDER BY "DueAt" LIMIT {batch} FOR UPDATE SKIP LOCKED""")
                .AsNoTracking().ToListAsync(ct);
            var candidates = claimed.Select(t => t.DisputeId).Distinct().ToArray();
            if (candidates.Length == 0) return null;
            // Their orders too, in a fixed order and skipping any a request holds: the request fires these timers itself.
            var orderIds = await db.Database.SqlQuery<Guid>($"""
                SELECT o."Id" AS "Value" FROM "Orders" o WHERE o."Id" IN (SELECT d."OrderId" FROM "Disputes" d WHERE d."Id" = ANY({candidates}))
                ORDER BY o."Id" FOR UPDATE OF o SKIP LOCKED
                """).ToListAsync(ct);
            disputeIds = await db.Disputes.Where(d => candidates.Contains(d.Id) && orderIds.Contains(d.OrderId)).Select(d => d.Id).ToListAsync(ct);
        }
        else
        {
            disputeIds = await db.DisputeTimers.Where(t => t.DueAt <= now).OrderBy(t => t.DueAt).Take(batch).Select(t => t.DisputeId).Distinct().ToListAsync(ct);
        }
        if (disputeIds.Count == 0) return null;

        var disputes = await db.Disputes.Where(d => disputeIds.Contains(d.Id)).AsSplitQuery().ToListAsync(ct);
        var orderIdsOfBatch = disputes.Select(d => d.OrderId).Distinct().ToList();
        // Settling needs the order, its timers and extensions; not its lines or its (append-only) timeline.
        var orders = await db.Orders.Where(o => orderIdsOfBatch.Contains(o.Id)).IgnoreAutoIncludes()
            .Include(o => o.Timers).Include(o => o.Extensions).AsSplitQuery().ToDictionaryAsync(o => o.Id, ct);

        var fired = 0;
        foreach (var dispute in disputes.OrderBy(d => d.Timers.Where(t => t.DueAt <= now).Select(t => t.DueAt).DefaultIfEmpty(now).Min()))
            fired += await due.FireAsync(dispute, orders[dispute.OrderId], now, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (fired > 0) log.LogDebug("Fired {Count} timers of {Disputes} disputes", fired, disputes.Count);
        return fired;
    }
}
