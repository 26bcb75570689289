using Microsoft.EntityFrameworkCore;

namespace Safehold.Web.Data;

/// <summary>
/// Reads that must agree with each other (the ledger check, reconciliation) run in one snapshot: a commit made
/// meanwhile (a refund sent: refund_sent and the instruction's success together) is seen wholly or not at all.
/// </summary>
public static class ReadSnapshot
{
    /// <summary>
    /// Runs <paramref name="reads"/> in the caller's transaction if there is one, else in a read-only one: REPEATABLE READ
    /// on PostgreSQL; on SQLite a deferred transaction, whose snapshot is its first read and which never waits for the
    /// write lock.
    /// </summary>
    public static async Task<T> InSnapshotAsync<T>(this SafeholdDb db, Func<Task<T>> reads, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null) return await reads();
        if (db.OnPostgres)
        {
            await using var snapshot = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
            return await reads(); // read only: nothing to commit
        }
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var read = ((Microsoft.Data.Sqlite.SqliteConnection)db.Database.GetDbConnection()).BeginTransaction(deferred: true);
            await db.Database.UseTransactionAsync(read, ct);
            try
            {
                return await reads();
            }
            finally
            {
                await db.Database.UseTransactionAsync(null, CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
