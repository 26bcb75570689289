using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using static Safehold.Domain.Tests.Disputes.TestDisputes;

namespace Safehold.Domain.Tests.Disputes;

/// <summary>The dispute aggregate: what it records, what it refuses, and who may decide it.</summary>
public sealed class DisputeTests
{
    private static readonly DateTimeOffset AnsweredAt = OpenedAt.AddDays(1);
    private static readonly DateTimeOffset EscalatedAt = OpenedAt.AddDays(2);
    private static readonly DateTimeOffset DecidedAt = OpenedAt.AddDays(3);

    private static (Order Order, Dispute Dispute) UnderReview()
    {
        var (order, dispute) = Open();
        dispute.Reject(SellerOf(dispute), AnsweredAt, "It was fine when it left.");
        dispute.Escalate(SellerOf(dispute), EscalatedAt);
        return (order, dispute);
    }

    private static (Order Order, Dispute Dispute) Decided(Guid arbiter)
    {
        var (order, dispute) = UnderReview();
        dispute.Decide(DisputeActor.Arbiter(arbiter), DecidedAt, DisputeOutcome.PartialRefund, 4000, "Partly damaged.");
        return (order, dispute);
    }

    [Fact]
    public void A_buyer_cannot_withdraw_an_appealed_decision_to_escape_it()
    {
        var (_, dispute) = Decided(ArbiterA);
        dispute.Appeal(SellerOf(dispute), DecidedAt.AddDays(1), "The damage was in transit, not mine.");

        var refused = Assert.Throws<DomainException>(() => dispute.Withdraw(BuyerOf(dispute), DecidedAt.AddDays(2)));

        Assert.Equal("decision_made", refused.Code);
        Assert.Equal(DisputeStatus.UnderReview, dispute.Status);
        Assert.DoesNotContain("withdraw", DisputeProcess.ActionsFor(dispute, DisputeParty.Buyer, NowOf(dispute)));
    }

    [Fact]
    public void A_return_and_refund_decision_can_be_appealed_while_the_item_is_on_its_way_back_and_only_once()
    {
        var (_, dispute) = UnderReview();
        dispute.Decide(DisputeActor.Arbiter(ArbiterA), DecidedAt, DisputeOutcome.ReturnAndRefund, null, "Send it back.");
        Assert.Equal(DisputeStatus.AwaitingReturnShipment, dispute.Status);
        Assert.Contains("appeal", DisputeProcess.ActionsFor(dispute, DisputeParty.Seller, NowOf(dispute)));

        dispute.Appeal(SellerOf(dispute), DecidedAt.AddDays(2), "The item was as described.");

        Assert.Equal(DisputeStatus.UnderReview, dispute.Status);
        Assert.DoesNotContain(dispute.Timers, t => t.Kind == DisputeTimerKind.ReturnShipment);
        var second = Assert.Throws<DomainException>(() =>
        {
            dispute.Decide(DisputeActor.Arbiter(ArbiterB), DecidedAt.AddDays(3), DisputeOutcome.ReturnAndRefund, null, "Still send it back.");
            dispute.Appeal(BuyerOf(dispute), DecidedAt.AddDays(4), "Again.");
        });
        Assert.Equal("already_appealed", second.Code);
    }

    [Fact]
    public void An_agreed_return_is_not_an_appealable_decision()
    {
        var (_, dispute) = Open(DisputeOutcome.ReturnAndRefund);
        dispute.Accept(SellerOf(dispute), AnsweredAt);

        Assert.Equal(DisputeStatus.AwaitingReturnShipment, dispute.Status);
        Assert.Equal("invalid_state", Assert.Throws<DomainException>(() => dispute.Appeal(BuyerOf(dispute), AnsweredAt.AddDays(1), "Hm.")).Code);
    }

    [Fact]
    public void Opening_records_the_reason_the_request_and_the_description()
    {
        var (_, dispute) = Open(DisputeOutcome.PartialRefund, 2500, DisputeReason.MissingParts);

        Assert.Equal(DisputeStatus.AwaitingSellerResponse, dispute.Status);
        Assert.Equal((DisputeReason.MissingParts, DisputeOutcome.PartialRefund, (long?)2500, "Arrived with a cracked screen."),
            (dispute.Reason, dispute.RequestedOutcome, dispute.RequestedAmount, dispute.Description));
        Assert.Equal(OpenedAt, dispute.OpenedAt);
        Assert.True(dispute.IsOpen);
        var opened = Assert.Single(dispute.Timeline);
        Assert.Equal(("opened", DisputeParty.Buyer, (Guid?)dispute.BuyerId, OpenedAt, "missing_parts: partial_refund 2500"),
            (opened.Kind, opened.Actor, opened.ActorUserId, opened.At, opened.Detail));
    }

    [Fact]
    public void A_dispute_needs_a_description()
    {
        var order = Orders.TestOrders.Shipped(Orders.TestOrders.Paid(Orders.TestOrders.PlaceOne(), T0Plus(1)), ShippedAt);

        var error = Assert.Throws<DomainException>(() =>
            order.OpenDispute(Orders.TestOrders.Buyer(order), OpenedAt, Guid.NewGuid(), DisputeReason.Damaged, DisputeOutcome.FullRefund, null, "  ", new DisputeTerms()));

        Assert.Equal(("validation_failed", RefusalKind.Invalid), (error.Code, error.Kind));
        Assert.Null(order.OpenDisputeId);
    }

    [Fact]
    public void Offers_record_who_made_them_when_what_they_offer_and_the_message()
    {
        var (_, dispute) = Open();

        dispute.CounterOffer(SellerOf(dispute), AnsweredAt, DisputeOutcome.PartialRefund, 1500, "15 back and keep it?");

        var offer = Assert.Single(dispute.Offers);
        Assert.Equal((1, DisputeParty.Seller, (Guid?)dispute.SellerId, AnsweredAt, DisputeOutcome.PartialRefund, (long?)1500, "15 back and keep it?"),
            (offer.Sequence, offer.By, offer.ByUserId, offer.At, offer.Outcome, offer.Amount, offer.Message));
        Assert.Same(offer, dispute.LatestOffer);
        Assert.Equal(AnsweredAt, dispute.SellerAnsweredAt);
    }

    [Theory]
    [InlineData(DisputeOutcome.PartialRefund, 0L, "amount_out_of_range")]
    [InlineData(DisputeOutcome.PartialRefund, 13000L, "amount_out_of_range")]
    [InlineData(DisputeOutcome.PartialRefund, null, "validation_failed")]
    [InlineData(DisputeOutcome.ReturnAndRefund, 100L, "validation_failed")]
    [InlineData(DisputeOutcome.FullRefund, null, "validation_failed")]
    [InlineData(DisputeOutcome.ReleasedToSeller, null, "validation_failed")]
    public void A_counter_offer_is_a_partial_refund_within_the_total_or_a_return(DisputeOutcome outcome, long? amount, string code)
    {
        var (_, dispute) = Open();
        var before = Snapshot(dispute);

        var error = Assert.Throws<DomainException>(() => dispute.CounterOffer(SellerOf(dispute), AnsweredAt, outcome, amount, "offer"));

        Assert.Equal(code, error.Code);
        Assert.Equal(before, Snapshot(dispute));
    }

    [Fact]
    public void A_rejection_needs_a_reason_and_records_it()
    {
        var (_, dispute) = Open();

        Assert.Equal("validation_failed", Assert.Throws<DomainException>(() => dispute.Reject(SellerOf(dispute), AnsweredAt, "")).Code);
        dispute.Reject(SellerOf(dispute), AnsweredAt, "Photos show no damage.");

        Assert.Equal("Photos show no damage.", dispute.RejectionReason);
        Assert.Equal(DisputeStatus.AwaitingBuyerResponse, dispute.Status);
        Assert.Empty(dispute.Offers);
    }

    [Fact]
    public void Neither_party_may_escalate_before_the_seller_has_answered()
    {
        var (_, dispute) = Open();

        Assert.Equal("invalid_state", Assert.Throws<DomainException>(() => dispute.Escalate(BuyerOf(dispute), AnsweredAt)).Code);
        Assert.Equal("invalid_state", Assert.Throws<DomainException>(() => dispute.Escalate(SellerOf(dispute), AnsweredAt)).Code);
    }

    [Theory]
    [InlineData(DisputeOutcome.FullRefund, null, 12999)]
    [InlineData(DisputeOutcome.PartialRefund, 1L, 1)]
    [InlineData(DisputeOutcome.PartialRefund, 12999L, 12999)]
    [InlineData(DisputeOutcome.ReleasedToSeller, null, 0)]
    public void An_arbiter_decides_any_outcome_with_a_rationale(DisputeOutcome outcome, long? amount, long refund)
    {
        var (_, dispute) = UnderReview();

        dispute.Decide(DisputeActor.Arbiter(ArbiterA), DecidedAt, outcome, amount, "Seen both sides.");

        Assert.Equal(DisputeStatus.Resolved, dispute.Status);
        Assert.Equal((ArbiterA, DecidedAt, outcome, amount, "Seen both sides."),
            (dispute.DecidedBy!.Value, dispute.DecidedAt!.Value, dispute.DecisionOutcome!.Value, dispute.DecisionAmount, dispute.DecisionRationale));
        Assert.Equal((outcome, refund), (dispute.Outcome!.Value, dispute.RefundAmount!.Value));
        Assert.Equal(("decided", DisputeParty.Arbiter, (Guid?)ArbiterA), (dispute.Timeline[^1].Kind, dispute.Timeline[^1].Actor, dispute.Timeline[^1].ActorUserId));
    }

    [Theory]
    [InlineData(DisputeOutcome.PartialRefund, 0L, "amount_out_of_range")]
    [InlineData(DisputeOutcome.PartialRefund, 13000L, "amount_out_of_range")]
    [InlineData(DisputeOutcome.PartialRefund, null, "validation_failed")]
    [InlineData(DisputeOutcome.ReleasedToSeller, 5L, "validation_failed")]
    public void A_decision_with_an_amount_out_of_range_is_refused(DisputeOutcome outcome, long? amount, string code)
    {
        var (_, dispute) = UnderReview();
        var before = Snapshot(dispute);

        var error = Assert.Throws<DomainException>(() => dispute.Decide(DisputeActor.Arbiter(ArbiterA), DecidedAt, outcome, amount, "why"));

        Assert.Equal(code, error.Code);
        Assert.Equal(before, Snapshot(dispute));
    }

    [Fact]
    public void A_decision_needs_a_rationale_and_an_arbiter()
    {
        var (_, dispute) = UnderReview();

        Assert.Equal("validation_failed",
            Assert.Throws<DomainException>(() => dispute.Decide(DisputeActor.Arbiter(ArbiterA), DecidedAt, DisputeOutcome.FullRefund, null, " ")).Code);
        Assert.Equal("validation_failed",
            Assert.Throws<DomainException>(() => dispute.Decide(new DisputeActor(DisputeParty.Arbiter, null), DecidedAt, DisputeOutcome.FullRefund, null, "x")).Code);
        Assert.Equal(DisputeStatus.UnderReview, dispute.Status);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_arbiter_never_decides_a_dispute_on_an_order_they_bought_or_sold(bool buyer)
    {
        var (_, dispute) = UnderReview();
        var before = Snapshot(dispute);
        var self = DisputeActor.Arbiter(buyer ? dispute.BuyerId : dispute.SellerId);

        var error = Assert.Throws<DomainException>(() => dispute.Decide(self, DecidedAt, DisputeOutcome.FullRefund, null, "Mine"));

        Assert.Equal(("arbiter_is_a_party", RefusalKind.NotAllowed), (error.Code, error.Kind));
        Assert.Equal(before, Snapshot(dispute));
    }

    [Fact]
    public void An_appeal_is_decided_by_a_different_arbiter_and_the_first_one_is_refused()
    {
        var (order, dispute) = Decided(ArbiterA);
        dispute.Appeal(SellerOf(dispute), DecidedAt.AddDays(2), "It was not damaged.");
        Assert.Equal((DisputeStatus.UnderReview, (DisputeParty?)DisputeParty.Seller), (dispute.Status, dispute.AppealedBy));
        Assert.Null(dispute.Outcome); // under review again
        var before = Snapshot(dispute);

        var refused = Assert.Throws<DomainException>(() =>
            dispute.Decide(DisputeActor.Arbiter(ArbiterA), DecidedAt.AddDays(3), DisputeOutcome.FullRefund, null, "Still damaged"));
        Assert.Equal(("appeal_needs_another_arbiter", RefusalKind.RuleRefused), (refused.Code, refused.Kind));
        Assert.Equal(before, Snapshot(dispute));

        var step = dispute.Decide(DisputeActor.Arbiter(ArbiterB), DecidedAt.AddDays(3), DisputeOutcome.ReleasedToSeller, null, "Not damaged.");

        Assert.Equal((ArbiterA, ArbiterB), (dispute.DecidedBy!.Value, dispute.AppealArbiterId!.Value));
        Assert.Equal((DisputeOutcome.PartialRefund, (long?)4000), (dispute.DecisionOutcome!.Value, dispute.DecisionAmount)); // the first decision stays on record
        Assert.Equal(new Settlement(DisputeOutcome.ReleasedToSeller, 0), step.Settle); // the appeal's decision is final at once
        Assert.Equal(DecidedAt.AddDays(3), dispute.SettledAt);
        Assert.Equal("appeal_decided", dispute.Timeline[^1].Kind);
        step.ApplyTo(order, DecidedAt.AddDays(3));
        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.Null(order.OpenDisputeId);
    }

    [Fact]
    public void The_decision_is_offered_only_to_an_arbiter_who_may_take_it()
    {
        var (_, dispute) = Decided(ArbiterA);
        dispute.Appeal(BuyerOf(dispute), DecidedAt.AddDays(1), "Look again.");

        Assert.Empty(DisputeProcess.ActionsFor(dispute, DisputeActor.Arbiter(ArbiterA), NowOf(dispute)));
        Assert.Empty(DisputeProcess.ActionsFor(dispute, DisputeActor.Arbiter(dispute.SellerId), NowOf(dispute)));
        Assert.Equal(["decision"], DisputeProcess.ActionsFor(dispute, DisputeActor.Arbiter(ArbiterB), NowOf(dispute)));
        Assert.Equal(["decision"], DisputeProcess.ActionsFor(dispute, DisputeParty.Arbiter, NowOf(dispute))); // whoever they are
    }

    [Fact]
    public void A_decision_can_be_appealed_only_within_30_days_even_before_the_sweeper_runs()
    {
        var (_, dispute) = Decided(ArbiterA);
        var before = Snapshot(dispute);

        var error = Assert.Throws<DomainException>(() => dispute.Appeal(BuyerOf(dispute), DecidedAt.AddDays(30), "Too late?"));

        Assert.Equal(("appeal_window_closed", RefusalKind.RuleRefused), (error.Code, error.Kind));
        Assert.Equal(before, Snapshot(dispute));
        dispute.Appeal(BuyerOf(dispute), DecidedAt.AddDays(30).AddTicks(-1), "Just in time.");
    }

    [Fact]
    public void An_appeal_needs_a_reason()
    {
        var (_, dispute) = Decided(ArbiterA);

        Assert.Equal("validation_failed", Assert.Throws<DomainException>(() => dispute.Appeal(BuyerOf(dispute), DecidedAt.AddDays(1), "")).Code);
        Assert.Equal(DisputeStatus.Resolved, dispute.Status);
    }

    [Fact]
    public void A_dispute_resolved_by_agreement_cannot_be_appealed()
    {
        var (_, dispute) = Open();
        dispute.Accept(SellerOf(dispute), AnsweredAt);

        var error = Assert.Throws<DomainException>(() => dispute.Appeal(SellerOf(dispute), AnsweredAt.AddDays(1), "Changed my mind"));

        Assert.Equal("invalid_state", error.Code);
    }

    [Fact]
    public void A_decided_return_goes_back_before_any_money_moves()
    {
        var (order, dispute) = UnderReview();

        var decided = dispute.Decide(DisputeActor.Arbiter(ArbiterA), DecidedAt, DisputeOutcome.ReturnAndRefund, null, "Send it back.");
        Assert.Equal((DisputeStatus.AwaitingReturnShipment, (Settlement?)null), (dispute.Status, decided.Settle));
        dispute.ShipReturn(BuyerOf(dispute), DecidedAt.AddDays(1), "UPS", "1Z");
        var received = dispute.ConfirmReturn(SellerOf(dispute), DecidedAt.AddDays(4));

        Assert.Equal(new Settlement(DisputeOutcome.FullRefund, 12999), received.Settle);
        Assert.Equal("dispute_refund", received.ApplyTo(order, DecidedAt.AddDays(4))!.Kind);
        Assert.Equal(OrderStatus.Closed, order.Status);
    }

    [Fact]
    public void A_return_shipment_needs_a_carrier_and_a_tracking_number()
    {
        var (_, dispute) = Open(DisputeOutcome.ReturnAndRefund);
        dispute.Accept(SellerOf(dispute), AnsweredAt);

        Assert.Equal("validation_failed", Assert.Throws<DomainException>(() => dispute.ShipReturn(BuyerOf(dispute), AnsweredAt, "UPS", "")).Code);
        Assert.Equal("validation_failed", Assert.Throws<DomainException>(() => dispute.ShipReturn(BuyerOf(dispute), AnsweredAt, " ", "1Z")).Code);
        Assert.Equal(DisputeStatus.AwaitingReturnShipment, dispute.Status);
    }

    [Fact]
    public void The_timeline_records_every_step_with_who_did_it_and_when()
    {
        var (order, dispute) = Open(DisputeOutcome.ReturnAndRefund);
        dispute.CounterOffer(SellerOf(dispute), AnsweredAt, DisputeOutcome.PartialRefund, 2000, "20 back?");
        dispute.Escalate(BuyerOf(dispute), EscalatedAt);
        dispute.Decide(DisputeActor.Arbiter(ArbiterA), DecidedAt, DisputeOutcome.PartialRefund, 6000, "Meet in the middle.");
        dispute.Appeal(SellerOf(dispute), DecidedAt.AddDays(1), "Too much.");
        dispute.Decide(DisputeActor.Arbiter(ArbiterB), DecidedAt.AddDays(2), DisputeOutcome.PartialRefund, 5000, "A little less.")
            .ApplyTo(order, DecidedAt.AddDays(2));

        Assert.Equal(
            [
                ("opened", DisputeParty.Buyer, (Guid?)dispute.BuyerId, OpenedAt),
                ("offer_made", DisputeParty.Seller, dispute.SellerId, AnsweredAt),
                ("escalated", DisputeParty.Buyer, dispute.BuyerId, EscalatedAt),
                ("decided", DisputeParty.Arbiter, ArbiterA, DecidedAt),
                ("appealed", DisputeParty.Seller, dispute.SellerId, DecidedAt.AddDays(1)),
                ("appeal_decided", DisputeParty.Arbiter, ArbiterB, DecidedAt.AddDays(2)),
            ],
            dispute.Timeline.Select(e => (e.Kind, e.Actor, e.ActorUserId, e.At)));
        Assert.Equal([1, 2, 3, 4, 5, 6], dispute.Timeline.Select(e => e.Sequence));
        Assert.Equal(5000, order.RefundedAmount);
        Assert.Equal(6, dispute.Version);
    }

    [Fact]
    public void The_system_fires_only_its_own_triggers()
    {
        var (_, dispute) = Open();

        var error = Assert.Throws<DomainException>(() => dispute.Fire(DisputeTrigger.Accept, AnsweredAt));

        Assert.Equal("action_not_allowed", error.Code);
    }

    private static DateTimeOffset T0Plus(int hours) => Orders.TestOrders.T0.AddHours(hours);
}
