using Safehold.Domain.Disputes;
using static Safehold.Domain.Tests.Disputes.TestDisputes;

namespace Safehold.Domain.Tests.Disputes;

/// <summary>The dispute's timers: which are pending in each state, when they are due, and what firing one does.</summary>
public sealed class DisputeTimerTests
{
    private static readonly DateTimeOffset AnsweredAt = OpenedAt.AddDays(2);

    private static Dictionary<DisputeTimerKind, DateTimeOffset> TimersOf(Dispute d) => d.Timers.ToDictionary(t => t.Kind, t => t.DueAt);

    [Fact]
    public void Opening_gives_the_seller_5_days_reminds_them_a_day_before_and_escalates_after_15()
    {
        var (_, dispute) = Open();

        Assert.Equal(new Dictionary<DisputeTimerKind, DateTimeOffset>
        {
            [DisputeTimerKind.SellerResponse] = OpenedAt.AddDays(5),
            [DisputeTimerKind.SellerResponseReminder] = OpenedAt.AddDays(4),
            [DisputeTimerKind.NoAgreement] = OpenedAt.AddDays(15),
        }, TimersOf(dispute));
        Assert.All(dispute.Timers, t => Assert.Equal(dispute.Id, t.DisputeId));
        Assert.Equal(new Dictionary<string, DateTimeOffset>
        {
            ["sellerResponseBy"] = OpenedAt.AddDays(5),
            ["escalatesAt"] = OpenedAt.AddDays(15),
        }, dispute.PendingDeadlines());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_counter_offer_or_a_rejection_gives_the_buyer_7_days_and_keeps_the_15_day_escalation(bool reject)
    {
        var (_, dispute) = Open();

        if (reject) dispute.Reject(SellerOf(dispute), AnsweredAt, "No.");
        else dispute.CounterOffer(SellerOf(dispute), AnsweredAt, DisputeOutcome.PartialRefund, 100, "A little back?");

        Assert.Equal(new Dictionary<DisputeTimerKind, DateTimeOffset>
        {
            [DisputeTimerKind.BuyerResponse] = AnsweredAt.AddDays(7),
            [DisputeTimerKind.NoAgreement] = OpenedAt.AddDays(15),
        }, TimersOf(dispute));
    }

    [Fact]
    public void Escalation_cancels_every_timer_and_sets_the_7_day_decision_target_which_never_fires()
    {
        var (_, dispute) = Open();
        dispute.Reject(SellerOf(dispute), AnsweredAt, "No.");
        var escalatedAt = AnsweredAt.AddDays(1);

        dispute.Escalate(BuyerOf(dispute), escalatedAt);

        Assert.Empty(dispute.Timers);
        Assert.Equal(escalatedAt, dispute.EscalatedAt);
        Assert.Equal(escalatedAt.AddDays(7), dispute.DecisionDueAt);
        Assert.Equal(new Dictionary<string, DateTimeOffset> { ["decisionDueAt"] = escalatedAt.AddDays(7) }, dispute.PendingDeadlines());
        Assert.False(dispute.IsDecisionOverdue(escalatedAt.AddDays(7).AddTicks(-1)));
        Assert.True(dispute.IsDecisionOverdue(escalatedAt.AddDays(7)));
    }

    [Fact]
    public void Agreeing_to_a_return_gives_the_buyer_10_days_to_ship_it_and_shipping_gives_the_seller_15_to_confirm()
    {
        var (_, dispute) = Open(DisputeOutcome.ReturnAndRefund);

        dispute.Accept(SellerOf(dispute), AnsweredAt);
        Assert.Equal(new Dictionary<DisputeTimerKind, DateTimeOffset> { [DisputeTimerKind.ReturnShipment] = AnsweredAt.AddDays(10) }, TimersOf(dispute));
        Assert.Equal(AnsweredAt, dispute.ReturnAgreedAt);

        var shippedAt = AnsweredAt.AddDays(3);
        dispute.ShipReturn(BuyerOf(dispute), shippedAt, "USPS", "9400");
        Assert.Equal(new Dictionary<DisputeTimerKind, DateTimeOffset>
        {
            [DisputeTimerKind.ReturnReceipt] = shippedAt.AddDays(15),
            [DisputeTimerKind.ReturnReceiptReminder] = shippedAt.AddDays(14),
        }, TimersOf(dispute));
        Assert.Equal(("USPS", "9400", (DateTimeOffset?)shippedAt), (dispute.ReturnCarrier, dispute.ReturnTrackingNumber, dispute.ReturnShippedAt));
    }

    [Fact]
    public void A_first_decision_opens_a_30_day_appeal_window_and_an_appeal_closes_it()
    {
        var (_, dispute) = Open();
        dispute.Fire(DisputeTrigger.NoAgreement, OpenedAt.AddDays(15));
        var decidedAt = OpenedAt.AddDays(16);

        dispute.Decide(DisputeActor.Arbiter(ArbiterA), decidedAt, DisputeOutcome.ReleasedToSeller, null, "Tracking shows delivery.");
        Assert.Equal(new Dictionary<DisputeTimerKind, DateTimeOffset> { [DisputeTimerKind.AppealWindow] = decidedAt.AddDays(30) }, TimersOf(dispute));
        Assert.Equal(new Dictionary<string, DateTimeOffset> { ["appealBy"] = decidedAt.AddDays(30) }, dispute.PendingDeadlines());

        dispute.Appeal(BuyerOf(dispute), decidedAt.AddDays(29), "The neighbour never had it.");
        Assert.Empty(dispute.Timers);
        Assert.Equal(decidedAt.AddDays(36), dispute.DecisionDueAt);
    }

    [Fact]
    public void The_seller_reminder_reminds_the_seller_and_changes_nothing_else()
    {
        var (_, dispute) = Open();
        var version = dispute.Version;

        var step = dispute.FireTimer(DisputeTimerKind.SellerResponseReminder, OpenedAt.AddDays(4));

        Assert.Equal(DisputeParty.Seller, step.Reminded);
        Assert.Null(step.Settle);
        Assert.Equal(DisputeStatus.AwaitingSellerResponse, dispute.Status);
        Assert.Equal(version + 1, dispute.Version);
        Assert.Equal(("seller_reminded", DisputeParty.System), (dispute.Timeline[^1].Kind, dispute.Timeline[^1].Actor));
        Assert.DoesNotContain(dispute.Timers, t => t.Kind == DisputeTimerKind.SellerResponseReminder);
    }

    [Fact]
    public void The_seller_is_reminded_a_day_before_the_return_must_be_confirmed()
    {
        var (_, dispute) = Open(DisputeOutcome.ReturnAndRefund);
        dispute.Accept(SellerOf(dispute), AnsweredAt);
        dispute.ShipReturn(BuyerOf(dispute), AnsweredAt.AddDays(1), "USPS", "9400");

        var step = dispute.FireTimer(DisputeTimerKind.ReturnReceiptReminder, AnsweredAt.AddDays(15));

        Assert.Equal(DisputeParty.Seller, step.Reminded);
        Assert.Equal(DisputeStatus.AwaitingReturnReceipt, dispute.Status);
        Assert.Equal([DisputeTimerKind.ReturnReceipt], dispute.Timers.Select(t => t.Kind));
    }

    [Theory]
    [InlineData(DisputeOutcome.FullRefund, null, 12999)]
    [InlineData(DisputeOutcome.PartialRefund, 4000L, 4000)]
    public void The_sellers_silence_executes_the_buyers_request(DisputeOutcome asks, long? amount, long refund)
    {
        var (_, dispute) = Open(asks, amount);

        var step = dispute.FireTimer(DisputeTimerKind.SellerResponse, OpenedAt.AddDays(5));

        Assert.Equal(DisputeStatus.Resolved, dispute.Status);
        Assert.Equal(new Settlement(asks, refund), step.Settle);
        Assert.Empty(dispute.Timers);
        Assert.Equal(("seller_response_missed", DisputeParty.System), (dispute.Timeline[^1].Kind, dispute.Timeline[^1].Actor));
    }

    [Fact]
    public void The_sellers_silence_on_a_return_request_starts_the_return()
    {
        var (_, dispute) = Open(DisputeOutcome.ReturnAndRefund);

        var step = dispute.FireTimer(DisputeTimerKind.SellerResponse, OpenedAt.AddDays(5));

        Assert.Equal(DisputeStatus.AwaitingReturnShipment, dispute.Status);
        Assert.Null(step.Settle);
        Assert.Equal([DisputeTimerKind.ReturnShipment], dispute.Timers.Select(t => t.Kind));
    }

    [Fact]
    public void The_buyers_silence_escalates()
    {
        var (_, dispute) = Open();
        dispute.Reject(SellerOf(dispute), AnsweredAt, "No.");

        var step = dispute.FireTimer(DisputeTimerKind.BuyerResponse, AnsweredAt.AddDays(7));

        Assert.Equal(DisputeStatus.UnderReview, dispute.Status);
        Assert.Equal(DisputeStep.None, step);
        Assert.Equal(new DisputeNotice(DisputeParty.Buyer | DisputeParty.Seller, "dispute_escalated"), dispute.LastTransition!.Notice);
        Assert.Equal(AnsweredAt.AddDays(14), dispute.DecisionDueAt);
    }

    [Fact]
    public void No_agreement_15_days_after_opening_escalates()
    {
        var (_, dispute) = Open();

        dispute.FireTimer(DisputeTimerKind.NoAgreement, OpenedAt.AddDays(15));

        Assert.Equal(DisputeStatus.UnderReview, dispute.Status);
        Assert.Empty(dispute.Timers);
    }

    [Fact]
    public void A_return_not_shipped_in_time_releases_the_money_to_the_seller()
    {
        var (_, dispute) = Open(DisputeOutcome.ReturnAndRefund);
        dispute.Accept(SellerOf(dispute), AnsweredAt);

        var step = dispute.FireTimer(DisputeTimerKind.ReturnShipment, AnsweredAt.AddDays(10));

        Assert.Equal(new Settlement(DisputeOutcome.ReleasedToSeller, 0), step.Settle);
        Assert.Equal(DisputeStatus.Resolved, dispute.Status);
    }

    [Fact]
    public void A_return_the_seller_does_not_confirm_in_time_refunds_in_full()
    {
        var (_, dispute) = Open(DisputeOutcome.ReturnAndRefund);
        dispute.Accept(SellerOf(dispute), AnsweredAt);
        dispute.ShipReturn(BuyerOf(dispute), AnsweredAt.AddDays(1), "USPS", "9400");

        var step = dispute.FireTimer(DisputeTimerKind.ReturnReceipt, AnsweredAt.AddDays(16));

        Assert.Equal(new Settlement(DisputeOutcome.FullRefund, 12999), step.Settle);
    }

    [Fact]
    public void A_decision_nobody_appeals_settles_when_the_window_closes()
    {
        var (_, dispute) = Open();
        dispute.Fire(DisputeTrigger.NoAgreement, OpenedAt.AddDays(15));
        var decidedAt = OpenedAt.AddDays(16);
        var step = dispute.Decide(DisputeActor.Arbiter(ArbiterA), decidedAt, DisputeOutcome.PartialRefund, 700, "Half the parts were there.");
        Assert.Null(step.Settle);

        var final = dispute.FireTimer(DisputeTimerKind.AppealWindow, decidedAt.AddDays(30));

        Assert.Equal(new Settlement(DisputeOutcome.PartialRefund, 700), final.Settle);
        Assert.Equal(decidedAt, dispute.ResolvedAt);
        Assert.Equal(decidedAt.AddDays(30), dispute.SettledAt);
        Assert.False(dispute.IsOpen);
    }

    [Fact]
    public void A_timer_fires_once()
    {
        var (_, dispute) = Open();
        dispute.FireTimer(DisputeTimerKind.SellerResponseReminder, OpenedAt.AddDays(4));
        var before = Snapshot(dispute);

        var error = Assert.Throws<DomainException>(() => dispute.FireTimer(DisputeTimerKind.SellerResponseReminder, OpenedAt.AddDays(4)));

        Assert.Equal("invalid_state", error.Code);
        Assert.Equal(before, Snapshot(dispute));
    }

    [Fact]
    public void Discarding_a_timer_removes_it_and_says_why()
    {
        var (_, dispute) = Open();

        dispute.DiscardTimer(DisputeTimerKind.NoAgreement, OpenedAt.AddDays(15), "refused: test");

        Assert.DoesNotContain(dispute.Timers, t => t.Kind == DisputeTimerKind.NoAgreement);
        Assert.Equal(("timer_discarded", "no_agreement: refused: test"), (dispute.Timeline[^1].Kind, dispute.Timeline[^1].Detail));
    }
}
