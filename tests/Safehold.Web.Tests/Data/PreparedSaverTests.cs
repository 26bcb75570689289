using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Demo;
using Safehold.Web.Features.Ledger;

namespace Safehold.Web.Tests.Data;

/// <summary>
/// The sweeper's batch writer on SQLite (whatever database the rest of the run uses: the writer exists only for
/// SQLite). Orders are fired by the domain, as the sweeper fires them, and saved the way the sweeper saves them.
/// </summary>
public sealed class PreparedSaverTests : IDisposable
{
    private readonly SqliteFiles _files = new();
    private readonly DateTimeOffset _placed = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private SqliteSafeholdDb Open() => _files.Open("saver.db");

    private async Task<IReadOnlyList<Guid>> SeedAsync(int count)
    {
        await using var db = Open();
        await db.Database.MigrateAsync();
        // Placed apart, so more than one multi-row statement of each shape is written for a large batch.
        return await BulkOrders.SeedDeliveredAsync(db, count, _placed, apart: TimeSpan.FromSeconds(1));
    }

    private static Task<List<Order>> LoadAsync(SafeholdDb db) =>
        db.Orders.IgnoreAutoIncludes().Include(o => o.Timers).AsSplitQuery().ToListAsync();

    private static List<JournalEntry> AutoComplete(IEnumerable<Order> orders) =>
        orders.Select(o => o.FireTimer(OrderTimerKind.AutoComplete, o.Timers.Single(t => t.Kind == OrderTimerKind.AutoComplete).DueAt).Entry!).ToList();

    private static Task SaveAsync(SafeholdDb db, List<JournalEntry> entries) =>
        PreparedSaver.SaveAsync(db, CancellationToken.None, inserts: entries.Concat<object>(entries.SelectMany(e => e.Lines)), acceptChanges: false);

    [Fact]
    public async Task A_batch_saved_in_multi_row_statements_reads_back_as_the_domain_left_it()
    {
        var ids = await SeedAsync(250);
        await using (var db = Open())
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            var entries = AutoComplete(await LoadAsync(db));
            await SaveAsync(db, entries);
            await tx.CommitAsync();
        }

        await using var check = Open();
        var orders = await check.Orders.AsNoTracking().AsSplitQuery().ToListAsync();
        Assert.Equal(ids.Count, orders.Count);
        Assert.All(orders, o =>
        {
            Assert.Equal(OrderStatus.Completed, o.Status);
            Assert.Equal(o.DeliveredAt!.Value.AddDays(o.AutoCompleteDaysAfterDelivery), o.CompletedAt);
            // Auto-completion, protection end and its reminder are gone; the dispute window is the one timer left.
            Assert.Equal(new[] { OrderTimerKind.DisputeWindowEnds }, o.Timers.Select(t => t.Kind));
            Assert.Equal(o.DisputeWindowEndsAt, o.Timers[0].DueAt);
            Assert.Equal(o.EventCount, o.Timeline.Count);
            Assert.Equal("delivery_auto_complete", o.Timeline.OrderBy(e => e.Sequence).Last().Kind);
        });
        var releases = await check.JournalEntries.AsNoTracking().Where(e => e.Kind == "release").ToListAsync();
        Assert.Equal(ids.Order(), releases.Select(e => e.OrderId!.Value).Order());
        Assert.All(releases, e => Assert.Equal(3, e.Lines.Count));
        Assert.Equal(0, await check.JournalLines.SumAsync(l => l.Amount));
    }

    [Fact]
    public async Task A_batch_with_an_order_changed_since_it_was_loaded_is_refused_whole_and_writes_nothing()
    {
        var ids = await SeedAsync(30);
        await using var db = Open();
        var orders = await LoadAsync(db);
        await using (var other = Open()) // someone else changes one order after the batch read it
            await other.Orders.Where(o => o.Id == ids[17]).ExecuteUpdateAsync(u => u.SetProperty(o => o.Version, o => o.Version + 1));

        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            var entries = AutoComplete(orders);
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => SaveAsync(db, entries));
            await tx.RollbackAsync();
        }

        await using var check = Open();
        Assert.Equal(0, await check.JournalEntries.CountAsync(e => e.Kind == "release"));
        Assert.Equal(ids.Count, await check.Orders.CountAsync(o => o.Status == OrderStatus.AwaitingDelivery));
        Assert.Equal(ids.Count, await check.Timers.CountAsync(t => t.Kind == OrderTimerKind.AutoComplete));
    }

    [Fact]
    public async Task Keys_the_batch_writer_binds_itself_are_found_by_ef_cores_own_queries()
    {
        var ids = await SeedAsync(20);
        await using (var db = Open())
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            await SaveAsync(db, AutoComplete(await LoadAsync(db)));
            await tx.CommitAsync();
        }

        // The writer binds a key as text itself: a different spelling (lower case) would read back but never match.
        await using var check = Open();
        foreach (var id in ids.Take(5))
        {
            Assert.Equal(1, await check.JournalEntries.CountAsync(e => e.OrderId == id && e.Kind == "release"));
            Assert.Equal(OrderStatus.Completed, await check.Orders.Where(o => o.Id == id).Select(o => o.Status).SingleAsync());
        }
        var releaseIds = await check.JournalEntries.Where(e => e.Kind == "release").Select(e => e.Id).ToListAsync();
        Assert.All(releaseIds, id => Assert.Equal(3, check.JournalLines.Count(l => l.EntryId == id)));
    }

    [Fact]
    public async Task A_plan_needs_no_transaction_but_running_it_does()
    {
        await SeedAsync(3);
        await using var db = Open();
        var entries = AutoComplete(await LoadAsync(db));

        var plan = PreparedSaver.Plan(db, inserts: entries.Concat<object>(entries.SelectMany(e => e.Lines)));

        Assert.True(plan.Statements > 0);
        await Assert.ThrowsAsync<InvalidOperationException>(() => plan.ExecuteAsync(db, CancellationToken.None));
        await using var tx = await db.Database.BeginTransactionAsync();
        await plan.ExecuteAsync(db, CancellationToken.None);
        await tx.CommitAsync();
        await using var check = Open();
        Assert.Equal(3, await check.JournalEntries.CountAsync(e => e.Kind == "release"));
    }

    [Fact]
    public async Task A_paused_timers_time_left_is_written_exactly_as_ef_core_writes_it()
    {
        var ids = await SeedAsync(2);
        // Each order opens a dispute at the same distance before its auto-completion, so both pause with the same time left.
        async Task<SafeholdDb> OpenDisputeAsync(Guid id, TimeSpan before)
        {
            var db = Open();
            var order = (await LoadAsync(db)).Single(o => o.Id == id);
            var due = order.Timers.Single(t => t.Kind == OrderTimerKind.AutoComplete).DueAt;
            order.OpenDispute(new Actor(Party.Buyer, order.BuyerId), due - before, Guid.NewGuid(),
                Domain.Disputes.DisputeReason.Damaged, Domain.Disputes.DisputeOutcome.FullRefund, null, "Arrived broken.", new Domain.Disputes.DisputeTerms());
            return db;
        }
        var left = TimeSpan.FromDays(3) + TimeSpan.FromMilliseconds(1234.5678);
        await using (var byEf = await OpenDisputeAsync(ids[0], left))
            await byEf.SaveChangesAsync();
        await using (var bySaver = await OpenDisputeAsync(ids[1], left))
        {
            await using var tx = await bySaver.Database.BeginTransactionAsync();
            await PreparedSaver.SaveAsync(bySaver, CancellationToken.None);
            await tx.CommitAsync();
        }

        await using var check = Open();
        await check.Database.OpenConnectionAsync();
        var stored = new Dictionary<string, string>();
        await using (var command = check.Database.GetDbConnection().CreateCommand())
        {
            command.CommandText = "SELECT \"OrderId\", \"Remaining\", \"DueAt\" FROM \"Timers\" WHERE \"Kind\" = 'AutoComplete'";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) stored[reader.GetString(0)] = $"{reader.GetValue(1)} {reader.GetValue(2)}";
        }
        Assert.Equal(stored[ids[0].ToString().ToUpperInvariant()], stored[ids[1].ToString().ToUpperInvariant()]);
        var timers = await check.Timers.Where(t => t.Kind == OrderTimerKind.AutoComplete).ToListAsync();
        Assert.All(timers, t => Assert.Equal(left, t.Remaining));
    }

    [Fact]
    public async Task Balance_moves_added_to_a_plan_leave_every_sellers_balance_at_the_sum_of_their_journal_lines()
    {
        await using (var seed = Open())
        {
            await seed.Database.MigrateAsync();
            // More sellers than one statement's rows, so the moves take several statements.
            await BulkOrders.SeedDeliveredAsync(seed, 60, _placed, apart: TimeSpan.FromSeconds(1), sellers: 45);
        }
        await using (var db = Open())
        {
            var entries = AutoComplete(await LoadAsync(db));
            var plan = PreparedSaver.Plan(db, inserts: entries.Concat<object>(entries.SelectMany(e => e.Lines)));
            plan.AddBalanceMoves(entries);
            await using var tx = await db.Database.BeginTransactionAsync();
            await plan.ExecuteAsync(db, CancellationToken.None);
            await tx.CommitAsync();
        }

        await using var check = Open();
        var ledger = await LedgerEndpoints.RunChecksAsync(check, _placed.AddDays(60), CancellationToken.None);
        Assert.True(ledger.Checks.Single(c => c.Name == "seller_balances_match_entries").Ok, string.Join("; ", ledger.Checks.Select(c => c.Detail)));
        Assert.Equal(45, await check.SellerBalances.CountAsync(b => b.Pending > 0));
    }

    public void Dispose() => _files.Dispose();
}
