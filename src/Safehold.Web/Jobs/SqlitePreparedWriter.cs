using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Web.Data;
using Safehold.Web.Features;
using Safehold.Web.Features.Ledger;

namespace Safehold.Web.Jobs;

/// <summary>
/// SQLite's fast batch writer, for orders and disputes alike: batches run as a pipeline of two stages, so the two halves
/// of the work overlap on two cores. A batch is prepared (loaded without tracking, fired by the domain, its statements'
/// values read: <see cref="AggregateChanges"/>, <see cref="PreparedSaver"/>) on its own context and connection without
/// the write lock, while the batch before it is written and committed under the lock. SQLite's WAL lets the preparing
/// reader see the last commit; the batch being written is excluded from the next one, since its rows are not committed
/// yet. Everything SQLite-specific of the sweep is here: the raw statements, the writer's PRAGMAs, the checkpoint.
/// </summary>
/// <remarks>
/// Exactly once still holds: every row is updated only where its <c>Version</c> is the one it was read with, and every
/// fired timer row deleted only if it is still there, so a request or another host that changed an aggregate between
/// the read and the write makes the whole batch roll back (<see cref="DbUpdateConcurrencyException"/>); the sweeper then
/// runs the next batch through the reference writer. A batch in which a timer needs the payment provider is not
/// prepared ahead either: the provider is only called under the write lock.
/// </remarks>
public sealed class SqlitePreparedWriter(IServiceScopeFactory scopes, IOptions<SweeperOptions> options, SweeperDiagnostics diagnostics,
    ILogger<SqlitePreparedWriter> log) : IBatchWriter
{
    public async Task<(int? Fired, bool ReferenceNext)> RunAsync(ITimedAggregate kind, DateTimeOffset now, CancellationToken ct)
    {
        int? total = null;
        // Preparing runs on another thread: SQLite's "asynchronous" calls complete synchronously.
        var next = Task.Run(() => PrepareAsync(kind, now, [], ct), ct);
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
                next = Task.Run(() => PrepareAsync(kind, now, batch.Ids, ct), ct);
                try
                {
                    await WriteAsync(batch, ct);
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
                if (batch.Fired > 0) log.LogDebug("Fired {Count} timers of {Aggregates} {Kind}s", batch.Fired, batch.Ids.Length, kind.Name);
                total = (total ?? 0) + batch.Fired;
            }
        }
    }

    /// <summary>The second stage: the batch's statements under the write lock, with the writer's connection set for a sweep.</summary>
    private async Task WriteAsync(PreparedBatch batch, CancellationToken ct)
    {
        await batch.Db.Database.OpenConnectionAsync(ct);
        try
        {
            await batch.Db.Database.ExecuteSqlRawAsync($"PRAGMA wal_autocheckpoint={SweepCheckpointPages}; PRAGMA cache_size=-{SweepCacheKiB}", ct);
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

    /// <summary>The first stage: the next batch of <paramref name="kind"/> but <paramref name="excluded"/>, fired in memory; null when none is due.</summary>
    private async Task<PreparedBatch?> PrepareAsync(ITimedAggregate kind, DateTimeOffset now, Guid[] excluded, CancellationToken ct)
    {
        var scope = scopes.CreateAsyncScope();
        try
        {
            var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
            FiredBatch? fired;
            try
            {
                fired = await kind.FireDueAsync(scope.ServiceProvider, db, claimed: null, excluded, now, options.Value.BatchSize, ahead: true, ct);
            }
            catch (NeedsProviderException)
            {
                return new PreparedBatch(scope, db, [], null, 0);
            }
            if (fired is null)
            {
                await scope.DisposeAsync();
                return null;
            }
            // Tracked rows (the notifications firing wrote) are written with the aggregates' changes and the journal.
            var plan = PreparedSaver.Plan(db, inserts: fired.Entries.Concat<object>(fired.Entries.SelectMany(e => e.Lines)), fired.Changes);
            plan.AddBalanceMoves(fired.Entries);
            diagnostics.Prepared(fired.Ids);
            return new PreparedBatch(scope, db, fired.Ids, plan, fired.Fired);
        }
        catch
        {
            await scope.DisposeAsync();
            throw;
        }
    }

    /// <summary>A batch fired in memory and ready to write (or, without a plan, one that needs the payment provider).</summary>
    private sealed record PreparedBatch(AsyncServiceScope Scope, SafeholdDb Db, Guid[] Ids, PreparedSaver.SavePlan? Plan, int Fired)
        : IAsyncDisposable
    {
        public bool NeedsProvider => Plan is null;
        public ValueTask DisposeAsync() => Scope.DisposeAsync();
    }
}
