using Safehold.Domain.Disputes;
using Safehold.Domain.Process;

namespace Safehold.Domain.Orders;

/// <summary>Where an order is in its life. The API spells these in snake case (<c>awaiting_payment</c>).</summary>
public enum OrderStatus
{
    AwaitingPayment,
    AwaitingShipment,
    AwaitingDelivery,
    Completed,

    /// <summary>Cancelled, expired unpaid, or refunded in full.</summary>
    Closed,
}

/// <summary>What can happen to an order. The API's <c>actions</c> are the snake-case names of the ones a person may trigger.</summary>
public enum OrderTrigger
{
    Pay,
    Cancel,
    Ship,
    MarkDelivered,
    ConfirmReceipt,

    /// <summary>The buyer asks for more protection time.</summary>
    ExtendProtection,
    ApproveExtension,
    DeclineExtension,

    /// <summary>System: the order was not paid in time.</summary>
    ExpireUnpaid,

    /// <summary>System: the seller did not ship by the ship-by date.</summary>
    ShipByMissed,

    /// <summary>System: the protection period ended with no open dispute.</summary>
    ProtectionEnded,

    /// <summary>System: the days after a reported delivery ran out.</summary>
    DeliveryAutoComplete,

    /// <summary>System: the seller did not answer an extension request in time, which approves it.</summary>
    ExtensionAutoApproved,

    /// <summary>System: the post-completion dispute window closed; the seller's credit becomes available.</summary>
    DisputeWindowClosed,

    /// <summary>The buyer opened a dispute (<see cref="Disputes.Dispute"/>): the order's clock stops until it ends.</summary>
    OpenDispute,

    /// <summary>System, for the dispute process: the buyer withdrew the dispute; the order continues where it was.</summary>
    DisputeWithdrawn,

    /// <summary>System, for the dispute process: the dispute ended in a full refund.</summary>
    DisputeRefundedInFull,

    /// <summary>System, for the dispute process: the dispute ended in a partial refund; the rest is the seller's.</summary>
    DisputeRefundedInPart,

    /// <summary>System, for the dispute process: the dispute ended with the money released to the seller.</summary>
    DisputeReleasedToSeller,

    /// <summary>
    /// The payment provider reported a chargeback (<see cref="Disputes.DisputeReason.Chargeback"/>): the order is frozen
    /// like a dispute, and money already released is taken back into its escrow. It takes over from an open dispute.
    /// </summary>
    ChargebackOpened,

    /// <summary>The card network decided the chargeback for the seller: the money goes back where it was and the order continues.</summary>
    ChargebackWon,

    /// <summary>The card network decided the chargeback for the buyer: the money has gone back to the card, and the order closes.</summary>
    ChargebackLost,
}

/// <summary>Who acts on an order, relative to it.</summary>
[Flags]
public enum Party
{
    None = 0,
    Buyer = 1,
    Seller = 2,
    Admin = 4,
    System = 8,
}

/// <summary>What a transition does to the order's pending timers besides starting and cancelling them.</summary>
public enum OrderClock
{
    Runs,

    /// <summary>
    /// Every pending timer stops with the time it had left (<see cref="OrderTimer.Remaining"/>) and its due instant
    /// becomes <see cref="OrderTimer.Never"/>, so no <c>DueAt &lt;= now</c> query (the sweeper's) selects it.
    /// </summary>
    Pauses,

    /// <summary>Paused timers run again with the time they had left; the order's dates move by the time it was paused.</summary>
    Resumes,
}

/// <summary>
/// A timer of an order: a row with its due instant, written with the transition that starts it and
/// removed when it fires or when the order leaves the state it belongs to.
/// </summary>
/// <remarks>Timers due at the same instant fire in this order: reminders and the seller's extension answer before the deadlines they concern.</remarks>
public enum OrderTimerKind
{
    PayBy,
    ShipByReminder,
    ShipBy,
    ExtensionDecision,
    ProtectionEndingReminder,
    ProtectionEnds,
    AutoComplete,
    DisputeWindowEnds,
}

/// <summary>The dates a transition sets or shifts on the order; their formulas are <see cref="OrderProcess.Dates"/>.</summary>
[Flags]
public enum OrderDate
{
    None = 0,

    /// <summary><c>paidAt</c>, and <c>shipBy</c> the handling days later.</summary>
    Paid = 1,

    /// <summary><c>shippedAt</c>, and <c>protectionEndsAt</c> the protection days later.</summary>
    Shipped = 2,

    /// <summary><c>deliveredAt</c>, and <c>autoCompleteAt</c> the auto-complete days later.</summary>
    Delivered = 4,

    /// <summary><c>completedAt</c>, the post-completion dispute window's end, and a waiting extension lapses.</summary>
    Completed = 8,

    /// <summary><c>closedAt</c>, and a waiting extension lapses.</summary>
    Closed = 16,

    /// <summary><c>creditAvailableAt</c>: the seller's pending credit became available.</summary>
    CreditAvailable = 32,

    /// <summary>The waiting extension is granted: protection (and a pending auto-completion) end later by its days.</summary>
    Extended = 64,

    /// <summary><c>partSettledAt</c>: the part a per-item dispute held apart in escrow was refunded or released (<see cref="OrderPart.Items"/>).</summary>
    PartSettled = 128,

    /// <summary>The part a per-item dispute held apart rejoins the rest of the order: the dispute ended with no money moved.</summary>
    PartRejoined = 256,
}

/// <summary>
/// Which of a trigger's rows applies, by the dispute's claim (SPEC 3): a dispute on the whole order freezes it; one that
/// names items worth less than the total holds only their value apart in escrow, and the rest goes on by its own clock.
/// </summary>
public enum OrderPart
{
    /// <summary>Whatever the claim.</summary>
    Any,

    /// <summary>No part held apart: the order's money is one (no dispute, or a dispute on the whole order).</summary>
    Whole,

    /// <summary>
    /// A per-item dispute holds its items' value apart (<see cref="Order.PartAmount"/>), or, for opening one, the act names
    /// items worth less than the total (<see cref="OrderAct.Claim"/>).
    /// </summary>
    Items,
}

/// <summary>What a transition asks of the payment provider, outside the database: its money has left or entered.</summary>
public enum ProviderCall
{
    None,

    /// <summary>Charge the buyer for the order's total (before the transition: a declined card changes nothing).</summary>
    Capture,

    /// <summary>Refund the buyer what the transition's journal entry pays out to refunds.</summary>
    Refund,

    /// <summary>
    /// An unpaid order ends: a capture whose commit was lost (its host died) is looked for again by its key, and returned by
    /// the instruction worker after the close is committed.
    /// </summary>
    VoidLostCapture,
}

/// <summary>What a person or the system is trying to do to an order: who, and what the guard needs to see of the request.</summary>
/// <param name="By">Who acts.</param>
/// <param name="Reason">For <c>open_dispute</c>: the reason, which some windows depend on; null asks for any reason.</param>
/// <param name="Days">For <c>extend_protection</c>: the days asked for; null asks whether any may be.</param>
/// <param name="Claim">For <c>open_dispute</c>: the value of the items the dispute names, in minor units; null for the whole order.</param>
public readonly record struct OrderAct(Actor By, Disputes.DisputeReason? Reason = null, int? Days = null, long? Claim = null, bool WithItsCheckout = false) : IProcessAct<Party>
{
    public Party Party => By.Party;

    public static implicit operator OrderAct(Actor by) => new(by);
}

/// <summary>A guard of the order's table: null when the transition may go ahead, or the refusal. Sees the order (and its terms), the act and now.</summary>
public delegate DomainException? OrderGuard(Order order, OrderAct act, DateTimeOffset now);

/// <summary>What a timer belongs to and what happens when it fires.</summary>
/// <param name="Kind">The timer.</param>
/// <param name="LivesIn">The state it belongs to: leaving that state cancels it.</param>
/// <param name="Fires">The system transition it fires, or null for a reminder.</param>
/// <param name="DueAt">
/// When it falls due, from the order's dates and terms; null when the order has no such date. Computed whenever a
/// transition starts the timer or moves those dates (an extension, a dispute's pause), so the timer row and the date agree.
/// </param>
/// <param name="Deadline">Its name among the order's <c>deadlines</c>, or null for a reminder (not a deadline).</param>
/// <param name="Remind">For a reminder: who is reminded.</param>
/// <param name="Due">How <paramref name="DueAt"/> reads in words, for the policy document.</param>
public sealed record TimerRule(OrderTimerKind Kind, OrderStatus LivesIn, OrderTrigger? Fires, Func<Order, DateTimeOffset?> DueAt, string? Deadline,
    Party Remind = Party.None, string Due = "");

/// <summary>
/// One row of the order's process: in state <see cref="From"/>, <see cref="Who"/> may <see cref="Trigger"/> (if the
/// <see cref="Guard"/> lets them now), and then the order goes <see cref="To"/>, moves <see cref="Money"/>, starts the
/// timers <see cref="Starts"/>, sets the dates <see cref="Sets"/>, pauses or resumes its clock, and asks the payment
/// provider for <see cref="Calls"/>. A row for a <see cref="Part"/> applies only to an order (or an act) with that claim.
/// </summary>
public sealed record OrderTransition(
    OrderTrigger Trigger,
    OrderStatus From,
    Party Who,
    OrderStatus To,
    MoneyMovement Money,
    OrderTimerKind[] Starts,
    OrderGuard? Guard = null,
    OrderClock Clock = OrderClock.Runs,
    OrderDate Sets = OrderDate.None,
    ProviderCall Outside = ProviderCall.None,
    OrderPart Part = OrderPart.Any) : IProcessRow<OrderStatus, OrderTrigger, Party, Order, OrderAct>
{
    /// <summary>The provider call the row needs: its own (<see cref="Outside"/>), or the one its money movement needs.</summary>
    public ProviderCall Calls => Outside != ProviderCall.None ? Outside : OrderMoney.Of(Money).Calls;

    OrderStatus? IProcessRow<OrderStatus, OrderTrigger, Party, Order, OrderAct>.From => From;

    bool IProcessRow<OrderStatus, OrderTrigger, Party, Order, OrderAct>.Takes(Order? subject, OrderAct act) =>
        Part == OrderPart.Any || subject is null || (Part == OrderPart.Items) == OrderProcess.HoldsPart(subject, act);

    public DomainException? Refusal(Order subject, OrderAct act, DateTimeOffset now) => Guard?.Invoke(subject, act, now);
}

/// <summary>
/// The order's whole process, read top to bottom: every state, who may do what in it (and until when), the state it
/// leads to, the money it moves, the timers it starts, the dates it sets and the provider call it needs. Enforcement
/// (<see cref="Order"/>) and the <c>actions</c> offered to a caller both come from this one table through the shared
/// <see cref="ProcessEngine{TRow,TState,TTrigger,TParty,TSubject,TAct}"/>; the timers' and the dates' tables follow it.
/// </summary>
public static class OrderProcess
{
    private static readonly OrderTimerKind[] Nothing = [];
    private const OrderStatus AwaitingPayment = OrderStatus.AwaitingPayment;
    private const OrderStatus AwaitingShipment = OrderStatus.AwaitingShipment;
    private const OrderStatus AwaitingDelivery = OrderStatus.AwaitingDelivery;
    private const OrderStatus Completed = OrderStatus.Completed;
    private const OrderStatus Closed = OrderStatus.Closed;
    private const Party Buyer = Party.Buyer, Seller = Party.Seller, Admin = Party.Admin, System = Party.System;
    private const OrderClock Pauses = OrderClock.Pauses, Resumes = OrderClock.Resumes;

    public static readonly IReadOnlyList<OrderTransition> Table =
    [
        //  trigger                           from              who              to                money                               starts                              guard
        // An order of a checkout is paid only with the checkout's one payment, together with its other orders.
        new(OrderTrigger.Pay,                 AwaitingPayment,  Buyer,           AwaitingShipment, MoneyMovement.CaptureIntoEscrow,    [OrderTimerKind.ShipBy, OrderTimerKind.ShipByReminder],       Rules.PaidAsItsCheckoutIs, Sets: OrderDate.Paid),
        new(OrderTrigger.Cancel,              AwaitingPayment,  Buyer | Seller,  Closed,           MoneyMovement.None,                 Nothing,                                                      Sets: OrderDate.Closed, Outside: ProviderCall.VoidLostCapture),
        new(OrderTrigger.ExpireUnpaid,        AwaitingPayment,  System,          Closed,           MoneyMovement.None,                 Nothing,                                                      Sets: OrderDate.Closed, Outside: ProviderCall.VoidLostCapture),
        new(OrderTrigger.Ship,                AwaitingShipment, Seller,          AwaitingDelivery, MoneyMovement.None,                 [OrderTimerKind.ProtectionEnds, OrderTimerKind.ProtectionEndingReminder], Rules.NoOpenDispute, Sets: OrderDate.Shipped),
        new(OrderTrigger.Cancel,              AwaitingShipment, Buyer | Seller,  Closed,           MoneyMovement.RefundInFull,         Nothing,                                                      Rules.NoOpenDispute, Sets: OrderDate.Closed),
        new(OrderTrigger.ShipByMissed,        AwaitingShipment, System,          Closed,           MoneyMovement.RefundInFull,         Nothing,                                                      Sets: OrderDate.Closed),
        new(OrderTrigger.MarkDelivered,       AwaitingDelivery, Seller | Admin,  AwaitingDelivery, MoneyMovement.None,                 [OrderTimerKind.AutoComplete],      Both(Rules.NotFrozen, Rules.NotYetDelivered), Sets: OrderDate.Delivered),
        // The carrier's own scan reports the delivery (POST /tracking-events): the same report, by the system, once.
        new(OrderTrigger.MarkDelivered,       AwaitingDelivery, System,          AwaitingDelivery, MoneyMovement.None,                 [OrderTimerKind.AutoComplete],      Both(Rules.NotFrozen, Rules.NotYetDelivered), Sets: OrderDate.Delivered),
        new(OrderTrigger.ConfirmReceipt,      AwaitingDelivery, Buyer,           Completed,        MoneyMovement.ReleaseToSeller,      [OrderTimerKind.DisputeWindowEnds], Rules.NotFrozen,                             Sets: OrderDate.Completed),
        new(OrderTrigger.ExtendProtection,    AwaitingDelivery, Buyer,           AwaitingDelivery, MoneyMovement.None,                 [OrderTimerKind.ExtensionDecision], Both(Rules.NotFrozen, Rules.MayRequestExtension)),
        new(OrderTrigger.ApproveExtension,    AwaitingDelivery, Seller,          AwaitingDelivery, MoneyMovement.None,                 Nothing,                            Both(Rules.NotFrozen, Rules.ExtensionPending), Sets: OrderDate.Extended),
        new(OrderTrigger.DeclineExtension,    AwaitingDelivery, Seller,          AwaitingDelivery, MoneyMovement.None,                 Nothing,                            Both(Rules.NotFrozen, Rules.ExtensionPending)),
        new(OrderTrigger.ExtensionAutoApproved, AwaitingDelivery, System,        AwaitingDelivery, MoneyMovement.None,                 Nothing,                            Both(Rules.NotFrozen, Rules.ExtensionPending), Sets: OrderDate.Extended),
        new(OrderTrigger.ProtectionEnded,     AwaitingDelivery, System,          Completed,        MoneyMovement.ReleaseToSeller,      [OrderTimerKind.DisputeWindowEnds], Rules.NotFrozen,                             Sets: OrderDate.Completed),
        new(OrderTrigger.DeliveryAutoComplete, AwaitingDelivery, System,         Completed,        MoneyMovement.ReleaseToSeller,      [OrderTimerKind.DisputeWindowEnds], Both(Rules.NotFrozen, Rules.Delivered),      Sets: OrderDate.Completed),
        new(OrderTrigger.DisputeWindowClosed, Completed,        System,          Completed,        MoneyMovement.PendingToAvailable,   Nothing,                            Both(Rules.NotFrozen, Rules.CreditStillPending), Sets: OrderDate.CreditAvailable),

        // Disputes (SPEC 3; the dispute's own process is Disputes.DisputeProcess). While one is open the order is frozen:
        // every row above refuses, and its timers are paused. Opening is bounded in time and by reason (Rules.DisputeWindowOpen).
        new(OrderTrigger.OpenDispute,         AwaitingDelivery, Buyer,           AwaitingDelivery, MoneyMovement.None,                 Nothing,                            Both(Rules.MayOpenDispute, Rules.DisputeWindowOpen), Pauses, Part: OrderPart.Whole),
        new(OrderTrigger.OpenDispute,         Completed,        Buyer,           Completed,        MoneyMovement.None,                 Nothing,                            Both(Rules.CreditStillPendingForDispute, Both(Rules.MayOpenDispute, Rules.DisputeWindowOpen)), Pauses, Part: OrderPart.Whole),
        new(OrderTrigger.DisputeWithdrawn,    AwaitingDelivery, System,          AwaitingDelivery, MoneyMovement.None,                 Nothing,                            Rules.DisputeOpen,     Resumes, Part: OrderPart.Whole),
        new(OrderTrigger.DisputeWithdrawn,    Completed,        System,          Completed,        MoneyMovement.None,                 Nothing,                            Rules.DisputeOpen,     Resumes, Part: OrderPart.Whole),
        new(OrderTrigger.DisputeRefundedInFull, AwaitingDelivery, System,        Closed,           MoneyMovement.DisputeRefundFromEscrow, Nothing,                         Rules.DisputeOpen,                                   Sets: OrderDate.Closed, Part: OrderPart.Whole),
        new(OrderTrigger.DisputeRefundedInPart, AwaitingDelivery, System,        Completed,        MoneyMovement.DisputeSplitEscrow,   [OrderTimerKind.DisputeWindowEnds], Rules.DisputeOpen,                                   Sets: OrderDate.Completed, Part: OrderPart.Whole),
        new(OrderTrigger.DisputeReleasedToSeller, AwaitingDelivery, System,      Completed,        MoneyMovement.ReleaseToSeller,      [OrderTimerKind.DisputeWindowEnds], Rules.DisputeOpen,                                   Sets: OrderDate.Completed, Part: OrderPart.Whole),
        new(OrderTrigger.DisputeRefundedInFull, Completed,      System,          Closed,           MoneyMovement.DisputeRefundFromPending, Nothing,                        Rules.DisputeOpen,                                   Sets: OrderDate.Closed, Part: OrderPart.Whole),
        new(OrderTrigger.DisputeRefundedInPart, Completed,      System,          Completed,        MoneyMovement.DisputePartRefundFromPending, Nothing,                    Rules.DisputeOpen,     Resumes, Part: OrderPart.Whole),
        new(OrderTrigger.DisputeReleasedToSeller, Completed,    System,          Completed,        MoneyMovement.None,                 Nothing,                            Rules.DisputeOpen,     Resumes, Part: OrderPart.Whole),

        // Disputes per item (SPEC 3): opened on items worth less than the total, a dispute holds only their value apart in
        // escrow (Order.PartAmount; after completion, taken back from the seller's pending credit and the commission). The
        // rest is not frozen: it goes on by its own clock (the rows above guarded by Rules.NotFrozen: delivery, confirm
        // receipt, protection's end, the dispute window), released less its commission. The outcome posts against the part
        // only, whether the rest is still in escrow or already released.
        new(OrderTrigger.OpenDispute,         AwaitingDelivery, Buyer,           AwaitingDelivery, MoneyMovement.None,                 Nothing,                            Both(Rules.MayOpenDispute, Rules.DisputeWindowOpen), Part: OrderPart.Items),
        new(OrderTrigger.OpenDispute,         Completed,        Buyer,           Completed,        MoneyMovement.PartHoldFromCredit,   Nothing,                            Both(Rules.CreditStillPendingForDispute, Both(Rules.MayOpenDispute, Rules.DisputeWindowOpen)), Part: OrderPart.Items),
        new(OrderTrigger.DisputeWithdrawn,    AwaitingDelivery, System,          AwaitingDelivery, MoneyMovement.None,                 Nothing,                            Rules.DisputeOpen,     Sets: OrderDate.PartRejoined, Part: OrderPart.Items),
        new(OrderTrigger.DisputeWithdrawn,    Completed,        System,          Completed,        MoneyMovement.PartReleaseToSeller,  Nothing,                            Rules.DisputeOpen,     Sets: OrderDate.PartSettled, Part: OrderPart.Items),
        new(OrderTrigger.DisputeRefundedInFull, AwaitingDelivery, System,        AwaitingDelivery, MoneyMovement.PartRefund,           Nothing,                            Rules.DisputeOpen,     Sets: OrderDate.PartSettled, Part: OrderPart.Items),
        new(OrderTrigger.DisputeRefundedInPart, AwaitingDelivery, System,        AwaitingDelivery, MoneyMovement.PartRefund,           Nothing,                            Rules.DisputeOpen,     Sets: OrderDate.PartSettled, Part: OrderPart.Items),
        new(OrderTrigger.DisputeReleasedToSeller, AwaitingDelivery, System,      AwaitingDelivery, MoneyMovement.PartReleaseToSeller,  Nothing,                            Rules.DisputeOpen,     Sets: OrderDate.PartSettled, Part: OrderPart.Items),
        new(OrderTrigger.DisputeRefundedInFull, Completed,      System,          Completed,        MoneyMovement.PartRefund,           Nothing,                            Rules.DisputeOpen,     Sets: OrderDate.PartSettled, Part: OrderPart.Items),
        new(OrderTrigger.DisputeRefundedInPart, Completed,      System,          Completed,        MoneyMovement.PartRefund,           Nothing,                            Rules.DisputeOpen,     Sets: OrderDate.PartSettled, Part: OrderPart.Items),
        new(OrderTrigger.DisputeReleasedToSeller, Completed,    System,          Completed,        MoneyMovement.PartReleaseToSeller,  Nothing,                            Rules.DisputeOpen,     Sets: OrderDate.PartSettled, Part: OrderPart.Items),

        // Chargebacks (SPEC 4): the provider reports them, whatever Safehold decided. Money still in escrow is frozen there;
        // money released is taken back into escrow (ChargebackHold). Won, it goes back and the order continues; lost, it
        // has left to the card and the order closes. A chargeback takes over from an open dispute (the order stays frozen).
        new(OrderTrigger.ChargebackOpened,    AwaitingShipment, System,          AwaitingShipment, MoneyMovement.None,                 Nothing,                            Rules.NoChargebackOpen, Pauses),
        new(OrderTrigger.ChargebackOpened,    AwaitingDelivery, System,          AwaitingDelivery, MoneyMovement.None,                 Nothing,                            Rules.NoChargebackOpen, Pauses, Part: OrderPart.Whole),
        // With a per-item dispute's part: what of it was released is taken back; a part still held rejoins the rest (Order.OpenChargeback).
        new(OrderTrigger.ChargebackOpened,    AwaitingDelivery, System,          AwaitingDelivery, MoneyMovement.ChargebackHold,       Nothing,                            Rules.NoChargebackOpen, Pauses, Part: OrderPart.Items),
        new(OrderTrigger.ChargebackOpened,    Completed,        System,          Completed,        MoneyMovement.ChargebackHold,       Nothing,                            Rules.NoChargebackOpen, Pauses),
        new(OrderTrigger.ChargebackWon,       AwaitingShipment, System,          AwaitingShipment, MoneyMovement.None,                 Nothing,                            Rules.ChargebackOpen,  Resumes),
        new(OrderTrigger.ChargebackWon,       AwaitingDelivery, System,          AwaitingDelivery, MoneyMovement.None,                 Nothing,                            Rules.ChargebackOpen,  Resumes, Part: OrderPart.Whole),
        new(OrderTrigger.ChargebackWon,       AwaitingDelivery, System,          AwaitingDelivery, MoneyMovement.ChargebackReturned,   Nothing,                            Rules.ChargebackOpen,  Resumes, Part: OrderPart.Items),
        new(OrderTrigger.ChargebackWon,       Completed,        System,          Completed,        MoneyMovement.ChargebackReturned,   Nothing,                            Rules.ChargebackOpen,  Resumes),
        new(OrderTrigger.ChargebackLost,      AwaitingShipment, System,          Closed,           MoneyMovement.ChargebackLost,       Nothing,                            Rules.ChargebackOpen,  Sets: OrderDate.Closed),
        new(OrderTrigger.ChargebackLost,      AwaitingDelivery, System,          Closed,           MoneyMovement.ChargebackLost,       Nothing,                            Rules.ChargebackOpen,  Sets: OrderDate.Closed),
        new(OrderTrigger.ChargebackLost,      Completed,        System,          Closed,           MoneyMovement.ChargebackLost,       Nothing,                            Rules.ChargebackOpen,  Sets: OrderDate.Closed),
    ];

    /// <summary>
    /// Every timer: the state it lives in, what it fires, when it falls due. Reminders fire nothing but a notification.
    /// Adding a timer is one row here (and its kind), plus the transition that starts it.
    /// </summary>
    public static readonly IReadOnlyList<TimerRule> Timers =
    [
        //  timer                                    lives in          fires                               due at                                          deadline
        new(OrderTimerKind.PayBy,                    AwaitingPayment,  OrderTrigger.ExpireUnpaid,          o => o.PayBy,                                   "payBy",
            Due: "the pay-within time after the order is placed"),
        new(OrderTimerKind.ShipBy,                   AwaitingShipment, OrderTrigger.ShipByMissed,          o => o.ShipBy,                                  "shipBy",
            Due: "the handling days after payment"),
        new(OrderTimerKind.ShipByReminder,           AwaitingShipment, null,                               o => o.ShipBy?.AddDays(-o.SellerReminderDays),  null, Remind: Seller,
            Due: "the seller's reminder days before ship-by"),
        new(OrderTimerKind.ProtectionEnds,           AwaitingDelivery, OrderTrigger.ProtectionEnded,       o => o.ProtectionEndsAt,                        "protectionEndsAt",
            Due: "the protection days after shipment, plus granted extensions"),
        new(OrderTimerKind.ProtectionEndingReminder, AwaitingDelivery, null,                               o => o.ProtectionEndsAt?.AddDays(-o.BuyerReminderDays), null, Remind: Buyer,
            Due: "the buyer's reminder days before protection ends"),
        new(OrderTimerKind.AutoComplete,             AwaitingDelivery, OrderTrigger.DeliveryAutoComplete,  o => o.AutoCompleteAt,                          "autoCompleteAt",
            Due: "the auto-complete days after delivery is reported"),
        new(OrderTimerKind.ExtensionDecision,        AwaitingDelivery, OrderTrigger.ExtensionAutoApproved, o => o.PendingExtension?.AnswerBy,              "extensionDecisionBy",
            Due: "the seller's answer days after the request, and never after protection ends"),
        new(OrderTimerKind.DisputeWindowEnds,        Completed,        OrderTrigger.DisputeWindowClosed,   o => o.DisputeWindowEndsAt,                     "availableAt",
            Due: "the post-completion dispute days after completion"),
    ];

    /// <summary>What each of <see cref="OrderDate"/> sets or shifts, from <c>now</c>, the act and the order's terms.</summary>
    public static readonly IReadOnlyList<(OrderDate Date, string Sets, Action<Order, OrderTransition, DateTimeOffset> Apply)> Dates =
    [
        (OrderDate.Paid, "paidAt = now; shipBy = now + handling days", (o, _, now) => { o.PaidAt = now; o.ShipBy = now.AddDays(o.HandlingDays); }),
        (OrderDate.Shipped, "shippedAt = now; protectionEndsAt = now + protection days",
            (o, _, now) => { o.ShippedAt = now; o.ProtectionEndsAt = now.AddDays(o.ProtectionDays); }),
        (OrderDate.Delivered, "deliveredAt = now; autoCompleteAt = now + auto-complete days",
            (o, _, now) => { o.DeliveredAt = now; o.AutoCompleteAt = now.AddDays(o.AutoCompleteDaysAfterDelivery); }),
        (OrderDate.Completed, "completedAt = now; the dispute window ends post-completion days later; a waiting extension lapses",
            (o, _, now) => { o.CompletedAt = now; o.DisputeWindowEndsAt = now.AddDays(o.PostCompletionDisputeDays); o.PendingExtension?.Decide(ExtensionStatus.Lapsed, now); }),
        (OrderDate.Closed, "closedAt = now; a waiting extension lapses", (o, _, now) => { o.ClosedAt = now; o.PendingExtension?.Decide(ExtensionStatus.Lapsed, now); }),
        (OrderDate.CreditAvailable, "creditAvailableAt = now", (o, _, now) => o.CreditAvailableAt = now),
        (OrderDate.Extended, "protectionEndsAt and autoCompleteAt move later by the extension's days",
            (o, t, now) => o.Extend(t.Trigger == OrderTrigger.ExtensionAutoApproved ? ExtensionStatus.AutoApproved : ExtensionStatus.Approved, now)),
        (OrderDate.PartSettled, "partSettledAt = now", (o, _, now) => o.PartSettledAt = now),
        (OrderDate.PartRejoined, "partAmount = 0: the order is one again", (o, _, _) => o.RejoinPart()),
    ];

    /// <summary>The tables above as one value: every order follows these (<see cref="Order.Process"/>).</summary>
    public static readonly OrderTables Standard = new(Table, Timers);

    /// <summary>The shared machinery over <see cref="Table"/>: authorization, <c>actions</c>, names.</summary>
    public static ProcessEngine<OrderTransition, OrderStatus, OrderTrigger, Party, Order, OrderAct> Engine => Standard.Engine;

    public static TimerRule RuleOf(OrderTimerKind kind) => Standard.RuleOf(kind);

    /// <summary>The transition <paramref name="act"/> would take by <paramref name="trigger"/> at <paramref name="now"/>, or the reason why not.</summary>
    public static OrderTransition Authorize(Order order, OrderTrigger trigger, OrderAct act, DateTimeOffset now) =>
        order.Process.Engine.Authorize(order, trigger, act, now);

    /// <summary>What <paramref name="who"/> may do to the order at <paramref name="now"/>, as API action names.</summary>
    public static IReadOnlyList<string> ActionsFor(Order order, Party who, DateTimeOffset now) =>
        order.Process.Engine.ActionsFor(order, new OrderAct(new Actor(who, null)), now);

    /// <summary>The snake-case API name of a trigger, e.g. <c>confirm_receipt</c>.</summary>
    public static string ActionName(OrderTrigger trigger) => ProcessNames.Of(trigger);

    /// <summary>The snake-case API name of a status, e.g. <c>awaiting_delivery</c>.</summary>
    public static string StatusName(OrderStatus status) => ProcessNames.Of(status);

    public static bool TryParseStatus(string? value, out OrderStatus status) => ProcessNames.TryParse(value, out status);

    /// <summary>
    /// Whether the order's money is in two parts (<see cref="OrderPart.Items"/>): a per-item dispute holds its items' value
    /// apart, or the act opens one on items worth less than the total.
    /// </summary>
    internal static bool HoldsPart(Order o, OrderAct act) => act.Claim is { } claim ? claim < o.TotalAmount : o.PartAmount > 0;

    internal static string Describe(Party who) => who switch
    {
        Party.Buyer => "buyer",
        Party.Seller => "seller",
        Party.Admin => "administrator",
        Party.System => "system",
        _ => "caller",
    };

    private static OrderGuard Both(OrderGuard first, OrderGuard then) => (o, a, now) => first(o, a, now) ?? then(o, a, now);

    /// <summary>The guards of the table: each answers null when the transition may go ahead, or the refusal.</summary>
    private static class Rules
    {
        /// <summary>An order of a checkout is paid only by the checkout's payment (<see cref="OrderAct.WithItsCheckout"/>), never alone.</summary>
        public static DomainException? PaidAsItsCheckoutIs(Order o, OrderAct act, DateTimeOffset _) =>
            o.CheckoutId is not { } checkoutId || act.WithItsCheckout ? null
                : new DomainException(RefusalKind.WrongState, "checkout_payment_required",
                    $"The order is one of a checkout's, paid with one payment for all of them: pay checkout {checkoutId}.");

        public static DomainException? NoOpenDispute(Order o, OrderAct _, DateTimeOffset __) =>
            o.OpenDisputeId is null ? null : DomainException.InvalidState("A dispute is open on this order; it waits for the dispute to end.");

        /// <summary>
        /// The rest of the order goes on unless a dispute holds the whole of it: none is open, or the open one is a per-item
        /// dispute holding only its part apart (a chargeback always holds the whole).
        /// </summary>
        public static DomainException? NotFrozen(Order o, OrderAct _, DateTimeOffset __) =>
            o.OpenDisputeId is null || o.PartHeld ? null : DomainException.InvalidState("A dispute is open on this order; it waits for the dispute to end.");

        public static DomainException? DisputeOpen(Order o, OrderAct _, DateTimeOffset __) =>
            o.OpenDisputeId is not null ? null : DomainException.InvalidState("There is no open dispute on this order.");

        /// <summary>One chargeback per order: a second one for the same capture is the provider's matter, not a new case.</summary>
        public static DomainException? NoChargebackOpen(Order o, OrderAct _, DateTimeOffset __) =>
            o.ChargebackId is null ? null
                : new DomainException(RefusalKind.WrongState, "chargeback_exists", "This order already has a chargeback.");

        public static DomainException? ChargebackOpen(Order o, OrderAct _, DateTimeOffset __) =>
            o.ChargebackIsOpen ? null : new DomainException(RefusalKind.WrongState, "chargeback_not_open", "No chargeback is open on this order.");

        public static DomainException? MayOpenDispute(Order o, OrderAct _, DateTimeOffset __) =>
            o.OpenDisputeId is not null
                ? new DomainException(RefusalKind.RuleRefused, "dispute_already_open", "This order already has an open dispute.")
                : o.DisputeResolvedAt is not null || o.PartSettledAt is not null
                    ? new DomainException(RefusalKind.RuleRefused, "dispute_already_resolved", "A dispute on this order has already been resolved.")
                    : null;

        /// <summary>
        /// A dispute is opened while protection runs, or (for every reason but <c>not_received</c>) until the
        /// post-completion window closes; <c>not_received</c> only before a delivery was reported or confirmed.
        /// </summary>
        public static DomainException? DisputeWindowOpen(Order o, OrderAct act, DateTimeOffset now)
        {
            static DomainException Closed(string why) => new(RefusalKind.RuleRefused, "dispute_window_closed", why);
            var notReceived = act.Reason == Disputes.DisputeReason.NotReceived;
            if (o.Status == OrderStatus.Completed)
            {
                if (notReceived) return Closed("An order that has completed cannot be disputed as not received.");
                return o.DisputeWindowEndsAt is { } ends && now >= ends ? Closed("The days to open a dispute after completion are over.") : null;
            }
            if (o.ProtectionEndsAt is { } protectionEnds && now >= protectionEnds)
                return Closed("The order's protection has ended.");
            return notReceived && o.DeliveredAt is not null
                ? Closed("Delivery of this order has been reported: it cannot be disputed as not received.")
                : null;
        }

        public static DomainException? CreditStillPendingForDispute(Order o, OrderAct _, DateTimeOffset __) =>
            o.CreditAvailableAt is null ? null
                : new DomainException(RefusalKind.RuleRefused, "dispute_window_closed", "The days to open a dispute after completion are over.");

        public static DomainException? NotYetDelivered(Order o, OrderAct _, DateTimeOffset __) =>
            o.DeliveredAt is null ? null : DomainException.InvalidState("Delivery has already been reported.");

        public static DomainException? Delivered(Order o, OrderAct _, DateTimeOffset __) =>
            o.DeliveredAt is not null ? null : DomainException.InvalidState("Only a delivered order completes after delivery.");

        public static DomainException? CreditStillPending(Order o, OrderAct _, DateTimeOffset __) =>
            o.CreditAvailableAt is null ? null : DomainException.InvalidState("The seller's credit for this order is already available.");

        public static DomainException? ExtensionPending(Order o, OrderAct _, DateTimeOffset __) =>
            o.PendingExtension is not null ? null : DomainException.InvalidState("There is no extension request waiting for an answer.");

        /// <summary>At most the order's number of requests, one at a time, each of 1 to the terms' most days, while protection runs.</summary>
        public static DomainException? MayRequestExtension(Order o, OrderAct act, DateTimeOffset now) =>
            o.PendingExtension is not null
                ? DomainException.InvalidState("An extension request is already waiting for the seller's answer.")
            : o.Extensions.Count >= o.MaxExtensions
                ? new DomainException(RefusalKind.RuleRefused, "extension_limit_reached", $"An order's protection can be extended at most {o.MaxExtensions} times.")
            : o.ProtectionEndsAt is { } ends && now >= ends
                ? new DomainException(RefusalKind.RuleRefused, "protection_ended", "The order's protection has ended: there is nothing left to extend.")
            : act.Days is < 1
                ? new DomainException(RefusalKind.Invalid, "validation_failed", "An extension adds at least one day.")
            : act.Days > o.MaxExtensionDays
                ? new DomainException(RefusalKind.RuleRefused, "extension_too_long", $"One extension adds at most {o.MaxExtensionDays} days.")
            : null;
    }
}

/// <summary>
/// An order process's tables together: its transitions (and the engine over them) and its timers by kind. The one in
/// force is <see cref="OrderProcess.Standard"/>; a change to the policy is a row added to (or changed in) these tables,
/// and an order placed under other tables (<see cref="Order.Place"/>) follows them in every step, which is how such a
/// change is tried before it is made.
/// </summary>
public sealed class OrderTables
{
    private readonly Dictionary<OrderTimerKind, TimerRule> _timers;

    /// <param name="disputes">The tables its disputes follow; <see cref="DisputeProcess.Standard"/> unless a change to them is being tried.</param>
    public OrderTables(IReadOnlyList<OrderTransition> table, IReadOnlyList<TimerRule> timers, DisputeTables? disputes = null)
    {
        Table = table;
        Timers = timers;
        Disputes = disputes ?? DisputeProcess.Standard;
        Engine = new("order", table, OrderProcess.Describe, Party.System);
        _timers = timers.ToDictionary(t => t.Kind);
        foreach (var row in table)
            foreach (var kind in row.Starts)
                if (!_timers.ContainsKey(kind))
                    throw new ArgumentException($"The {ProcessNames.Of(row.Trigger)} row starts the timer {kind}, which has no row in the timers' table.", nameof(timers));
    }

    public IReadOnlyList<OrderTransition> Table { get; }

    public IReadOnlyList<TimerRule> Timers { get; }

    /// <summary>The dispute's tables, which a dispute opened on an order under these tables follows.</summary>
    public DisputeTables Disputes { get; }

    /// <summary>The shared machinery over <see cref="Table"/>: authorization, <c>actions</c>, names.</summary>
    public ProcessEngine<OrderTransition, OrderStatus, OrderTrigger, Party, Order, OrderAct> Engine { get; }

    /// <summary>The row of a timer kind.</summary>
    public TimerRule RuleOf(OrderTimerKind kind) => _timers[kind];
}

