using Safehold.Domain.Disputes;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Policy;

namespace Safehold.Domain.Tests.Orders;

/// <summary>Listings, orders and the people around them, for the order and ledger tests.</summary>
public static class TestOrders
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    public static readonly Guid SellerId = Guid.Parse("5e11e000-0000-0000-0000-000000000001");
    public static readonly Guid BuyerId = Guid.Parse("b0e40000-0000-0000-0000-000000000001");
    public static readonly Guid AdminId = Guid.Parse("ad000000-0000-0000-0000-000000000001");

    public static readonly ProtectionPolicy DefaultPolicy = new();

    public static ListingSnapshot Listing(long price = 12999, string currency = "USD", Guid? sellerId = null,
        string? category = null, int? handlingDays = null, int? protectionDays = null, string title = "Mobvoi Ticwatch 2") =>
        new(Guid.NewGuid(), sellerId ?? SellerId, title, $"{title}, as listed", new Money(price, Currency.Of(currency)), category,
            ["https://img.example/1.jpg"], handlingDays, protectionDays);

    public static Order Place(params (ListingSnapshot Listing, int Quantity)[] lines) =>
        Order.Place(Guid.NewGuid(), BuyerId, lines, "1 Rustaveli Ave, Tbilisi", DefaultPolicy, T0);

    public static Order PlaceOne(long price = 12999, string currency = "USD") => Place((Listing(price, currency), 1));

    public static Actor Buyer(Order o) => new(Party.Buyer, o.BuyerId);

    public static Actor Seller(Order o) => new(Party.Seller, o.SellerId);

    public static Actor Admin => new(Party.Admin, AdminId);

    /// <summary>The actor of <paramref name="party"/> on this order.</summary>
    public static Actor As(Order o, Party party) => party switch
    {
        Party.Buyer => Buyer(o),
        Party.Seller => Seller(o),
        Party.Admin => Admin,
        _ => Actor.System,
    };

    /// <summary>
    /// Tries <paramref name="trigger"/> as <paramref name="party"/> through the order's own methods; returns
    /// the journal entry written, if any. A timer trigger goes through <see cref="Order.Fire"/> for the system.
    /// </summary>
    public static JournalEntry? Attempt(Order o, OrderTrigger trigger, Party party, DateTimeOffset now)
    {
        var actor = As(o, party);
        switch (trigger)
        {
            case OrderTrigger.Pay:
                return o.Pay(actor, now, "pay_2");
            case OrderTrigger.Cancel:
                return o.Cancel(actor, now, "changed my mind");
            case OrderTrigger.Ship:
                o.Ship(actor, now, "UPS", "1Z9999999999999999");
                return null;
            case OrderTrigger.MarkDelivered:
                o.MarkDelivered(actor, now);
                return null;
            case OrderTrigger.ConfirmReceipt:
                return o.ConfirmReceipt(actor, now);
            case OrderTrigger.ExtendProtection:
                o.RequestExtension(actor, now, Guid.NewGuid(), 10, "still on its way");
                return null;
            case OrderTrigger.ApproveExtension:
                o.ApproveExtension(actor, now, o.PendingExtension?.Id ?? Guid.NewGuid());
                return null;
            case OrderTrigger.DeclineExtension:
                o.DeclineExtension(actor, now, o.PendingExtension?.Id ?? Guid.NewGuid());
                return null;
            case OrderTrigger.OpenDispute:
                o.OpenDispute(actor, now, Guid.NewGuid(), DisputeReason.NotAsDescribed, DisputeOutcome.FullRefund, null, "the strap is broken", new DisputeTerms());
                return null;
            case OrderTrigger.DisputeWithdrawn or OrderTrigger.DisputeRefundedInFull or OrderTrigger.DisputeRefundedInPart
                or OrderTrigger.DisputeReleasedToSeller when party == Party.System:
                switch (trigger)
                {
                    case OrderTrigger.DisputeWithdrawn:
                        o.WithdrawDispute(now);
                        return null;
                    case OrderTrigger.DisputeRefundedInFull:
                        return o.ResolveDispute(DisputeOutcome.FullRefund, null, now);
                    case OrderTrigger.DisputeRefundedInPart:
                        return o.ResolveDispute(DisputeOutcome.PartialRefund, PartialRefund, now);
                    default:
                        return o.ResolveDispute(DisputeOutcome.ReleasedToSeller, null, now);
                }
            case OrderTrigger.DisputeWithdrawn or OrderTrigger.DisputeRefundedInFull or OrderTrigger.DisputeRefundedInPart
                or OrderTrigger.DisputeReleasedToSeller:
                var allowedToSettle = OrderProcess.Authorize(o, trigger, new Actor(party, null), NowOf(o));
                throw new InvalidOperationException($"A {party} was allowed to {trigger}: {allowedToSettle}.");
            case OrderTrigger.ExpireUnpaid or OrderTrigger.ShipByMissed or OrderTrigger.ProtectionEnded or OrderTrigger.DeliveryAutoComplete
                or OrderTrigger.ExtensionAutoApproved or OrderTrigger.DisputeWindowClosed:
                if (party == Party.System) return o.Fire(trigger, now);
                // A person has no method to fire a timer, but the process itself must still refuse them.
                var allowed = OrderProcess.Authorize(o, trigger, new Actor(party, null), NowOf(o));
                throw new InvalidOperationException($"A {party} was allowed to fire {trigger}: {allowed}.");
            default:
                throw new NotSupportedException($"No test drives {trigger} yet: write its expected moves first.");
        }
    }

    /// <summary>The partial refund <see cref="Attempt"/> settles a dispute with.</summary>
    public const long PartialRefund = 1_000;

    /// <summary>Opens a dispute on the order as its buyer (not as described, asking for a full refund unless told).</summary>
    public static Dispute Disputed(Order o, DateTimeOffset at, DisputeReason reason = DisputeReason.NotAsDescribed,
        DisputeOutcome asks = DisputeOutcome.FullRefund, long? amount = null) =>
        o.OpenDispute(Buyer(o), at, Guid.NewGuid(), reason, asks, amount, "The strap is broken and the box was open.", new DisputeTerms());

    public static Order Paid(Order o, DateTimeOffset at)
    {
        o.Pay(Buyer(o), at, "pay_1");
        return o;
    }

    public static Order Shipped(Order o, DateTimeOffset at)
    {
        o.Ship(Seller(o), at, "DHL", "JD014600006281234567");
        return o;
    }

    public static Order Asking(Order o, DateTimeOffset at, int days = 10)
    {
        o.RequestExtension(Buyer(o), at, Guid.NewGuid(), days, "still on its way");
        return o;
    }

    public static Order Delivered(Order o, DateTimeOffset at)
    {
        o.MarkDelivered(Seller(o), at);
        return o;
    }

    /// <summary>Everything about an order that a refused change must leave as it was.</summary>
    public static object Snapshot(Order o) => new
    {
        o.Status,
        o.Version,
        Events = o.Timeline.Count,
        o.PaidAt,
        o.PaymentReference,
        o.ShipBy,
        o.ShippedAt,
        o.Carrier,
        o.TrackingNumber,
        o.ProtectionEndsAt,
        o.DeliveredAt,
        o.AutoCompleteAt,
        o.CompletedAt,
        o.DisputeWindowEndsAt,
        o.ClosedAt,
        o.CreditAvailableAt,
        Timers = string.Join(", ", o.Timers.Select(t => $"{t.Kind}@{t.DueAt:O}/{t.Remaining}")),
        Extensions = string.Join(", ", o.Extensions.Select(e => $"{e.Id}:{e.Status}:{e.DecidedAt:O}")),
        o.TotalAmount,
        o.CommissionBasisPoints,
        o.OpenDisputeId,
        o.DisputeOpenedAt,
        o.DisputeResolvedAt,
        o.RefundedAmount,
        ExtensionAnswers = string.Join(", ", o.Extensions.Select(e => $"{e.AnswerBy:O}")),
    };

    /// <summary>Commission rounded half up, computed in decimal: an oracle independent of <see cref="Money.SplitCommission"/>.</summary>
    public static long ExpectedCommission(long amount, int basisPoints) =>
        (long)Math.Round((decimal)amount * basisPoints / 10_000m, MidpointRounding.AwayFromZero);
}
