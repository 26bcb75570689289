using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Safehold.Bench;
using Safehold.Web.Data;
using Safehold.Web.Demo;

namespace Safehold.Web.Tests.Jobs;

/// <summary>
/// Faults on purpose: a real host process is killed while it sweeps a large backlog of due timers; a new
/// host on the same database finishes the work at start, and every timer has fired exactly once.
/// </summary>
public sealed class SweeperCrashTests
{
    private const int Orders = 4_000;

    private static long Scalar(string dbPath, string sql)
    {
        using var c = new SqliteConnection($"Data Source={dbPath};Mode=ReadOnly");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public async Task A_host_killed_mid_sweep_leaves_every_timer_to_fire_exactly_once_after_restart()
    {
        var dir = SafeholdApp.NewDirectory();
        var dbPath = Path.Combine(dir, "safehold.db");
        await using (var db = new SqliteSafeholdDb(new DbContextOptionsBuilder<SqliteSafeholdDb>().UseSqlite($"Data Source={dbPath}").Options))
        {
            await db.Database.MigrateAsync();
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            await BulkOrders.SeedDeliveredAsync(db, Orders, DateTimeOffset.UtcNow);
        }
        SqliteConnection.ClearAllPools();
        Dictionary<string, string> Settings(int batchSize) => new()
        {
            ["Safehold:Sandbox"] = "true",
            ["Safehold:Demo"] = "false",
            ["ConnectionStrings:Safehold"] = $"Data Source={dbPath}",
            ["Safehold:Sweeper:BatchSize"] = batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        const string released = """SELECT COUNT(*) FROM "JournalEntries" WHERE "Kind" = 'release'""";

        long releasedAtCrash;
        // Small batches: the sweep is 400 commits long, so the kill lands inside it even on a loaded machine.
        using (var host = await HostProcess.StartAsync(Settings(batchSize: 10), "crash-admin-key"))
        {
            var advance = host.Http.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { days = 16 });
            await host.KillWhenAsync(() => Scalar(dbPath, released) >= 100, TimeSpan.FromMinutes(2));
            host.Kill(); // if the watch ran out of patience (the range check below then fails)
            releasedAtCrash = Scalar(dbPath, released);
            if (await Record.ExceptionAsync(() => advance) is null) // the call must have died with its host
            {
                using var answer = await advance;
                Assert.Fail($"The advance answered {(int)answer.StatusCode} before the kill ({releasedAtCrash} released): {await answer.Content.ReadAsStringAsync()}");
            }
        }
        Assert.InRange(releasedAtCrash, 100, Orders - 1); // the crash really came mid-sweep

        using (var restarted = await HostProcess.StartAsync(Settings(batchSize: 500), "crash-admin-key"))
        {
            // The advance was stored before the sweep, so the new host finds the backlog overdue and works it off at start.
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (Scalar(dbPath, """SELECT COUNT(*) FROM "Timers" WHERE "Kind" = 'AutoComplete'""") > 0 && DateTime.UtcNow < deadline)
                await Task.Delay(50);

            var check = (await restarted.Http.GetFromJsonAsync<JsonObject>("/api/v1/ledger/check"))!;
            Assert.True(check["ok"]!.GetValue<bool>(), check.ToJsonString());
        }

        Assert.Equal(Orders, Scalar(dbPath, released));
        Assert.Equal(Orders, Scalar(dbPath, """SELECT COUNT(*) FROM "Orders" WHERE "Status" = 'Completed'"""));
        Assert.Equal(Orders, Scalar(dbPath, """SELECT COUNT(*) FROM "OrderEvents" WHERE "Kind" = 'delivery_auto_complete'"""));
        Assert.Equal(0, Scalar(dbPath, """SELECT COUNT(*) FROM (SELECT "OrderId" FROM "OrderEvents" WHERE "Kind" = 'delivery_auto_complete' GROUP BY "OrderId" HAVING COUNT(*) > 1)"""));
        SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }
}
