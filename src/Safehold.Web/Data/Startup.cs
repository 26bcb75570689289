using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Api;
using Safehold.Web.Demo;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Data;

/// <summary>What happens before the host serves: migrations, the configured admin key, demo data.</summary>
public static class Startup
{
    public static async Task PrepareDatabaseAsync(IServiceProvider services, SafeholdOptions options, ILogger log)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var clock = scope.ServiceProvider.GetRequiredService<TimeProvider>();
        var hasher = scope.ServiceProvider.GetRequiredService<IPasswordHasher<User>>();

        if (db.OnSqlite)
        {
            // WAL lets readers run beside the one writer; it is a property of the file and persists.
            await db.Database.OpenConnectionAsync();
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            await db.Database.CloseConnectionAsync();
        }
        await using var turn = await TakeTurnAndMigrateAsync(db); // several hosts starting at once take turns

        // A restarted sandbox keeps the time it had been moved to.
        if (scope.ServiceProvider.GetService<Features.Sandbox.SandboxClock>() is { } sandboxClock
            && await db.SandboxClock.AsNoTracking().FirstOrDefaultAsync(c => c.Id == Features.Sandbox.SandboxClockState.SingletonId) is { } stored
            && stored.OffsetTicks > sandboxClock.Offset.Ticks)
            sandboxClock.SetOffset(TimeSpan.FromTicks(stored.OffsetTicks));

        // Demo data goes only into an empty database, so it comes before the configured admin.
        if (options.SeedDemo)
            await DemoSeeder.SeedIfEmptyAsync(scope.ServiceProvider, log);

        if (!string.IsNullOrWhiteSpace(options.AdminApiKey))
        {
            var hash = ApiKeyAuthentication.HashOf(options.AdminApiKey);
            var existing = await db.ApiKeys.Where(k => k.Hash == hash).Join(db.Users, k => k.UserId, u => u.Id, (k, u) => u).FirstOrDefaultAsync();
            if (existing is null)
            {
                await UserEndpoints.CreateUserAsync(db, clock.GetUtcNow(), $"admin-{hash[..8]}@safehold.local", "Administrator",
                    UserRole.Admin, password: null, hasher, options.AdminApiKey, CancellationToken.None);
                log.LogInformation("Created the admin for the configured Safehold:AdminApiKey");
            }
            else if (existing.Role != UserRole.Admin)
            {
                throw new InvalidOperationException("Safehold:AdminApiKey belongs to a user who is not an admin.");
            }
        }

    }

    /// <summary>
    /// Takes this host's turn (<see cref="StartupLock"/>, held until the result is disposed) and applies the migrations,
    /// with no limit on how long a command may run: an upgrade that builds an index or fills in a column over a large table
    /// takes as long as it takes, and a host that starts meanwhile waits for it. With the default 30 s, <c>LedgerInstants</c>
    /// was cut off at 4M journal lines on PostgreSQL, rolled back, and would have started over at every restart
    /// (docs/benchmarks.md). On PostgreSQL no statement is cut off; on SQLite, where the timeout bounds only the wait for a
    /// locked database, the wait is unbounded.
    /// </summary>
    public static async Task<StartupLock> TakeTurnAndMigrateAsync(SafeholdDb db, CancellationToken ct = default)
    {
        var timeout = db.Database.GetCommandTimeout();
        db.Database.SetCommandTimeout(0);
        try
        {
            var turn = await StartupLock.TakeAsync(db, ct);
            await db.Database.MigrateAsync(ct);
            return turn;
        }
        finally
        {
            db.Database.SetCommandTimeout(timeout);
        }
    }
}
