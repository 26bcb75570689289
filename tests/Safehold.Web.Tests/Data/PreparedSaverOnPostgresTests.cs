using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Orders;

namespace Safehold.Web.Tests.Data;

/// <summary>
/// The staged write's statements on PostgreSQL (<see cref="PreparedSaver"/>): a row a statement, typed as EF Core types
/// it, all in one batch, written in a transaction of the request's own (<see cref="WriteSession.WriteStagedAsync"/>).
/// </summary>
[Trait("Database", "PostgreSQL")]
public sealed class PreparedSaverOnPostgresTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    /// <summary>The buyer confirms receipt of the order: staged from the order read untracked, or saved by EF Core from it tracked.</summary>
    private async Task ConfirmAsync(Guid id, bool staged)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var order = (await OrderReader.FindAsync(db, id, tracked: !staged, CancellationToken.None))!;
        var read = staged ? AggregateChanges.Take(db.Model, order) : null;
        var now = app.Clock.GetUtcNow();
        List<JournalEntry> toPost = [order.ConfirmReceipt(new Actor(Party.Buyer, order.BuyerId), now)!];
        if (staged)
        {
            var write = PreparedWrite.Stage(db, toPost, PreparedWrite.UnchangedSinceRead(db, [read!]), [read!]);
            Assert.True(await scope.ServiceProvider.GetRequiredService<WriteSession>().WriteStagedAsync(write));
            return;
        }
        await using var tx = await db.Database.BeginTransactionAsync();
        await db.PostAllAsync(toPost, CancellationToken.None);
        await db.SaveChangesAsync();
        await tx.CommitAsync();
    }

    /// <summary>The buyer confirms receipt of the order, read untracked: what it was read as, and the entry to post.</summary>
    private async Task<(AggregateChanges Read, JournalEntry Entry)> ConfirmUntrackedAsync(SafeholdDb db, Guid id)
    {
        var order = (await OrderReader.FindAsync(db, id, tracked: false, CancellationToken.None))!;
        var read = AggregateChanges.Take(db.Model, order);
        return (read, order.ConfirmReceipt(new Actor(Party.Buyer, order.BuyerId), app.Clock.GetUtcNow())!);
    }

    [Fact]
    public async Task A_confirmation_written_by_its_staged_statements_leaves_the_rows_ef_cores_save_leaves()
    {
        var (buyer, _, first) = await app.OrderIn("awaiting_delivery", amount: 20_000);
        var second = (await app.OrderIn("awaiting_delivery", amount: 20_000)).OrderId;
        // A waiting extension, which the completion lapses: an owned child updated, with a nullable instant written.
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{first}/protection-extensions", new { days = 5, reason = "Still in transit" }),
            System.Net.HttpStatusCode.Created);

        await ConfirmAsync(first, staged: true);
        await ConfirmAsync(second, staged: false);

        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var orders = await OrderReader.ReadAsync(db, [first, second], CancellationToken.None);
            var (prepared, saved) = (orders.Single(o => o.Id == first), orders.Single(o => o.Id == second));
            Assert.Equal(OrderStatus.Completed, prepared.Status);
            Assert.Equal((saved.Status, saved.EventCount), (prepared.Status, prepared.EventCount - 1)); // one more event: the extension asked for
            Assert.Equal(saved.Version + 1, prepared.Version);
            Assert.NotNull(prepared.CompletedAt);
            Assert.Equal(prepared.EventCount, prepared.Timeline.Count);
            Assert.Equal(saved.Timers.Select(t => t.Kind).Order(), prepared.Timers.Select(t => t.Kind).Order());
            Assert.Equal(ExtensionStatus.Lapsed, prepared.Extensions.Single().Status);
            Assert.NotNull(prepared.Extensions.Single().DecidedAt);
            var releases = await db.JournalEntries.AsNoTracking().Include(e => e.Lines).Where(e => e.Kind == "release" && (e.OrderId == first || e.OrderId == second))
                .ToDictionaryAsync(e => e.OrderId!.Value, e => e.Lines.Select(l => $"{l.AccountType} {l.Amount} {l.Currency}").Order().ToList());
            Assert.Equal(releases[second], releases[first]);
        }
        await app.AssertLedgerOk(); // the seller's running balance moved with both entries
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_staged_write_whose_order_changed_after_it_was_read_is_refused_whole_and_writes_nothing(bool checkedFirst)
    {
        var (_, _, id) = await app.OrderIn("awaiting_delivery", amount: 20_000);
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var (read, entry) = await ConfirmUntrackedAsync(db, id);
        // Found by the version check's batch, or, with no check, by the order's own update naming the version read.
        var write = PreparedWrite.Stage(db, [entry], checkedFirst ? PreparedWrite.UnchangedSinceRead(db, [read]) : null, [read]);
        var (other, changer) = app.OpenDb();
        using (other) await changer.Database.ExecuteSqlAsync($"""UPDATE "Orders" SET "Version" = "Version" + 1 WHERE "Id" = {id}""");

        Assert.False(await scope.ServiceProvider.GetRequiredService<WriteSession>().WriteStagedAsync(write));

        var (checkScope, check) = app.OpenDb();
        using (checkScope)
        {
            Assert.Equal(OrderStatus.AwaitingDelivery, (await check.Orders.AsNoTracking().SingleAsync(o => o.Id == id)).Status);
            Assert.False(await check.JournalEntries.AnyAsync(e => e.OrderId == id && e.Kind == "release")); // the entry went with the rest
        }
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_staged_writes_statements_are_each_one_text_for_any_count_of_rows_and_go_in_one_batch()
    {
        var (_, _, id) = await app.OrderIn("awaiting_delivery", amount: 20_000);
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var (read, entry) = await ConfirmUntrackedAsync(db, id);
        var plan = PreparedSaver.Plan(db, inserts: [entry, .. entry.Lines], aggregates: [read], tracked: false);
        plan.AddBalanceMoves([entry]);

        // A row a statement: the entry's lines are as many inserts of one text, not one insert of as many rows.
        Assert.Equal(entry.Lines.Count, plan.Texts.Count(t => t.StartsWith("INSERT INTO \"JournalLines\"", StringComparison.Ordinal)));
        Assert.Single(plan.Texts.Where(t => t.StartsWith("INSERT INTO \"JournalLines\"", StringComparison.Ordinal)).Distinct());
        Assert.Contains("UPDATE \"Orders\" SET ", plan.Texts.First(t => t.StartsWith("UPDATE \"Orders\"", StringComparison.Ordinal)));
        Assert.DoesNotContain(plan.Texts, t => t.Contains("VALUES (@p0", StringComparison.Ordinal) && t.StartsWith("UPDATE", StringComparison.Ordinal));
        await using var tx = await db.Database.BeginTransactionAsync();
        await plan.ExecuteAsync(db, CancellationToken.None);
        await tx.CommitAsync();
        Assert.Equal(OrderStatus.Completed, (await db.Orders.AsNoTracking().SingleAsync(o => o.Id == id)).Status);
        await app.AssertLedgerOk();
    }
}
