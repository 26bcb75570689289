using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

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
/// </remarks>
public sealed class WriteGate
{
    private readonly SemaphoreSlim _sqlite = new(1, 1);

    /// <summary>Microsoft.Data.Sqlite's default command timeout, which the host's SQLite connections use.</summary>
    private static readonly TimeSpan QueueTimeout = TimeSpan.FromSeconds(30);

    public async Task<IDbContextTransaction> BeginTransactionAsync(SafeholdDb db, CancellationToken ct)
    {
        if (!db.Database.IsSqlite()) return await db.Database.BeginTransactionAsync(ct);
        // A writer that waits longer than SQLite itself would (its busy timeout) goes on to SQLite's lock unqueued, so
        // a transaction begun inside another one of this process fails as it would without the queue, never hangs.
        if (!await _sqlite.WaitAsync(QueueTimeout, ct)) return await db.Database.BeginTransactionAsync(ct);
        try
        {
            return new Queued(await db.Database.BeginTransactionAsync(ct), _sqlite);
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

    /// <summary>The transaction, giving its place in the queue up once it has committed, rolled back or been disposed.</summary>
    private sealed class Queued(IDbContextTransaction inner, SemaphoreSlim gate) : IDbContextTransaction, IInfrastructure<DbTransaction>
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
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }
}
