using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Safehold.Web.Data;

namespace Safehold.Web.Tests;

/// <summary>
/// Which database the web tests run on. <c>SAFEHOLD_TEST_DATABASE</c> is <c>sqlite</c> (the default) or
/// <c>postgres</c>; with PostgreSQL, <c>SAFEHOLD_TEST_POSTGRES</c> is an Npgsql connection string to a server
/// where the user may create databases (default: the local cluster on 127.0.0.1 as <c>safehold</c>).
/// Every app gets a database of its own, a copy of one migrated once per test process, dropped when the app is disposed.
/// </summary>
public static class TestDatabase
{
    public const string ProviderVariable = "SAFEHOLD_TEST_DATABASE";
    public const string ServerVariable = "SAFEHOLD_TEST_POSTGRES";
    public const string DefaultServer = "Host=127.0.0.1;Port=5432;Username=safehold;Password=safehold";

    private static readonly ConcurrentDictionary<string, byte> Undropped = new();

    static TestDatabase()
    {
        if (!IsPostgres) return;
        DropLeftoversOfEndedRuns();
        // Apps that reopen a directory they do not own leave their database to the end of the run.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Parallel.ForEach(Undropped.Keys, name =>
        {
            try
            {
                Drop(name);
            }
            catch (NpgsqlException)
            {
            }
        });
    }

    public static string Provider { get; } = (Environment.GetEnvironmentVariable(ProviderVariable) ?? "").Trim().ToLowerInvariant() switch
    {
        "" or "sqlite" => "sqlite",
        "postgres" or "postgresql" => "postgres",
        var other => throw new InvalidOperationException($"{ProviderVariable}='{other}': use sqlite or postgres."),
    };

    public static bool IsPostgres => Provider == "postgres";

    public static string Server => Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } s ? s : DefaultServer;

    /// <summary>The connection string of one database on the test server.</summary>
    public static string PostgresDatabase(string name, bool pooling = true) =>
        new NpgsqlConnectionStringBuilder(Server) { Database = name, Pooling = pooling, MaxPoolSize = 30 }.ToString();

    /// <summary>The database of an app's directory, so that an app reopened over the directory finds the same data.</summary>
    /// <remarks>The name carries the test process's id, so a later run can tell a leftover of an ended run from a database in use.</remarks>
    public static string DatabaseNameFor(string directory) =>
        $"{Prefix}{Environment.ProcessId}_{Path.GetFileName(directory.TrimEnd(Path.DirectorySeparatorChar)).ToLowerInvariant()}";

    private const string Prefix = "safehold_test_";

    /// <summary>Records a database this process is about to create, so it is dropped at the latest when the process ends.</summary>
    public static void Created(string name) => Undropped.TryAdd(name, 0);

    /// <summary>
    /// An app's database, made (unless it exists: an app reopened over its directory) as a copy of one database this
    /// process migrated once: copying a migrated database is cheaper than running every migration for each app. The host's
    /// migrations then find nothing to apply. Hosts started as processes (<c>HostProcess</c>) still migrate their databases
    /// themselves, several at once.
    /// </summary>
    public static void CreateMigrated(string name)
    {
        Created(name);
        lock (Template)
        {
            try
            {
                Execute($"""CREATE DATABASE "{name}" TEMPLATE "{Template.Value}" """);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
            }
        }
    }

    private static readonly Lazy<string> Template = new(() =>
    {
        var name = $"{Prefix}{Environment.ProcessId}_template";
        Created(name);
        using var db = new PostgresSafeholdDb(new DbContextOptionsBuilder<PostgresSafeholdDb>().UseNpgsql(PostgresDatabase(name, pooling: false)).Options);
        db.Database.Migrate(); // creates it
        return name;
    });

    /// <summary>Closes this process's connections to the database and drops it, cutting off anyone else still connected.</summary>
    public static void Drop(string name)
    {
        NpgsqlConnection.ClearPool(new NpgsqlConnection(PostgresDatabase(name)));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Execute($"""DROP DATABASE IF EXISTS "{name}" WITH (FORCE)""");
                break;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse && attempt < 20)
            {
                // An autovacuum worker on the database is not ours to terminate (42501): it finishes in moments.
                Thread.Sleep(250);
            }
        }
        Undropped.TryRemove(name, out _);
    }

    /// <summary>A test process killed before it could drop its databases leaves them behind; on a local server they go now.</summary>
    private static void DropLeftoversOfEndedRuns()
    {
        var host = new NpgsqlConnectionStringBuilder(Server).Host;
        if (host is not ("127.0.0.1" or "localhost" or "::1")) return; // another machine's process ids mean nothing here
        var names = new List<string>();
        try
        {
            using var connection = new NpgsqlConnection(PostgresDatabase("postgres", pooling: false));
            connection.Open();
            using var command = new NpgsqlCommand($"SELECT datname FROM pg_database WHERE datname LIKE '{Prefix}%'", connection);
            using var reader = command.ExecuteReader();
            while (reader.Read()) names.Add(reader.GetString(0));
        }
        catch (NpgsqlException)
        {
            return; // the tests themselves will say that the server is unreachable
        }
        foreach (var name in names)
        {
            var pid = name[Prefix.Length..].Split('_')[0];
            if (int.TryParse(pid, out var id) && !IsRunning(id)) Execute($"""DROP DATABASE IF EXISTS "{name}" WITH (FORCE)""");
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Runs one statement on the server's maintenance database (<c>postgres</c>), outside any pool.</summary>
    public static void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(PostgresDatabase("postgres", pooling: false));
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
