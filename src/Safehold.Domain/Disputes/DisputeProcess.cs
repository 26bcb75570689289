using Safehold.Domain.Orders;

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
}

/// <summary>Who acts on a dispute: the order's buyer or seller, an arbiter of the platform, or the system.</summary>
[Flags]
public enum DisputeParty
{
    None = 0,
    Buyer = 1,
    Seller = 2,
    Arbiter = 4,
    System = 8,
}

/// <summary>Who did something to a dispute: their part in it and, for a person, their user id.</summary>
public readonly record struct DisputeActor(DisputeParty Party, Guid? UserId)
{
    public static DisputeActor System => new(DisputeParty.System, null);

    public static DisputeActor Arbiter(Guid userId) => new(DisputeParty.Arbiter, userId);

    /// <summary>The buyer or seller of an order, acting on its dispute.</summary>
    public static DisputeActor Of(Actor orderActor) => orderActor.Party switch
    {
        Orders.Party.Buyer => new(DisputeParty.Buyer, orderActor.UserId),
        Orders.Party.Seller => new(DisputeParty.Seller, orderActor.UserId),
        Orders.Party.System => System,
        _ => new(DisputeParty.None, orderActor.UserId),
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

/// <summary>A timer of a dispute: the states it lives in, how long after the transition that starts it it falls due, and what it fires.</summary>
/// <param name="Fires">The system transition it fires, or null for a reminder.</param>
/// <param name="Deadline">Its name among the dispute's <c>deadlines</c>, or null for a reminder.</param>
/// <param name="Remind">For a reminder: who is reminded.</param>
public sealed record DisputeTimerRule(DisputeTimerKind Kind, DisputeStatus[] LivesIn, TimeSpan After, DisputeTrigger? Fires, string? Deadline,
    DisputeParty Remind = DisputeParty.None);

/// <summary>What a person or the system is trying to do: who, and the outcome it carries when it carries one.</summary>
public readonly record struct DisputeAct(DisputeActor By, DisputeOutcome? Outcome = null);

/// <summary>One row of the dispute's process: in state <see cref="From"/> (null: before it exists), <see cref="Who"/> may <see cref="Trigger"/>, and then...</summary>
public sealed record DisputeTransition(
    DisputeTrigger Trigger,
    DisputeStatus? From,
    DisputeParty Who,
    DisputePath When,
    DisputeStatus To,
    DisputeTimerKind[] Starts,
    DisputeSettles Settles,
    Func<Dispute, DisputeAct, DomainException?>? Guard = null);

/// <summary>
/// The dispute's whole process (SPEC 3), read top to bottom: every state, who may do what in it and when, the state it
/// leads to, the timers it starts and what the order must then do. Enforcement (<see cref="Dispute"/>) and the
/// <c>actions</c> offered to a caller both come from this one table; the timers' own table follows it. The order's side
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

    /// <summary>An arbiter is expected to decide this long after escalation: a due date shown as overdue, never acted on.</summary>
    public static readonly TimeSpan DecisionTarget = TimeSpan.FromDays(7);

    public static readonly IReadOnlyList<DisputeTransition> Table =
    [
        //  trigger                               from            who              when    to               starts                                        then the order
        new(DisputeTrigger.Open,                  null,           Buyer,           Any,    AwaitingSeller,  [SellerResponse, SellerReminder, NoAgreement], DisputeSettles.Nothing),

        new(DisputeTrigger.Accept,                AwaitingSeller, Seller,          Money,  Resolved,        Nothing,                                      DisputeSettles.BuyersRequest),
        new(DisputeTrigger.Accept,                AwaitingSeller, Seller,          Return, AwaitingReturn,  [ReturnShipBy],                               DisputeSettles.Nothing),
        new(DisputeTrigger.CounterOffer,          AwaitingSeller, Seller,          Any,    AwaitingBuyer,   [BuyerResponse],                              DisputeSettles.Nothing),
        new(DisputeTrigger.Reject,                AwaitingSeller, Seller,          Any,    AwaitingBuyer,   [BuyerResponse],                              DisputeSettles.Nothing),
        new(DisputeTrigger.SellerResponseMissed,  AwaitingSeller, System,          Money,  Resolved,        Nothing,                                      DisputeSettles.BuyersRequest),
        new(DisputeTrigger.SellerResponseMissed,  AwaitingSeller, System,          Return, AwaitingReturn,  [ReturnShipBy],                               DisputeSettles.Nothing),
        new(DisputeTrigger.NoAgreement,           AwaitingSeller, System,          Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing),
        new(DisputeTrigger.Withdraw,              AwaitingSeller, Buyer,           Any,    Withdrawn,       Nothing,                                      DisputeSettles.ResumeOrder),

        new(DisputeTrigger.AcceptOffer,           AwaitingBuyer,  Buyer,           Money,  Resolved,        Nothing,                                      DisputeSettles.SellersOffer,     Rules.OfferMade),
        new(DisputeTrigger.AcceptOffer,           AwaitingBuyer,  Buyer,           Return, AwaitingReturn,  [ReturnShipBy],                               DisputeSettles.Nothing,          Rules.OfferMade),
        new(DisputeTrigger.Escalate,              AwaitingBuyer,  Buyer | Seller,  Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing),
        new(DisputeTrigger.BuyerResponseMissed,   AwaitingBuyer,  System,          Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing),
        new(DisputeTrigger.NoAgreement,           AwaitingBuyer,  System,          Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing),
        new(DisputeTrigger.Withdraw,              AwaitingBuyer,  Buyer,           Any,    Withdrawn,       Nothing,                                      DisputeSettles.ResumeOrder),

        new(DisputeTrigger.ReturnShipment,        AwaitingReturn, Buyer,           Any,    AwaitingReceipt, [ReturnReceipt, ReturnReminder],              DisputeSettles.Nothing),
        new(DisputeTrigger.ReturnNotShipped,      AwaitingReturn, System,          Any,    Resolved,        Nothing,                                      DisputeSettles.ReleasedToSeller),
        new(DisputeTrigger.Withdraw,              AwaitingReturn, Buyer,           Any,    Withdrawn,       Nothing,                                      DisputeSettles.ResumeOrder),
        new(DisputeTrigger.Appeal,                AwaitingReturn, Buyer | Seller,  Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing,          Rules.ReturnDecisionAppealable),

        new(DisputeTrigger.ConfirmReturn,         AwaitingReceipt, Seller,         Any,    Resolved,        Nothing,                                      DisputeSettles.FullRefund),
        new(DisputeTrigger.ReturnReceiptMissed,   AwaitingReceipt, System,         Any,    Resolved,        Nothing,                                      DisputeSettles.FullRefund),
        new(DisputeTrigger.Appeal,                AwaitingReceipt, Buyer | Seller, Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing,          Rules.ReturnDecisionAppealable),

        // A first decision waits out the appeal window before it settles; a decision on appeal is final at once.
        // A return and refund is carried out at once, either way: the item goes back before any money moves.
        new(DisputeTrigger.Decision,              UnderReview,    Arbiter,         Money,  Resolved,        [AppealWindow],                               DisputeSettles.Nothing,          Both(Rules.MayDecide, Rules.NotAppealed)),
        new(DisputeTrigger.Decision,              UnderReview,    Arbiter,         Money,  Resolved,        Nothing,                                      DisputeSettles.ArbitersDecision, Both(Rules.MayDecide, Rules.Appealed)),
        new(DisputeTrigger.Decision,              UnderReview,    Arbiter,         Return, AwaitingReturn,  [ReturnShipBy],                               DisputeSettles.Nothing,          Rules.MayDecide),
        new(DisputeTrigger.Withdraw,              UnderReview,    Buyer,           Any,    Withdrawn,       Nothing,                                      DisputeSettles.ResumeOrder,      Rules.NotDecided),

        new(DisputeTrigger.Appeal,                Resolved,       Buyer | Seller,  Any,    UnderReview,     Nothing,                                      DisputeSettles.Nothing,          Rules.Appealable),
        new(DisputeTrigger.AppealWindowClosed,    Resolved,       System,          Any,    Resolved,        Nothing,                                      DisputeSettles.ArbitersDecision, Rules.Appealable),
    ];

    /// <summary>Every timer: the states it lives in, how long after it starts it is due, and what it fires. Reminders fire nothing but a notification.</summary>
    public static readonly IReadOnlyList<DisputeTimerRule> Timers =
    [
        new(SellerResponse, [AwaitingSeller],                Days(5),  DisputeTrigger.SellerResponseMissed, "sellerResponseBy"),
        new(SellerReminder, [AwaitingSeller],                Days(4),  null,                                null, Remind: Seller),
        new(BuyerResponse,  [AwaitingBuyer],                 Days(7),  DisputeTrigger.BuyerResponseMissed,  "buyerResponseBy"),
        new(NoAgreement,    [AwaitingSeller, AwaitingBuyer], Days(15), DisputeTrigger.NoAgreement,          "escalatesAt"),
        new(ReturnShipBy,   [AwaitingReturn],                Days(10), DisputeTrigger.ReturnNotShipped,     "returnShipBy"),
        new(ReturnReceipt,  [AwaitingReceipt],               Days(15), DisputeTrigger.ReturnReceiptMissed,  "returnReceiptBy"),
        new(ReturnReminder, [AwaitingReceipt],               Days(14), null,                                null, Remind: Seller),
        new(AppealWindow,   [Resolved],                      Days(30), DisputeTrigger.AppealWindowClosed,   "appealBy"),
    ];

    public static DisputeTimerRule RuleOf(DisputeTimerKind kind) => Timers.First(t => t.Kind == kind);

    /// <summary>
    /// The transition <paramref name="act"/> would take by <paramref name="trigger"/> now, or the reason why not:
    /// <c>action_not_allowed</c> for a party that never may, <c>invalid_state</c> for the wrong state, or the refusal of a rule.
    /// </summary>
    public static DisputeTransition Authorize(Dispute? dispute, DisputeTrigger trigger, DisputeAct act)
    {
        var who = act.By.Party;
        var rows = Table.Where(t => t.Trigger == trigger).ToList();
        if (!rows.Any(t => (t.Who & who) != 0))
            throw new DomainException(RefusalKind.NotAllowed, "action_not_allowed",
                $"The {Describe(who)} of a dispute cannot {ActionName(trigger).Replace('_', ' ')}.");
        var path = PathOf(dispute, trigger, act);
        var here = rows.Where(t => t.From == dispute?.Status && (t.Who & who) != 0).ToList();
        if (here.Count == 0)
            throw DomainException.InvalidState(dispute is null
                ? $"Cannot {ActionName(trigger).Replace('_', ' ')} a dispute that does not exist."
                : $"Cannot {ActionName(trigger).Replace('_', ' ')} a dispute that is {StatusName(dispute.Status)}.");
        DomainException? refusal = null;
        foreach (var t in here.Where(t => t.When == Any || path == Any || t.When == path))
        {
            refusal = dispute is null ? null : t.Guard?.Invoke(dispute, act);
            if (refusal is null) return t;
        }
        throw refusal ?? DomainException.InvalidState($"Cannot {ActionName(trigger).Replace('_', ' ')} this dispute now.");
    }

    /// <summary>What <paramref name="who"/> may do to the dispute now, as API action names.</summary>
    public static IReadOnlyList<string> ActionsFor(Dispute dispute, DisputeParty who) => ActionsFor(dispute, new DisputeActor(who, null));

    /// <summary>What <paramref name="actor"/> may do to the dispute now; knowing who they are, an arbiter who may not decide is not offered to.</summary>
    public static IReadOnlyList<string> ActionsFor(Dispute dispute, DisputeActor actor) =>
        Table.Where(t => t.From == dispute.Status && (t.Who & actor.Party) != 0 && (t.Who & System) == 0)
            .Where(t => t.When == Any || PathOf(dispute, t.Trigger, default) is var path && (path == Any || path == t.When))
            .Where(t => t.Guard?.Invoke(dispute, new DisputeAct(actor)) is null)
            .Select(t => ActionName(t.Trigger))
            .Distinct()
            .ToList();

    /// <summary>
    /// Whether a dispute for <paramref name="reason"/> may be opened on <paramref name="order"/> now, beyond what the order's
    /// table allows (its state): protection must not have ended, the post-completion window must be open, and a
    /// <c>not_received</c> dispute is only for an order whose delivery was neither reported nor confirmed.
    /// </summary>
    public static DomainException? OpeningRefusal(Order order, DisputeReason reason, DateTimeOffset now)
    {
        static DomainException Closed(string why) => new(RefusalKind.RuleRefused, "dispute_window_closed", why);
        if (order.Status == OrderStatus.Completed)
        {
            if (reason == DisputeReason.NotReceived)
                return Closed("An order that has completed cannot be disputed as not received.");
            if (order.DisputeWindowEndsAt is { } ends && now >= ends)
                return Closed("The days to open a dispute after completion are over.");
            return null;
        }
        if (order.ProtectionEndsAt is { } protectionEnds && now >= protectionEnds)
            return Closed("The order's protection has ended.");
        if (reason == DisputeReason.NotReceived && order.DeliveredAt is not null)
            return Closed("Delivery of this order has been reported: it cannot be disputed as not received.");
        return null;
    }

    /// <summary>
    /// Checks the amount that goes with an outcome: a partial refund needs one of at least one minor unit and at most
    /// the order's total (<c>amount_out_of_range</c>); every other outcome takes none.
    /// </summary>
    public static void CheckAmount(DisputeOutcome outcome, long? amount, long orderTotal)
    {
        if (outcome != DisputeOutcome.PartialRefund)
        {
            if (amount is not null)
                throw new DomainException(RefusalKind.Invalid, "validation_failed", $"An amount goes only with a partial refund, not with {Name(outcome)}.");
            return;
        }
        if (amount is not { } a)
            throw new DomainException(RefusalKind.Invalid, "validation_failed", "A partial refund needs an amount.");
        if (a < 1 || a > orderTotal)
            throw new DomainException(RefusalKind.RuleRefused, "amount_out_of_range",
                $"A partial refund must be at least one minor unit and at most the order's total ({orderTotal}).");
    }

    /// <summary>The snake-case API name of a trigger, e.g. <c>counter_offer</c>.</summary>
    public static string ActionName(DisputeTrigger trigger) => SnakeCase.Of(trigger.ToString());

    /// <summary>The snake-case API name of a status, e.g. <c>under_review</c>.</summary>
    public static string StatusName(DisputeStatus status) => SnakeCase.Of(status.ToString());

    public static string Name(DisputeReason reason) => SnakeCase.Of(reason.ToString());

    public static string Name(DisputeOutcome outcome) => SnakeCase.Of(outcome.ToString());

    public static bool TryParse<TEnum>(string? value, out TEnum parsed)
        where TEnum : struct, Enum
    {
        foreach (var v in Enum.GetValues<TEnum>())
        {
            if (string.Equals(SnakeCase.Of(v.ToString()), value, StringComparison.Ordinal))
            {
                parsed = v;
                return true;
            }
        }
        parsed = default;
        return false;
    }

    /// <summary>Which path the outcome a trigger carries out takes: the request for an acceptance, the latest offer, the decision.</summary>
    private static DisputePath PathOf(Dispute? dispute, DisputeTrigger trigger, DisputeAct act)
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

    private static string Describe(DisputeParty who) => who switch
    {
        DisputeParty.Buyer => "buyer",
        DisputeParty.Seller => "seller",
        DisputeParty.Arbiter => "arbiter",
        DisputeParty.System => "system",
        _ => "caller",
    };

    private static Func<Dispute, DisputeAct, DomainException?> Both(Func<Dispute, DisputeAct, DomainException?> first,
        Func<Dispute, DisputeAct, DomainException?> then) =>
        (d, a) => first(d, a) ?? then(d, a);

    /// <summary>The guards of the table: each answers null when the transition may go ahead, or the refusal.</summary>
    private static class Rules
    {
        public static DomainException? OfferMade(Dispute d, DisputeAct _) =>
            d.LatestOffer is not null ? null : DomainException.InvalidState("The seller made no offer to accept.");

        /// <summary>An arbiter never decides a dispute on an order of their own, nor the appeal of their own decision.</summary>
        public static DomainException? MayDecide(Dispute d, DisputeAct act) =>
            act.By.UserId is not { } arbiter ? null
            : arbiter == d.BuyerId || arbiter == d.SellerId
                ? new DomainException(RefusalKind.NotAllowed, "arbiter_is_a_party", "An arbiter cannot decide a dispute on an order they bought or sold.")
            : d.AppealedAt is not null && arbiter == d.DecidedBy
                ? new DomainException(RefusalKind.RuleRefused, "appeal_needs_another_arbiter", "An appeal is decided by a different arbiter than the one who decided first.")
            : null;

        /// <summary>Once an arbiter has decided, the buyer cannot withdraw to escape the decision (and open a new dispute).</summary>
        public static DomainException? NotDecided(Dispute d, DisputeAct _) =>
            d.DecidedBy is null ? null
            : new DomainException(RefusalKind.RuleRefused, "decision_made", "An arbiter has decided this dispute: it can no longer be withdrawn.");

        /// <summary>
        /// An arbiter's return-and-refund decision is carried out at once, so it is appealed while the item is on its way
        /// back (at most 10 + 15 days, inside the 30-day appeal window); the appeal stops the return.
        /// </summary>
        public static DomainException? ReturnDecisionAppealable(Dispute d, DisputeAct _) =>
            d.DecidedBy is null
                ? DomainException.InvalidState("Only an arbiter's decision can be appealed; this return was agreed.")
            : d.AppealedAt is not null
                ? new DomainException(RefusalKind.RuleRefused, "already_appealed", "A decision can be appealed only once.")
            : null;

        public static DomainException? NotAppealed(Dispute d, DisputeAct _) =>
            d.AppealedAt is null ? null : DomainException.InvalidState("The dispute is under appeal.");

        public static DomainException? Appealed(Dispute d, DisputeAct _) =>
            d.AppealedAt is not null ? null : DomainException.InvalidState("The dispute is not under appeal.");

        /// <summary>Only an arbiter's first decision, while its appeal window is open and it has not settled.</summary>
        public static DomainException? Appealable(Dispute d, DisputeAct _) =>
            d.DecidedBy is null
                ? DomainException.InvalidState("Only an arbiter's decision can be appealed; this dispute was resolved by agreement.")
            : d.AppealedAt is not null
                ? new DomainException(RefusalKind.RuleRefused, "already_appealed", "A decision can be appealed only once.")
            : d.SettledAt is not null
                ? new DomainException(RefusalKind.RuleRefused, "appeal_window_closed", "The days to appeal this decision are over.")
            : null;
    }
}
