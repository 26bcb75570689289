using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Payments;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Orders;
using Safehold.Web.Features.Users;
using Safehold.Web.Tests.Http;

namespace Safehold.Web.Tests.Features.Orders;

/// <summary>
/// A change prepared ahead of the write lock (<see cref="PreparedAhead"/>): read and decided with no transaction open, then
/// written under the lock only if the order is as it was read (on SQLite staged for the group commit, on PostgreSQL in the
/// request's transaction); otherwise done again under the lock, where the winner of the race is seen.
/// </summary>
public sealed class OrderChangeTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private DeferredRequest<OrderChange> Deferred() => DeferredRequest<OrderChange>.In(app);

    private async Task<int> Releases(Guid orderId)
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.JournalEntries.CountAsync(e => e.OrderId == orderId && e.Kind == "release");
    }

    /// <summary>
    /// A pay done under the lock whose answer may be kept with its write takes its Idempotency-Key's lock first, before the
    /// orders' rows, as a staged pay of the same key takes it (first in its batch): taken after the rows, the two could
    /// deadlock. Here a reported capture whose reference paid another order fails its staged check and is done again
    /// under the lock, where it is refused.
    /// </summary>
    [Fact]
    [Trait("Database", "PostgreSQL")]
    public async Task On_postgres_a_pay_done_under_the_lock_takes_its_keys_lock_before_its_orders_rows()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");
        var (_, _, paid) = await app.OrderIn("awaiting_shipment");
        string usedReference;
        var (scope, db) = app.OpenDb();
        using (scope) usedReference = (await db.Orders.Where(o => o.Id == paid).Select(o => o.PaymentReference).SingleAsync())!;
        await using var request = app.Services.CreateAsyncScope();
        request.ServiceProvider.GetRequiredService<WriteSession>().KeepAnswerWith(_ => Task.FromResult(false), WriteTransaction.KeyOf(buyer.Id, "pay-key"));
        var change = request.ServiceProvider.GetRequiredService<OrderChange>();

        var (refused, sent) = await Safehold.Web.Tests.Data.NpgsqlTrace.SentAsync(async () =>
            await Assert.ThrowsAsync<DomainException>(() => change.RecordExternalPaymentAsync(new Caller(buyer.Id, UserRole.Buyer), OrderChange.Payment.OfOrder(id),
                usedReference, new MoneyDto(10_000, "USD"), (_, _) => Task.FromResult<object?>(null), CancellationToken.None)));

        Assert.Equal("external_payment_reference_used", refused.Code);
        var keyLock = sent.FindIndex(t => t.StartsWith("SELECT pg_advisory_xact_lock", StringComparison.Ordinal));
        var rowLock = sent.FindIndex(t => t.Contains("FOR UPDATE", StringComparison.Ordinal));
        Assert.True(keyLock >= 0 && rowLock > keyLock, string.Join("\n---\n", sent));
    }

    [Fact]
    public async Task A_prepared_confirmation_is_decided_with_no_transaction_open_and_written_under_the_lock()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery", amount: 20_000);
        using var prepared = Deferred();
        var runs = new List<bool>(); // each run of the step: whether a transaction was open

        var answer = await prepared.WriteAsync(() => prepared.UseCase.RunAsync(new Caller(buyer.Id, UserRole.Buyer), id, (order, actor, now, _) =>
        {
            runs.Add(prepared.InTransaction);
            return Task.FromResult<JournalEntry?>(order.ConfirmReceipt(actor, now));
        }, CancellationToken.None));
        await prepared.Session.EndAsync();

        Assert.Equal([false], runs);
        Assert.Equal("completed", answer.Status);
        Assert.Equal("completed", (await Api.GetOrder(buyer, id)).Status());
        Assert.Equal(1, await Releases(id));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_prepared_confirmation_whose_order_was_confirmed_meanwhile_is_done_again_under_the_lock_and_refused()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery", amount: 20_000);
        using var prepared = Deferred();
        var runs = new List<bool>();

        var refused = await Assert.ThrowsAsync<DomainException>(() => prepared.WriteAsync(() => prepared.UseCase.RunAsync(new Caller(buyer.Id, UserRole.Buyer), id,
            async (order, actor, now, _) =>
            {
                runs.Add(prepared.InTransaction);
                // Between this request's read and its lock, another confirmation (the buyer's second tab) commits.
                if (runs.Count == 1)
                    await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{id}/confirm-receipt", null), HttpStatusCode.OK);
                return order.ConfirmReceipt(actor, now);
            }, CancellationToken.None)));
        await prepared.Session.EndAsync();

        Assert.Equal([false, true], runs); // prepared without the lock, then done again under it
        Assert.Equal(RefusalKind.WrongState, refused.Kind);
        Assert.Equal(1, await Releases(id));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_prepared_change_works_on_an_order_the_context_does_not_track_and_writes_what_the_domain_changed_in_it()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery", amount: 20_000);
        // A waiting extension (an owned child of the order), which the completion lapses: a child updated as well.
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{id}/protection-extensions", new { days = 5, reason = "Still in transit" }),
            HttpStatusCode.Created);
        using var prepared = Deferred();
        Domain.Orders.Order? changed = null;
        var states = new List<EntityState>();

        await prepared.WriteAsync(() => prepared.UseCase.RunAsync(new Caller(buyer.Id, UserRole.Buyer), id, (order, actor, now, _) =>
        {
            states.Add(prepared.Db.Entry(order).State);
            changed = order;
            return Task.FromResult<JournalEntry?>(order.ConfirmReceipt(actor, now));
        }, CancellationToken.None));
        await prepared.Session.EndAsync();

        Assert.Equal([EntityState.Detached], states); // one run, ahead of the lock, on an order read without tracking
        Assert.Empty(prepared.Db.ChangeTracker.Entries<Domain.Orders.Order>());
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var stored = await db.Orders.AsNoTracking().AsSplitQuery().SingleAsync(o => o.Id == id);
            // The row, its new events, and its timers (the protection's gone, the dispute window's added) as the domain left them.
            Assert.Equal((changed!.Status, changed.Version, changed.CompletedAt), (stored.Status, stored.Version, stored.CompletedAt));
            Assert.Equal(changed.Timeline.Select(e => (e.Sequence, e.Kind, e.At)), stored.Timeline.OrderBy(e => e.Sequence).Select(e => (e.Sequence, e.Kind, e.At)));
            Assert.Equal(changed.Timers.Select(t => (t.Kind, t.DueAt)).Order(), stored.Timers.Select(t => (t.Kind, t.DueAt)).Order());
            Assert.Contains(stored.Timeline, e => e.Kind == "receipt_confirmed");
            Assert.Equal(changed.Extensions.Select(e => (e.Id, e.Status, e.DecidedAt)), stored.Extensions.Select(e => (e.Id, e.Status, e.DecidedAt)));
            Assert.Equal(Domain.Orders.ExtensionStatus.Lapsed, stored.Extensions.Single().Status);
        }
        Assert.Equal(1, await Releases(id));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_prepared_change_whose_other_reads_no_longer_hold_is_done_again_under_the_lock()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery");
        using var prepared = Deferred();
        var runs = new List<bool>();

        await prepared.WriteAsync(() => prepared.UseCase.RunAsync(new Caller(buyer.Id, UserRole.Buyer), id, (order, actor, now, _) =>
        {
            runs.Add(prepared.InTransaction);
            return Task.FromResult<JournalEntry?>(order.ConfirmReceipt(actor, now));
        }, CancellationToken.None, stillTrue: (_, _, _) => Task.FromResult(false)));
        await prepared.Session.EndAsync();

        Assert.Equal([false, true], runs);
        Assert.Equal(1, await Releases(id));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_confirmation_sent_again_with_its_key_after_it_succeeded_is_answered_as_the_first_not_refused()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery");
        var key = Guid.NewGuid().ToString();
        HttpRequestMessage Confirm() => new(HttpMethod.Post, $"/api/v1/orders/{id}/confirm-receipt") { Headers = { { "Idempotency-Key", key } } };
        var first = await buyer.Http.SendAsync(Confirm());

        // The retry's own read finds the order completed (its step would be refused): the first answer is what it gets.
        var again = await buyer.Http.SendAsync(Confirm());

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(await first.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        Assert.Equal(1, await Releases(id));
    }

    [Fact]
    public async Task A_confirmation_sent_twice_at_once_with_one_key_releases_once_and_answers_both_alike()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery", amount: 20_000);
        var key = Guid.NewGuid().ToString();
        HttpRequestMessage Confirm() => new(HttpMethod.Post, $"/api/v1/orders/{id}/confirm-receipt") { Headers = { { "Idempotency-Key", key } } };

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => buyer.Http.SendAsync(Confirm())));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(1, await Releases(id));
        await app.AssertLedgerOk();
    }

    // Only SQLite stages its writes for the group commit; on PostgreSQL each request writes in its own transaction, and
    // the confirmations race on the order's row lock (the test above).
    [Fact]
    [Trait("Database", "SQLite")]
    public async Task Two_confirmations_of_one_order_in_one_group_commit_leave_one_winner_and_the_loser_is_refused_after_doing_it_again()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery", amount: 20_000);
        var commits = app.Services.GetRequiredService<GroupCommit>();
        Task<HttpResponseMessage[]> answers;
        var (scope, holder) = app.OpenDb();
        using (scope)
        {
            // Another writer holds the lock while both tabs read the order, decide, and stage their writes.
            await using var tx = await app.Services.GetRequiredService<WriteGate>().BeginTransactionAsync(holder, CancellationToken.None);
            answers = Task.WhenAll(Enumerable.Range(0, 2).Select(_ => buyer.Http.PostAsync($"/api/v1/orders/{id}/confirm-receipt", null)));
            for (var waited = 0; commits.Waiting < 2 && waited < 400; waited++) await Task.Delay(25);
            Assert.Equal(2, commits.Waiting);
        }

        var statuses = (await answers).Select(a => a.StatusCode).Order().ToList();

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], statuses);
        Assert.Equal("completed", (await Api.GetOrder(buyer, id)).Status());
        Assert.Equal(1, await Releases(id));
        await app.AssertLedgerOk();
    }

    /// <summary>
    /// Holds the write lock while <paramref name="send"/>'s requests are sent, until <paramref name="staged"/> of their writes
    /// wait for the group commit (worked out ahead of the lock); then lets them all be written in one.
    /// </summary>
    internal static async Task<HttpResponseMessage[]> InOneGroupCommit(SafeholdApp app, int staged, params Func<Task<HttpResponseMessage>>[] send)
    {
        var commits = app.Services.GetRequiredService<GroupCommit>();
        Task<HttpResponseMessage[]> answers;
        var (scope, holder) = app.OpenDb();
        using (scope)
        {
            await using var tx = await app.Services.GetRequiredService<WriteGate>().BeginTransactionAsync(holder, CancellationToken.None);
            answers = Task.WhenAll(send.Select(s => s()));
            for (var waited = 0; commits.Waiting < staged && waited < 400; waited++) await Task.Delay(25);
            Assert.Equal(staged, commits.Waiting);
        }
        return await answers;
    }

    [Fact]
    [Trait("Database", "SQLite")]
    public async Task Two_payments_of_one_order_whose_intents_meet_in_one_group_commit_take_the_money_once()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_payment", amount: 20_000);
        var captures = app.Payments.CountSucceeded("capture");
        var before = await GroupCommitted(app);

        // Both tabs find no capture instruction and stage one: the second's meets the first's key and is refused (one
        // refusal, always), is done again under the lock, and takes the claim over; both ask the provider under the one key,
        // and the first answer recorded wins. Whether the other's answer is refused ahead of the lock or staged and then
        // refused by the group commit (a second refusal) depends on which of them reaches its answer first.
        var answers = await InOneGroupCommit(app, 2, () => SafeholdApp.Pay(buyer, id), () => SafeholdApp.Pay(buyer, id));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], answers.Select(a => a.StatusCode).Order().ToList());
        Assert.InRange((await GroupCommitted(app)).Refused, before.Refused + 1, before.Refused + 2);
        Assert.Equal(captures + 1, app.Payments.CountSucceeded("capture"));
        Assert.Equal("awaiting_shipment", (await Api.GetOrder(buyer, id)).Status());
        var (scope, db) = app.OpenDb();
        using (scope) Assert.Equal(1, await db.JournalEntries.CountAsync(e => e.OrderId == id && e.Kind == "capture"));
        await app.AssertLedgerOk();
    }

    /// <summary>How many staged writes the group commit has written (SQLite), and how many staged writes were refused (either database).</summary>
    internal static async Task<(double Written, double Refused)> GroupCommitted(SafeholdApp app)
    {
        var metrics = (await (await app.Admin.GetAsync("/metrics")).Content.ReadAsStringAsync()).Split('\n');
        double Value(string series) => double.Parse(metrics.Single(l => l.StartsWith(series + " ", StringComparison.Ordinal)).Split(' ')[1],
            System.Globalization.CultureInfo.InvariantCulture);
        return (Value("safehold_group_commit_writes_sum"), Value("safehold_staged_writes_refused_total"));
    }

    [Fact]
    [Trait("Database", "SQLite")]
    public async Task A_payments_intent_and_its_answer_with_its_keys_record_are_each_worked_out_ahead_of_the_lock_and_written_by_the_group_commit()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_payment", amount: 20_000);
        var before = await GroupCommitted(app);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/orders/{id}/pay")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { paymentMethod = "pm_sandbox_visa" }),
        };
        request.Headers.Add(WriteTransaction.Header, $"pay-{id}");

        await Api.ExpectStatus(await buyer.Http.SendAsync(request), HttpStatusCode.OK);

        // The intent, then the answer, each written as staged: none refused and done again under the lock.
        Assert.Equal((before.Written + 2, before.Refused), await GroupCommitted(app));
        Assert.Equal("awaiting_shipment", (await Api.GetOrder(buyer, id)).Status());
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            Assert.Equal(200, (await db.IdempotencyRecords.SingleAsync(r => r.Key == $"pay-{id}")).StatusCode);
            Assert.Equal(1, await db.JournalEntries.CountAsync(e => e.OrderId == id && e.Kind == "capture"));
        }
        await app.AssertLedgerOk();
    }

    [Fact]
    [Trait("Database", "SQLite")]
    public async Task A_cancel_after_payment_is_worked_out_ahead_of_the_lock_and_written_by_the_group_commit_with_its_refund_sent_after_it()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_shipment", amount: 20_000);
        var refunds = app.Payments.CountSucceeded("refund");
        var before = await GroupCommitted(app);

        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{id}/cancel", null), HttpStatusCode.OK);

        // The order closed, its refund's entry and its payment instruction: one staged write, not done again under the lock.
        Assert.Equal((before.Written + 1, before.Refused), await GroupCommitted(app));
        Assert.Equal("closed", (await Api.GetOrder(buyer, id)).Status());
        Assert.Equal(1, await RefundsOwed(id));
        Assert.Equal(refunds, app.Payments.CountSucceeded("refund")); // not sent by the request
        Assert.Equal(InstructionStatus.Pending, await RefundStatus(id));
        await app.SendPayments(); // this class's other refunds too
        Assert.Equal(InstructionStatus.Succeeded, await RefundStatus(id));
        await app.AssertLedgerOk();
    }

    [Fact]
    [Trait("Database", "SQLite")]
    public async Task A_cancel_and_a_shipment_of_one_paid_order_in_one_group_commit_leave_one_winner_and_a_refund_only_if_the_cancel_won()
    {
        var (buyer, seller, id) = await app.OrderIn("awaiting_shipment", amount: 20_000);

        var answers = await InOneGroupCommit(app, 2,
            () => buyer.Http.PostAsync($"/api/v1/orders/{id}/cancel", null), () => SafeholdApp.Ship(seller, id));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], answers.Select(a => a.StatusCode).Order().ToList());
        var status = (await Api.GetOrder(buyer, id)).Status();
        Assert.Contains(status, new[] { "closed", "awaiting_delivery" });
        Assert.Equal(status == "closed" ? 1 : 0, await RefundsOwed(id));
        await app.AssertLedgerOk();
    }

    private async Task<InstructionStatus> RefundStatus(Guid id)
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.PaymentInstructions.Where(i => i.OrderId == id && i.Kind == InstructionKind.Refund).Select(i => i.Status).SingleAsync();
    }

    /// <summary>The order's refunds owed: each its journal entry and its payment instruction, the two counted alike.</summary>
    private async Task<int> RefundsOwed(Guid id)
    {
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var entries = await db.JournalEntries.CountAsync(e => e.OrderId == id && e.Kind == "refund");
            var instructions = await db.PaymentInstructions.CountAsync(i => i.OrderId == id && i.Kind == InstructionKind.Refund);
            Assert.Equal(entries, instructions);
            return entries;
        }
    }
}
