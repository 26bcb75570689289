using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Prometheus;

namespace Safehold.Web.Data;

/// <summary>
/// Begins this process's write transactions. On SQLite, which has one write lock per file, the writers of the
/// process wait for it in a queue here, before <c>BEGIN IMMEDIATE</c>; on PostgreSQL it is a plain transaction.
/// Every write transaction of the host (requests, pages, the sweeper) begins here.
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite does not wait on a taken lock: it sleeps 150 ms and retries, so two writers meeting cost
/// the second one 150 ms while the lock sat idle (37% of the host's thread time under 32 clients). Queued, the
/// next writer starts as soon as the last one commits. Several processes writing one SQLite file still work (the
/// busy retry remains underneath) but only PostgreSQL is meant for several hosts.
/// <para>
/// It times what it hands out (<c>/metrics</c>): <c>safehold_write_lock_wait_seconds</c>, how long a SQLite writer queued
/// for the lock; <c>safehold_write_lock_held_seconds</c>, how long each transaction held it, from its begin to its commit
/// or rollback (on PostgreSQL, the transaction's whole life, for which its row locks are held). Throughput on SQLite is
/// one over the time held; the load benchmark reports both beside it.
/// </para>
/// </remarks>
public sealed class WriteGate
{
    private readonly SemaphoreSlim _sqlite = new(1, 1);
    private readonly Histogram _held, _waited;
    private readonly Counter _refused;

    /// <param name="registry">The host's metrics registry; none (tools, tests that make a gate of their own): not measured.</param>
    public WriteGate(CollectorRegistry? registry = null)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(registry ?? Prometheus.Metrics.NewCustomRegistry());
        var buckets = Histogram.ExponentialBuckets(0.00005, 2, 18); // 50 µs to 6.5 s
        _held = factory.CreateHistogram("safehold_write_lock_held_seconds",
            "How long each write transaction held the write lock: SQLite's one lock, from BEGIN IMMEDIATE to its end; PostgreSQL: the transaction's life.",
            new HistogramConfiguration { Buckets = buckets });
        _waited = factory.CreateHistogram("safehold_write_lock_wait_seconds",
            "How long a SQLite writer of this host queued for the write lock (0 on PostgreSQL, where nothing queues here).",
            new HistogramConfiguration { Buckets = buckets });
        _refused = factory.CreateCounter("safehold_staged_writes_refused_total",
            "Writes worked out ahead of the write lock and refused when written, having written nothing (what they were worked out from had changed, a key taken, or another failure), each then done again under the lock by its request.");
    }

    /// <summary>
    /// Counts <paramref name="writes"/> staged writes refused, having written nothing (by a group commit on SQLite, by the
    /// request's own transaction on PostgreSQL), whose requests then do them again under the lock.
    /// </summary>
    public void Refused(int writes = 1) => _refused.Inc(writes);

    /// <summary>Microsoft.Data.Sqlite's default command timeout, which the host's SQLite connections use.</summary>
    private static readonly TimeSpan QueueTimeout = TimeSpan.FromSeconds(30);

    public async Task<IDbContextTransaction> BeginTransactionAsync(SafeholdDb db, CancellationToken ct)
    {
        if (!db.OnSqlite) return new Timed(await db.Database.BeginTransactionAsync(ct), null, _held, Stopwatch.GetTimestamp());
        // A writer that waits longer than SQLite itself would (its busy timeout) goes on to SQLite's lock unqueued, so
        // a transaction begun inside another one of this process fails as it would without the queue, never hangs.
        var queued = Stopwatch.GetTimestamp();
        if (!await _sqlite.WaitAsync(QueueTimeout, ct)) return new Timed(await db.Database.BeginTransactionAsync(ct), null, _held, Stopwatch.GetTimestamp());
        var start = Stopwatch.GetTimestamp();
        _waited.Observe(Stopwatch.GetElapsedTime(queued, start).TotalSeconds);
        try
        {
            return new Timed(await db.Database.BeginTransactionAsync(ct), _sqlite, _held, start);
        }
        catch
        {
            _sqlite.Release();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in the caller's transaction when there is one, else in one begun here and committed
    /// once the work is done (even if the caller has gone by then: the work may have moved money at a provider).
    /// </summary>
    public async Task<T> InTransactionAsync<T>(SafeholdDb db, Func<Task<T>> work, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null) return await work();
        await using var tx = await BeginTransactionAsync(db, ct);
        var result = await work();
        await tx.CommitAsync(CancellationToken.None);
        return result;
    }

    /// <summary>
    /// The transaction, timed from when it had the lock until it has committed, rolled back or been disposed, and then
    /// giving its place in the queue (SQLite) up.
    /// </summary>
    private sealed class Timed(IDbContextTransaction inner, SemaphoreSlim? gate, Histogram held, long start) : IDbContextTransaction, IInfrastructure<DbTransaction>
    {
        private int _released;

        public Guid TransactionId => inner.TransactionId;
        DbTransaction IInfrastructure<DbTransaction>.Instance => inner.GetDbTransaction();

        public void Commit()
        {
            inner.Commit();
            Release();
        }

        public async Task CommitAsync(CancellationToken cancellationToken = default)
        {
            await inner.CommitAsync(cancellationToken);
            Release();
        }

        public void Rollback()
        {
            inner.Rollback();
            Release();
        }

        public async Task RollbackAsync(CancellationToken cancellationToken = default)
        {
            await inner.RollbackAsync(cancellationToken);
            Release();
        }

        public void Dispose()
        {
            try { inner.Dispose(); }
            finally { Release(); }
        }

        public async ValueTask DisposeAsync()
        {
            try { await inner.DisposeAsync(); }
            finally { Release(); }
        }

        private void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            held.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
            gate?.Release();
        }
    }
}
