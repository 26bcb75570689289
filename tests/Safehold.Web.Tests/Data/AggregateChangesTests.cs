using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Demo;

namespace Safehold.Web.Tests.Data;

/// <summary>
/// Changes found in orders loaded without tracking (the sweeper's prepared batches) against EF Core's own change
/// tracker: the same orders, in two copies of one database, are fired alike and saved each way, and every row compared.
/// </summary>
public sealed class AggregateChangesTests : IDisposable
{
    private readonly SqliteFiles _files = new();
    private readonly DateTimeOffset _placed = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private SqliteSafeholdDb Open(string name) => _files.Open(name);

    /// <summary>
    /// Delivered orders, one with an extension waiting for the seller and one in a dispute (its timers paused), in
    /// <c>ef.db</c> and a copy of it, <c>saver.db</c>.
    /// </summary>
    private async Task<IReadOnlyList<Guid>> SeedTwiceAsync()
    {
        IReadOnlyList<Guid> ids;
        await using (var db = Open("ef.db"))
        {
            await db.Database.MigrateAsync();
            ids = await BulkOrders.SeedDeliveredAsync(db, 4, _placed, apart: TimeSpan.FromSeconds(1));
            var orders = await db.Orders.ToListAsync();
            var extended = orders.Single(o => o.Id == ids[1]);
            extended.RequestExtension(new Actor(Party.Buyer, extended.BuyerId), _placed.AddDays(2), Guid.CreateVersion7(_placed), 5, "Still in customs.");
            var disputed = orders.Single(o => o.Id == ids[2]);
            db.Disputes.Add(disputed.OpenDispute(new Actor(Party.Buyer, disputed.BuyerId), _placed.AddDays(3), Guid.CreateVersion7(_placed),
                Domain.Disputes.DisputeReason.Damaged, Domain.Disputes.DisputeOutcome.FullRefund, null, "Arrived broken.", new Domain.Disputes.DisputeTerms()));
            await db.SaveChangesAsync();
            await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE)");
        }
        SqliteConnection.ClearAllPools();
        File.Copy(_files.PathOf("ef.db"), _files.PathOf("saver.db"));
        return ids;
    }

    private static IQueryable<Order> Batch(SafeholdDb db) => db.Orders.IgnoreAutoIncludes().Include(o => o.Timers).AsSingleQuery();

    /// <summary>Fires what is due on each order, in due order, as the sweeper does (its reminders aside).</summary>
    private static List<JournalEntry> FireDue(IEnumerable<Order> orders, DateTimeOffset now)
    {
        var entries = new List<JournalEntry>();
        foreach (var order in orders)
        {
            while (order.Timers.Where(t => t.DueAt <= now).OrderBy(t => t.DueAt).ThenBy(t => t.Kind).FirstOrDefault() is { } timer)
            {
                if (order.FireTimer(timer.Kind, timer.DueAt).Entry is { } entry) entries.Add(entry);
            }
        }
        return entries;
    }

    [Fact]
    public async Task Orders_fired_without_tracking_are_written_exactly_as_ef_cores_change_tracker_writes_them()
    {
        var ids = await SeedTwiceAsync();
        // Late enough for the waiting extension to be approved by silence and the other undisputed orders to complete.
        var now = _placed.AddDays(20);
        await using (var db = Open("ef.db"))
        {
            var entries = FireDue(await Batch(db).ToListAsync(), now);
            db.JournalEntries.AddRange(entries);
            await db.SaveChangesAsync();
        }
        await using (var db = Open("saver.db"))
        {
            var orders = await Batch(db).AsNoTracking().ToListAsync();
            var aggregates = orders.Select(o => AggregateChanges.Take(db.Model, o)).ToList();
            var entries = FireDue(orders, now);
            var plan = PreparedSaver.Plan(db, entries.Concat<object>(entries.SelectMany(e => e.Lines)), aggregates);
            await using var tx = await db.Database.BeginTransactionAsync();
            await plan.ExecuteAsync(db, CancellationToken.None);
            await tx.CommitAsync();
        }

        // What was fired: the extension approved (a changed child), completions (the root changed, timers gone and new,
        // events added), and the disputed order's paused timers left as they were.
        await using (var check = Open("saver.db"))
        {
            var orders = await check.Orders.AsNoTracking().AsSplitQuery().ToListAsync();
            Assert.Equal(ExtensionStatus.AutoApproved, orders.Single(o => o.Id == ids[1]).Extensions.Single().Status);
            Assert.Equal(new[] { ids[0], ids[3] }.Order(), orders.Where(o => o.Status == OrderStatus.Completed).Select(o => o.Id).Order());
            Assert.NotEqual(OrderStatus.Completed, orders.Single(o => o.Id == ids[2]).Status);
        }
        // The journal's own keys are new on each side.
        string[] created = ["JournalEntries.Id", "JournalLines.EntryId"];
        foreach (var table in new[] { "Orders", "Timers", "OrderEvents", "ProtectionExtensions", "Disputes", "JournalEntries", "JournalLines" })
        {
            Assert.Equal(await SqliteRows.OfAsync(_files.PathOf("ef.db"), table, created),
                await SqliteRows.OfAsync(_files.PathOf("saver.db"), table, created));
        }
    }

    [Fact]
    public async Task An_order_nothing_happened_to_writes_nothing()
    {
        await SeedTwiceAsync();
        await using var db = Open("saver.db");
        var orders = await Batch(db).AsNoTracking().ToListAsync();
        var aggregates = orders.Select(o => AggregateChanges.Take(db.Model, o)).ToList();

        Assert.Empty(FireDue(orders, _placed.AddDays(1)));
        Assert.Equal(0, PreparedSaver.Plan(db, aggregates: aggregates).Statements);
    }

    [Fact]
    public async Task An_order_tracked_as_well_is_refused_rather_than_written_twice()
    {
        await SeedTwiceAsync();
        await using var db = Open("saver.db");
        var orders = await Batch(db).ToListAsync();
        var aggregates = orders.Select(o => AggregateChanges.Take(db.Model, o)).ToList();
        FireDue(orders, _placed.AddDays(20));

        Assert.Throws<InvalidOperationException>(() => PreparedSaver.Plan(db, aggregates: aggregates));
    }

    // With the test above (which writes, so the version checked is the one read), this shows the check is made at all.
    [Fact]
    public async Task A_batch_whose_order_changed_since_it_was_read_is_refused_whole()
    {
        var ids = await SeedTwiceAsync();
        await using var db = Open("saver.db");
        var orders = await Batch(db).AsNoTracking().ToListAsync();
        var aggregates = orders.Select(o => AggregateChanges.Take(db.Model, o)).ToList();
        var entries = FireDue(orders, _placed.AddDays(20));
        var plan = PreparedSaver.Plan(db, entries.Concat<object>(entries.SelectMany(e => e.Lines)), aggregates);
        await using (var other = Open("saver.db")) // a request changes one order after the batch read it
            await other.Orders.Where(o => o.Id == ids[3]).ExecuteUpdateAsync(u => u.SetProperty(o => o.Version, o => o.Version + 1));

        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => plan.ExecuteAsync(db, CancellationToken.None));
            await tx.RollbackAsync();
        }

        await using var check = Open("saver.db");
        Assert.Equal(0, await check.Orders.CountAsync(o => o.Status == OrderStatus.Completed));
        Assert.Equal(0, await check.JournalEntries.CountAsync(e => e.Kind == "release"));
    }

    public void Dispose() => _files.Dispose();
}
