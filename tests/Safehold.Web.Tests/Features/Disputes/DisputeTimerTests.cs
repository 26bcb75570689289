using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>Every timer of a dispute (SPEC 3), driven by the fake clock, the sweeper, the sandbox clock and late requests.</summary>
public sealed class DisputeTimerTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task A_seller_who_does_not_answer_within_5_days_is_reminded_a_day_before_and_then_the_buyers_request_is_carried_out()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 9_000);
        var id = dispute.Id();

        await app.AdvanceAndSweep(TimeSpan.FromDays(4) - TimeSpan.FromMinutes(1));
        Assert.Equal(0, await app.Notifications(seller.Id, "dispute_response_reminder"));
        await app.AdvanceAndSweep(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await app.Notifications(seller.Id, "dispute_response_reminder"));
        await app.AdvanceAndSweep(TimeSpan.FromDays(1) - TimeSpan.FromMinutes(1));
        Assert.Equal("awaiting_seller_response", (await Get(buyer, id)).Status());

        await app.AdvanceAndSweep(TimeSpan.FromMinutes(1));

        var resolved = await Get(buyer, id);
        Assert.Equal("resolved", resolved.Status());
        Assert.Equal("full_refund", resolved.Outcome());
        Assert.Equal(("system", "seller_response_missed"), resolved.Timeline()[^1]);
        Assert.Equal(new Dictionary<string, long> { ["Escrow"] = -9_000, ["RefundsOwed"] = 9_000 }, Assert.Single(await app.Entries(orderId, "dispute_refund")));
        Assert.Equal("closed", (await Api.GetOrder(buyer, orderId)).Status());
        Assert.Equal(1, await app.Notifications(buyer.Id, "dispute_resolved"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_buyer_who_does_not_answer_an_offer_within_7_days_sees_the_dispute_escalated()
    {
        var (buyer, seller, _, dispute) = await app.Disputed();
        var id = dispute.Id();
        await PostOk(seller, id, "counter-offer", new { outcome = "partial_refund", amount = Usd(1_000), message = "Ten dollars back?" });

        await app.AdvanceAndSweep(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1));
        Assert.Equal("awaiting_buyer_response", (await Get(buyer, id)).Status());
        await app.AdvanceAndSweep(TimeSpan.FromMinutes(1));

        var escalated = await Get(buyer, id);
        Assert.Equal("under_review", escalated.Status());
        Assert.Equal(("system", "buyer_response_missed"), escalated.Timeline()[^1]);
        Assert.Equal(1, await app.Notifications(seller.Id, "dispute_escalated"));
    }

    [Fact]
    public async Task Either_party_may_escalate_once_the_seller_has_answered()
    {
        var (buyer, seller, _, dispute) = await app.Disputed();
        var id = dispute.Id();
        await Api.ExpectProblem(await Post(buyer, id, "escalate"), HttpStatusCode.Conflict, "invalid_state");
        await PostOk(seller, id, "counter-offer", new { outcome = "return_and_refund", message = "Send it back first." });

        var escalated = await PostOk(buyer, id, "escalate");

        Assert.Equal("under_review", escalated.Status());
        Assert.Equal(("buyer", "escalated"), escalated.Timeline()[^1]);
    }

    [Fact]
    public async Task A_dispute_still_without_agreement_15_days_after_opening_is_escalated()
    {
        // With the default days the seller's 5 and the buyer's 7 always run out first; a seller's deadline held back
        // (as a refused refund postpones it) leaves the 15-day rule to act.
        var (buyer, _, _, dispute) = await app.Disputed();
        var id = dispute.Id();
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.DisputeTimers.Where(t => t.DisputeId == id && t.Kind == Safehold.Domain.Disputes.DisputeTimerKind.SellerResponse)
                .ExecuteUpdateAsync(u => u.SetProperty(t => t.DueAt, app.Now.AddDays(20)));
        }

        await app.AdvanceAndSweep(TimeSpan.FromDays(15) - TimeSpan.FromMinutes(1));
        Assert.Equal("awaiting_seller_response", (await Get(buyer, id)).Status());
        await app.AdvanceAndSweep(TimeSpan.FromMinutes(1));

        var escalated = await Get(buyer, id);
        Assert.Equal("under_review", escalated.Status());
        Assert.Equal(("system", "no_agreement"), escalated.Timeline()[^1]);
        Assert.Equal(["decisionDueAt"], escalated["deadlines"]!.AsObject().Select(d => d.Key));
    }

    [Fact]
    public async Task An_item_not_shipped_back_within_10_days_releases_the_money_to_the_seller()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 10_000, outcome: "return_and_refund");
        await PostOk(seller, dispute.Id(), "accept");

        await app.AdvanceAndSweep(TimeSpan.FromDays(10));

        var resolved = await Get(buyer, dispute.Id());
        Assert.Equal("released_to_seller", resolved.Outcome());
        Assert.Equal(("system", "return_not_shipped"), resolved.Timeline()[^1]);
        Assert.Equal(new Dictionary<string, long> { ["Escrow"] = -10_000, ["SellerPending"] = 9_500, ["PlatformCommission"] = 500 },
            Assert.Single(await app.Entries(orderId, "release")));
        Assert.Equal("completed", (await Api.GetOrder(buyer, orderId)).Status());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_seller_who_does_not_confirm_a_returned_item_within_15_days_is_reminded_and_then_the_buyer_is_refunded_in_full()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 7_000, outcome: "return_and_refund");
        await PostOk(seller, dispute.Id(), "accept");
        await PostOk(buyer, dispute.Id(), "return-shipment", new { carrier = "UPS", trackingNumber = "1Z1" });

        await app.AdvanceAndSweep(TimeSpan.FromDays(14));
        Assert.Equal(1, await app.Notifications(seller.Id, "dispute_return_reminder"));
        Assert.Equal("awaiting_return_receipt", (await Get(buyer, dispute.Id())).Status());
        await app.AdvanceAndSweep(TimeSpan.FromDays(1));

        var resolved = await Get(buyer, dispute.Id());
        Assert.Equal("full_refund", resolved.Outcome());
        Assert.Equal(("system", "return_receipt_missed"), resolved.Timeline()[^1]);
        Assert.Single(await app.Entries(orderId, "dispute_refund"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_late_answer_finds_the_deadline_carried_out_first_and_the_refund_is_made_once()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 5_000);
        var refunds = app.Payments.CountSucceeded("refund");
        app.Clock.Advance(TimeSpan.FromDays(5)); // no sweep

        await Api.ExpectProblem(await Post(seller, dispute.Id(), "reject", new { reason = "Too late?" }), HttpStatusCode.Conflict, "invalid_state");
        await Api.ExpectProblem(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/confirm-receipt", null), HttpStatusCode.Conflict, "invalid_state");

        // Each refused request rolled back, the deadline's step with it; the sweeper then carries it out, and the
        // provider, asked again under the same key, refunds once.
        Assert.Equal(2, await app.AdvanceAndSweep(TimeSpan.Zero)); // the day-4 reminder and the deadline
        var resolved = await Get(buyer, dispute.Id());
        Assert.Equal(("system", "seller_response_missed"), resolved.Timeline()[^1]);
        Assert.Single(await app.Entries(orderId, "dispute_refund"));
        Assert.Equal(refunds + 1, app.Payments.CountSucceeded("refund"));
        Assert.Equal("closed", (await Api.GetOrder(buyer, orderId)).Status());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task The_sandbox_clock_runs_the_dispute_timers_that_fall_due()
    {
        var (buyer, _, orderId, dispute) = await app.Disputed(amount: 4_000, outcome: "partial_refund", requested: 1_500);

        var advanced = await app.Admin.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { days = 5 });
        await Api.ExpectStatus(advanced, HttpStatusCode.OK);

        Assert.Equal("partial_refund", (await Get(buyer, dispute.Id())).Outcome());
        Assert.Single(await app.Entries(orderId, "dispute_partial_refund"));
        await app.AssertLedgerOk();
    }
}
