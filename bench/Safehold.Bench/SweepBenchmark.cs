using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Data;
using Safehold.Web.Demo;

namespace Safehold.Bench;

/// <summary>
/// How fast due timers are processed: N delivered orders whose auto-completion is due, each completing with
/// its journal entry, on SQLite, by a real host process after one sandbox-clock advance.
/// </summary>
public static class SweepBenchmark
{
    public static async Task<int> RunAsync(int orders, int batchSize)
    {
        var dir = Path.Combine(Path.GetTempPath(), "safehold-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var dbPath = Path.Combine(dir, "safehold.db");
        try
        {
            Console.WriteLine($"Seeding {orders:N0} delivered orders into {dbPath} ...");
            var seed = Stopwatch.StartNew();
            await using (var db = new SqliteSafeholdDb(new DbContextOptionsBuilder<SqliteSafeholdDb>().UseSqlite($"Data Source={dbPath}").Options))
            {
                await db.Database.MigrateAsync();
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
                await BulkOrders.SeedDeliveredAsync(db, orders, DateTimeOffset.UtcNow);
            }
            SqliteConnection.ClearAllPools();
            Console.WriteLine($"Seeded in {seed.Elapsed.TotalSeconds:F1} s.");

            using var host = await HostProcess.StartAsync(new Dictionary<string, string>
            {
                ["Safehold:Sandbox"] = "true",
                ["Safehold:Demo"] = "false",
                ["ConnectionStrings:Safehold"] = $"Data Source={dbPath}",
                ["Safehold:Sweeper:BatchSize"] = batchSize.ToString(),
            }, "bench-admin-key");

            var clock = Stopwatch.StartNew();
            var response = await host.Http.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { days = 16 });
            clock.Stop();
            response.EnsureSuccessStatusCode();
            var fired = (await response.Content.ReadFromJsonAsync<JsonObject>())!["timersFired"]!.GetValue<int>();
            var check = (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/ledger/check"))!;
            var rate = fired / clock.Elapsed.TotalSeconds;

            Console.WriteLine();
            Console.WriteLine($"auto-completions fired: {fired:N0} (expected {orders:N0})");
            Console.WriteLine($"time: {clock.Elapsed.TotalSeconds:F2} s   rate: {rate:N0} per second   batch size: {batchSize}");
            Console.WriteLine($"host peak memory: {host.PeakMemoryBytes() / 1024 / 1024} MB");
            Console.WriteLine($"ledger check: {(check["ok"]!.GetValue<bool>() ? "ok" : "FAILED " + check.ToJsonString())}");
            return fired == orders && check["ok"]!.GetValue<bool>() ? 0 : 1;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
