using Safehold.Domain.Ledger;
using Safehold.Domain.Policy;

namespace Safehold.Domain.Orders;

/// <summary>Who did something: their relation to the order and, for a person, their user id.</summary>
public readonly record struct Actor(Party Party, Guid? UserId)
{
    public static Actor System => new(Party.System, null);
}

/// <summary>
/// A buyer's order from one seller, in one currency, and the protection around it. Every change goes
/// through <see cref="OrderProcess"/>: a change the table does not allow is refused with a named error,
/// and a change that moves money returns the one balanced journal entry to write with it.
/// </summary>
public sealed class Order
{
    private readonly List<OrderLine> _lines = [];
    private readonly List<OrderEvent> _timeline = [];

    private Order()
    {
        Currency = ShippingAddress = "";
    }

    public Guid Id { get; private set; }
    public Guid BuyerId { get; private set; }
    public Guid SellerId { get; private set; }
    public OrderStatus Status { get; private set; }

    /// <summary>Incremented by every change; the database refuses a write based on a stale copy.</summary>
    public int Version { get; private set; }

    public string Currency { get; private set; }
    public long TotalAmount { get; private set; }
    public Money Total => new(TotalAmount, Safehold.Domain.Currency.Of(Currency));

    /// <summary>The commission, in basis points, agreed when the order was placed.</summary>
    public int CommissionBasisPoints { get; private set; }
    public int HandlingDays { get; private set; }
    public int ProtectionDays { get; private set; }
    public int AutoCompleteDaysAfterDelivery { get; private set; }
    public int PostCompletionDisputeDays { get; private set; }

    public string ShippingAddress { get; private set; }
    public string? PaymentReference { get; private set; }
    public string? Carrier { get; private set; }
    public string? TrackingNumber { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset PayBy { get; private set; }
    public DateTimeOffset? PaidAt { get; private set; }
    public DateTimeOffset? ShipBy { get; private set; }
    public DateTimeOffset? ShippedAt { get; private set; }
    public DateTimeOffset? ProtectionEndsAt { get; private set; }
    public DateTimeOffset? DeliveredAt { get; private set; }
    public DateTimeOffset? AutoCompleteAt { get; private set; }
    public DateTimeOffset? CompletedAt { get; private set; }

    /// <summary>When the post-completion dispute window closes and the seller's credit becomes available.</summary>
    public DateTimeOffset? DisputeWindowEndsAt { get; private set; }
    public DateTimeOffset? ClosedAt { get; private set; }

    public IReadOnlyList<OrderLine> Lines => _lines;
    public IReadOnlyList<OrderEvent> Timeline => _timeline;

    /// <summary>
    /// Places an order for <paramref name="lines"/>, all from one seller and in one currency, with the
    /// listing of each product copied as it is now.
    /// </summary>
    public static Order Place(Guid id, Guid buyerId, IReadOnlyList<(ListingSnapshot Listing, int Quantity)> lines,
        string shippingAddress, ProtectionPolicy policy, DateTimeOffset now)
    {
        if (lines.Count == 0)
            throw new DomainException(RefusalKind.Invalid, "validation_failed", "An order needs at least one item.");
        var sellers = lines.Select(l => l.Listing.SellerId).Distinct().Count();
        if (sellers != 1)
            throw new DomainException(RefusalKind.RuleRefused, "multiple_sellers", "All items of an order must come from one seller.");
        var currencies = lines.Select(l => l.Listing.Price.Currency).Distinct().Count();
        if (currencies != 1)
            throw new DomainException(RefusalKind.RuleRefused, "mixed_currencies", "All items of an order must be priced in one currency.");
        if (lines.Any(l => l.Quantity <= 0))
            throw new DomainException(RefusalKind.Invalid, "validation_failed", "Every quantity must be at least 1.");
        if (lines.Any(l => l.Listing.BuyerCannotBuy(buyerId)))
            throw new DomainException(RefusalKind.RuleRefused, "own_product", "A seller cannot buy their own product.");

        var currency = lines[0].Listing.Price.Currency;
        Money total;
        Int128 weightedBps = 0;
        try
        {
            total = Money.Zero(currency);
            foreach (var (listing, quantity) in lines)
            {
                var lineTotal = listing.Price * quantity;
                total += lineTotal;
                weightedBps += (Int128)lineTotal.Amount * policy.CommissionFor(listing.Category);
            }
        }
        catch (OverflowException)
        {
            throw new DomainException(RefusalKind.Invalid, "amount_too_large", "The order's total is too large.");
        }

        var order = new Order
        {
            Id = id,
            BuyerId = buyerId,
            SellerId = lines[0].Listing.SellerId,
            Status = OrderStatus.AwaitingPayment,
            Version = 1,
            Currency = currency.Code,
            TotalAmount = total.Amount,
            // A mixed-category order pays the amount-weighted commission, rounded half up.
            CommissionBasisPoints = total.Amount == 0 ? policy.CommissionBasisPoints : (int)((weightedBps + total.Amount / 2) / total.Amount),
            HandlingDays = lines.Max(l => l.Listing.HandlingDays ?? policy.DefaultHandlingDays),
            ProtectionDays = lines.Max(l => l.Listing.ProtectionDays ?? policy.DefaultProtectionDays),
            AutoCompleteDaysAfterDelivery = policy.AutoCompleteDaysAfterDelivery,
            PostCompletionDisputeDays = policy.PostCompletionDisputeDays,
            ShippingAddress = shippingAddress,
            CreatedAt = now,
            PayBy = now + policy.PayWithin,
        };
        var lineNo = 0;
        foreach (var (listing, quantity) in lines)
            order._lines.Add(new OrderLine(id, ++lineNo, listing, quantity));
        order.Record(now, new Actor(Party.Buyer, buyerId), "placed", null);
        return order;
    }

    /// <summary>The buyer paid; the total moves into this order's escrow.</summary>
    public JournalEntry Pay(Actor actor, DateTimeOffset now, string paymentReference)
    {
        var t = OrderProcess.Authorize(this, OrderTrigger.Pay, actor.Party);
        PaidAt = now;
        PaymentReference = paymentReference;
        return Apply(t, actor, now, "paid", null)!;
    }

    /// <summary>Cancelled by a party before shipment; a paid order is refunded in full at once.</summary>
    public JournalEntry? Cancel(Actor actor, DateTimeOffset now, string? reason) =>
        Apply(OrderProcess.Authorize(this, OrderTrigger.Cancel, actor.Party), actor, now, "cancelled", reason);

    /// <summary>The seller shipped with a carrier and tracking number; protection starts.</summary>
    public void Ship(Actor actor, DateTimeOffset now, string carrier, string trackingNumber)
    {
        var t = OrderProcess.Authorize(this, OrderTrigger.Ship, actor.Party);
        Carrier = carrier;
        TrackingNumber = trackingNumber;
        ShippedAt = now;
        Apply(t, actor, now, "shipped", $"{carrier} {trackingNumber}");
    }

    /// <summary>Delivery was reported; the order will complete on its own some days later.</summary>
    public void MarkDelivered(Actor actor, DateTimeOffset now)
    {
        var t = OrderProcess.Authorize(this, OrderTrigger.MarkDelivered, actor.Party);
        DeliveredAt = now;
        Apply(t, actor, now, "delivered", null);
    }

    /// <summary>The buyer confirmed the order arrived as described; escrow is released to the seller.</summary>
    public JournalEntry ConfirmReceipt(Actor actor, DateTimeOffset now) =>
        Apply(OrderProcess.Authorize(this, OrderTrigger.ConfirmReceipt, actor.Party), actor, now, "receipt_confirmed", null)!;

    /// <summary>A system transition fired by a deadline (unpaid expiry, missed ship-by, protection end, auto-complete).</summary>
    public JournalEntry? Fire(OrderTrigger trigger, DateTimeOffset now)
    {
        var t = OrderProcess.Authorize(this, trigger, Party.System);
        return Apply(t, Actor.System, now, SnakeCase.Of(trigger.ToString()), null);
    }

    /// <summary>The deadlines still ahead of the order in its current state, by API name.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> PendingDeadlines()
    {
        var d = new Dictionary<string, DateTimeOffset>();
        switch (Status)
        {
            case OrderStatus.AwaitingPayment:
                d["payBy"] = PayBy;
                break;
            case OrderStatus.AwaitingShipment when ShipBy is { } shipBy:
                d["shipBy"] = shipBy;
                break;
            case OrderStatus.AwaitingDelivery:
                if (ProtectionEndsAt is { } ends) d["protectionEndsAt"] = ends;
                if (AutoCompleteAt is { } auto) d["autoCompleteAt"] = auto;
                break;
            case OrderStatus.Completed when DisputeWindowEndsAt is { } available:
                d["availableAt"] = available;
                break;
        }
        return d;
    }

    private JournalEntry? Apply(OrderTransition t, Actor actor, DateTimeOffset now, string eventKind, string? detail)
    {
        Status = t.To;
        Version++;
        switch (t.Starts)
        {
            case OrderDeadline.ShipBy: ShipBy = now.AddDays(HandlingDays); break;
            case OrderDeadline.ProtectionEndsAt: ProtectionEndsAt = now.AddDays(ProtectionDays); break;
            case OrderDeadline.AutoCompleteAt: AutoCompleteAt = now.AddDays(AutoCompleteDaysAfterDelivery); break;
        }
        if (t.To == OrderStatus.Completed)
        {
            CompletedAt = now;
            DisputeWindowEndsAt = now.AddDays(PostCompletionDisputeDays);
        }
        if (t.To == OrderStatus.Closed) ClosedAt = now;
        Record(now, actor, eventKind, detail);
        return t.Money switch
        {
            MoneyMovement.None => null,
            MoneyMovement.CaptureIntoEscrow => new JournalEntry(Guid.CreateVersion7(now), $"order:{Id}:capture", "capture", Id, now,
                [(Account.PaymentClearing, -Total), (Account.Escrow(Id), Total)]),
            MoneyMovement.RefundInFull => new JournalEntry(Guid.CreateVersion7(now), $"order:{Id}:refund", "refund", Id, now,
                [(Account.Escrow(Id), -Total), (Account.RefundsOut, Total)]),
            MoneyMovement.ReleaseToSeller => Release(now),
            _ => throw new InvalidOperationException($"Unknown money movement {t.Money}."),
        };
    }

    private JournalEntry Release(DateTimeOffset now)
    {
        var (sellerShare, commission) = Total.SplitCommission(CommissionBasisPoints);
        return new JournalEntry(Guid.CreateVersion7(now), $"order:{Id}:release", "release", Id, now,
            [(Account.Escrow(Id), -Total), (Account.SellerPending(SellerId), sellerShare), (Account.PlatformCommission, commission)]);
    }

    private void Record(DateTimeOffset at, Actor actor, string kind, string? detail) =>
        _timeline.Add(new OrderEvent(Id, _timeline.Count + 1, at, actor, kind, detail));
}

/// <summary>One thing that happened to an order: what, when, and who did it.</summary>
public sealed class OrderEvent
{
    private OrderEvent()
    {
        Kind = "";
    }

    internal OrderEvent(Guid orderId, int sequence, DateTimeOffset at, Actor actor, string kind, string? detail)
    {
        OrderId = orderId;
        Sequence = sequence;
        At = at;
        Actor = actor.Party;
        ActorUserId = actor.UserId;
        Kind = kind;
        Detail = detail;
    }

    public Guid OrderId { get; private set; }
    public int Sequence { get; private set; }
    public DateTimeOffset At { get; private set; }
    public Party Actor { get; private set; }
    public Guid? ActorUserId { get; private set; }
    public string Kind { get; private set; }
    public string? Detail { get; private set; }
}
