using System.Net;
using System.Net.Http.Json;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>Every path of a dispute through the API, and the journal entry each outcome posts, to the unit.</summary>
public sealed class DisputeLifecycleTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task Opening_a_dispute_freezes_the_order_and_the_order_shows_it()
    {
        var (buyer, seller, orderId) = await app.OrderIn("awaiting_delivery");
        Assert.Contains("open_dispute", (await Api.GetOrder(buyer, orderId)).Actions());

        var dispute = await OpenOk(buyer, orderId, "not_as_described", "partial_refund", 2_500);

        Assert.Equal("awaiting_seller_response", dispute.Status());
        Assert.Equal("not_as_described", dispute["reason"]!.GetValue<string>());
        Assert.Equal("partial_refund", dispute["requestedOutcome"]!.GetValue<string>());
        Assert.Equal(2_500, dispute.Amount("requestedAmount"));
        Assert.Equal(app.Now.AddDays(5), dispute["deadlines"]!["sellerResponseBy"]!.GetValue<DateTimeOffset>());
        Assert.Equal(app.Now.AddDays(15), dispute["deadlines"]!["escalatesAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal([("buyer", "opened")], dispute.Timeline());
        Assert.Contains("withdraw", dispute.Actions());
        var order = await Api.GetOrder(buyer, orderId);
        Assert.Equal(dispute.Id(), order["dispute"]!.Id());
        Assert.Equal("awaiting_seller_response", order["dispute"]!["status"]!.GetValue<string>());
        Assert.DoesNotContain("confirm_receipt", order.Actions());
        Assert.DoesNotContain("open_dispute", order.Actions());
        Assert.Empty(order["deadlines"]!.AsObject()); // the order's clock is paused
        Assert.Equal(["accept", "counter_offer", "reject", "add_evidence", "send_message"], (await Get(seller, dispute.Id())).Actions());
        await Api.ExpectProblem(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/confirm-receipt", null), HttpStatusCode.Conflict, "invalid_state");
        Assert.Equal(1, await app.Notifications(seller.Id, "dispute_opened"));
    }

    [Fact]
    public async Task The_seller_accepting_a_full_refund_returns_the_total_to_the_card_and_closes_the_order()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 12_345);
        var refunds = app.Payments.CountSucceeded("refund");

        var resolved = await PostOk(seller, dispute.Id(), "accept");

        Assert.Equal("resolved", resolved.Status());
        Assert.Equal("full_refund", resolved.Outcome());
        Assert.Equal(12_345, resolved.Amount("refundAmount"));
        Assert.Empty(resolved.Actions());
        var entry = Assert.Single(await app.Entries(orderId, "dispute_refund"));
        Assert.Equal(new Dictionary<string, long> { ["Escrow"] = -12_345, ["RefundsOwed"] = 12_345 }, entry);
        await app.SendPayments(); // the instruction the settlement wrote, sent after its commit
        // Other tests' refunds in this app may be sent by the same call: count this order's.
        Assert.True(app.Payments.CountSucceeded("refund") >= refunds + 1);
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var sent = db.PaymentInstructions.Where(i => i.OrderId == orderId && i.Kind == Safehold.Domain.Payments.InstructionKind.Refund).ToList();
            Assert.Equal((12_345, Safehold.Domain.Payments.InstructionStatus.Succeeded), (Assert.Single(sent).Amount, sent[0].Status));
        }
        var order = await Api.GetOrder(buyer, orderId);
        Assert.Equal("closed", order.Status());
        Assert.Equal("full_refund", order["dispute"]!["outcome"]!.GetValue<string>());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task An_accepted_partial_refund_splits_escrow_between_buyer_seller_and_commission_to_the_unit()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 10_001);
        var offered = await PostOk(seller, dispute.Id(), "counter-offer", new { outcome = "partial_refund", amount = Usd(3_333), message = "A third back for the scratch." });
        Assert.Equal("awaiting_buyer_response", offered.Status());
        Assert.Equal(3_333, offered["offers"]![0]!.Amount("amount"));
        Assert.Equal(app.Now.AddDays(7), offered["deadlines"]!["buyerResponseBy"]!.GetValue<DateTimeOffset>());

        var resolved = await PostOk(buyer, dispute.Id(), "accept-offer");

        Assert.Equal("partial_refund", resolved.Outcome());
        var entry = Assert.Single(await app.Entries(orderId, "dispute_partial_refund"));
        // 6,668 released: 5% commission is 333.4, rounded half up to 333; the seller gets 6,335.
        Assert.Equal(new Dictionary<string, long> { ["Escrow"] = -10_001, ["RefundsOwed"] = 3_333, ["SellerPending"] = 6_335, ["PlatformCommission"] = 333 }, entry);
        Assert.Equal("completed", (await Api.GetOrder(buyer, orderId)).Status());
        var balance = await Api.Json(await seller.Http.GetAsync("/api/v1/balance"));
        Assert.Equal(6_335, balance["balances"]![0]!["pending"]!.GetValue<long>());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_return_and_refund_refunds_in_full_once_the_seller_confirms_the_item_is_back()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 8_000, outcome: "return_and_refund", reason: "wrong_item");
        var id = dispute.Id();

        var agreed = await PostOk(seller, id, "accept");
        Assert.Equal("awaiting_return_shipment", agreed.Status());
        Assert.Equal(app.Now.AddDays(10), agreed["deadlines"]!["returnShipBy"]!.GetValue<DateTimeOffset>());
        Assert.Equal(1, await app.Notifications(buyer.Id, "dispute_return_requested"));
        await Api.ExpectProblem(await Post(seller, id, "confirm-return"), HttpStatusCode.Conflict, "invalid_state");

        var shipped = await PostOk(buyer, id, "return-shipment", new { carrier = "DHL", trackingNumber = "RET123" });
        Assert.Equal("awaiting_return_receipt", shipped.Status());
        Assert.Equal("RET123", shipped["returnShipment"]!["trackingNumber"]!.GetValue<string>());
        Assert.Equal(app.Now.AddDays(15), shipped["deadlines"]!["returnReceiptBy"]!.GetValue<DateTimeOffset>());

        var resolved = await PostOk(seller, id, "confirm-return");

        Assert.Equal("full_refund", resolved.Outcome());
        Assert.Equal(8_000, resolved.Amount("refundAmount"));
        Assert.Equal(new Dictionary<string, long> { ["Escrow"] = -8_000, ["RefundsOwed"] = 8_000 }, Assert.Single(await app.Entries(orderId, "dispute_refund")));
        Assert.Equal("closed", (await Api.GetOrder(buyer, orderId)).Status());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_rejection_escalated_is_decided_by_an_arbiter_and_settles_when_the_appeal_window_closes()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 20_000);
        var id = dispute.Id();
        var arbiter = await app.NewUser("arbiter");
        await Api.ExpectStatus(await arbiter.Http.GetAsync($"/api/v1/disputes/{id}"), HttpStatusCode.NotFound); // not escalated yet

        var rejected = await PostOk(seller, id, "reject", new { reason = "It left here intact." });
        Assert.Equal("It left here intact.", rejected["rejectionReason"]!.GetValue<string>());
        Assert.Contains("escalate", (await Get(seller, id)).Actions());
        var escalated = await PostOk(buyer, id, "escalate");
        Assert.Equal("under_review", escalated.Status());
        Assert.Equal(app.Now.AddDays(7), escalated["deadlines"]!["decisionDueAt"]!.GetValue<DateTimeOffset>());
        var seen = await Get(arbiter, id);
        Assert.Equal(["decision", "add_evidence", "send_message"], seen.Actions());
        Assert.Equal("Test product", seen["order"]!["items"]![0]!["listing"]!["title"]!.GetValue<string>());

        var decided = await PostOk(arbiter, id, "decision", new { outcome = "released_to_seller", rationale = "The photos show it intact." });

        Assert.Equal("resolved", decided.Status());
        Assert.Equal("released_to_seller", decided.Outcome());
        Assert.Equal(app.Now.AddDays(30), decided["deadlines"]!["appealBy"]!.GetValue<DateTimeOffset>());
        Assert.Contains("appeal", (await Get(buyer, id)).Actions());
        Assert.Empty(await app.Entries(orderId, "release")); // nothing moves while it can be appealed

        await app.AdvanceAndSweep(TimeSpan.FromDays(30));

        var settled = await Get(buyer, id);
        Assert.NotNull(settled["settledAt"]);
        Assert.Empty(settled.Actions());
        Assert.Equal(new Dictionary<string, long> { ["Escrow"] = -20_000, ["SellerPending"] = 19_000, ["PlatformCommission"] = 1_000 },
            Assert.Single(await app.Entries(orderId, "release")));
        Assert.Equal("completed", (await Api.GetOrder(buyer, orderId)).Status());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task An_appeal_goes_to_a_different_arbiter_whose_decision_settles_at_once()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 10_000);
        var id = dispute.Id();
        var first = await app.NewUser("arbiter");
        var second = await app.NewUser("arbiter");
        await PostOk(seller, id, "reject", new { reason = "No." });
        await PostOk(seller, id, "escalate");
        await PostOk(first, id, "decision", new { outcome = "released_to_seller", rationale = "Not shown to be damaged." });

        var appealed = await PostOk(buyer, id, "appeal", new { reason = "Here is the courier's damage report." });
        Assert.Equal("under_review", appealed.Status());
        Assert.Null(appealed.Outcome());
        await Api.ExpectProblem(await Post(buyer, id, "appeal", new { reason = "Again" }), HttpStatusCode.Conflict, "invalid_state");
        Assert.DoesNotContain("decision", (await Get(first, id)).Actions());
        await Api.ExpectProblem(await Post(first, id, "decision", new { outcome = "full_refund", rationale = "Changed my mind." }),
            HttpStatusCode.UnprocessableEntity, "appeal_needs_another_arbiter");

        var final = await PostOk(second, id, "decision", new { outcome = "partial_refund", refundAmount = Usd(4_000), rationale = "Damaged in part." });

        Assert.Equal("partial_refund", final.Outcome());
        Assert.NotNull(final["settledAt"]);
        Assert.Equal(second.Id, Guid.Parse(final["appeal"]!["decision"]!["arbiterId"]!.GetValue<string>()));
        await Api.ExpectProblem(await Post(seller, id, "appeal", new { reason = "Once more" }), HttpStatusCode.UnprocessableEntity, "already_appealed");
        Assert.Equal(new Dictionary<string, long> { ["Escrow"] = -10_000, ["RefundsOwed"] = 4_000, ["SellerPending"] = 5_700, ["PlatformCommission"] = 300 },
            Assert.Single(await app.Entries(orderId, "dispute_partial_refund")));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_decision_cannot_be_appealed_once_its_30_days_are_over()
    {
        var (buyer, seller, _, dispute) = await app.Disputed();
        var id = dispute.Id();
        await PostOk(seller, id, "reject", new { reason = "No." });
        await PostOk(buyer, id, "escalate");
        await PostOk(await app.NewUser("arbiter"), id, "decision", new { outcome = "released_to_seller", rationale = "Not shown." });

        await app.AdvanceAndSweep(TimeSpan.FromDays(30));

        await Api.ExpectProblem(await Post(buyer, id, "appeal", new { reason = "Late" }), HttpStatusCode.UnprocessableEntity, "appeal_window_closed");
        Assert.Equal("resolved", (await Get(buyer, id)).Status());
    }

    [Fact]
    public async Task A_withdrawn_dispute_lets_the_order_continue_with_the_protection_time_it_had_left()
    {
        var (buyer, _, orderId) = await app.OrderIn("awaiting_delivery");
        var protectionEnds = (await Api.GetOrder(buyer, orderId))["deadlines"]!["protectionEndsAt"]!.GetValue<DateTimeOffset>();
        var dispute = await OpenOk(buyer, orderId);
        await app.AdvanceAndSweep(TimeSpan.FromDays(3));

        var withdrawn = await PostOk(buyer, dispute.Id(), "withdraw");

        Assert.Equal("withdrawn", withdrawn.Status());
        Assert.Empty(withdrawn["deadlines"]!.AsObject());
        var order = await Api.GetOrder(buyer, orderId);
        Assert.Equal("awaiting_delivery", order.Status());
        Assert.Equal(protectionEnds.AddDays(3), order["deadlines"]!["protectionEndsAt"]!.GetValue<DateTimeOffset>());
        Assert.Contains("confirm_receipt", order.Actions());
        Assert.Equal("withdrawn", order["dispute"]!["status"]!.GetValue<string>());
        await Api.ExpectProblem(await Post(buyer, dispute.Id(), "withdraw"), HttpStatusCode.Conflict, "invalid_state");
    }

    [Fact]
    public async Task A_dispute_after_completion_takes_the_refund_from_the_sellers_pending_credit_and_keeps_it_frozen_meanwhile()
    {
        var (buyer, seller, orderId) = await app.OrderIn("completed", amount: 10_000);
        var dispute = await OpenOk(buyer, orderId, "counterfeit", "partial_refund", 5_000);
        await app.AdvanceAndSweep(TimeSpan.FromDays(4.5)); // the seller is reminded; nothing else is due
        Assert.Equal(1, await app.Notifications(seller.Id, "dispute_response_reminder"));
        await app.AdvanceAndSweep(TimeSpan.FromDays(12)); // past the post-completion window: the credit stays pending while the dispute is open
        var balance = await Api.Json(await seller.Http.GetAsync("/api/v1/balance"));
        Assert.Equal(0, balance["balances"]![0]!["available"]!.GetValue<long>());

        var resolved = await Get(buyer, dispute.Id()); // the seller's 5 days ran out: the buyer's request was carried out
        Assert.Equal("partial_refund", resolved.Outcome());
        Assert.Contains(("system", "seller_response_missed"), resolved.Timeline());
        // 9,500 credited at completion; now 5,000 released: 4,750 to the seller and 250 commission.
        Assert.Equal(new Dictionary<string, long> { ["SellerPending"] = -4_750, ["PlatformCommission"] = -250, ["RefundsOwed"] = 5_000 },
            Assert.Single(await app.Entries(orderId, "dispute_partial_refund")));
        await app.AssertLedgerOk();

        // The window resumed with the 15 days it had left when the dispute opened: then the rest becomes available.
        await app.AdvanceAndSweep(TimeSpan.FromDays(20) - TimeSpan.FromDays(16.5) - TimeSpan.FromMinutes(1));
        Assert.Equal(0, (await Api.Json(await seller.Http.GetAsync("/api/v1/balance")))["balances"]![0]!["available"]!.GetValue<long>());
        await app.AdvanceAndSweep(TimeSpan.FromMinutes(1));
        var after = (await Api.Json(await seller.Http.GetAsync("/api/v1/balance")))["balances"]![0]!;
        Assert.Equal(4_750, after["available"]!.GetValue<long>());
        Assert.Equal(0, after["pending"]!.GetValue<long>());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task Both_parties_and_the_arbiter_once_escalated_write_in_the_dispute_thread()
    {
        var (buyer, seller, _, dispute) = await app.Disputed();
        var id = dispute.Id();
        var arbiter = await app.NewUser("arbiter");
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/disputes/{id}/messages", new { body = "Photos attached." }), HttpStatusCode.Created);
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        await Api.ExpectStatus(await seller.Http.PostAsJsonAsync($"/api/v1/disputes/{id}/messages", new { body = "Looking into it." }), HttpStatusCode.Created);
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        await PostOk(seller, id, "reject", new { reason = "Intact." });
        await PostOk(seller, id, "escalate");
        await Api.ExpectStatus(await arbiter.Http.PostAsJsonAsync($"/api/v1/disputes/{id}/messages", new { body = "Please send the box." }), HttpStatusCode.Created);

        var thread = await Api.ItemsOf(buyer, $"/api/v1/disputes/{id}/messages");

        Assert.Equal(["buyer", "seller", "arbiter"], thread.Select(m => m!["party"]!.GetValue<string>()));
        Assert.Equal(3, (await Get(arbiter, id))["messages"]!.AsArray().Count);
        await Api.ExpectProblem(await buyer.Http.PostAsJsonAsync($"/api/v1/disputes/{id}/messages", new { body = " " }), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await app.Admin.PostAsJsonAsync($"/api/v1/disputes/{id}/messages", new { body = "hi" }), HttpStatusCode.Forbidden, "action_not_allowed");
    }

    [Fact]
    public async Task The_buyer_and_the_seller_write_to_each_other_about_an_order_and_nobody_else_reads_it()
    {
        var (buyer, seller, orderId) = await app.OrderIn("awaiting_shipment");
        var stranger = await app.NewUser("buyer");
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/messages", new { body = "Gift wrap, please." }), HttpStatusCode.Created);
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        await Api.ExpectStatus(await seller.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/messages", new { body = "Will do." }), HttpStatusCode.Created);

        var thread = await Api.ItemsOf(seller, $"/api/v1/orders/{orderId}/messages");

        Assert.Equal(["Gift wrap, please.", "Will do."], thread.Select(m => m!["body"]!.GetValue<string>()));
        Assert.Equal(1, await app.Notifications(seller.Id, "order_message"));
        await Api.ExpectProblem(await stranger.Http.GetAsync($"/api/v1/orders/{orderId}/messages"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await stranger.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/messages", new { body = "hi" }), HttpStatusCode.NotFound, "not_found");
    }
}
