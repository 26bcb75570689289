using System.Net;
using Safehold.Domain;
using Safehold.Domain.Disputes;
using Safehold.Web.Api;
using Safehold.Web.Features.Disputes;
using Safehold.Web.Features.Users;
using Safehold.Web.Tests.Http;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;
using static Safehold.Web.Tests.Features.Orders.OrderChangeTests;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>
/// A step of a dispute prepared ahead of the write lock (<see cref="PreparedAhead"/>), as an order's change is: read and
/// decided with no transaction open, then written under the lock only if the dispute and its order are as they were read
/// and none of their timers has fallen due; otherwise done again under the lock, where the winner of the race is seen.
/// </summary>
public sealed class DisputeChangeTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private DeferredRequest<DisputeChange> Deferred() => DeferredRequest<DisputeChange>.In(app);

    [Fact]
    public async Task A_prepared_acceptance_is_decided_with_no_transaction_open_and_written_under_the_lock_with_its_refund_owed()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 8_000);
        using var prepared = Deferred();
        var runs = new List<bool>(); // each run of the step: whether a transaction was open

        var answer = await prepared.WriteAsync(() => prepared.UseCase.RunAsync(new Caller(seller.Id, UserRole.Seller), dispute.Id(), (d, actor, now) =>
        {
            runs.Add(prepared.InTransaction);
            return d.Accept(actor, now);
        }, CancellationToken.None));
        await prepared.Session.EndAsync();

        Assert.Equal([false], runs);
        Assert.Equal("resolved", answer.Status);
        Assert.Equal("full_refund", (await Get(buyer, dispute.Id())).Outcome());
        Assert.Single(await app.Entries(orderId, "dispute_refund"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_prepared_acceptance_settles_an_order_the_context_does_not_track_and_writes_it_as_settled()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 8_000);
        using var prepared = Deferred();
        var tracked = new List<int>(); // each run of the step: how many orders the context tracked

        var answer = await prepared.WriteAsync(() => prepared.UseCase.RunAsync(new Caller(seller.Id, UserRole.Seller), dispute.Id(), (d, actor, now) =>
        {
            tracked.Add(prepared.Db.ChangeTracker.Entries<Domain.Orders.Order>().Count());
            return d.Accept(actor, now);
        }, CancellationToken.None));
        await prepared.Session.EndAsync();

        Assert.Equal([0], tracked); // one run, ahead of the lock, the dispute tracked and its order not
        Assert.Equal("resolved", answer.Status);
        var order = await Api.GetOrder(buyer, orderId);
        Assert.Equal("closed", order.Status()); // refunded in full: the order's settling row, written from the untracked order
        Assert.Single(await app.Entries(orderId, "dispute_refund"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_prepared_acceptance_whose_dispute_was_withdrawn_meanwhile_is_done_again_under_the_lock_and_refused()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 8_000);
        using var prepared = Deferred();
        var runs = new List<bool>();

        var refused = await Assert.ThrowsAsync<DomainException>(() => prepared.WriteAsync(() => prepared.UseCase.RunAsync(
            new Caller(seller.Id, UserRole.Seller), dispute.Id(), (d, actor, now) =>
            {
                runs.Add(prepared.InTransaction);
                // Between the seller's read and their lock, the buyer withdraws the dispute.
                if (runs.Count == 1) PostOk(buyer, dispute.Id(), "withdraw").GetAwaiter().GetResult();
                return d.Accept(actor, now);
            }, CancellationToken.None)));
        await prepared.Session.EndAsync();

        Assert.Equal([false, true], runs); // prepared without the lock, then done again under it
        Assert.Equal(RefusalKind.WrongState, refused.Kind);
        Assert.Equal("withdrawn", (await Get(buyer, dispute.Id()))["status"]!.GetValue<string>());
        Assert.Empty(await app.Entries(orderId, "dispute_refund"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_prepared_counter_offer_made_before_the_sellers_deadline_and_written_after_it_is_done_again_under_the_lock_where_the_deadline_wins()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 8_000);
        app.Clock.Advance(TimeSpan.FromDays(5) - TimeSpan.FromMinutes(1)); // a minute before the seller's answer is due
        using var prepared = Deferred();
        var runs = new List<bool>();

        var refused = await Assert.ThrowsAsync<DomainException>(() => prepared.WriteAsync(() => prepared.UseCase.RunAsync(
            new Caller(seller.Id, UserRole.Seller), dispute.Id(), (d, actor, now) =>
            {
                runs.Add(prepared.InTransaction);
                if (runs.Count == 1) app.Clock.Advance(TimeSpan.FromMinutes(2)); // the deadline passes before the lock is taken
                return d.CounterOffer(actor, now, DisputeOutcome.PartialRefund, 2_000, "Half of it back?");
            }, CancellationToken.None)));
        await prepared.Session.EndAsync();

        // Under the lock the missed deadline fires first (a full refund), and the late offer is refused, rolled back with it:
        // the next sweep carries the deadline out, once.
        Assert.Equal([false, true], runs);
        Assert.Equal(RefusalKind.WrongState, refused.Kind);
        await app.AdvanceAndSweep(TimeSpan.Zero);
        var resolved = await Get(buyer, dispute.Id());
        Assert.Equal("full_refund", resolved.Outcome());
        Assert.DoesNotContain(resolved.Timeline(), e => e.Event.Contains("offer", StringComparison.Ordinal));
        Assert.Single(await app.Entries(orderId, "dispute_refund"));
        await app.AssertLedgerOk();
    }

    // Only SQLite stages its writes for the group commit; on PostgreSQL each request writes in its own transaction, and
    // the steps race on the order's row lock (DisputeRaceTests).
    [Fact]
    [Trait("Database", "SQLite")]
    public async Task A_dispute_opened_and_accepted_through_the_api_is_each_time_worked_out_ahead_of_the_lock_and_written_by_the_group_commit()
    {
        var (buyer, seller, orderId) = await app.OrderIn("awaiting_delivery", amount: 8_000);
        var before = await GroupCommitted(app);

        var dispute = await OpenOk(buyer, orderId);
        await PostOk(seller, dispute.Id(), "accept");

        Assert.Equal((before.Written + 2, before.Refused), await GroupCommitted(app)); // neither done again under the lock
        Assert.Equal("full_refund", (await Get(buyer, dispute.Id())).Outcome());
        Assert.Single(await app.Entries(orderId, "dispute_refund"));
        await app.AssertLedgerOk();
    }

    [Fact]
    [Trait("Database", "SQLite")]
    public async Task An_acceptance_and_a_withdrawal_of_one_dispute_in_one_group_commit_leave_one_winner_and_a_refund_only_if_the_acceptance_won()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 8_000);

        var answers = await InOneGroupCommit(app, 2, () => Post(seller, dispute.Id(), "accept"), () => Post(buyer, dispute.Id(), "withdraw"));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], answers.Select(a => a.StatusCode).Order().ToList());
        var status = (await Get(buyer, dispute.Id()))["status"]!.GetValue<string>();
        Assert.Contains(status, new[] { "resolved", "withdrawn" });
        Assert.Equal(status == "resolved" ? 1 : 0, (await app.Entries(orderId, "dispute_refund")).Count);
        await app.AssertLedgerOk();
    }
}
