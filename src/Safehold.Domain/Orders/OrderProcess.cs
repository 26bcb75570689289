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

    /// <summary>System: the order was not paid in time.</summary>
    ExpireUnpaid,

    /// <summary>System: the seller did not ship by the ship-by date.</summary>
    ShipByMissed,

    /// <summary>System: the protection period ended with no open dispute.</summary>
    ProtectionEnded,

    /// <summary>System: the days after a reported delivery ran out.</summary>
    DeliveryAutoComplete,
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
}

/// <summary>A deadline a transition starts. Each later becomes a timer that fires the system transition named beside it.</summary>
public enum OrderDeadline
{
    None,

    /// <summary>Pay by: placed + the policy's pay window; fires <see cref="OrderTrigger.ExpireUnpaid"/>.</summary>
    PayBy,

    /// <summary>Ship by: paid + the product's handling days; fires <see cref="OrderTrigger.ShipByMissed"/>.</summary>
    ShipBy,

    /// <summary>Protection ends: shipped + protection days; fires <see cref="OrderTrigger.ProtectionEnded"/>.</summary>
    ProtectionEndsAt,

    /// <summary>Auto-complete: delivered + the policy's days; fires <see cref="OrderTrigger.DeliveryAutoComplete"/>.</summary>
    AutoCompleteAt,
}

/// <summary>One row of the order's process: in state <see cref="From"/>, <see cref="Who"/> may <see cref="Trigger"/>, and then...</summary>
public sealed record OrderTransition(
    OrderTrigger Trigger,
    OrderStatus From,
    Party Who,
    OrderStatus To,
    MoneyMovement Money,
    OrderDeadline Starts = OrderDeadline.None,
    Func<Order, bool>? Guard = null,
    string? GuardRule = null);

/// <summary>
/// The order's whole process, read top to bottom: every state, who may do what in it, the state it leads to,
/// the money it moves and the deadline it starts. Enforcement (<see cref="Order"/>) and the
/// <c>actions</c> offered to a caller both come from this one table.
/// </summary>
public static class OrderProcess
{
    public static readonly IReadOnlyList<OrderTransition> Table =
    [
        //  trigger                          from                          who                           to                            money                             starts
        new(OrderTrigger.Pay,                OrderStatus.AwaitingPayment,  Party.Buyer,                  OrderStatus.AwaitingShipment, MoneyMovement.CaptureIntoEscrow,  OrderDeadline.ShipBy),
        new(OrderTrigger.Cancel,             OrderStatus.AwaitingPayment,  Party.Buyer | Party.Seller,   OrderStatus.Closed,           MoneyMovement.None),
        new(OrderTrigger.ExpireUnpaid,       OrderStatus.AwaitingPayment,  Party.System,                 OrderStatus.Closed,           MoneyMovement.None),
        new(OrderTrigger.Ship,               OrderStatus.AwaitingShipment, Party.Seller,                 OrderStatus.AwaitingDelivery, MoneyMovement.None,               OrderDeadline.ProtectionEndsAt),
        new(OrderTrigger.Cancel,             OrderStatus.AwaitingShipment, Party.Buyer | Party.Seller,   OrderStatus.Closed,           MoneyMovement.RefundInFull),
        new(OrderTrigger.ShipByMissed,       OrderStatus.AwaitingShipment, Party.System,                 OrderStatus.Closed,           MoneyMovement.RefundInFull),
        new(OrderTrigger.MarkDelivered,      OrderStatus.AwaitingDelivery, Party.Seller | Party.Admin,   OrderStatus.AwaitingDelivery, MoneyMovement.None,               OrderDeadline.AutoCompleteAt,
            Guard: o => o.DeliveredAt is null, GuardRule: "delivery is reported once"),
        new(OrderTrigger.ConfirmReceipt,     OrderStatus.AwaitingDelivery, Party.Buyer,                  OrderStatus.Completed,        MoneyMovement.ReleaseToSeller),
        new(OrderTrigger.ProtectionEnded,    OrderStatus.AwaitingDelivery, Party.System,                 OrderStatus.Completed,        MoneyMovement.ReleaseToSeller),
        new(OrderTrigger.DeliveryAutoComplete, OrderStatus.AwaitingDelivery, Party.System,               OrderStatus.Completed,        MoneyMovement.ReleaseToSeller,
            Guard: o => o.DeliveredAt is not null, GuardRule: "only a delivered order auto-completes after delivery"),
    ];

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
        var allowed = here.FirstOrDefault(t => t.Guard is null || t.Guard(order));
        return allowed ?? throw DomainException.InvalidState(
            $"Cannot {ActionName(trigger).Replace('_', ' ')} now: {here[0].GuardRule}.");
    }

    /// <summary>What <paramref name="who"/> may do to the order now, as API action names.</summary>
    public static IReadOnlyList<string> ActionsFor(Order order, Party who) =>
        Table.Where(t => t.From == order.Status && (t.Who & who) != 0 && (t.Who & Party.System) == 0 && (t.Guard is null || t.Guard(order)))
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
