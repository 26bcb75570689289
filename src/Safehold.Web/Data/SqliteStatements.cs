using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Safehold.Web.Data;

/// <summary>
/// Statements prepared once on one connection that stays open (the group commit's writer) and run again and again:
/// SQLite compiles a statement's text (parses it, looks up every table and column, plans it) on each
/// <c>sqlite3_prepare</c>, and a staged write runs the same few statements as every other (its savepoints, its rows'
/// inserts and updates). A statement is reset after each run, so none holds a read past it (its last values stay bound,
/// SQLite's copies, until the next run binds its own).
/// Used by one thread at a time; disposed before its connection is closed.
/// </summary>
public sealed class SqliteStatements : IDisposable
{
    /// <summary>At most this many statements are kept: past it, all are finalized and the cache starts again.</summary>
    public const int Capacity = 256;

    // Which connections have statements kept, for code given only a context on one (a staged write's version checks).
    private static readonly ConditionalWeakTable<sqlite3, SqliteStatements> Kept = new();

    private readonly Dictionary<string, sqlite3_stmt> _statements = new(StringComparer.Ordinal);

    public SqliteStatements(sqlite3 connection)
    {
        Connection = connection;
        Kept.AddOrUpdate(connection, this);
    }

    /// <summary>The connection the statements are prepared on.</summary>
    public sqlite3 Connection { get; }

    /// <summary>The statements kept on <paramref name="connection"/> (the group commit's writer's), if any: used by the one thread using the connection.</summary>
    public static SqliteStatements? On(System.Data.Common.DbConnection connection) =>
        connection is SqliteConnection { Handle: { } handle } && Kept.TryGetValue(handle, out var statements) ? statements : null;

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

    /// <summary>
    /// Runs <paramref name="sql"/> (one statement that returns no rows) with <paramref name="values"/> bound in order (as the
    /// connection stores them: converted by EF Core's type mappings already); answers how many rows it changed.
    /// </summary>
    public int Changes(string sql, params ReadOnlySpan<object> values)
    {
        var statement = Get(sql);
        for (var i = 0; i < values.Length; i++) SqliteException.ThrowExceptionForRC(Bind(statement, i + 1, values[i]), Connection);
        Step(Connection, statement);
        return raw.sqlite3_changes(Connection);
    }

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

    /// <summary>
    /// Binds a value already converted by EF Core's type mapping, as Microsoft.Data.Sqlite would bind it for EF Core (by position, 1 on):
    /// integers (and booleans) as INTEGER, a <see cref="Guid"/> as upper-case TEXT, as EF Core stores keys on SQLite, a
    /// <see cref="TimeSpan"/> as TEXT (tests compare each with what EF Core itself writes).
    /// </summary>
    internal static int Bind(sqlite3_stmt statement, int index, object value)
    {
        switch (value)
        {
            case DBNull:
                return raw.sqlite3_bind_null(statement, index);
            case long l:
                return raw.sqlite3_bind_int64(statement, index, l);
            case int i:
                return raw.sqlite3_bind_int64(statement, index, i);
            case short h:
                return raw.sqlite3_bind_int64(statement, index, h);
            case byte b:
                return raw.sqlite3_bind_int64(statement, index, b);
            case bool f:
                return raw.sqlite3_bind_int64(statement, index, f ? 1 : 0);
            case double d:
                return raw.sqlite3_bind_double(statement, index, d);
            case string text:
                return raw.sqlite3_bind_text16(statement, index, text.AsSpan());
            case byte[] blob:
                return raw.sqlite3_bind_blob(statement, index, blob);
            case TimeSpan span: // a paused timer's time left: TEXT in the invariant "c" format, as Microsoft.Data.Sqlite writes it
                return raw.sqlite3_bind_text16(statement, index, span.ToString("c", System.Globalization.CultureInfo.InvariantCulture).AsSpan());
            case Guid guid:
                {
                    Span<char> text = stackalloc char[36];
                    guid.TryFormat(text, out _, "D");
                    for (var c = 0; c < text.Length; c++)
                        if (text[c] is >= 'a' and <= 'f') text[c] = (char)(text[c] - 32);
                    return raw.sqlite3_bind_text16(statement, index, text);
                }
            default:
                throw new NotSupportedException($"A kept statement cannot bind a {value.GetType().Name}; add it to the binder with a test.");
        }
    }

    private void Clear()
    {
        foreach (var statement in _statements.Values) statement.Dispose();
        _statements.Clear();
    }

    public void Dispose()
    {
        if (Kept.TryGetValue(Connection, out var kept) && ReferenceEquals(kept, this)) Kept.Remove(Connection);
        Clear();
    }
}
