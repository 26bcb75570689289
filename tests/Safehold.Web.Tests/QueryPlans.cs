using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Safehold.Web.Data;

namespace Safehold.Web.Tests;

/// <summary>What the database the suite runs on plans for a query: the tests that a lookup is served by its index, not by a pass over its table.</summary>
public static partial class QueryPlans
{
    /// <summary>Fails, naming the query, if any plan reads a table whole rather than through an index.</summary>
    public static void AssertNoTableRead(IEnumerable<(string Sql, string Plan)> plans)
    {
        foreach (var (sql, plan) in plans)
            Assert.False(TableRead().IsMatch(plan), $"A query reads a whole table:\n{sql}\n{plan}");
    }

    /// <summary>SQLite's "SCAN t" without an index; PostgreSQL's sequential scan (priced out, so chosen only when no index serves).</summary>
    [GeneratedRegex(@"(^|\n)\s*SCAN \S+(\n|$)|Seq Scan")]
    private static partial Regex TableRead();

    /// <summary>
    /// The plan the database makes for the query with its parameters bound. On PostgreSQL sequential scans are priced out
    /// first, since on a nearly empty table a scan is cheaper than any index and the plan would say nothing of the index.
    /// </summary>
    public static async Task<string> Of<T>(SafeholdApp app, Func<SafeholdDb, IQueryable<T>> query)
    {
        await using DbCommand command = WithDb(app, db => query(db).CreateDbCommand());
        return await Explain(app, command.CommandText, command.Parameters.Cast<DbParameter>());
    }

    /// <summary>
    /// The plan of every query EF Core sent for <paramref name="app"/> while <paramref name="act"/> ran (a request, a page),
    /// each with its parameters as sent: what a whole read costs the database, not one query of it. Statements run on the
    /// raw connection (OrderReader's reads by key, the sandbox clock's read, the event log) do not pass EF Core's interceptors
    /// and are not here, and neither is anything the host's background work would send meanwhile distinguished from the
    /// step's own (the test host runs no timed work).
    /// </summary>
    public static async Task<IReadOnlyList<(string Sql, string Plan)>> OfEverySent(RecordingApp app, Func<Task> act)
    {
        var sent = await app.Sent.During(act);
        var plans = new List<(string, string)>();
        foreach (var (sql, parameters) in sent)
            plans.Add((sql, await Explain(app.App, sql, parameters)));
        return plans;
    }

    public static DbParameter Copy(DbParameter p) => p is ICloneable c ? (DbParameter)c.Clone() : new SqliteParameter(p.ParameterName, p.Value);

    private static T WithDb<T>(SafeholdApp app, Func<SafeholdDb, T> use)
    {
        var (scope, db) = app.OpenDb();
        using (scope) return use(db);
    }

    private static async Task<string> Explain(SafeholdApp app, string sql, IEnumerable<DbParameter> parameters)
    {
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.Database.OpenConnectionAsync();
            var postgres = db.OnPostgres;
            // On PostgreSQL the setting lasts only for a transaction; on SQLite one would take the write lock.
            await using var transaction = postgres ? await db.Database.BeginTransactionAsync() : null;
            if (postgres) await db.Database.ExecuteSqlRawAsync("SET LOCAL enable_seqscan = off");
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.Transaction = transaction?.GetDbTransaction();
            command.CommandText = (postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + sql;
            foreach (var p in parameters) command.Parameters.Add(Copy(p));
            var lines = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    lines.Add(reader.GetString(postgres ? 0 : 3)); // SQLite: id, parent, notused, detail
            if (transaction is not null) await transaction.RollbackAsync();
            return string.Join('\n', lines);
        }
    }
}

/// <summary>An app whose every query EF Core sends is kept while a step of a test runs (<see cref="SentQueries.During"/>).</summary>
public sealed class RecordingApp : IDisposable
{
    public SentQueries Sent { get; } = new();
    public SafeholdApp App { get; }

    public RecordingApp() => App = new SafeholdApp
    {
        TestServices = services =>
        {
            services.ConfigureDbContext<SqliteSafeholdDb>(o => o.AddInterceptors(Sent));
            services.ConfigureDbContext<PostgresSafeholdDb>(o => o.AddInterceptors(Sent));
        },
    };

    public void Dispose() => App.Dispose();
}

/// <summary>Keeps the text and a copy of the parameters of each query sent while recording.</summary>
public sealed class SentQueries : DbCommandInterceptor
{
    private readonly ConcurrentQueue<(string Sql, List<DbParameter> Parameters)> _sent = new();
    private volatile bool _recording;

    public async Task<List<(string Sql, List<DbParameter> Parameters)>> During(Func<Task> act)
    {
        _sent.Clear();
        _recording = true;
        try { await act(); }
        finally { _recording = false; }
        return [.. _sent];
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Keep(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Keep(command);
        return ValueTask.FromResult(result);
    }

    private void Keep(DbCommand command)
    {
        if (_recording && command.CommandText.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase))
            _sent.Enqueue((command.CommandText, command.Parameters.Cast<DbParameter>().Select(QueryPlans.Copy).ToList()));
    }
}
