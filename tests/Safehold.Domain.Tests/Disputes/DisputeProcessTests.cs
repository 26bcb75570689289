using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using static Safehold.Domain.Tests.Disputes.TestDisputes;

namespace Safehold.Domain.Tests.Disputes;

/// <summary>
/// The dispute's process, checked against SPEC 3 written out here by hand (never read back from
/// <see cref="DisputeProcess.Table"/>): every trigger, by every party, in every state a real dispute can reach.
/// </summary>
public sealed class DisputeProcessTests
{
    /// <summary>Where a dispute is, finer than <see cref="DisputeStatus"/>: what was asked, offered and decided matters.</summary>
    private enum Stage
    {
        AsksFullRefund,
        AsksPartialRefund,
        AsksReturn,
        OfferedPartialRefund,
        OfferedReturn,
        Rejected,
        AwaitingReturn,
        ReturnDecided, // an arbiter's first decision was a return: it is carried out at once, and may be appealed meanwhile
        ReturnShipped,
        UnderReview,
        UnderAppeal,
        Decided, // resolved by a first decision; the appeal window is open and nothing has settled
        Agreed, // resolved by agreement or by a deadline, and settled
        DecidedOnAppeal, // settled
        DecisionFinal, // the appeal window closed unused; settled
        Withdrawn,
    }

    /// <summary>What the order must do after a move: settle (outcome and refund), continue, or nothing.</summary>
    private sealed record Then(DisputeOutcome? Settles = null, long Refund = 0, bool Resumes = false);

    private static readonly Then Nothing = new();
    private static readonly Then Resume = new(Resumes: true);
    private const long Total = 12999;

    private static Then Settle(DisputeOutcome outcome, long refund) => new(outcome, refund);

    private sealed record Move(Stage From, DisputeTrigger Trigger, DisputeParty Who, Stage To, Then Then);

    private static readonly Move[] Legal =
    [
        .. SellerAnswers(Stage.AsksFullRefund, Stage.Agreed, Settle(DisputeOutcome.FullRefund, Total)),
        .. SellerAnswers(Stage.AsksPartialRefund, Stage.Agreed, Settle(DisputeOutcome.PartialRefund, RequestedAmount)),
        .. SellerAnswers(Stage.AsksReturn, Stage.AwaitingReturn, Nothing),

        new(Stage.OfferedPartialRefund, DisputeTrigger.AcceptOffer, DisputeParty.Buyer, Stage.Agreed, Settle(DisputeOutcome.PartialRefund, OfferedAmount)),
        .. BuyerMayEscalate(Stage.OfferedPartialRefund),
        new(Stage.OfferedReturn, DisputeTrigger.AcceptOffer, DisputeParty.Buyer, Stage.AwaitingReturn, Nothing),
        .. BuyerMayEscalate(Stage.OfferedReturn),
        .. BuyerMayEscalate(Stage.Rejected),

        new(Stage.AwaitingReturn, DisputeTrigger.ReturnShipment, DisputeParty.Buyer, Stage.ReturnShipped, Nothing),
        new(Stage.AwaitingReturn, DisputeTrigger.ReturnNotShipped, DisputeParty.System, Stage.Agreed, Settle(DisputeOutcome.ReleasedToSeller, 0)),
        new(Stage.AwaitingReturn, DisputeTrigger.Withdraw, DisputeParty.Buyer, Stage.Withdrawn, Resume),
        new(Stage.ReturnDecided, DisputeTrigger.ReturnShipment, DisputeParty.Buyer, Stage.ReturnShipped, Nothing),
        new(Stage.ReturnDecided, DisputeTrigger.ReturnNotShipped, DisputeParty.System, Stage.Agreed, Settle(DisputeOutcome.ReleasedToSeller, 0)),
        new(Stage.ReturnDecided, DisputeTrigger.Withdraw, DisputeParty.Buyer, Stage.Withdrawn, Resume),
        new(Stage.ReturnDecided, DisputeTrigger.Appeal, DisputeParty.Buyer, Stage.UnderAppeal, Nothing),
        new(Stage.ReturnDecided, DisputeTrigger.Appeal, DisputeParty.Seller, Stage.UnderAppeal, Nothing),

        new(Stage.ReturnShipped, DisputeTrigger.ConfirmReturn, DisputeParty.Seller, Stage.Agreed, Settle(DisputeOutcome.FullRefund, Total)),
        new(Stage.ReturnShipped, DisputeTrigger.ReturnReceiptMissed, DisputeParty.System, Stage.Agreed, Settle(DisputeOutcome.FullRefund, Total)),
        new(Stage.ReturnShipped, DisputeTrigger.ReturnDelivered, DisputeParty.System, Stage.ReturnShipped, Nothing), // the carrier's scan, once

        new(Stage.UnderReview, DisputeTrigger.Decision, DisputeParty.Arbiter, Stage.Decided, Nothing),
        new(Stage.UnderReview, DisputeTrigger.Withdraw, DisputeParty.Buyer, Stage.Withdrawn, Resume),
        new(Stage.UnderAppeal, DisputeTrigger.Decision, DisputeParty.Arbiter, Stage.DecidedOnAppeal, Settle(DisputeOutcome.PartialRefund, DecidedAmount)),

        new(Stage.Decided, DisputeTrigger.Appeal, DisputeParty.Buyer, Stage.UnderAppeal, Nothing),
        new(Stage.Decided, DisputeTrigger.Appeal, DisputeParty.Seller, Stage.UnderAppeal, Nothing),
        // The first decision (by arbiter A, in the routes) was a partial refund of 1,500.
        new(Stage.Decided, DisputeTrigger.AppealWindowClosed, DisputeParty.System, Stage.DecisionFinal, Settle(DisputeOutcome.PartialRefund, 1_500)),
    ];

    /// <summary>The seller's answers to a request, and the system's when they say nothing.</summary>
    private static Move[] SellerAnswers(Stage asks, Stage accepted, Then acceptance) =>
    [
        new(asks, DisputeTrigger.Accept, DisputeParty.Seller, accepted, acceptance),
        new(asks, DisputeTrigger.CounterOffer, DisputeParty.Seller, Stage.OfferedPartialRefund, Nothing),
        new(asks, DisputeTrigger.Reject, DisputeParty.Seller, Stage.Rejected, Nothing),
        new(asks, DisputeTrigger.SellerResponseMissed, DisputeParty.System, accepted, acceptance),
        new(asks, DisputeTrigger.NoAgreement, DisputeParty.System, Stage.UnderReview, Nothing),
        new(asks, DisputeTrigger.Withdraw, DisputeParty.Buyer, Stage.Withdrawn, Resume),
    ];

    /// <summary>Once the seller has answered: either party escalates, silence escalates, the buyer may withdraw.</summary>
    private static Move[] BuyerMayEscalate(Stage answered) =>
    [
        new(answered, DisputeTrigger.Escalate, DisputeParty.Buyer, Stage.UnderReview, Nothing),
        new(answered, DisputeTrigger.Escalate, DisputeParty.Seller, Stage.UnderReview, Nothing),
        new(answered, DisputeTrigger.BuyerResponseMissed, DisputeParty.System, Stage.UnderReview, Nothing),
        new(answered, DisputeTrigger.NoAgreement, DisputeParty.System, Stage.UnderReview, Nothing),
        new(answered, DisputeTrigger.Withdraw, DisputeParty.Buyer, Stage.Withdrawn, Resume),
    ];

    /// <summary>Refusals by a rule rather than by the state; every other refusal is invalid_state or action_not_allowed.</summary>
    private static readonly Dictionary<(Stage, DisputeTrigger, DisputeParty), string> RuleRefusals = new()
    {
        // Withdrawing an appealed decision would discard it (and let the buyer open a new dispute).
        [(Stage.UnderAppeal, DisputeTrigger.Withdraw, DisputeParty.Buyer)] = "decision_made",
        [(Stage.DecidedOnAppeal, DisputeTrigger.Appeal, DisputeParty.Buyer)] = "already_appealed",
        [(Stage.DecidedOnAppeal, DisputeTrigger.Appeal, DisputeParty.Seller)] = "already_appealed",
        [(Stage.DecidedOnAppeal, DisputeTrigger.AppealWindowClosed, DisputeParty.System)] = "already_appealed",
        [(Stage.DecisionFinal, DisputeTrigger.Appeal, DisputeParty.Buyer)] = "appeal_window_closed",
        [(Stage.DecisionFinal, DisputeTrigger.Appeal, DisputeParty.Seller)] = "appeal_window_closed",
        [(Stage.DecisionFinal, DisputeTrigger.AppealWindowClosed, DisputeParty.System)] = "appeal_window_closed",
    };

    /// <summary>The buttons each party sees, by stage.</summary>
    private static readonly Dictionary<(Stage, DisputeParty), string[]> Actions = new()
    {
        [(Stage.AsksFullRefund, DisputeParty.Seller)] = ["accept", "counter_offer", "reject"],
        [(Stage.AsksFullRefund, DisputeParty.Buyer)] = ["withdraw"],
        [(Stage.AsksPartialRefund, DisputeParty.Seller)] = ["accept", "counter_offer", "reject"],
        [(Stage.AsksPartialRefund, DisputeParty.Buyer)] = ["withdraw"],
        [(Stage.AsksReturn, DisputeParty.Seller)] = ["accept", "counter_offer", "reject"],
        [(Stage.AsksReturn, DisputeParty.Buyer)] = ["withdraw"],
        [(Stage.OfferedPartialRefund, DisputeParty.Buyer)] = ["accept_offer", "escalate", "withdraw"],
        [(Stage.OfferedPartialRefund, DisputeParty.Seller)] = ["escalate"],
        [(Stage.OfferedReturn, DisputeParty.Buyer)] = ["accept_offer", "escalate", "withdraw"],
        [(Stage.OfferedReturn, DisputeParty.Seller)] = ["escalate"],
        [(Stage.Rejected, DisputeParty.Buyer)] = ["escalate", "withdraw"],
        [(Stage.Rejected, DisputeParty.Seller)] = ["escalate"],
        [(Stage.AwaitingReturn, DisputeParty.Buyer)] = ["return_shipment", "withdraw"],
        [(Stage.ReturnDecided, DisputeParty.Buyer)] = ["return_shipment", "withdraw", "appeal"],
        [(Stage.ReturnDecided, DisputeParty.Seller)] = ["appeal"],
        [(Stage.ReturnShipped, DisputeParty.Seller)] = ["confirm_return"],
        [(Stage.UnderReview, DisputeParty.Arbiter)] = ["decision"],
        [(Stage.UnderReview, DisputeParty.Buyer)] = ["withdraw"],
        [(Stage.UnderAppeal, DisputeParty.Arbiter)] = ["decision"],
        [(Stage.Decided, DisputeParty.Buyer)] = ["appeal"],
        [(Stage.Decided, DisputeParty.Seller)] = ["appeal"],
        // Everything else, and everything for the system: nothing.
    };

    private static readonly DateTimeOffset AnsweredAt = OpenedAt.AddDays(1);
    private static readonly DateTimeOffset EscalatedAt = OpenedAt.AddDays(2);
    private static readonly DateTimeOffset DecidedAt = OpenedAt.AddDays(3);
    private static readonly DateTimeOffset AppealedAt = OpenedAt.AddDays(4);
    private static readonly DateTimeOffset FinalAt = OpenedAt.AddDays(5);
    private static readonly DateTimeOffset Now = OpenedAt.AddDays(6);

    private static DisputeActor ArbiterAActor => DisputeActor.Arbiter(ArbiterA);

    /// <summary>Ways to bring a real dispute (and its order) into each stage, through their own methods.</summary>
    private static readonly Dictionary<string, (Stage Stage, Func<(Order, Dispute)> Make)> Routes = new()
    {
        ["asks_full_refund"] = (Stage.AsksFullRefund, () => Open()),
        ["asks_partial_refund"] = (Stage.AsksPartialRefund, () => Open(DisputeOutcome.PartialRefund, RequestedAmount)),
        ["asks_return"] = (Stage.AsksReturn, () => Open(DisputeOutcome.ReturnAndRefund)),
        ["asks_full_refund_not_received"] = (Stage.AsksFullRefund, () => Open(reason: DisputeReason.NotReceived)),
        ["offered_partial_refund"] = (Stage.OfferedPartialRefund,
            () => With(Open(), d => d.CounterOffer(SellerOf(d), AnsweredAt, DisputeOutcome.PartialRefund, OfferedAmount, "30 back?"))),
        ["offered_return"] = (Stage.OfferedReturn,
            () => With(Open(DisputeOutcome.PartialRefund, RequestedAmount), d => d.CounterOffer(SellerOf(d), AnsweredAt, DisputeOutcome.ReturnAndRefund, null, "Send it back"))),
        ["rejected"] = (Stage.Rejected, () => With(Open(), d => d.Reject(SellerOf(d), AnsweredAt, "Not my fault"))),
        ["return_accepted_by_seller"] = (Stage.AwaitingReturn, () => With(Open(DisputeOutcome.ReturnAndRefund), d => d.Accept(SellerOf(d), AnsweredAt))),
        ["return_by_silence"] = (Stage.AwaitingReturn,
            () => With(Open(DisputeOutcome.ReturnAndRefund), d => d.Fire(DisputeTrigger.SellerResponseMissed, OpenedAt.AddDays(5)))),
        ["return_offer_accepted"] = (Stage.AwaitingReturn, () => With(Route("offered_return"), d => d.AcceptOffer(BuyerOf(d), EscalatedAt))),
        ["return_decided"] = (Stage.ReturnDecided,
            () => With(Route("escalated"), d => d.Decide(ArbiterAActor, DecidedAt, DisputeOutcome.ReturnAndRefund, null, "Return it"))),
        ["return_shipped"] = (Stage.ReturnShipped, () => With(Route("return_accepted_by_seller"), d => d.ShipReturn(BuyerOf(d), EscalatedAt, "DHL", "JD1"))),
        ["escalated"] = (Stage.UnderReview, () => With(Route("rejected"), d => d.Escalate(BuyerOf(d), EscalatedAt))),
        ["escalated_by_seller"] = (Stage.UnderReview, () => With(Route("offered_partial_refund"), d => d.Escalate(SellerOf(d), EscalatedAt))),
        ["escalated_by_silence"] = (Stage.UnderReview, () => With(Route("rejected"), d => d.Fire(DisputeTrigger.BuyerResponseMissed, AnsweredAt.AddDays(7)))),
        ["escalated_without_agreement"] = (Stage.UnderReview, () => With(Open(), d => d.Fire(DisputeTrigger.NoAgreement, OpenedAt.AddDays(15)))),
        ["decided"] = (Stage.Decided, () => With(Route("escalated"), Decide)),
        ["under_appeal"] = (Stage.UnderAppeal, () => With(Route("decided"), d => d.Appeal(SellerOf(d), AppealedAt, "Look again"))),
        ["decided_on_appeal"] = (Stage.DecidedOnAppeal,
            () => With(Route("under_appeal"), d => d.Decide(DisputeActor.Arbiter(ArbiterB), FinalAt, DisputeOutcome.ReleasedToSeller, null, "Fine after all"))),
        ["decision_final"] = (Stage.DecisionFinal, () => With(Route("decided"), d => d.Fire(DisputeTrigger.AppealWindowClosed, DecidedAt.AddDays(30)))),
        ["accepted"] = (Stage.Agreed, () => With(Open(), d => d.Accept(SellerOf(d), AnsweredAt))),
        ["offer_accepted"] = (Stage.Agreed, () => With(Route("offered_partial_refund"), d => d.AcceptOffer(BuyerOf(d), EscalatedAt))),
        ["return_received"] = (Stage.Agreed, () => With(Route("return_shipped"), d => d.ConfirmReturn(SellerOf(d), FinalAt))),
        ["return_not_shipped"] = (Stage.Agreed, () => With(Route("return_accepted_by_seller"), d => d.Fire(DisputeTrigger.ReturnNotShipped, AnsweredAt.AddDays(10)))),
        ["withdrawn"] = (Stage.Withdrawn, () => With(Open(), d => d.Withdraw(BuyerOf(d), AnsweredAt))),
        ["withdrawn_under_review"] = (Stage.Withdrawn, () => With(Route("escalated"), d => d.Withdraw(BuyerOf(d), DecidedAt))),
    };

    private static readonly DisputeParty[] Parties = [DisputeParty.Buyer, DisputeParty.Seller, DisputeParty.Arbiter, DisputeParty.System];

    private static DisputeStep Decide(Dispute d) => d.Decide(ArbiterAActor, DecidedAt, DisputeOutcome.PartialRefund, 1_500, "Scratched, not broken");

    private static (Order, Dispute) Route(string name) => Routes[name].Make();

    /// <summary>Takes a step on the dispute and carries it out on the order, as the API will in one transaction.</summary>
    private static (Order, Dispute) With((Order Order, Dispute Dispute) od, Func<Dispute, DisputeStep> step)
    {
        step(od.Dispute).ApplyTo(od.Order, od.Dispute.Timeline[^1].At);
        return od;
    }

    private static DisputeStatus StatusOf(Stage stage) => stage switch
    {
        Stage.AsksFullRefund or Stage.AsksPartialRefund or Stage.AsksReturn => DisputeStatus.AwaitingSellerResponse,
        Stage.OfferedPartialRefund or Stage.OfferedReturn or Stage.Rejected => DisputeStatus.AwaitingBuyerResponse,
        Stage.AwaitingReturn or Stage.ReturnDecided => DisputeStatus.AwaitingReturnShipment,
        Stage.ReturnShipped => DisputeStatus.AwaitingReturnReceipt,
        Stage.UnderReview or Stage.UnderAppeal => DisputeStatus.UnderReview,
        Stage.Decided or Stage.Agreed or Stage.DecidedOnAppeal or Stage.DecisionFinal => DisputeStatus.Resolved,
        Stage.Withdrawn => DisputeStatus.Withdrawn,
        _ => throw new ArgumentOutOfRangeException(nameof(stage)),
    };

    private static bool IsSettled(Stage stage) => stage is Stage.Agreed or Stage.DecidedOnAppeal or Stage.DecisionFinal;

    public static TheoryData<string, DisputeTrigger, DisputeParty> Attempts()
    {
        var data = new TheoryData<string, DisputeTrigger, DisputeParty>();
        foreach (var route in Routes.Keys)
            foreach (var trigger in Enum.GetValues<DisputeTrigger>().Where(t => t != DisputeTrigger.Open).Except(Orders.OrderChargebackTests.DisputeTriggers))
                foreach (var party in Parties)
                    data.Add(route, trigger, party);
        return data;
    }

    public static TheoryData<string, DisputeParty> RoutesAndParties()
    {
        var data = new TheoryData<string, DisputeParty>();
        foreach (var route in Routes.Keys)
            foreach (var party in Parties)
                data.Add(route, party);
        return data;
    }

    [Theory]
    [MemberData(nameof(Attempts))]
    public void Every_trigger_by_every_party_in_every_state_moves_as_SPEC_3_says_or_is_refused(string route, DisputeTrigger trigger, DisputeParty party)
    {
        var (stage, make) = Routes[route];
        var (order, dispute) = make();
        Assert.Equal(StatusOf(stage), dispute.Status);
        Assert.Equal(IsSettled(stage) || stage == Stage.Withdrawn, !dispute.IsOpen);
        Assert.Equal(dispute.IsOpen, order.OpenDisputeId == dispute.Id);
        var before = Snapshot(dispute);
        var version = dispute.Version;
        var events = dispute.Timeline.Count;
        var move = Legal.SingleOrDefault(m => m.From == stage && m.Trigger == trigger && m.Who == party);

        if (move is not null)
        {
            var step = Attempt(dispute, trigger, party, Now);

            Assert.Equal(StatusOf(move.To), dispute.Status);
            Assert.Equal(version + 1, dispute.Version);
            Assert.Equal(events + 1, dispute.Timeline.Count);
            Assert.Equal(party, dispute.Timeline[^1].Actor);
            Assert.Equal(Now, dispute.Timeline[^1].At);
            Assert.Equal(move.Then.Resumes, step.ResumesOrder);
            Assert.Equal(move.Then.Settles, step.Settle?.Outcome);
            Assert.Equal(move.Then.Refund, step.Settle?.RefundAmount ?? 0);
            Assert.Equal(IsSettled(move.To) || move.To == Stage.Withdrawn, !dispute.IsOpen);
            if (IsSettled(move.To))
            {
                Assert.Equal(Now, dispute.SettledAt);
                Assert.Equal(move.Then.Settles, dispute.Outcome);
                Assert.Equal(move.Then.Refund, dispute.RefundAmount);
            }
            if (move.To == Stage.Decided)
            {
                Assert.Equal((DisputeOutcome?)DisputeOutcome.PartialRefund, dispute.Outcome);
                Assert.Null(dispute.SettledAt);
            }
            if (move.To == Stage.Withdrawn) Assert.Equal(Now, dispute.WithdrawnAt);
            if (StatusOf(move.To) == DisputeStatus.UnderReview) Assert.Equal(Now.AddDays(7), dispute.DecisionDueAt);

            // The order takes the step in the same transaction, and agrees.
            var entry = step.ApplyTo(order, Now);
            Assert.Equal(dispute.IsOpen, order.OpenDisputeId == dispute.Id);
            Assert.Equal(move.Then.Settles is not null, entry is not null); // before completion even a release moves the escrow
            if (move.Then.Settles is not null) Assert.Equal(move.Then.Refund, order.RefundedAmount);
            if (move.Then.Resumes) Assert.Equal(OrderStatus.AwaitingDelivery, order.Status);
        }
        else
        {
            var error = Assert.Throws<DomainException>(() => Attempt(dispute, trigger, party, Now));

            var partyEverMay = Legal.Any(m => m.Trigger == trigger && m.Who == party);
            var (code, kind) = RuleRefusals.TryGetValue((stage, trigger, party), out var rule) ? (rule, RefusalKind.RuleRefused)
                : partyEverMay ? ("invalid_state", RefusalKind.WrongState)
                : ("action_not_allowed", RefusalKind.NotAllowed);
            Assert.Equal(code, error.Code);
            Assert.Equal(kind, error.Kind);
            Assert.Equal(before, Snapshot(dispute));
        }
    }

    [Theory]
    [MemberData(nameof(RoutesAndParties))]
    public void Actions_offered_are_exactly_what_the_party_may_do_now(string route, DisputeParty party)
    {
        var (stage, make) = Routes[route];
        var (_, dispute) = make();
        var expected = Actions.GetValueOrDefault((stage, party), []);

        var actions = DisputeProcess.ActionsFor(dispute, party, NowOf(dispute));

        Assert.Equal(expected.Order(StringComparer.Ordinal), actions.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(DisputeTrigger.CounterOffer, "counter_offer")]
    [InlineData(DisputeTrigger.AcceptOffer, "accept_offer")]
    [InlineData(DisputeTrigger.ReturnShipment, "return_shipment")]
    [InlineData(DisputeTrigger.ConfirmReturn, "confirm_return")]
    [InlineData(DisputeTrigger.Decision, "decision")]
    public void Triggers_have_the_action_names_of_the_API_paths(DisputeTrigger trigger, string name) =>
        Assert.Equal(name, DisputeProcess.ActionName(trigger));

    [Theory]
    [InlineData(DisputeStatus.AwaitingSellerResponse, "awaiting_seller_response")]
    [InlineData(DisputeStatus.AwaitingBuyerResponse, "awaiting_buyer_response")]
    [InlineData(DisputeStatus.AwaitingReturnShipment, "awaiting_return_shipment")]
    [InlineData(DisputeStatus.AwaitingReturnReceipt, "awaiting_return_receipt")]
    [InlineData(DisputeStatus.UnderReview, "under_review")]
    [InlineData(DisputeStatus.Resolved, "resolved")]
    [InlineData(DisputeStatus.Withdrawn, "withdrawn")]
    public void Statuses_are_spelled_as_in_SPEC_3_and_parse_back(DisputeStatus status, string name)
    {
        Assert.Equal(name, DisputeProcess.StatusName(status));
        Assert.True(DisputeProcess.TryParse<DisputeStatus>(name, out var parsed));
        Assert.Equal(status, parsed);
    }

    [Theory]
    [InlineData(DisputeReason.NotReceived, "not_received")]
    [InlineData(DisputeReason.NotAsDescribed, "not_as_described")]
    [InlineData(DisputeReason.Damaged, "damaged")]
    [InlineData(DisputeReason.WrongItem, "wrong_item")]
    [InlineData(DisputeReason.Counterfeit, "counterfeit")]
    [InlineData(DisputeReason.MissingParts, "missing_parts")]
    public void Reasons_are_spelled_as_in_SPEC_3(DisputeReason reason, string name)
    {
        Assert.Equal(name, DisputeProcess.Name(reason));
        Assert.True(DisputeProcess.TryParse<DisputeReason>(name, out var parsed));
        Assert.Equal(reason, parsed);
    }

    [Theory]
    [InlineData(DisputeOutcome.FullRefund, "full_refund")]
    [InlineData(DisputeOutcome.PartialRefund, "partial_refund")]
    [InlineData(DisputeOutcome.ReturnAndRefund, "return_and_refund")]
    [InlineData(DisputeOutcome.ReleasedToSeller, "released_to_seller")]
    public void Outcomes_are_spelled_as_in_SPEC_3(DisputeOutcome outcome, string name)
    {
        Assert.Equal(name, DisputeProcess.Name(outcome));
        Assert.True(DisputeProcess.TryParse<DisputeOutcome>(name, out var parsed));
        Assert.Equal(outcome, parsed);
    }

    [Theory]
    [InlineData("FullRefund")]
    [InlineData("FULL_REFUND")]
    [InlineData("")]
    [InlineData(null)]
    public void A_name_that_is_not_the_api_spelling_does_not_parse(string? name) =>
        Assert.False(DisputeProcess.TryParse<DisputeOutcome>(name, out _));
}
