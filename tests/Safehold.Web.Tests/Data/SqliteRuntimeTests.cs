using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Safehold.Web.Data;

namespace Safehold.Web.Tests.Data;

/// <summary>SQLite's settings for the whole process, made before its first connection.</summary>
public sealed class SqliteRuntimeTests : IDisposable
{
    /// <summary>
    /// The test run makes the settings before anything opens a connection, as the host does at its start: every test of
    /// the run, the races included, then uses SQLite as production does.
    /// </summary>
    [ModuleInitializer]
    internal static void ConfigureBeforeAnyConnection() => SqliteRuntime.Configure();

    private readonly SqliteFiles _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>A connection (open until disposed) that has written and read a row of 100 kB.</summary>
    private SqliteConnection UseADatabase()
    {
        var connection = new SqliteConnection($"Data Source={_files.PathOf("runtime.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL); INSERT INTO t (v) VALUES (randomblob(100000)); SELECT length(v) FROM t;";
        command.ExecuteNonQuery();
        return connection;
    }

    [Fact]
    public void The_settings_are_made_when_nothing_opened_a_connection_before() => Assert.True(SqliteRuntime.Configure());

    [Fact]
    public void With_the_settings_made_SQLite_counts_none_of_the_memory_it_allocates()
    {
        using var connection = UseADatabase();

        // With its statistics on, SQLite counts what it holds for the open connection: its cache, schema and statements.
        Assert.Equal(0, raw.sqlite3_memory_used());
    }

    [Fact]
    public void Once_SQLite_has_started_the_settings_are_refused_without_an_exception()
    {
        using var connection = UseADatabase();

        Assert.False(SqliteRuntime.TryApply());
    }
}
