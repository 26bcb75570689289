using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using static Safehold.Domain.Tests.Orders.TestOrders;

namespace Safehold.Domain.Tests.Disputes;

/// <summary>Orders with disputes, the arbiters around them, and a way to try any dispute trigger as any party.</summary>
public static class TestDisputes
{
    public static readonly Guid ArbiterA = Guid.Parse("a4b10000-0000-0000-0000-00000000000a");
    public static readonly Guid ArbiterB = Guid.Parse("a4b10000-0000-0000-0000-00000000000b");

    public static readonly DateTimeOffset ShippedAt = T0.AddDays(2);
    public static readonly DateTimeOffset OpenedAt = T0.AddDays(7);

    /// <summary>What <see cref="Attempt"/> offers, decides and asks for, so that expectations can be written by hand.</summary>
    public const long OfferedAmount = 3_000;
    public const long DecidedAmount = 2_000;
    public const long RequestedAmount = 5_000;

    public static DisputeActor BuyerOf(Dispute d) => new(DisputeParty.Buyer, d.BuyerId);

    public static DisputeActor SellerOf(Dispute d) => new(DisputeParty.Seller, d.SellerId);

    public static DisputeActor As(Dispute d, DisputeParty party) => party switch
    {
        DisputeParty.Buyer => BuyerOf(d),
        DisputeParty.Seller => SellerOf(d),
        DisputeParty.Arbiter => DisputeActor.Arbiter(ArbiterB),
        _ => DisputeActor.System,
    };

    /// <summary>An order in transit with a dispute just opened on it by its buyer.</summary>
    public static (Order Order, Dispute Dispute) Open(DisputeOutcome asks = DisputeOutcome.FullRefund, long? amount = null,
        DisputeReason reason = DisputeReason.Damaged, long price = 12999, string currency = "USD")
    {
        var order = Shipped(Paid(PlaceOne(price, currency), T0.AddHours(1)), ShippedAt);
        var dispute = order.OpenDispute(Buyer(order), OpenedAt, Guid.NewGuid(), reason, asks, amount, "Arrived with a cracked screen.", new DisputeTerms());
        return (order, dispute);
    }

    /// <summary>
    /// Tries <paramref name="trigger"/> as <paramref name="party"/> through the dispute's own methods; a system trigger goes
    /// through <see cref="Dispute.Fire"/>. Offers are partial refunds of <see cref="OfferedAmount"/> (a return, when
    /// <paramref name="offerReturn"/>); decisions are partial refunds of <see cref="DecidedAmount"/> by arbiter B.
    /// </summary>
    public static DisputeStep Attempt(Dispute d, DisputeTrigger trigger, DisputeParty party, DateTimeOffset now, bool offerReturn = false)
    {
        var actor = As(d, party);
        return trigger switch
        {
            DisputeTrigger.Accept => d.Accept(actor, now),
            DisputeTrigger.CounterOffer => offerReturn
                ? d.CounterOffer(actor, now, DisputeOutcome.ReturnAndRefund, null, "Send it back and I refund it all.")
                : d.CounterOffer(actor, now, DisputeOutcome.PartialRefund, OfferedAmount, "I can give back 30 dollars."),
            DisputeTrigger.Reject => d.Reject(actor, now, "It left here in perfect condition."),
            DisputeTrigger.AcceptOffer => d.AcceptOffer(actor, now),
            DisputeTrigger.Escalate => d.Escalate(actor, now),
            DisputeTrigger.Withdraw => d.Withdraw(actor, now),
            DisputeTrigger.ReturnShipment => d.ShipReturn(actor, now, "USPS", "9400100000000000000000"),
            DisputeTrigger.ConfirmReturn => d.ConfirmReturn(actor, now),
            DisputeTrigger.Decision => d.Decide(actor, now, DisputeOutcome.PartialRefund, DecidedAmount, "The photos show a scratch, not a crack."),
            DisputeTrigger.Appeal => d.Appeal(actor, now, "The arbiter missed the second photo."),
            DisputeTrigger.Open => throw new NotSupportedException("A dispute is opened through its order."),
            _ when party == DisputeParty.System => d.Fire(trigger, now),
            // A person has no method to fire a timer, but the process itself must still refuse them.
            _ => throw new InvalidOperationException($"A {party} was allowed to {trigger}: {DisputeProcess.Authorize(d, trigger, new DisputeAct(actor), NowOf(d))}."),
        };
    }

    /// <summary>Everything about a dispute that a refused change must leave as it was.</summary>
    public static object Snapshot(Dispute d) => new
    {
        d.Status,
        d.Version,
        Events = d.Timeline.Count,
        Offers = d.Offers.Count,
        Timers = string.Join(", ", d.Timers.Select(t => $"{t.Kind}@{t.DueAt:O}")),
        d.SellerAnsweredAt,
        d.RejectionReason,
        d.EscalatedAt,
        d.DecisionDueAt,
        d.ReturnAgreedAt,
        d.ReturnShippedAt,
        d.ReturnReceivedAt,
        d.DecidedBy,
        d.DecidedAt,
        d.DecisionOutcome,
        d.DecisionAmount,
        d.AppealedAt,
        d.AppealArbiterId,
        d.AppealOutcome,
        d.Outcome,
        d.RefundAmount,
        d.ResolvedAt,
        d.SettledAt,
        d.WithdrawnAt,
    };
}
