using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Safehold.Web.Data;

/// <summary>
/// Hosts that start at the same moment on one PostgreSQL take turns preparing it: the first creates the
/// database if missing, migrates it, seeds it and creates the configured admin; the others wait on a
/// session-level advisory lock and then find all of it done. (EF Core's own migration lock does not stop
/// two hosts from applying the same migration at once: seen here as "column already exists".) On SQLite
/// there is one host per file and nothing to wait for.
/// </summary>
public sealed class StartupLock : IAsyncDisposable
{
    private const long Key = 0x5AFE_401D_0001; // the same for every Safehold host; advisory locks are per database

    private readonly SafeholdDb? _db;

    private StartupLock(SafeholdDb? db) => _db = db;

    public static async Task<StartupLock> TakeAsync(SafeholdDb db, CancellationToken ct = default)
    {
        if (!db.OnPostgres) return new StartupLock(null);
        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (!await creator.ExistsAsync(ct))
        {
            try
            {
                await creator.CreateAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                // another host created it first
            }
        }
        await db.Database.OpenConnectionAsync(ct);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({Key})", ct);
        return new StartupLock(db);
    }

    public async ValueTask DisposeAsync()
    {
        if (_db is null) return;
        await _db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({Key})");
        await _db.Database.CloseConnectionAsync();
    }
}
