using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Domain.Policy;
using Safehold.Web.Data;
using Safehold.Web.Demo;

namespace Safehold.Bench;

/// <summary>
/// How fast due timers are processed: N delivered orders whose auto-completion is due, each completing with
/// its journal entry, on SQLite, by a real host process after one sandbox-clock advance. With <c>disputes</c>, N
/// disputes instead, each waiting for a return the buyer never ships: its deadline resolves it for the seller, and
/// its order completes with its release entry.
/// </summary>
public static class SweepBenchmark
{
    /// <param name="apartMs">
    /// How far apart the orders were placed, in milliseconds. Real orders are placed apart, so their time-ordered ids
    /// fall due in order; 0 places all at one instant, which gives ids in random order (the runs before 2026-11-24 23:10).
    /// </param>
    /// <param name="warmup">
    /// Orders that fall due a day earlier and are fired first, untimed, so that the measured sweep runs on a warm host
    /// as a long-running one would (a fresh host spends seconds compiling code on first use); 0 times a cold host.
    /// </param>
    /// <param name="sellers">
    /// How many sellers the orders are spread over, in turn: each batch moves one balance row per seller in it, so one
    /// seller (the runs before 2026-11-25 02:10) is the cheapest case and a marketplace's many sellers the real one.
    /// </param>
    /// <param name="seedCache">
    /// A file to keep the seeded database in: when it exists (and holds as many orders) it is copied instead of seeding
    /// again, so A/B runs measure the same data and skip the seeding. The orders fall due 15 days after they were
    /// seeded (the warm-up orders 14 days); the clock moves 14.5 days, then 1.5 more, so a cache stays usable for
    /// about half a day.
    /// </param>
    /// <param name="reference">Every batch written by EF Core's reference writer instead of SQLite's prepared one.</param>
    /// <param name="disputes">
    /// Sweep a backlog of due dispute timers instead of orders' auto-completions: each seeded order is disputed
    /// (return and refund), the seller accepts, and the buyer's 10 days to ship the item back run out. The warm-up
    /// orders are disputed too, a day earlier.
    /// </param>
    public static async Task<int> RunAsync(int orders, int batchSize, int apartMs = 1, int warmup = 5_000, string? seedCache = null, int sellers = 1,
        bool disputes = false, bool reference = false)
    {
        var what = disputes ? "return deadlines" : "auto-completions";
        // Orders fall due 15 days after delivery; disputes 10 days after the seller accepted the return.
        var dueDays = disputes ? 10 : 15;
        var dir = Path.Combine(Path.GetTempPath(), "safehold-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var dbPath = Path.Combine(dir, "safehold.db");
        try
        {
            var seedKey = FormattableString.Invariant($"{orders} {apartMs} {warmup} {sellers}{(disputes ? " disputes" : "")}");
            var cached = seedCache is not null && File.Exists(seedCache) && File.Exists(seedCache + ".orders")
                && await File.ReadAllTextAsync(seedCache + ".orders") == seedKey;
            if (cached)
            {
                Console.WriteLine($"Copying {orders:N0} seeded orders from {seedCache} ...");
                File.Copy(seedCache!, dbPath);
            }
            else
            {
                Console.WriteLine($"Seeding {orders:N0} delivered {(disputes ? "and disputed " : "")}orders of {sellers:N0} sellers, placed {apartMs} ms apart, into {dbPath} ...");
                var seed = Stopwatch.StartNew();
                await using (var db = new SqliteSafeholdDb(new DbContextOptionsBuilder<SqliteSafeholdDb>().UseSqlite($"Data Source={dbPath}").Options))
                {
                    await db.Database.MigrateAsync();
                    await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
                    var apart = TimeSpan.FromMilliseconds(apartMs);
                    var start = DateTimeOffset.UtcNow - apart * orders;
                    if (warmup > 0)
                    {
                        var warmAt = start - TimeSpan.FromDays(1) - apart * warmup;
                        var warmIds = await BulkOrders.SeedDeliveredAsync(db, warmup, warmAt, apart: apart, sellers: sellers);
                        if (disputes) await DisputeReturnsAsync(db, warmIds, warmAt, apart);
                    }
                    var ids = await BulkOrders.SeedDeliveredAsync(db, orders, start, apart: apart, sellers: sellers);
                    if (disputes) await DisputeReturnsAsync(db, ids, start, apart);
                    await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);");
                }
                SqliteConnection.ClearAllPools();
                Console.WriteLine($"Seeded in {seed.Elapsed.TotalSeconds:F1} s.");
                if (seedCache is not null)
                {
                    File.Copy(dbPath, seedCache, overwrite: true);
                    await File.WriteAllTextAsync(seedCache + ".orders", seedKey);
                }
            }

            using var host = await HostProcess.StartAsync(new Dictionary<string, string>
            {
                ["Safehold:Sandbox"] = "true",
                ["Safehold:Demo"] = "false",
                ["ConnectionStrings:Safehold"] = $"Data Source={dbPath}",
                ["Safehold:Sweeper:BatchSize"] = batchSize.ToString(),
                ["Safehold:Sweeper:PrepareAhead"] = reference ? "false" : "true",
            }, "bench-admin-key");

            if (warmup > 0)
            {
                // The warm-up orders fall due a day before the measured ones.
                var warm = Stopwatch.StartNew();
                var warmed = await host.Http.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { days = dueDays - 0.5 });
                warmed.EnsureSuccessStatusCode();
                var warmFired = (await warmed.Content.ReadFromJsonAsync<JsonObject>())!["timersFired"]!.GetValue<int>();
                Console.WriteLine($"warm-up: {warmFired:N0} {what} in {warm.Elapsed.TotalSeconds:F1} s (not measured)");
                if (warmFired != warmup) throw new InvalidOperationException($"The warm-up fired {warmFired} timers, not {warmup}.");
            }
            var loadBefore = LoadBenchmark.LoadAverage();
            var cpuBefore = host.CpuTime();
            var clock = Stopwatch.StartNew();
            var response = await host.Http.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { days = warmup > 0 ? 1.5 : dueDays + 1 });
            clock.Stop();
            var cpu = host.CpuTime() - cpuBefore;
            var loadAfter = LoadBenchmark.LoadAverage();
            response.EnsureSuccessStatusCode();
            var fired = (await response.Content.ReadFromJsonAsync<JsonObject>())!["timersFired"]!.GetValue<int>();
            var check = (await host.Http.GetFromJsonAsync<JsonObject>("/api/v1/ledger/check"))!;
            var rate = fired / clock.Elapsed.TotalSeconds;

            Console.WriteLine();
            Console.WriteLine($"{what} fired: {fired:N0} (expected {orders:N0})");
            Console.WriteLine($"time: {clock.Elapsed.TotalSeconds:F2} s   rate: {rate:N0} per second   batch size: {batchSize}");
            // On a shared machine the wall-clock rate depends on the load; the host's CPU time per completion does much less.
            Console.WriteLine($"host CPU: {cpu.TotalSeconds:F2} s = {cpu.TotalMicroseconds / Math.Max(1, fired):F0} µs per {(disputes ? "return deadline" : "auto-completion")} "
                + $"({cpu.TotalSeconds / clock.Elapsed.TotalSeconds:F2} of {Environment.ProcessorCount} cores)");
            Console.WriteLine($"load average: {loadBefore} at the start, {loadAfter} at the end");
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

    /// <summary>
    /// Disputes each order (return and refund, as the buyer of an item that arrived damaged) and has its seller accept
    /// at <paramref name="at"/> (each next one <paramref name="apart"/> later), through the domain: the buyer then has the
    /// dispute's return window to ship the item back, and never does.
    /// </summary>
    private static async Task DisputeReturnsAsync(SafeholdDb db, IReadOnlyList<Guid> ids, DateTimeOffset at, TimeSpan apart)
    {
        var terms = new ProtectionPolicy().Disputes;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        for (var done = 0; done < ids.Count; done += 2_000)
        {
            var chunk = ids.Skip(done).Take(2_000).ToList();
            var orders = await db.Orders.Where(o => chunk.Contains(o.Id)).IgnoreAutoIncludes().Include(o => o.Timers).ToDictionaryAsync(o => o.Id);
            for (var i = 0; i < chunk.Count; i++)
            {
                var order = orders[chunk[i]];
                var when = at + apart * (done + i);
                var dispute = order.OpenDispute(new Actor(Party.Buyer, order.BuyerId), when, Guid.CreateVersion7(when), DisputeReason.Damaged,
                    DisputeOutcome.ReturnAndRefund, null, "Arrived broken.", terms);
                var step = dispute.Accept(new DisputeActor(DisputeParty.Seller, order.SellerId), when);
                if (step.ApplyTo(order, when) is not null) throw new InvalidOperationException("Accepting a return moves no money yet.");
                db.Disputes.Add(dispute);
            }
            db.ChangeTracker.DetectChanges();
            await db.SaveChangesAsync();
            db.ChangeTracker.Clear();
        }
        db.ChangeTracker.AutoDetectChangesEnabled = true;
    }
}
