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
    public async Task The_migrations_at_start_run_without_the_command_timeout_of_the_hosts_requests()
    {
        await using var database = new UpgradingDatabase();
        var sent = new Timeouts();
        await using var db = database.Context(commandTimeout: 30, sent);

        await Startup.MigrateAsync(db);

        Assert.Contains(sent.Seen, s => s.Sql.Contains("CREATE INDEX IF NOT EXISTS \"IX_Orders_CreatedAt_Id\""));
        // On PostgreSQL, EF Core first creates the (here missing) database from the server's maintenance database.
        Assert.All(sent.Seen.Where(s => !s.Sql.StartsWith("CREATE DATABASE")), s => Assert.Equal(0, s.Timeout));
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
