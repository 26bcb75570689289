using Microsoft.Data.Sqlite;
using SQLitePCL;
using Safehold.Web.Data;

namespace Safehold.Web.Tests.Data;

/// <summary>The group commit writer's statements, prepared once on its connection and run again.</summary>
public sealed class SqliteStatementsTests : IDisposable
{
    private readonly SqliteFiles _files = new();
    private readonly SqliteConnection _connection;

    public SqliteStatementsTests()
    {
        _connection = new SqliteConnection($"Data Source={_files.PathOf("statements.db")};Pooling=False");
        _connection.Open();
        _connection.Handle!.enable_sqlite3_next_stmt(true); // for Prepared(): SQLitePCL keeps a map of statements for it
        using var create = _connection.CreateCommand();
        create.CommandText = "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)";
        create.ExecuteNonQuery();
    }

    private sqlite3 Handle => _connection.Handle!;

    private void Insert(SqliteStatements statements, long id, string value)
    {
        var statement = statements.Get("INSERT INTO t (id, v) VALUES (@p0, @p1)");
        raw.sqlite3_bind_int64(statement, 1, id);
        raw.sqlite3_bind_text(statement, 2, value);
        SqliteStatements.Step(Handle, statement);
    }

    private List<(long, string)> Rows()
    {
        using var read = _connection.CreateCommand();
        read.CommandText = "SELECT id, v FROM t ORDER BY id";
        using var reader = read.ExecuteReader();
        var rows = new List<(long, string)>();
        while (reader.Read()) rows.Add((reader.GetInt64(0), reader.GetString(1)));
        return rows;
    }

    [Fact]
    public void A_statement_is_prepared_once_and_runs_again_with_new_values()
    {
        using var statements = new SqliteStatements(Handle);

        Insert(statements, 1, "one");
        var first = statements.Get("INSERT INTO t (id, v) VALUES (@p0, @p1)");
        Insert(statements, 2, "two");

        Assert.Same(first, statements.Get("INSERT INTO t (id, v) VALUES (@p0, @p1)"));
        Assert.Equal(1, statements.Count);
        Assert.Equal([(1L, "one"), (2L, "two")], Rows());
    }

    [Fact]
    public void A_statement_that_fails_throws_sqlite_s_error_and_runs_again_after_it()
    {
        using var statements = new SqliteStatements(Handle);
        Insert(statements, 1, "one");

        var failed = Assert.Throws<SqliteException>(() => Insert(statements, 1, "again"));
        Insert(statements, 2, "two");

        Assert.Equal(raw.SQLITE_CONSTRAINT, failed.SqliteErrorCode);
        Assert.Equal([(1L, "one"), (2L, "two")], Rows());
    }

    [Fact]
    public void Savepoints_run_from_the_cache_roll_back_and_release_as_sqlite_s_own()
    {
        using var statements = new SqliteStatements(Handle);
        statements.Run("BEGIN IMMEDIATE");
        for (var i = 1; i <= 3; i++)
        {
            statements.Run("SAVEPOINT staged");
            Insert(statements, i, $"row {i}");
            if (i == 2) statements.Run("ROLLBACK TO staged");
            statements.Run("RELEASE staged");
        }
        statements.Run("COMMIT");

        Assert.Equal([(1L, "row 1"), (3L, "row 3")], Rows());
    }

    [Fact]
    public void Past_its_capacity_it_finalizes_what_it_holds_and_starts_again()
    {
        using var statements = new SqliteStatements(Handle);

        for (var i = 0; i <= SqliteStatements.Capacity; i++) statements.Get($"SELECT {i}");

        Assert.Equal(1, statements.Count);
        Assert.Equal(1, Prepared());
    }

    [Fact]
    public void Disposed_it_leaves_no_statement_prepared_on_its_connection()
    {
        var statements = new SqliteStatements(Handle);
        Insert(statements, 1, "one");
        statements.Run("SELECT 1");
        Assert.Equal(2, Prepared());

        statements.Dispose();

        Assert.Equal(0, Prepared());
    }

    /// <summary>How many statements are prepared on the connection (SQLite's own list).</summary>
    private int Prepared()
    {
        var count = 0;
        for (var s = raw.sqlite3_next_stmt(Handle, null); s is not null && !s.IsInvalid; s = raw.sqlite3_next_stmt(Handle, s)) count++;
        return count;
    }

    public void Dispose()
    {
        _connection.Dispose();
        _files.Dispose();
    }
}
