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

/// <summary>The money a transition moves, posted as one journal entry in the same transaction.</summary>
public enum MoneyMovement
{
    None,

    /// <summary>Payment clearing → the order's escrow, for the order's total.</summary>
    CaptureIntoEscrow,

    /// <summary>Escrow → refunds out, for the whole total, refunded to the buyer's card.</summary>
    RefundInFull,

    /// <summary>Escrow → the seller's pending balance, less commission to the platform.</summary>
    ReleaseToSeller,

    /// <summary>The seller's pending credit for the order → their available balance.</summary>
    PendingToAvailable,

    /// <summary>Before completion: escrow → refunds out, for the whole total.</summary>
    DisputeRefundFromEscrow,

    /// <summary>Before completion: escrow → refunds out for the refund, the rest to the seller's pending balance less commission on it.</summary>
    DisputeSplitEscrow,

    /// <summary>After completion: the seller's pending credit and the commission both give back → refunds out, for the whole total.</summary>
    DisputeRefundFromPending,

    /// <summary>After completion: refunds out the refund, taken from the seller's pending credit and the commission recomputed on what stays released.</summary>
    DisputePartRefundFromPending,
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

/// <summary>What a timer belongs to and what happens when it fires.</summary>
/// <param name="Kind">The timer.</param>
/// <param name="LivesIn">The state it belongs to: leaving that state cancels it.</param>
/// <param name="Fires">The system transition it fires, or null for a reminder.</param>
/// <param name="DueAt">
/// When it falls due, from the order's dates (and terms); null when the order has no such date. Computed whenever a
/// transition starts the timer or moves those dates (an extension, a dispute's pause), so the timer row and the date agree.
/// </param>
/// <param name="Deadline">Its name among the order's <c>deadlines</c>, or null for a reminder (not a deadline).</param>
/// <param name="Remind">For a reminder: who is reminded.</param>
public sealed record TimerRule(OrderTimerKind Kind, OrderStatus LivesIn, OrderTrigger? Fires, Func<Order, DateTimeOffset?> DueAt, string? Deadline,
    Party Remind = Party.None);

/// <summary>One row of the order's process: in state <see cref="From"/>, <see cref="Who"/> may <see cref="Trigger"/>, and then...</summary>
public sealed record OrderTransition(
    OrderTrigger Trigger,
    OrderStatus From,
    Party Who,
    OrderStatus To,
    MoneyMovement Money,
    OrderTimerKind[] Starts,
    Func<Order, DomainException?>? Guard = null,
    OrderClock Clock = OrderClock.Runs);

/// <summary>
/// The order's whole process, read top to bottom: every state, who may do what in it, the state it leads to,
/// the money it moves and the timers it starts (or pauses, while a dispute is open). Enforcement (<see cref="Order"/>) and the
/// <c>actions</c> offered to a caller both come from this one table; the timers' own table follows it.
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

    public static readonly IReadOnlyList<OrderTransition> Table =
    [
        //  trigger                           from              who              to                money                               starts                              guard
        new(OrderTrigger.Pay,                 AwaitingPayment,  Buyer,           AwaitingShipment, MoneyMovement.CaptureIntoEscrow,    [OrderTimerKind.ShipBy, OrderTimerKind.ShipByReminder]),
        new(OrderTrigger.Cancel,              AwaitingPayment,  Buyer | Seller,  Closed,           MoneyMovement.None,                 Nothing),
        new(OrderTrigger.ExpireUnpaid,        AwaitingPayment,  System,          Closed,           MoneyMovement.None,                 Nothing),
        new(OrderTrigger.Ship,                AwaitingShipment, Seller,          AwaitingDelivery, MoneyMovement.None,                 [OrderTimerKind.ProtectionEnds, OrderTimerKind.ProtectionEndingReminder]),
        new(OrderTrigger.Cancel,              AwaitingShipment, Buyer | Seller,  Closed,           MoneyMovement.RefundInFull,         Nothing),
        new(OrderTrigger.ShipByMissed,        AwaitingShipment, System,          Closed,           MoneyMovement.RefundInFull,         Nothing),
        new(OrderTrigger.MarkDelivered,       AwaitingDelivery, Seller | Admin,  AwaitingDelivery, MoneyMovement.None,                 [OrderTimerKind.AutoComplete],      Both(Rules.NoOpenDispute, Rules.NotYetDelivered)),
        new(OrderTrigger.ConfirmReceipt,      AwaitingDelivery, Buyer,           Completed,        MoneyMovement.ReleaseToSeller,      [OrderTimerKind.DisputeWindowEnds], Rules.NoOpenDispute),
        new(OrderTrigger.ExtendProtection,    AwaitingDelivery, Buyer,           AwaitingDelivery, MoneyMovement.None,                 [OrderTimerKind.ExtensionDecision], Both(Rules.NoOpenDispute, Rules.MayRequestExtension)),
        new(OrderTrigger.ApproveExtension,    AwaitingDelivery, Seller,          AwaitingDelivery, MoneyMovement.None,                 Nothing,                            Both(Rules.NoOpenDispute, Rules.ExtensionPending)),
        new(OrderTrigger.DeclineExtension,    AwaitingDelivery, Seller,          AwaitingDelivery, MoneyMovement.None,                 Nothing,                            Both(Rules.NoOpenDispute, Rules.ExtensionPending)),
        new(OrderTrigger.ExtensionAutoApproved, AwaitingDelivery, System,        AwaitingDelivery, MoneyMovement.None,                 Nothing,                            Both(Rules.NoOpenDispute, Rules.ExtensionPending)),
        new(OrderTrigger.ProtectionEnded,     AwaitingDelivery, System,          Completed,        MoneyMovement.ReleaseToSeller,      [OrderTimerKind.DisputeWindowEnds], Rules.NoOpenDispute),
        new(OrderTrigger.DeliveryAutoComplete, AwaitingDelivery, System,         Completed,        MoneyMovement.ReleaseToSeller,      [OrderTimerKind.DisputeWindowEnds], Both(Rules.NoOpenDispute, Rules.Delivered)),
        new(OrderTrigger.DisputeWindowClosed, Completed,        System,          Completed,        MoneyMovement.PendingToAvailable,   Nothing,                            Both(Rules.NoOpenDispute, Rules.CreditStillPending)),

        // Disputes (SPEC 3; the dispute's own process is Disputes.DisputeProcess). While one is open the order is frozen:
        // every row above refuses, and its timers are paused. Opening is also bounded in time and by reason: DisputeProcess.OpeningRefusal.
        new(OrderTrigger.OpenDispute,         AwaitingDelivery, Buyer,           AwaitingDelivery, MoneyMovement.None,                 Nothing,                            Rules.MayOpenDispute,  OrderClock.Pauses),
        new(OrderTrigger.OpenDispute,         Completed,        Buyer,           Completed,        MoneyMovement.None,                 Nothing,                            Both(Rules.PostCompletionWindowOpen, Rules.MayOpenDispute), OrderClock.Pauses),
        new(OrderTrigger.DisputeWithdrawn,    AwaitingDelivery, System,          AwaitingDelivery, MoneyMovement.None,                 Nothing,                            Rules.DisputeOpen,     OrderClock.Resumes),
        new(OrderTrigger.DisputeWithdrawn,    Completed,        System,          Completed,        MoneyMovement.None,                 Nothing,                            Rules.DisputeOpen,     OrderClock.Resumes),
        new(OrderTrigger.DisputeRefundedInFull, AwaitingDelivery, System,        Closed,           MoneyMovement.DisputeRefundFromEscrow, Nothing,                         Rules.DisputeOpen),
        new(OrderTrigger.DisputeRefundedInPart, AwaitingDelivery, System,        Completed,        MoneyMovement.DisputeSplitEscrow,   [OrderTimerKind.DisputeWindowEnds], Rules.DisputeOpen),
        new(OrderTrigger.DisputeReleasedToSeller, AwaitingDelivery, System,      Completed,        MoneyMovement.ReleaseToSeller,      [OrderTimerKind.DisputeWindowEnds], Rules.DisputeOpen),
        new(OrderTrigger.DisputeRefundedInFull, Completed,      System,          Closed,           MoneyMovement.DisputeRefundFromPending, Nothing,                        Rules.DisputeOpen),
        new(OrderTrigger.DisputeRefundedInPart, Completed,      System,          Completed,        MoneyMovement.DisputePartRefundFromPending, Nothing,                    Rules.DisputeOpen,     OrderClock.Resumes),
        new(OrderTrigger.DisputeReleasedToSeller, Completed,    System,          Completed,        MoneyMovement.None,                 Nothing,                            Rules.DisputeOpen,     OrderClock.Resumes),
    ];

    /// <summary>
    /// Every timer: the state it lives in, what it fires, when it falls due. Reminders fire nothing but a notification.
    /// Adding a timer is one row here (and its kind), plus the transition that starts it.
    /// </summary>
    public static readonly IReadOnlyList<TimerRule> Timers =
    [
        //  timer                                    lives in          fires                               due at                                          deadline
        new(OrderTimerKind.PayBy,                    AwaitingPayment,  OrderTrigger.ExpireUnpaid,          o => o.PayBy,                                   "payBy"),
        new(OrderTimerKind.ShipBy,                   AwaitingShipment, OrderTrigger.ShipByMissed,          o => o.ShipBy,                                  "shipBy"),
        new(OrderTimerKind.ShipByReminder,           AwaitingShipment, null,                               o => o.ShipBy?.AddDays(-o.SellerReminderDays),  null, Remind: Seller),
        new(OrderTimerKind.ProtectionEnds,           AwaitingDelivery, OrderTrigger.ProtectionEnded,       o => o.ProtectionEndsAt,                        "protectionEndsAt"),
        new(OrderTimerKind.ProtectionEndingReminder, AwaitingDelivery, null,                               o => o.ProtectionEndsAt?.AddDays(-o.BuyerReminderDays), null, Remind: Buyer),
        new(OrderTimerKind.AutoComplete,             AwaitingDelivery, OrderTrigger.DeliveryAutoComplete,  o => o.AutoCompleteAt,                          "autoCompleteAt"),
        new(OrderTimerKind.ExtensionDecision,        AwaitingDelivery, OrderTrigger.ExtensionAutoApproved, o => o.PendingExtension?.AnswerBy,              "extensionDecisionBy"),
        new(OrderTimerKind.DisputeWindowEnds,        Completed,        OrderTrigger.DisputeWindowClosed,   o => o.DisputeWindowEndsAt,                     "availableAt"),
    ];

    public static TimerRule RuleOf(OrderTimerKind kind) => Timers.First(t => t.Kind == kind);

    /// <summary>The transition <paramref name="who"/> would take by <paramref name="trigger"/> now, or the reason why not.</summary>
    public static OrderTransition Authorize(Order order, OrderTrigger trigger, Party who)
    {
        var rows = Table.Where(t => t.Trigger == trigger).ToList();
        if (!rows.Any(t => (t.Who & who) != 0))
            throw new DomainException(RefusalKind.NotAllowed, "action_not_allowed",
                $"The {Describe(who)} of an order cannot {ActionName(trigger).Replace('_', ' ')}.");
        var here = rows.Where(t => t.From == order.Status && (t.Who & who) != 0).ToList();
        if (here.Count == 0)
            throw DomainException.InvalidState(
                $"Cannot {ActionName(trigger).Replace('_', ' ')} an order that is {StatusName(order.Status)}.");
        DomainException? refusal = null;
        foreach (var t in here)
        {
            refusal = t.Guard?.Invoke(order);
            if (refusal is null) return t;
        }
        throw refusal!;
    }

    /// <summary>What <paramref name="who"/> may do to the order now, as API action names.</summary>
    /// <param name="includeDisputes">
    /// Whether to offer <c>open_dispute</c>: only a caller that serves the dispute endpoints should. The API passes
    /// nothing until disputes are wired into it; then this parameter should go.
    /// </param>
    public static IReadOnlyList<string> ActionsFor(Order order, Party who, bool includeDisputes = false) =>
        Table.Where(t => t.From == order.Status && (t.Who & who) != 0 && (t.Who & Party.System) == 0 && t.Guard?.Invoke(order) is null)
            .Where(t => includeDisputes || t.Trigger != OrderTrigger.OpenDispute)
            .Select(t => ActionName(t.Trigger))
            .Distinct()
            .ToList();

    /// <summary>The snake-case API name of a trigger, e.g. <c>confirm_receipt</c>.</summary>
    public static string ActionName(OrderTrigger trigger) => SnakeCase.Of(trigger.ToString());

    /// <summary>The snake-case API name of a status, e.g. <c>awaiting_delivery</c>.</summary>
    public static string StatusName(OrderStatus status) => SnakeCase.Of(status.ToString());

    public static bool TryParseStatus(string? value, out OrderStatus status)
    {
        foreach (var s in Enum.GetValues<OrderStatus>())
        {
            if (string.Equals(StatusName(s), value, StringComparison.Ordinal))
            {
                status = s;
                return true;
            }
        }
        status = default;
        return false;
    }

    private static string Describe(Party who) => who switch
    {
        Party.Buyer => "buyer",
        Party.Seller => "seller",
        Party.Admin => "administrator",
        Party.System => "system",
        _ => "caller",
    };

    private static Func<Order, DomainException?> Both(Func<Order, DomainException?> first, Func<Order, DomainException?> then) =>
        o => first(o) ?? then(o);

    /// <summary>The guards of the table: each answers null when the transition may go ahead, or the refusal.</summary>
    private static class Rules
    {
        public static DomainException? NoOpenDispute(Order o) =>
            o.OpenDisputeId is null ? null : DomainException.InvalidState("A dispute is open on this order; it waits for the dispute to end.");

        public static DomainException? DisputeOpen(Order o) =>
            o.OpenDisputeId is not null ? null : DomainException.InvalidState("There is no open dispute on this order.");

        public static DomainException? MayOpenDispute(Order o) =>
            o.OpenDisputeId is not null
                ? new DomainException(RefusalKind.RuleRefused, "dispute_already_open", "This order already has an open dispute.")
                : o.DisputeResolvedAt is not null
                    ? new DomainException(RefusalKind.RuleRefused, "dispute_already_resolved", "A dispute on this order has already been resolved.")
                    : null;

        public static DomainException? PostCompletionWindowOpen(Order o) =>
            o.CreditAvailableAt is null ? null
                : new DomainException(RefusalKind.RuleRefused, "dispute_window_closed", "The days to open a dispute after completion are over.");

        public static DomainException? NotYetDelivered(Order o) =>
            o.DeliveredAt is null ? null : DomainException.InvalidState("Delivery has already been reported.");

        public static DomainException? Delivered(Order o) =>
            o.DeliveredAt is not null ? null : DomainException.InvalidState("Only a delivered order completes after delivery.");

        public static DomainException? CreditStillPending(Order o) =>
            o.CreditAvailableAt is null ? null : DomainException.InvalidState("The seller's credit for this order is already available.");

        public static DomainException? ExtensionPending(Order o) =>
            o.PendingExtension is not null ? null : DomainException.InvalidState("There is no extension request waiting for an answer.");

        public static DomainException? MayRequestExtension(Order o) =>
            o.PendingExtension is not null
                ? DomainException.InvalidState("An extension request is already waiting for the seller's answer.")
                : o.Extensions.Count >= o.MaxExtensions
                    ? new DomainException(RefusalKind.RuleRefused, "extension_limit_reached",
                        $"An order's protection can be extended at most {o.MaxExtensions} times.")
                    : null;
    }
}

/// <summary>PascalCase → snake_case, for the API's names of states and actions.</summary>
public static class SnakeCase
{
    public static string Of(string pascal)
    {
        var sb = new System.Text.StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c))
            {
                if (i > 0) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
