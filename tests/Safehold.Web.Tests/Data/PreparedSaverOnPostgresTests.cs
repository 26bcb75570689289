using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
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
/// it, in one batch with the key's lock and the checks (<see cref="StagedWrite.RunOnPostgresAsync"/>), written in a
/// transaction of the request's own (<see cref="WriteSession.WriteStagedAsync"/>).
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

    /// <summary>
    /// The buyer confirms receipt of a new order, read untracked in a scope of its own: what it was read as, and the entry to
    /// post. Disposing it disposes the scope.
    /// </summary>
    private async Task<Untracked> ConfirmUntrackedAsync()
    {
        var (_, _, id) = await app.OrderIn("awaiting_delivery", amount: 20_000);
        var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var order = (await OrderReader.FindAsync(db, id, tracked: false, CancellationToken.None))!;
        var read = AggregateChanges.Take(db.Model, order);
        return new(scope, db, id, read, order.ConfirmReceipt(new Actor(Party.Buyer, order.BuyerId), app.Clock.GetUtcNow())!);
    }

    private sealed record Untracked(IServiceScope Scope, SafeholdDb Db, Guid Id, AggregateChanges Read, JournalEntry Entry) : IDisposable
    {
        public void Dispose() => Scope.Dispose();
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
        using var confirmation = await ConfirmUntrackedAsync();
        var (scope, db, id, read, entry) = confirmation;
        // Found by the version check's batch, or, with no check, by the order's own update naming the version read.
        var write = PreparedWrite.Stage(db, [entry], checkedFirst ? PreparedWrite.UnchangedSinceRead(db, [read]) : null, [read]);
        var (other, changer) = app.OpenDb();
        using (other) await changer.Database.ExecuteSqlAsync($"""UPDATE "Orders" SET "Version" = "Version" + 1 WHERE "Id" = {id}""");
        var refused = (await Features.Orders.OrderChangeTests.GroupCommitted(app)).Refused;

        Assert.False(await scope.ServiceProvider.GetRequiredService<WriteSession>().WriteStagedAsync(write));

        Assert.Equal(refused + 1, (await Features.Orders.OrderChangeTests.GroupCommitted(app)).Refused); // counted for the operator

        var (checkScope, check) = app.OpenDb();
        using (checkScope)
        {
            Assert.Equal(OrderStatus.AwaitingDelivery, (await check.Orders.AsNoTracking().SingleAsync(o => o.Id == id)).Status);
            Assert.False(await check.JournalEntries.AnyAsync(e => e.OrderId == id && e.Kind == "release")); // the entry went with the rest
        }
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_staged_write_whose_check_finds_its_row_changed_runs_none_of_the_statements_behind_it()
    {
        using var confirmation = await ConfirmUntrackedAsync();
        var (_, db, id, read, _) = confirmation;
        // Its one statement fails if it runs: an answer is stored under its key already. Its check's row is not one it writes.
        var buyer = (await db.Orders.AsNoTracking().SingleAsync(o => o.Id == id)).BuyerId;
        IdempotencyRecord Answer() => new(buyer, "taken-" + id, "hash", 200, "{}", null, app.Clock.GetUtcNow());
        var (storing, store) = app.OpenDb();
        using (storing)
        {
            store.IdempotencyRecords.Add(Answer());
            await store.SaveChangesAsync();
            await store.Database.ExecuteSqlAsync($"""UPDATE "Orders" SET "Version" = "Version" + 1 WHERE "Id" = {id}""");
        }
        var write = new StagedWrite(PreparedWrite.UnchangedSinceRead(db, [read]), PreparedSaver.Plan(db, inserts: [Answer()], tracked: false));

        await using var tx = await db.Database.BeginTransactionAsync();
        // Refused by its check alone, which stops the batch: had the insert behind it run, it would have thrown (a key taken).
        Assert.False(await write.RunOnPostgresAsync(db, (Npgsql.NpgsqlTransaction)tx.GetDbTransaction(), CancellationToken.None));
    }

    [Fact]
    public async Task A_staged_writes_statements_are_each_one_text_for_any_count_of_rows_and_go_in_one_batch()
    {
        using var confirmation = await ConfirmUntrackedAsync();
        var (_, db, id, read, entry) = confirmation;
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

    [Fact]
    public async Task A_staged_write_with_a_key_sends_its_keys_lock_its_checks_and_its_statements_in_one_batch()
    {
        using var confirmation = await ConfirmUntrackedAsync();
        var (scope, db, id, read, entry) = confirmation;
        var write = PreparedWrite.Stage(db, [entry], PreparedWrite.UnchangedSinceRead(db, [read]), [read]);
        write.Before(WriteTransaction.KeyLock, WriteTransaction.KeyOf(Guid.NewGuid(), "a-key"));

        var (written, sent) = await NpgsqlTrace.SentAsync(() => scope.ServiceProvider.GetRequiredService<WriteSession>().WriteStagedAsync(write));

        Assert.True(written);
        // One batch (Npgsql traces one a round trip; the commit after it is not a command): the key's lock first, then the
        // order's check, which locks its row, then the change's statements.
        var batch = Assert.Single(sent);
        var check = batch.IndexOf("UPDATE \"Orders\" SET \"Version\" = \"Version\" WHERE", StringComparison.Ordinal);
        var (update, insert) = (batch.IndexOf("UPDATE \"Orders\" SET ", check + 1, StringComparison.Ordinal),
            batch.IndexOf("INSERT INTO \"JournalEntries\"", StringComparison.Ordinal));
        Assert.True(batch.StartsWith("SELECT pg_advisory_xact_lock", StringComparison.Ordinal) && check > 0 && update > check && insert > check, batch);
        await using var verify = app.Services.CreateAsyncScope();
        Assert.Equal(OrderStatus.Completed, (await verify.ServiceProvider.GetRequiredService<SafeholdDb>().Orders.AsNoTracking().SingleAsync(o => o.Id == id)).Status);
        await app.AssertLedgerOk();
    }

    /// <summary>
    /// A query's check with a statement of its own (<see cref="StagedWrite.Check.Reads(Func{SafeholdDb, CancellationToken, Task{bool}}, Func{Npgsql.NpgsqlBatchCommand})"/>,
    /// as the reported capture's "no other order paid by this reference") is that statement in the one batch, after the
    /// rows' checks and before the statements; when it fails, nothing is written.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_staged_write_whose_check_is_a_statement_sends_it_in_its_one_batch_and_when_it_fails_writes_nothing(bool holds)
    {
        using var confirmation = await ConfirmUntrackedAsync();
        var (scope, db, id, read, entry) = confirmation;
        var check = StagedWrite.Check.Reads((_, _) => throw new InvalidOperationException("On PostgreSQL the statement makes the check, not the query."),
            () => new Npgsql.NpgsqlBatchCommand("SELECT 1 / $1 AS statement_check") { Parameters = { new() { Value = holds ? 1 : 0 } } });
        var write = PreparedWrite.Stage(db, [entry], StagedWrite.Check.All(PreparedWrite.UnchangedSinceRead(db, [read]), check), [read]);

        var (written, sent) = await NpgsqlTrace.SentAsync(() => scope.ServiceProvider.GetRequiredService<WriteSession>().WriteStagedAsync(write));

        Assert.Equal(holds, written);
        var batch = Assert.Single(sent);
        var (rowCheck, statementCheck, insert) = (batch.IndexOf("UPDATE \"Orders\" SET \"Version\" = \"Version\" WHERE", StringComparison.Ordinal),
            batch.IndexOf("statement_check", StringComparison.Ordinal), batch.IndexOf("INSERT INTO \"JournalEntries\"", StringComparison.Ordinal));
        Assert.True(rowCheck >= 0 && statementCheck > rowCheck && insert > statementCheck, batch);
        await using var verify = app.Services.CreateAsyncScope();
        var status = (await verify.ServiceProvider.GetRequiredService<SafeholdDb>().Orders.AsNoTracking().SingleAsync(o => o.Id == id)).Status;
        Assert.Equal(holds ? OrderStatus.Completed : OrderStatus.AwaitingDelivery, status);
        await app.AssertLedgerOk();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_staged_write_with_a_query_to_make_makes_it_once_its_rows_are_locked_and_before_its_statements(bool holds)
    {
        using var confirmation = await ConfirmUntrackedAsync();
        var (scope, db, id, read, entry) = confirmation;
        var seen = new List<(OrderStatus Status, bool Locked)>();
        var query = StagedWrite.Check.Reads(async (on, ct) =>
        {
            // In the write's transaction: the order as not yet written, its row locked by the check (no other may take it now).
            var status = (await on.Orders.AsNoTracking().SingleAsync(o => o.Id == id, ct)).Status;
            var (other, probe) = app.OpenDb();
            using (other)
            {
                await using var tx = await probe.Database.BeginTransactionAsync(ct);
                var free = await probe.Database.SqlQuery<Guid>($"""SELECT "Id" AS "Value" FROM "Orders" WHERE "Id" = {id} FOR UPDATE SKIP LOCKED""").ToListAsync(ct);
                seen.Add((status, free.Count == 0));
            }
            return holds;
        });
        var write = PreparedWrite.Stage(db, [entry], StagedWrite.Check.All(PreparedWrite.UnchangedSinceRead(db, [read]), query), [read]);

        Assert.Equal(holds, await scope.ServiceProvider.GetRequiredService<WriteSession>().WriteStagedAsync(write));

        Assert.Equal([(OrderStatus.AwaitingDelivery, true)], seen);
        await using var verify = app.Services.CreateAsyncScope();
        var status = (await verify.ServiceProvider.GetRequiredService<SafeholdDb>().Orders.AsNoTracking().SingleAsync(o => o.Id == id)).Status;
        Assert.Equal(holds ? OrderStatus.Completed : OrderStatus.AwaitingDelivery, status);
        await app.AssertLedgerOk();
    }
}
