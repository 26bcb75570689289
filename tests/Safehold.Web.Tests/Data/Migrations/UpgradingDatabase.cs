using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Safehold.Web.Data;

namespace Safehold.Web.Tests.Data.Migrations;

/// <summary>
/// A database of its own, on the database the suite runs on, migrated step by step as an operator's is upgraded: to a
/// named migration, then written to as the older version would, then to the latest.
/// </summary>
public sealed class UpgradingDatabase : IAsyncDisposable
{
    private readonly string? _postgresName;
    private readonly string? _sqlitePath;

    public UpgradingDatabase()
    {
        if (TestDatabase.IsPostgres)
        {
            _postgresName = TestDatabase.DatabaseNameFor(SafeholdApp.NewDirectory());
            TestDatabase.Created(_postgresName);
        }
        else
        {
            _sqlitePath = Path.Combine(SafeholdApp.NewDirectory(), "safehold.db");
        }
    }

    /// <summary>A context of the database, with the given command timeout (as the host's would be configured) and interceptors.</summary>
    public SafeholdDb Context(int commandTimeout = 30, params IInterceptor[] interceptors) => _postgresName is { } name
        ? new PostgresSafeholdDb(new DbContextOptionsBuilder<PostgresSafeholdDb>()
            .UseNpgsql(TestDatabase.PostgresDatabase(name, pooling: false), o => o.CommandTimeout(commandTimeout)).AddInterceptors(interceptors).Options)
        : new SqliteSafeholdDb(new DbContextOptionsBuilder<SqliteSafeholdDb>()
            .UseSqlite($"Data Source={_sqlitePath};Pooling=False", o => o.CommandTimeout(commandTimeout)).AddInterceptors(interceptors).Options);

    /// <summary>Applies the migrations up to and including <paramref name="migration"/> (its name), or all of them.</summary>
    public async Task MigrateAsync(string? migration = null)
    {
        await using var db = Context();
        await db.GetService<IMigrator>().MigrateAsync(migration);
    }

    public async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var db = Context();
        await db.Database.ExecuteSqlRawAsync(sql, parameters);
    }

    /// <summary>The names of the database's indexes; on PostgreSQL, of its valid ones.</summary>
    public async Task<List<string>> IndexesAsync()
    {
        await using var db = Context();
        return await db.Database.SqlQueryRaw<string>(_postgresName is null
            ? "SELECT name AS \"Value\" FROM sqlite_master WHERE type = 'index'"
            : "SELECT c.relname AS \"Value\" FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND i.indisvalid")
            .ToListAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgresName is { } name) TestDatabase.Drop(name);
        else SqliteConnection.ClearAllPools();
    }
}
