using Safehold.Domain.Orders;
using Safehold.Domain.Process;

namespace Safehold.Domain.Disputes;

/// <summary>Why the buyer disputes the order. The API spells these in snake case (<c>not_as_described</c>).</summary>
public enum DisputeReason
{
    NotReceived,
    NotAsDescribed,
    Damaged,
    WrongItem,
    Counterfeit,
    MissingParts,

    /// <summary>
    /// Not a buyer's reason: the buyer's bank reversed the payment and the provider reported it (SPEC 4). A dispute with
    /// this reason is of kind <c>chargeback</c>: the card network decides it, not the seller or an arbiter.
    /// </summary>
    Chargeback,
}

/// <summary>Who bears a lost chargeback on money already released to the seller (policy <c>ChargebackLiability</c>).</summary>
public enum ChargebackBearer
{
    Seller,
    Platform,
}

/// <summary>How the card network decided a chargeback.</summary>
public enum ChargebackOutcome
{
    /// <summary>For the seller: the money comes back.</summary>
    Won,

    /// <summary>For the buyer: the money stays with the buyer's card.</summary>
    Lost,
}

/// <summary>
/// What a dispute asks for, offers, decides or ends in. A buyer requests <c>full_refund</c>, <c>partial_refund</c> or
/// <c>return_and_refund</c>; a seller offers <c>partial_refund</c> or <c>return_and_refund</c>; an arbiter decides any
/// of the four; a resolved dispute ends in <c>full_refund</c>, <c>partial_refund</c> or <c>released_to_seller</c>.
/// </summary>
public enum DisputeOutcome
{
    FullRefund,
    PartialRefund,

    /// <summary>The buyer sends the item back and is refunded in full once the seller has it.</summary>
    ReturnAndRefund,
    ReleasedToSeller,
}

/// <summary>Where a dispute is (SPEC 3). The API spells these in snake case (<c>awaiting_seller_response</c>).</summary>
public enum DisputeStatus
{
    AwaitingSellerResponse,
    AwaitingBuyerResponse,
    AwaitingReturnShipment,
    AwaitingReturnReceipt,

    /// <summary>Escalated to the platform: an arbiter decides.</summary>
    UnderReview,
    Resolved,
    Withdrawn,

    /// <summary>Closed without an outcome because a chargeback on its order took over from it.</summary>
    Superseded,
}

/// <summary>What can happen to a dispute. The API's <c>actions</c> are the snake-case names of the ones a person may trigger.</summary>
public enum DisputeTrigger
{
    /// <summary>The buyer opens the dispute (<see cref="Order.OpenDispute"/>).</summary>
    Open,

    /// <summary>The seller accepts the buyer's request.</summary>
    Accept,
    CounterOffer,
    Reject,

    /// <summary>The buyer accepts the seller's latest offer.</summary>
    AcceptOffer,
    Escalate,
    Withdraw,

    /// <summary>The buyer shipped the item back, with carrier and tracking number.</summary>
    ReturnShipment,

    /// <summary>The seller confirms the returned item arrived.</summary>
    ConfirmReturn,

    /// <summary>An arbiter decides, with a rationale.</summary>
    Decision,
    Appeal,

    /// <summary>System: the seller did not answer in time, which executes the buyer's request.</summary>
    SellerResponseMissed,

    /// <summary>System: the buyer did not answer the seller in time, which escalates.</summary>
    BuyerResponseMissed,

    /// <summary>System: no agreement some days after opening, which escalates.</summary>
    NoAgreement,

    /// <summary>System: the buyer did not ship the item back in time; the money is released to the seller.</summary>
    ReturnNotShipped,

    /// <summary>System: the seller did not confirm the return in time; the buyer is refunded in full.</summary>
    ReturnReceiptMissed,

    /// <summary>System: nobody appealed the arbiter's decision in time; it is final and settles.</summary>
    AppealWindowClosed,

    /// <summary>System, from the payment provider: a chargeback opens a dispute of kind <c>chargeback</c> on the arbiter's desk.</summary>
    ChargebackOpened,

    /// <summary>System, from the payment provider: the card network decided for the seller.</summary>
    ChargebackWon,

    /// <summary>System, from the payment provider: the card network decided for the buyer.</summary>
    ChargebackLost,

    /// <summary>System: a chargeback on the order took over from this dispute, which closes without an outcome.</summary>
    Superseded,

    /// <summary>System, from the carrier's tracking: the returned item was delivered to the seller; their confirmation window starts then.</summary>
    ReturnDelivered,
}

/// <summary>Who acts on a dispute (or is told of a step): the order's buyer or seller, an arbiter of the platform, or the system.</summary>
[Flags]
public enum DisputeParty
{
    None = 0,
    Buyer = 1,
    Seller = 2,
    Arbiter = 4,
    System = 8,
}

/// <summary>
/// Who did something to a dispute: their part in it, for a person their user id, and the marketplace's platform key
/// when it acted for them.
/// </summary>
public readonly record struct DisputeActor(DisputeParty Party, Guid? UserId, ActingPlatform? Via = null)
{
    public static DisputeActor System => new(DisputeParty.System, null);

    public static DisputeActor Arbiter(Guid userId) => new(DisputeParty.Arbiter, userId);

    /// <summary>The buyer or seller of an order, acting on its dispute.</summary>
    public static DisputeActor Of(Actor orderActor) => orderActor.Party switch
    {
        Orders.Party.Buyer => new(DisputeParty.Buyer, orderActor.UserId, orderActor.Via),
        Orders.Party.Seller => new(DisputeParty.Seller, orderActor.UserId, orderActor.Via),
        Orders.Party.System => System,
        _ => new(DisputeParty.None, orderActor.UserId, orderActor.Via),
    };
}

/// <summary>Which of a trigger's rows applies, by the outcome the trigger carries out (the request, the offer or the decision).</summary>
public enum DisputePath
{
    /// <summary>Whatever the outcome.</summary>
    Any,

    /// <summary>A refund in full or in part, or a release to the seller: money can settle.</summary>
    Money,

    /// <summary>A return and refund: the item goes back first.</summary>
    Return,
}

/// <summary>What the order must do, in the same transaction, after a row: nothing, continue, or settle an outcome.</summary>
public enum DisputeSettles
{
    Nothing,

    /// <summary>The order continues where it was (<see cref="Order.WithdrawDispute"/>).</summary>
    ResumeOrder,

    /// <summary>The buyer's request, as asked (<see cref="Order.ResolveDispute"/>).</summary>
    BuyersRequest,
    SellersOffer,
    ArbitersDecision,
    FullRefund,
    ReleasedToSeller,

    /// <summary>A chargeback decided: the order gives the money back or lets it go (<see cref="Order.SettleChargeback"/>).</summary>
    Chargeback,
}

/// <summary>The timers of a dispute: rows beside it, started and cancelled by the transitions of <see cref="DisputeProcess"/>.</summary>
public enum DisputeTimerKind
{
    SellerResponse,
    SellerResponseReminder,
    BuyerResponse,
    NoAgreement,
    ReturnShipment,
    ReturnReceipt,
    ReturnReceiptReminder,
    AppealWindow,
}

/// <summary>
/// The terms of one dispute: its durations in days, copied from the policy in force when it opens (as an order's terms
/// are when it is placed), so a policy change never rewrites the rules of a dispute already running.
/// </summary>
/// <param name="SellerResponseDays">The seller answers within these days; silence executes the buyer's request.</param>
/// <param name="SellerReminderDays">The seller is reminded this many days before an answer or a return confirmation is due.</param>
/// <param name="BuyerResponseDays">The buyer answers a counter-offer or rejection within these days; silence escalates.</param>
/// <param name="NoAgreementDays">With no agreement, the dispute is escalated this many days after opening.</param>
/// <param name="ReturnShipDays">The buyer ships an agreed return within these days; otherwise the money goes to the seller.</param>
/// <param name="ReturnReceiptDays">The seller confirms a returned item within these days of its shipment; silence refunds in full.</param>
/// <param name="DecisionTargetDays">An arbiter is expected to decide within these days: shown as overdue, never acted on.</param>
/// <param name="AppealDays">A first decision can be appealed, once, within these days.</param>
public sealed record DisputeTerms(
    int SellerResponseDays = 5,
    int SellerReminderDays = 1,
    int BuyerResponseDays = 7,
    int NoAgreementDays = 15,
    int ReturnShipDays = 10,
    int ReturnReceiptDays = 15,
    int DecisionTargetDays = 7,
    int AppealDays = 30)
{
    /// <summary>Each term's problem, if any: every duration at least a day, a reminder shorter than what it reminds of.</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var (name, days) in new[]
                 {
                     (nameof(SellerResponseDays), SellerResponseDays), (nameof(BuyerResponseDays), BuyerResponseDays),
                     (nameof(NoAgreementDays), NoAgreementDays), (nameof(ReturnShipDays), ReturnShipDays), (nameof(ReturnReceiptDays), ReturnReceiptDays),
                     (nameof(DecisionTargetDays), DecisionTargetDays), (nameof(AppealDays), AppealDays),
                 })
        {
            if (days is < 1 or > 3650) yield return $"{name} must be between 1 and 3650 days";
        }
        if (SellerReminderDays < 0 || SellerReminderDays >= Math.Min(SellerResponseDays, ReturnReceiptDays))
            yield return $"{nameof(SellerReminderDays)} must be at least 0 and less than the seller's answer and return-confirmation days";
    }
}

/// <summary>A timer of a dispute: the states it lives in, when it falls due after the transition that starts it, and what it fires.</summary>
/// <param name="After">How long after the starting transition it falls due, from the dispute's terms.</param>
/// <param name="Fires">The system transition it fires, or null for a reminder.</param>
/// <param name="Deadline">Its name among the dispute's <c>deadlines</c>, or null for a reminder.</param>
/// <param name="Remind">For a reminder: who is reminded.</param>
/// <param name="Due">How <paramref name="After"/> reads in words, for the policy document.</param>
public sealed record DisputeTimerRule(DisputeTimerKind Kind, DisputeStatus[] LivesIn, Func<DisputeTerms, TimeSpan> After, DisputeTrigger? Fires, string? Deadline,
    DisputeParty Remind = DisputeParty.None, string Due = "");

/// <summary>What a person or the system is trying to do: who, and the outcome it carries when it carries one.</summary>
public readonly record struct DisputeAct(DisputeActor By, DisputeOutcome? Outcome = null) : IProcessAct<DisputeParty>
{
    public DisputeParty Party => By.Party;
}

/// <summary>A guard of the dispute's table: null when the transition may go ahead, or the refusal. Sees the dispute (and its terms), the act and now.</summary>
public delegate DomainException? DisputeGuard(Dispute dispute, DisputeAct act, DateTimeOffset now);

/// <summary>Whom a step of a dispute tells, and what: a notice kind, worded for each reader by the web's notices.</summary>
/// <param name="Tell">Who is told; never the person who took the step.</param>
/// <param name="Kind">The notice, e.g. <c>dispute_opened</c>.</param>
public readonly record struct DisputeNotice(DisputeParty Tell, string Kind)
{
    public static readonly DisputeNotice None = new(DisputeParty.None, "");
}

/// <summary>
/// One row of the dispute's process: in state <see cref="From"/> (null: before it exists), <see cref="Who"/> may
/// <see cref="Trigger"/> on the path <see cref="When"/> (if the <see cref="Guard"/> lets them now), and then the dispute
/// goes <see cref="To"/>, starts the timers <see cref="Starts"/>, its order <see cref="Settles"/>, and <see cref="Notice"/> tells who must know.
/// </summary>
public sealed record DisputeTransition(
    DisputeTrigger Trigger,
    DisputeStatus? From,
    DisputeParty Who,
    DisputePath When,
    DisputeStatus To,
    DisputeTimerKind[] Starts,
    DisputeSettles Settles,
    DisputeNotice Notice,
    DisputeGuard? Guard = null) : IProcessRow<DisputeStatus, DisputeTrigger, DisputeParty, Dispute, DisputeAct>
{
    public bool Takes(Dispute? subject, DisputeAct act) =>
        When == DisputePath.Any || DisputeProcess.PathOf(subject, Trigger, act) is var path && (path == DisputePath.Any || path == When);

    public DomainException? Refusal(Dispute subject, DisputeAct act, DateTimeOffset now) => Guard?.Invoke(subject, act, now);
}

/// <summary>
/// The dispute's whole process (SPEC 3), read top to bottom: every state, who may do what in it and until when, the state
/// it leads to, the timers it starts, what the order must then do and who is told. Enforcement (<see cref="Dispute"/>) and
/// the <c>actions</c> offered to a caller both come from this one table through the shared
/// <see cref="ProcessEngine{TRow,TState,TTrigger,TParty,TSubject,TAct}"/>; the timers' own table follows it. The order's side
/// (opening freezes it, settling moves the money) is in <see cref="OrderProcess"/>.
/// </summary>
public static class DisputeProcess
{
    private static readonly DisputeTimerKind[] Nothing = [];
    private const DisputeStatus AwaitingSeller = DisputeStatus.AwaitingSellerResponse;
    private const DisputeStatus AwaitingBuyer = DisputeStatus.AwaitingBuyerResponse;
    private const DisputeStatus AwaitingReturn = DisputeStatus.AwaitingReturnShipment;
    private const DisputeStatus AwaitingReceipt = DisputeStatus.AwaitingReturnReceipt;
    private const DisputeStatus UnderReview = DisputeStatus.UnderReview;
    private const DisputeStatus Resolved = DisputeStatus.Resolved;
    private const DisputeStatus Withdrawn = DisputeStatus.Withdrawn;
    private const DisputeParty Buyer = DisputeParty.Buyer, Seller = DisputeParty.Seller, Arbiter = DisputeParty.Arbiter, System = DisputeParty.System;
    private const DisputePath Any = DisputePath.Any, Money = DisputePath.Money, Return = DisputePath.Return;
    private const DisputeTimerKind SellerResponse = DisputeTimerKind.SellerResponse, SellerReminder = DisputeTimerKind.SellerResponseReminder,
        BuyerResponse = DisputeTimerKind.BuyerResponse, NoAgreement = DisputeTimerKind.NoAgreement,
        ReturnShipBy = DisputeTimerKind.ReturnShipment, ReturnReceipt = DisputeTimerKind.ReturnReceipt,
        ReturnReminder = DisputeTimerKind.ReturnReceiptReminder, AppealWindow = DisputeTimerKind.AppealWindow;

    // Who is told of a step, and what.
    private static readonly DisputeNotice OpenedToSeller = new(Seller, "dispute_opened"), AnsweredToBuyer = new(Buyer, "dispute_answered"),
        ReturnToBuyer = new(Buyer, "dispute_return_requested"), ReturnShippedToSeller = new(Seller, "dispute_return_shipped"),
        EscalatedToBoth = new(Buyer | Seller, "dispute_escalated"), AppealedToBoth = new(Buyer | Seller, "dispute_appealed"),
        ResolvedToBoth = new(Buyer | Seller, "dispute_resolved"), WithdrawnToSeller = new(Seller, "dispute_withdrawn"),
        ChargebackToBoth = new(Buyer | Seller, "chargeback_opened"), ChargebackDecidedToBoth = new(Buyer | Seller, "chargeback_decided"),
        SupersededToBoth = new(Buyer | Seller, "dispute_superseded"), ReturnDeliveredToSeller = new(Seller, "dispute_return_delivered");

    public static readonly IReadOnlyList<DisputeTransition> Table =
    [
        //  trigger                               from            who              when    to               starts                                        then the order                   told
        new(DisputeTrigger.Open,                  null,           Buyer,           Any,    AwaitingSeller,  [SellerResponse, SellerReminder, NoAgreement], DisputeSettles.Nothing,          OpenedToSeller),

        new(DisputeTrigger.Accept,                AwaitingSeller, Seller,          Money,  Resolved,        Nothing,                                      DisputeSettles.BuyersRequest,    ResolvedToBoth),
        new(DisputeTrigger.Accept,                AwaitingSeller, Seller,          Return, AwaitingReturn,  [ReturnShipBy],                               DisputeSettles.Nothing,          ReturnToBuyer),
        new(DisputeTrigger.CounterOffer,          AwaitingSeller, Seller,          Any,    AwaitingBuyer,   [BuyerResponse],                              DisputeSettles.Nothing,          AnsweredToBuyer),
        new(DisputeTrigger.Reject,                AwaitingSeller, Seller,          Any,    AwaitingBuyer,   [BuyerResponse],                              DisputeSettles.Nothing,          AnsweredToBuyer),
        new(DisputeTrigger.SellerResponseMissed,  AwaitingSeller, System,          Money,  Resolved,        Nothing,                                      DisputeSettles.BuyersRequest,    ResolvedToBoth),
        new(DisputeTrigger.SellerResponseMissed,  AwaitingSeller, System,          Return, AwaitingReturn,  [ReturnShipBy],                               DisputeSettles.Nothing,          ReturnToBuyer),
        new(DisputeTrigger.NoAgreement,           AwaitingSeller, System,          Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing,          EscalatedToBoth),
        new(DisputeTrigger.Withdraw,              AwaitingSeller, Buyer,           Any,    Withdrawn,       Nothing,                                      DisputeSettles.ResumeOrder,      WithdrawnToSeller),

        new(DisputeTrigger.AcceptOffer,           AwaitingBuyer,  Buyer,           Money,  Resolved,        Nothing,                                      DisputeSettles.SellersOffer,     ResolvedToBoth,        Rules.OfferMade),
        new(DisputeTrigger.AcceptOffer,           AwaitingBuyer,  Buyer,           Return, AwaitingReturn,  [ReturnShipBy],                               DisputeSettles.Nothing,          ReturnToBuyer,         Rules.OfferMade),
        new(DisputeTrigger.Escalate,              AwaitingBuyer,  Buyer | Seller,  Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing,          EscalatedToBoth),
        new(DisputeTrigger.BuyerResponseMissed,   AwaitingBuyer,  System,          Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing,          EscalatedToBoth),
        new(DisputeTrigger.NoAgreement,           AwaitingBuyer,  System,          Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing,          EscalatedToBoth),
        new(DisputeTrigger.Withdraw,              AwaitingBuyer,  Buyer,           Any,    Withdrawn,       Nothing,                                      DisputeSettles.ResumeOrder,      WithdrawnToSeller),

        new(DisputeTrigger.ReturnShipment,        AwaitingReturn, Buyer,           Any,    AwaitingReceipt, [ReturnReceipt, ReturnReminder],              DisputeSettles.Nothing,          ReturnShippedToSeller),
        new(DisputeTrigger.ReturnNotShipped,      AwaitingReturn, System,          Any,    Resolved,        Nothing,                                      DisputeSettles.ReleasedToSeller, ResolvedToBoth),
        new(DisputeTrigger.Withdraw,              AwaitingReturn, Buyer,           Any,    Withdrawn,       Nothing,                                      DisputeSettles.ResumeOrder,      WithdrawnToSeller),
        new(DisputeTrigger.Appeal,                AwaitingReturn, Buyer | Seller,  Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing,          AppealedToBoth,        Both(Rules.ReturnDecisionAppealable, Rules.AppealWindowOpen)),

        new(DisputeTrigger.ConfirmReturn,         AwaitingReceipt, Seller,         Any,    Resolved,        Nothing,                                      DisputeSettles.FullRefund,       ResolvedToBoth),
        new(DisputeTrigger.ReturnDelivered,       AwaitingReceipt, System,         Any,    AwaitingReceipt, [ReturnReceipt, ReturnReminder],              DisputeSettles.Nothing,          ReturnDeliveredToSeller, Rules.ReturnNotYetDelivered),
        new(DisputeTrigger.ReturnReceiptMissed,   AwaitingReceipt, System,         Any,    Resolved,        Nothing,                                      DisputeSettles.FullRefund,       ResolvedToBoth),
        new(DisputeTrigger.Appeal,                AwaitingReceipt, Buyer | Seller, Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing,          AppealedToBoth,        Both(Rules.ReturnDecisionAppealable, Rules.AppealWindowOpen)),

        // A first decision waits out the appeal window before it settles; a decision on appeal is final at once.
        // A return and refund is carried out at once, either way: the item goes back before any money moves.
        new(DisputeTrigger.Decision,              UnderReview,    Arbiter,         Money,  Resolved,        [AppealWindow],                               DisputeSettles.Nothing,          ResolvedToBoth,        Both(Rules.NotChargeback, Both(Rules.MayDecide, Rules.NotAppealed))),
        new(DisputeTrigger.Decision,              UnderReview,    Arbiter,         Money,  Resolved,        Nothing,                                      DisputeSettles.ArbitersDecision, ResolvedToBoth,        Both(Rules.NotChargeback, Both(Rules.MayDecide, Rules.Appealed))),
        new(DisputeTrigger.Decision,              UnderReview,    Arbiter,         Return, AwaitingReturn,  [ReturnShipBy],                               DisputeSettles.Nothing,          ReturnToBuyer,         Both(Rules.NotChargeback, Rules.MayDecide)),
        new(DisputeTrigger.Withdraw,              UnderReview,    Buyer,           Any,    Withdrawn,       Nothing,                                      DisputeSettles.ResumeOrder,      WithdrawnToSeller,     Both(Rules.NotChargeback, Rules.NotDecided)),

        new(DisputeTrigger.Appeal,                Resolved,       Buyer | Seller,  Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing,          AppealedToBoth,        Both(Rules.Appealable, Rules.AppealWindowOpen)),
        new(DisputeTrigger.AppealWindowClosed,    Resolved,       System,          Any,    Resolved,        Nothing,                                      DisputeSettles.ArbitersDecision, ResolvedToBoth,        Rules.Appealable),

        // A chargeback (SPEC 4): the provider opens it, on the arbiter's desk until the network's respondBy deadline (shown as
        // overdue, never acted on: the network decides), and reports the network's decision. Nobody at Safehold decides it.
        new(DisputeTrigger.ChargebackOpened,      null,           System,          Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing,          ChargebackToBoth),
        new(DisputeTrigger.ChargebackWon,         UnderReview,    System,          Any,    Resolved,        Nothing,                                      DisputeSettles.Chargeback,       ChargebackDecidedToBoth, Rules.IsChargeback),
        new(DisputeTrigger.ChargebackLost,        UnderReview,    System,          Any,    Resolved,        Nothing,                                      DisputeSettles.Chargeback,       ChargebackDecidedToBoth, Rules.IsChargeback),

        // A chargeback takes over from a dispute still open on its order (not yet settled): it closes without an outcome.
        new(DisputeTrigger.Superseded,            AwaitingSeller, System,          Any,    DisputeStatus.Superseded, Nothing,                             DisputeSettles.Nothing,          SupersededToBoth),
        new(DisputeTrigger.Superseded,            AwaitingBuyer,  System,          Any,    DisputeStatus.Superseded, Nothing,                             DisputeSettles.Nothing,          SupersededToBoth),
        new(DisputeTrigger.Superseded,            AwaitingReturn, System,          Any,    DisputeStatus.Superseded, Nothing,                             DisputeSettles.Nothing,          SupersededToBoth),
        new(DisputeTrigger.Superseded,            AwaitingReceipt, System,         Any,    DisputeStatus.Superseded, Nothing,                             DisputeSettles.Nothing,          SupersededToBoth),
        new(DisputeTrigger.Superseded,            UnderReview,    System,          Any,    DisputeStatus.Superseded, Nothing,                             DisputeSettles.Nothing,          SupersededToBoth,      Rules.NotChargeback),
        new(DisputeTrigger.Superseded,            Resolved,       System,          Any,    DisputeStatus.Superseded, Nothing,                             DisputeSettles.Nothing,          SupersededToBoth,      Rules.NotSettled),
    ];

    /// <summary>Every timer: the states it lives in, how long after it starts it is due (from the dispute's terms), and what it fires.</summary>
    public static readonly IReadOnlyList<DisputeTimerRule> Timers =
    [
        new(SellerResponse, [AwaitingSeller],                t => Days(t.SellerResponseDays),                          DisputeTrigger.SellerResponseMissed, "sellerResponseBy",
            Due: "the seller's answer days after opening"),
        new(SellerReminder, [AwaitingSeller],                t => Days(t.SellerResponseDays - t.SellerReminderDays),   null,                                null, Remind: Seller,
            Due: "the seller's reminder days before the answer is due"),
        new(BuyerResponse,  [AwaitingBuyer],                 t => Days(t.BuyerResponseDays),                           DisputeTrigger.BuyerResponseMissed,  "buyerResponseBy",
            Due: "the buyer's answer days after the seller's answer"),
        new(NoAgreement,    [AwaitingSeller, AwaitingBuyer], t => Days(t.NoAgreementDays),                             DisputeTrigger.NoAgreement,          "escalatesAt",
            Due: "the no-agreement days after opening"),
        new(ReturnShipBy,   [AwaitingReturn],                t => Days(t.ReturnShipDays),                              DisputeTrigger.ReturnNotShipped,     "returnShipBy",
            Due: "the return-shipping days after the return is agreed"),
        new(ReturnReceipt,  [AwaitingReceipt],               t => Days(t.ReturnReceiptDays),                           DisputeTrigger.ReturnReceiptMissed,  "returnReceiptBy",
            Due: "the return-confirmation days after the return ships, or after the carrier's scan shows it delivered"),
        new(ReturnReminder, [AwaitingReceipt],               t => Days(t.ReturnReceiptDays - t.SellerReminderDays),    null,                                null, Remind: Seller,
            Due: "the seller's reminder days before the return confirmation is due"),
        new(AppealWindow,   [Resolved],                      t => Days(t.AppealDays),                                  DisputeTrigger.AppealWindowClosed,   "appealBy",
            Due: "the appeal days after a first decision"),
    ];

    /// <summary>The tables above as one value: every dispute follows these (<see cref="Dispute.Process"/>), unless its order's process names others.</summary>
    public static readonly DisputeTables Standard = new(Table, Timers);

    /// <summary>The shared machinery over <see cref="Table"/>: authorization, <c>actions</c>, names.</summary>
    public static ProcessEngine<DisputeTransition, DisputeStatus, DisputeTrigger, DisputeParty, Dispute, DisputeAct> Engine => Standard.Engine;

    public static DisputeTimerRule RuleOf(DisputeTimerKind kind) => Standard.RuleOf(kind);

    /// <summary>
    /// The transition <paramref name="act"/> would take by <paramref name="trigger"/> at <paramref name="now"/>, or the reason
    /// why not: <c>action_not_allowed</c> for a party that never may, <c>invalid_state</c> for the wrong state, or the refusal of a rule.
    /// </summary>
    public static DisputeTransition Authorize(Dispute? dispute, DisputeTrigger trigger, DisputeAct act, DateTimeOffset now) =>
        (dispute?.Process ?? Standard).Engine.Authorize(dispute, trigger, act, now);

    /// <summary>What <paramref name="actor"/> may do to the dispute at <paramref name="now"/>; knowing who they are, an arbiter who may not decide is not offered to.</summary>
    public static IReadOnlyList<string> ActionsFor(Dispute dispute, DisputeActor actor, DateTimeOffset now) =>
        dispute.Process.Engine.ActionsFor(dispute, new DisputeAct(actor), now);

    /// <summary>What a party may do to the dispute at <paramref name="now"/>, not knowing who in particular.</summary>
    public static IReadOnlyList<string> ActionsFor(Dispute dispute, DisputeParty who, DateTimeOffset now) => ActionsFor(dispute, new DisputeActor(who, null), now);

    /// <summary>
    /// Checks the amount that goes with an outcome: a partial refund needs one of at least one minor unit and at most
    /// what the dispute claims, the order's total or its items' value (<c>amount_out_of_range</c>); every other outcome takes none.
    /// </summary>
    public static void CheckAmount(DisputeOutcome outcome, long? amount, long claimed)
    {
        if (outcome != DisputeOutcome.PartialRefund)
        {
            if (amount is not null)
                throw new DomainException(RefusalKind.Invalid, "validation_failed", $"An amount goes only with a partial refund, not with {Name(outcome)}.");
            return;
        }
        if (amount is not { } a)
            throw new DomainException(RefusalKind.Invalid, "validation_failed", "A partial refund needs an amount.");
        if (a < 1 || a > claimed)
            throw new DomainException(RefusalKind.RuleRefused, "amount_out_of_range",
                $"A partial refund must be at least one minor unit and at most what the dispute claims ({claimed}).");
    }

    /// <summary>The snake-case API name of a trigger, e.g. <c>counter_offer</c>.</summary>
    public static string ActionName(DisputeTrigger trigger) => ProcessNames.Of(trigger);

    /// <summary>The snake-case API name of a status, e.g. <c>under_review</c>.</summary>
    public static string StatusName(DisputeStatus status) => ProcessNames.Of(status);

    public static string Name(DisputeReason reason) => ProcessNames.Of(reason);

    public static string Name(DisputeOutcome outcome) => ProcessNames.Of(outcome);

    public static bool TryParse<TEnum>(string? value, out TEnum parsed)
        where TEnum : struct, Enum => ProcessNames.TryParse(value, out parsed);

    /// <summary>Which path the outcome a trigger carries out takes: the request for an acceptance, the latest offer, the decision.</summary>
    internal static DisputePath PathOf(Dispute? dispute, DisputeTrigger trigger, DisputeAct act)
    {
        var outcome = trigger switch
        {
            DisputeTrigger.Accept or DisputeTrigger.SellerResponseMissed => dispute?.RequestedOutcome,
            DisputeTrigger.AcceptOffer => dispute?.LatestOffer?.Outcome,
            DisputeTrigger.Decision => act.Outcome,
            _ => null,
        };
        return outcome switch
        {
            null => Any,
            DisputeOutcome.ReturnAndRefund => Return,
            _ => Money,
        };
    }

    private static TimeSpan Days(int days) => TimeSpan.FromDays(days);

    internal static string Describe(DisputeParty who) => who switch
    {
        DisputeParty.Buyer => "buyer",
        DisputeParty.Seller => "seller",
        DisputeParty.Arbiter => "arbiter",
        DisputeParty.System => "system",
        _ => "caller",
    };

    private static DisputeGuard Both(DisputeGuard first, DisputeGuard then) => (d, a, now) => first(d, a, now) ?? then(d, a, now);

    /// <summary>The guards of the table: each answers null when the transition may go ahead, or the refusal.</summary>
    private static class Rules
    {
        /// <summary>A chargeback is the card network's to decide: no arbiter decides it, and the buyer cannot withdraw it.</summary>
        public static DomainException? NotChargeback(Dispute d, DisputeAct _, DateTimeOffset __) =>
            !d.IsChargeback ? null
                : new DomainException(RefusalKind.RuleRefused, "chargeback_decided_by_network", "A chargeback is decided by the card network, not here.");

        public static DomainException? IsChargeback(Dispute d, DisputeAct _, DateTimeOffset __) =>
            d.IsChargeback ? null : new DomainException(RefusalKind.WrongState, "chargeback_not_open", "This dispute is not a chargeback.");

        /// <summary>The carrier's delivery of the return starts the seller's window once; a later scan changes nothing.</summary>
        public static DomainException? ReturnNotYetDelivered(Dispute d, DisputeAct _, DateTimeOffset __) =>
            d.ReturnDeliveredAt is null ? null : DomainException.InvalidState("The returned item's delivery has already been reported.");

        public static DomainException? NotSettled(Dispute d, DisputeAct _, DateTimeOffset __) =>
            d.SettledAt is null ? null : DomainException.InvalidState("This dispute has settled.");

        public static DomainException? OfferMade(Dispute d, DisputeAct _, DateTimeOffset __) =>
            d.LatestOffer is not null ? null : DomainException.InvalidState("The seller made no offer to accept.");

        /// <summary>An arbiter never decides a dispute on an order of their own, nor the appeal of their own decision.</summary>
        public static DomainException? MayDecide(Dispute d, DisputeAct act, DateTimeOffset _) =>
            act.By.UserId is not { } arbiter ? null
            : arbiter == d.BuyerId || arbiter == d.SellerId
                ? new DomainException(RefusalKind.NotAllowed, "arbiter_is_a_party", "An arbiter cannot decide a dispute on an order they bought or sold.")
            : d.AppealedAt is not null && arbiter == d.DecidedBy
                ? new DomainException(RefusalKind.RuleRefused, "appeal_needs_another_arbiter", "An appeal is decided by a different arbiter than the one who decided first.")
            : null;

        /// <summary>Once an arbiter has decided, the buyer cannot withdraw to escape the decision (and open a new dispute).</summary>
        public static DomainException? NotDecided(Dispute d, DisputeAct _, DateTimeOffset __) =>
            d.DecidedBy is null ? null
            : new DomainException(RefusalKind.RuleRefused, "decision_made", "An arbiter has decided this dispute: it can no longer be withdrawn.");

        /// <summary>An arbiter's return-and-refund decision is carried out at once, so it is appealed while the item is on its way back; the appeal stops the return.</summary>
        public static DomainException? ReturnDecisionAppealable(Dispute d, DisputeAct _, DateTimeOffset __) =>
            d.DecidedBy is null
                ? DomainException.InvalidState("Only an arbiter's decision can be appealed; this return was agreed.")
            : d.AppealedAt is not null
                ? new DomainException(RefusalKind.RuleRefused, "already_appealed", "A decision can be appealed only once.")
            : null;

        /// <summary>A decision is appealed within the dispute's appeal days of it.</summary>
        public static DomainException? AppealWindowOpen(Dispute d, DisputeAct _, DateTimeOffset now) =>
            d.DecidedAt is { } decided && now >= decided.AddDays(d.AppealDays)
                ? new DomainException(RefusalKind.RuleRefused, "appeal_window_closed", "The days to appeal this decision are over.")
                : null;

        public static DomainException? NotAppealed(Dispute d, DisputeAct _, DateTimeOffset __) =>
            d.AppealedAt is null ? null : DomainException.InvalidState("The dispute is under appeal.");

        public static DomainException? Appealed(Dispute d, DisputeAct _, DateTimeOffset __) =>
            d.AppealedAt is not null ? null : DomainException.InvalidState("The dispute is not under appeal.");

        /// <summary>Only an arbiter's first decision, while it has not settled.</summary>
        public static DomainException? Appealable(Dispute d, DisputeAct _, DateTimeOffset __) =>
            d.DecidedBy is null
                ? DomainException.InvalidState("Only an arbiter's decision can be appealed; this dispute was resolved by agreement.")
            : d.AppealedAt is not null
                ? new DomainException(RefusalKind.RuleRefused, "already_appealed", "A decision can be appealed only once.")
            : d.SettledAt is not null
                ? new DomainException(RefusalKind.RuleRefused, "appeal_window_closed", "The days to appeal this decision are over.")
            : null;
    }
}

/// <summary>
/// A dispute process's tables together: its transitions (and the engine over them) and its timers by kind, as
/// <see cref="OrderTables"/> are the order's. The one in force is <see cref="DisputeProcess.Standard"/>; an order placed
/// under other tables opens its disputes under the dispute tables those name (<see cref="OrderTables.Disputes"/>), which is
/// how a change to the dispute's rows is tried on a single dispute before it is made.
/// </summary>
public sealed class DisputeTables
{
    private readonly Dictionary<DisputeTimerKind, DisputeTimerRule> _timers;

    public DisputeTables(IReadOnlyList<DisputeTransition> table, IReadOnlyList<DisputeTimerRule> timers)
    {
        Table = table;
        Timers = timers;
        Engine = new("dispute", table, DisputeProcess.Describe, DisputeParty.System);
        _timers = timers.ToDictionary(t => t.Kind);
        foreach (var row in table)
            foreach (var kind in row.Starts)
                if (!_timers.ContainsKey(kind))
                    throw new ArgumentException($"The {ProcessNames.Of(row.Trigger)} row starts the timer {kind}, which has no row in the timers' table.", nameof(timers));
    }

    public IReadOnlyList<DisputeTransition> Table { get; }

    public IReadOnlyList<DisputeTimerRule> Timers { get; }

    /// <summary>The shared machinery over <see cref="Table"/>: authorization, <c>actions</c>, names.</summary>
    public ProcessEngine<DisputeTransition, DisputeStatus, DisputeTrigger, DisputeParty, Dispute, DisputeAct> Engine { get; }

    /// <summary>The row of a timer kind.</summary>
    public DisputeTimerRule RuleOf(DisputeTimerKind kind) => _timers[kind];
}
