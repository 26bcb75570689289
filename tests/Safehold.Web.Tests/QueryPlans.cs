using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Safehold.Web.Data;

namespace Safehold.Web.Tests;

/// <summary>What the database the suite runs on plans for a query: the tests that a lookup is served by its index, not by a pass over its table.</summary>
public static class QueryPlans
{
    /// <summary>
    /// The plan the database makes for the query with its parameters bound. On PostgreSQL sequential scans are priced out
    /// first, since on a nearly empty table a scan is cheaper than any index and the plan would say nothing of the index.
    /// </summary>
    public static async Task<string> Of<T>(SafeholdApp app, Func<SafeholdDb, IQueryable<T>> query)
    {
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.Database.OpenConnectionAsync();
            var postgres = db.Database.IsNpgsql();
            // On PostgreSQL the setting lasts only for a transaction; on SQLite one would take the write lock.
            await using var transaction = postgres ? await db.Database.BeginTransactionAsync() : null;
            if (postgres) await db.Database.ExecuteSqlRawAsync("SET LOCAL enable_seqscan = off");
            await using DbCommand command = query(db).CreateDbCommand();
            command.Transaction = transaction?.GetDbTransaction();
            command.CommandText = (postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + command.CommandText;
            var lines = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    lines.Add(reader.GetString(postgres ? 0 : 3)); // SQLite: id, parent, notused, detail
            if (transaction is not null) await transaction.RollbackAsync();
            return string.Join('\n', lines);
        }
    }
}
