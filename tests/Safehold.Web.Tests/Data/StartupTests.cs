using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Safehold.Web.Data;
using Safehold.Web.Tests.Data.Migrations;

namespace Safehold.Web.Tests.Data;

public sealed class StartupTests
{
    [Fact]
    public async Task The_wait_for_a_turn_and_the_migrations_at_start_run_without_the_command_timeout_of_the_hosts_requests()
    {
        await using var database = new UpgradingDatabase();
        var sent = new Timeouts();
        await using var db = database.Context(commandTimeout: 30, sent);

        await using (await Startup.TakeTurnAndMigrateAsync(db))
        {
        }

        Assert.Contains(sent.Seen, s => s.Sql.Contains("CREATE INDEX IF NOT EXISTS \"IX_Orders_CreatedAt_Id\""));
        if (TestDatabase.IsPostgres) Assert.Contains(sent.Seen, s => s.Sql.Contains("pg_advisory_lock") && s.Timeout == 0);
        // On PostgreSQL, EF Core first creates the (here missing) database from the server's maintenance database.
        // The turn is given back after, with the context's own timeout.
        Assert.All(sent.Seen.Where(s => !s.Sql.StartsWith("CREATE DATABASE") && !s.Sql.Contains("pg_advisory_unlock")), s => Assert.Equal(0, s.Timeout));
        Assert.Equal(30, db.Database.GetCommandTimeout()); // the context's own requests keep theirs
    }

    /// <summary>The timeout of every command the context sends.</summary>
    private sealed class Timeouts : DbCommandInterceptor
    {
        public ConcurrentBag<(string Sql, int Timeout)> Seen { get; } = [];

        public override DbCommand CommandInitialized(CommandEndEventData eventData, DbCommand result)
        {
            Seen.Add((result.CommandText, result.CommandTimeout));
            return result;
        }
    }
}
