using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Safehold.Web.Data;

/// <summary>
/// Statements prepared once on one connection that stays open (the group commit's writer) and run again and again:
/// SQLite compiles a statement's text (parses it, looks up every table and column, plans it) on each
/// <c>sqlite3_prepare</c>, and a staged write runs the same few statements as every other (its savepoints, its rows'
/// inserts and updates). A statement is reset after each run, so none holds a read or its bound values past it.
/// Used by one thread at a time; disposed before its connection is closed.
/// </summary>
public sealed class SqliteStatements(sqlite3 connection) : IDisposable
{
    /// <summary>At most this many statements are kept: past it, all are finalized and the cache starts again.</summary>
    public const int Capacity = 256;

    private readonly Dictionary<string, sqlite3_stmt> _statements = new(StringComparer.Ordinal);

    /// <summary>The connection the statements are prepared on.</summary>
    public sqlite3 Connection { get; } = connection;

    /// <summary>How many statements it holds prepared.</summary>
    public int Count => _statements.Count;

    /// <summary>The statement of <paramref name="sql"/> (one statement), prepared the first time it is asked for.</summary>
    public sqlite3_stmt Get(string sql)
    {
        if (_statements.TryGetValue(sql, out var statement)) return statement;
        if (_statements.Count >= Capacity) Clear();
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(Connection, sql, out statement), Connection);
        _statements[sql] = statement;
        return statement;
    }

    /// <summary>Runs <paramref name="sql"/>, a statement that binds nothing and returns no rows (a savepoint's).</summary>
    public void Run(string sql) => Step(Connection, Get(sql));

    /// <summary>Runs a bound statement to its end and resets it, also when it fails: the error is SQLite's, as thrown.</summary>
    public static void Step(sqlite3 connection, sqlite3_stmt statement)
    {
        try
        {
            var rc = raw.sqlite3_step(statement);
            if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, connection);
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
    }

    private void Clear()
    {
        foreach (var statement in _statements.Values) statement.Dispose();
        _statements.Clear();
    }

    public void Dispose() => Clear();
}
