using System.Diagnostics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Safehold.Web.Jobs;

namespace Safehold.Web.Tests.Jobs;

/// <summary>
/// The sweeper's batches (on SQLite prepared ahead of the write lock, one batch being written while the next is read and
/// fired) against requests that change the same orders meanwhile.
/// </summary>
public sealed class DeadlineSweeperTests
{
    // Only SQLite reads batches ahead of the write: PostgreSQL claims each batch with row locks inside its transaction, and
    // a request meets those locks instead (ProtectionClockTests and TwoHostsTests race it there). test.sh runs this on
    // SQLite only.
    [Fact]
    [Trait("Database", "SQLite")]
    public async Task A_request_changing_an_order_between_its_batchs_read_and_write_rolls_the_batch_back_and_it_is_fired_once()
    {
        using var app = new SafeholdApp { Settings = { ["Safehold:Sweeper:BatchSize"] = "3" } };
        var orders = new List<(TestUser Buyer, Guid Id)>();
        for (var i = 0; i < 9; i++)
        {
            var (buyer, _, id) = await app.OrderIn("awaiting_delivery", amount: 2_000 + i);
            orders.Add((buyer, id));
        }
        var ids = orders.Select(o => o.Id).ToList();
        // The reminders 3 days before protection ends are due.
        app.Clock.Advance(TimeSpan.FromDays(37) + TimeSpan.FromMinutes(1));
        // The buyer of the first batch's first order confirms receipt right after the batch was read and fired in memory,
        // before it is written: the request fires that order's reminder itself, completes the order and commits first.
        HttpResponseMessage? confirmation = null;
        var lostRaces = 0;
        using var watch = new SweeperWatch(app, (name, payload) =>
        {
            if (name == SweeperDiagnostics.PreparedEvent && confirmation is null && payload is Guid[] batch && ids.Contains(batch[0]))
            {
                var buyer = orders.Single(o => o.Id == batch[0]).Buyer;
                confirmation = buyer.Http.PostAsync($"/api/v1/orders/{batch[0]}/confirm-receipt", null).GetAwaiter().GetResult();
            }
            if (name == SweeperDiagnostics.LostRaceEvent) Interlocked.Increment(ref lostRaces);
        }).Start();

        var fired = await app.Services.GetRequiredService<DeadlineSweeper>().RunDueAsync(CancellationToken.None);

        Assert.NotNull(confirmation);
        Assert.Equal(HttpStatusCode.OK, confirmation.StatusCode);
        Assert.Equal(1, lostRaces); // this app's sweeper lost only the race the confirmation made
        Assert.Equal(8, fired); // the reminders of the other eight orders; the request fired the ninth
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var reminded = await db.Notifications.Where(n => n.Kind == "protection_ending" && n.OrderId != null && ids.Contains(n.OrderId.Value))
                .Select(n => n.OrderId!.Value).ToListAsync();
            Assert.Equal(ids.Order(), reminded.Order());
            var loaded = await db.Orders.Where(o => ids.Contains(o.Id)).ToListAsync();
            Assert.Single(loaded, o => o.Status == Domain.Orders.OrderStatus.Completed);
            Assert.Equal(8, loaded.Count(o => o.Status == Domain.Orders.OrderStatus.AwaitingDelivery));
            Assert.All(loaded, o => Assert.Single(o.Timeline, e => e.Kind == "buyer_reminded"));
            Assert.Equal(1, await db.JournalEntries.CountAsync(e => e.Kind == "release" && e.OrderId != null && ids.Contains(e.OrderId.Value)));
        }
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_backlog_mixing_completions_and_ship_by_refunds_in_small_batches_fires_each_timer_once()
    {
        // Refunds go to the payment provider, which the sweeper only calls under the write lock: their batches are
        // fired inside the transaction, the others prepared ahead.
        using var app = new SafeholdApp { Settings = { ["Safehold:Sweeper:BatchSize"] = "4" } };
        var orders = new List<Guid>();
        for (var i = 0; i < 20; i++)
            orders.Add((await app.OrderIn(i % 3 == 0 ? "awaiting_shipment" : "awaiting_delivery", amount: 3_000 + i)).OrderId);

        var refundsBefore = app.Payments.CountSucceeded("refund");
        var preparedAhead = 0;
        using var watch = new SweeperWatch(app, (name, payload) =>
        {
            if (name == SweeperDiagnostics.PreparedEvent && payload is Guid[] batch && batch.Any(orders.Contains))
                Interlocked.Increment(ref preparedAhead);
        }).Start();

        var fired = await app.AdvanceAndSweep(TimeSpan.FromDays(41));

        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var entries = await db.JournalEntries.Where(e => e.OrderId != null && orders.Contains(e.OrderId.Value)).ToListAsync();
            // capture + release, or capture + refund owed + refund sent (the refund's instruction, sent once)
            Assert.All(orders, id => Assert.Contains(entries.Count(e => e.OrderId == id), new[] { 2, 3 }));
            Assert.Equal(7, entries.Count(e => e.Kind == "refund"));
            Assert.Equal(7, entries.Count(e => e.Kind == "refund_sent"));
            Assert.Equal(13, entries.Count(e => e.Kind == "release"));
            Assert.Equal(40, fired); // a reminder and a deadline each
        }
        Assert.Equal(refundsBefore + 7, app.Payments.CountSucceeded("refund"));
        // On SQLite the completions' batches were prepared ahead of the write lock, the refunds' not.
        if (TestDatabase.IsPostgres) Assert.Equal(0, preparedAhead);
        else Assert.InRange(preparedAhead, 1, int.MaxValue);
        await app.AssertLedgerOk();
    }

    // SQLite only: the reference is the same database swept with every batch inside its transaction (PostgreSQL's way).
    [Fact]
    [Trait("Database", "SQLite")]
    public async Task Batches_prepared_ahead_write_the_same_rows_as_batches_fired_inside_their_transaction()
    {
        // One database with an order in every timed situation, then two copies of it swept alike, one each way.
        var ahead = SafeholdApp.NewDirectory();
        Guid[] disputes;
        using (var seeding = SafeholdApp.Over(ahead))
        {
            for (var i = 0; i < 4; i++) await seeding.OrderIn("awaiting_delivery", amount: 1_000 + i);
            for (var i = 0; i < 3; i++) await seeding.OrderIn("delivered", amount: 2_000 + i);
            await seeding.OrderIn("awaiting_shipment", amount: 3_000); // a ship-by refund: fired under the lock either way
            await seeding.OrderIn("awaiting_payment", amount: 3_001);
            var (buyer, _, extended) = await seeding.OrderIn("awaiting_delivery", amount: 4_000);
            await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{extended}/protection-extensions",
                System.Net.Http.Json.JsonContent.Create(new { days = 10, reason = "Customs" })), HttpStatusCode.Created);
            var (disputer, _, disputed) = await seeding.OrderIn("awaiting_delivery", amount: 5_000);
            await Features.Disputes.DisputeApi.OpenOk(disputer, disputed); // its full refund needs the provider: the reference writes it
            // Disputes whose deadlines need no provider, prepared ahead: the buyer's silence escalates, a return not shipped releases.
            var (rejectedBuyer, rejectedSeller, rejectedOrder) = await seeding.OrderIn("awaiting_delivery", amount: 6_000);
            var rejected = (await Features.Disputes.DisputeApi.OpenOk(rejectedBuyer, rejectedOrder)).Id();
            await Features.Disputes.DisputeApi.PostOk(rejectedSeller, rejected, "reject", new { reason = "It arrived intact." });
            var (returnBuyer, returnSeller, returnOrder) = await seeding.OrderIn("awaiting_delivery", amount: 7_000);
            var toReturn = (await Features.Disputes.DisputeApi.OpenOk(returnBuyer, returnOrder, outcome: "return_and_refund")).Id();
            await Features.Disputes.DisputeApi.PostOk(returnSeller, toReturn, "accept");
            disputes = [rejected, toReturn];
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var inTransaction = SafeholdApp.NewDirectory();
        // Each database copied whole, its WAL moved into it first: the copy needs neither the WAL nor its index, which
        // the last connection to close deletes, whenever that is.
        foreach (var file in Directory.GetFiles(ahead, "*.db"))
        {
            using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False"))
            {
                connection.Open();
                using var checkpoint = connection.CreateCommand();
                checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                checkpoint.ExecuteNonQuery();
            }
            File.Copy(file, Path.Combine(inTransaction, Path.GetFileName(file)));
        }

        var preparedAhead = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        async Task<int> SweepAsync(string directory, bool prepareAhead)
        {
            using var app = SafeholdApp.Over(directory);
            // One aggregate a batch: an order due beside a refund would otherwise be fired with it by the reference writer.
            app.Settings["Safehold:Sweeper:BatchSize"] = "1";
            app.Settings["Safehold:Sweeper:PrepareAhead"] = prepareAhead ? "true" : "false";
            using var watch = new SweeperWatch(app, (name, payload) =>
            {
                if (name == SweeperDiagnostics.PreparedEvent && payload is Guid[] batch) foreach (var id in batch) preparedAhead.Add(id);
            }).Start();
            // Past reminders, completions, the extension's silence, ship-by, pay-by, the dispute's deadlines and the
            // post-completion windows.
            var fired = await app.AdvanceAndSweep(TimeSpan.FromDays(50));
            await app.AssertLedgerOk();
            return fired;
        }
        // The reference is EF Core's own change tracking and SaveChanges, as on PostgreSQL; it prepares nothing ahead.
        Assert.Equal(await SweepAsync(inTransaction, prepareAhead: false), await SweepAsync(ahead, prepareAhead: true));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        Assert.InRange(preparedAhead.Count, 1, int.MaxValue);
        Assert.All(disputes, id => Assert.Contains(id, preparedAhead));
        // Every table, row for row; only the keys of what firing created (new on each side) differ.
        string[] created = ["JournalEntries.Id", "JournalLines.EntryId", "Notifications.Id", "PaymentInstructions.Id", "PaymentInstructions.ProviderReference",
            "PaymentInstructionEvents.InstructionId"];
        static string Database(string directory) => Path.Combine(directory, "safehold.db");
        // A payment instruction's events in the log name it by its id, which is new on each side too.
        static async Task<List<string>> Rows(string directory, string table, string[] without) =>
            [.. (await SqliteRows.OfAsync(Database(directory), table, without))
                .Select(r => System.Text.RegularExpressions.Regex.Replace(r, @"(\|Source=payment_instruction\|EntityId=)[^|]*", "$1(new)"))
                .Order(StringComparer.Ordinal)];
        foreach (var table in await SqliteRows.TablesAsync(Database(ahead)))
            Assert.Equal(await Rows(inTransaction, table, created), await Rows(ahead, table, created));
        foreach (var directory in new[] { ahead, inTransaction }) Directory.Delete(directory, recursive: true);
    }

    /// <summary>Calls <c>seen</c> with each event of one app's <see cref="DeadlineSweeper.Diagnostics"/> while it is not disposed.</summary>
    private sealed class SweeperWatch(SafeholdApp app, Action<string, object?> seen) : IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private IDisposable? _subscription;

        public SweeperWatch Start()
        {
            _subscription = app.Services.GetRequiredService<DeadlineSweeper>().Diagnostics.Subscribe(this);
            return this;
        }

        public void OnNext(KeyValuePair<string, object?> e) => seen(e.Key, e.Value);
        public void OnCompleted() { }
        public void OnError(Exception error) { }
        public void Dispose() => _subscription?.Dispose();
    }
}
