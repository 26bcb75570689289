using Safehold.Domain.Ledger;

namespace Safehold.Domain.Orders;

/// <summary>The money a transition moves, posted as one journal entry in the same transaction; defined in <see cref="OrderMoney"/>.</summary>
public enum MoneyMovement
{
    None,

    /// <summary>Payment clearing → the order's escrow, for the order's total.</summary>
    CaptureIntoEscrow,

    /// <summary>Escrow → refunds owed, for the whole total, refunded to the buyer's card.</summary>
    RefundInFull,

    /// <summary>
    /// Escrow → the seller's pending balance, less commission to the platform: the total, or, when a per-item dispute holds
    /// its part apart, the rest of the order (<see cref="Order.PartAmount"/> stays in escrow).
    /// </summary>
    ReleaseToSeller,

    /// <summary>The seller's pending credit for the order (what has been released of it) → their available balance.</summary>
    PendingToAvailable,

    /// <summary>Before completion: escrow → refunds owed, for the whole total.</summary>
    DisputeRefundFromEscrow,

    /// <summary>Before completion: escrow → refunds owed for the refund, the rest to the seller's pending balance less commission on it.</summary>
    DisputeSplitEscrow,

    /// <summary>After completion: the seller's pending credit and the commission both give back → refunds owed, for the whole total.</summary>
    DisputeRefundFromPending,

    /// <summary>After completion: refunds owed the refund, taken from the seller's pending credit and the commission recomputed on what stays released.</summary>
    DisputePartRefundFromPending,

    /// <summary>
    /// A per-item dispute refunds its part (in full or in part): the part leaves escrow → refunds owed for the refund, the
    /// rest of the part to the seller's credit (pending, or available once the order's credit is) less commission on it.
    /// </summary>
    PartRefund,

    /// <summary>A per-item dispute ends with its part released (decided for the seller, or withdrawn after the rest was): escrow → the seller's credit less commission.</summary>
    PartReleaseToSeller,

    /// <summary>
    /// A per-item dispute opened after completion: its part is taken back into escrow from the seller's pending credit and
    /// the commission, so that what stays released is the rest less commission on the rest.
    /// </summary>
    PartHoldFromCredit,

    /// <summary>
    /// A chargeback on released money: the seller's share is taken back from where the order's credit sits (pending while
    /// its dispute window is open, else available, which may go negative) and the commission with it, into the order's
    /// escrow, frozen there like money never released.
    /// </summary>
    ChargebackHold,

    /// <summary>A chargeback won after release: escrow → back to the seller's balance it came from, and the commission.</summary>
    ChargebackReturned,

    /// <summary>
    /// A chargeback lost: escrow → chargebacks out, what the buyer's card network took back. When the platform bears it
    /// (<see cref="Disputes.ChargebackBearer.Platform"/>) on released money, chargeback losses → the seller's available balance: their share made good.
    /// </summary>
    ChargebackLost,
}

/// <summary>One money movement: what it does in words, the provider call it needs, and its accounting (the journal entry it posts).</summary>
/// <param name="Movement">The movement.</param>
/// <param name="Describe">What it moves, in words (the policy document).</param>
/// <param name="Calls">What the payment provider must do for it, outside the database.</param>
/// <param name="Post">Its journal entry for the order at <c>now</c>; null for <see cref="MoneyMovement.None"/>.</param>
public sealed record MovementRule(MoneyMovement Movement, string Describe, ProviderCall Calls, Func<Order, DateTimeOffset, JournalEntry?> Post);

/// <summary>
/// Every money movement of the order's process with its accounting. The refund, the seller's share and the commission
/// of every entry add up to the order's total, and commission is charged only on what stays released (SPEC 4).
/// </summary>
public static class OrderMoney
{
    public static readonly IReadOnlyList<MovementRule> Movements =
    [
        new(MoneyMovement.None, "nothing", ProviderCall.None, (_, _) => null),
        new(MoneyMovement.CaptureIntoEscrow, "payment clearing → escrow: the total", ProviderCall.Capture,
            (o, now) => Entry(o, now, "capture", "capture", [(Account.PaymentClearing, -o.Total), (Account.Escrow(o.Id), o.Total)])),
        new(MoneyMovement.RefundInFull, "escrow → refunds owed: the total", ProviderCall.Refund,
            (o, now) => Entry(o, now, "refund", "refund", [(Account.Escrow(o.Id), -o.Total), (Account.RefundsOwed, o.Total)])),
        new(MoneyMovement.ReleaseToSeller,
            "escrow → seller pending: the total (or, with a per-item dispute's part held apart, the rest) less commission; commission to the platform",
            ProviderCall.None,
            (o, now) => Entry(o, now, "release", "release",
                [(Account.Escrow(o.Id), -o.Rest), (Account.SellerPending(o.SellerId), o.RestSplit.SellerShare), (Account.PlatformCommission, o.RestSplit.Commission)])),
        new(MoneyMovement.PendingToAvailable, "seller pending → seller available: the seller's share of what has been released", ProviderCall.None,
            (o, now) => Entry(o, now, "available", "credit_available",
                [(Account.SellerPending(o.SellerId), -o.ReleasedShare), (Account.SellerAvailable(o.SellerId), o.ReleasedShare)])),
        new(MoneyMovement.DisputeRefundFromEscrow, "escrow → refunds owed: the total", ProviderCall.Refund,
            (o, now) => DisputeEntry(o, now, "dispute_refund", [(Account.Escrow(o.Id), -o.Total), (Account.RefundsOwed, o.Total)])),
        new(MoneyMovement.DisputeSplitEscrow, "escrow → refunds owed: the refund; the rest to seller pending less commission on it", ProviderCall.Refund,
            (o, now) => DisputeEntry(o, now, "dispute_partial_refund",
                [(Account.Escrow(o.Id), -o.Total), (Account.RefundsOwed, o.Refunded), (Account.SellerPending(o.SellerId), o.SellerShare),
                    (Account.PlatformCommission, o.Total - o.Refunded - o.SellerShare)])),
        new(MoneyMovement.DisputeRefundFromPending, "seller pending and commission give back → refunds owed: the total", ProviderCall.Refund,
            (o, now) => DisputeEntry(o, now, "dispute_refund",
                [(Account.SellerPending(o.SellerId), -o.FullShare.SellerShare), (Account.PlatformCommission, -o.FullShare.Commission), (Account.RefundsOwed, o.Total)])),
        new(MoneyMovement.DisputePartRefundFromPending, "seller pending → refunds owed: the refund, commission recomputed on what stays released",
            ProviderCall.Refund,
            (o, now) => DisputeEntry(o, now, "dispute_partial_refund",
                [(Account.SellerPending(o.SellerId), o.SellerShare - o.FullShare.SellerShare),
                    (Account.PlatformCommission, o.Total - o.Refunded - o.SellerShare - o.FullShare.Commission), (Account.RefundsOwed, o.Refunded)])),
        new(MoneyMovement.PartRefund,
            "escrow → refunds owed: the refund of a per-item dispute's part; the rest of the part to the seller's credit less commission on it",
            ProviderCall.Refund,
            (o, now) => DisputeEntry(o, now, o.Refunded == o.Part ? "dispute_refund" : "dispute_partial_refund", PartLines(o))),
        new(MoneyMovement.PartReleaseToSeller, "escrow → the seller's credit: a per-item dispute's part less commission; commission to the platform",
            ProviderCall.None,
            (o, now) => DisputeEntry(o, now, "dispute_release", PartLines(o))),
        new(MoneyMovement.PartHoldFromCredit,
            "seller pending and commission → escrow: a per-item dispute's part, the commission recomputed on the rest that stays released",
            ProviderCall.None,
            (o, now) => DisputeEntry(o, now, "dispute_hold",
                [(Account.SellerPending(o.SellerId), o.RestSplit.SellerShare - o.FullShare.SellerShare),
                    (Account.PlatformCommission, o.RestSplit.Commission - o.FullShare.Commission), (Account.Escrow(o.Id), o.Part)])),
        new(MoneyMovement.ChargebackHold, "seller pending (or available, once the credit is) and commission → escrow: what was released, frozen",
            ProviderCall.None,
            (o, now) => o.Released.IsZero ? null : ChargebackEntry(o, now, "chargeback_hold",
                [(o.CreditAccount, -o.ReleasedShare), (Account.PlatformCommission, -(o.Released - o.ReleasedShare)), (Account.Escrow(o.Id), o.Released)])),
        new(MoneyMovement.ChargebackReturned, "escrow → seller pending (or available) and commission: what the hold took, given back",
            ProviderCall.None,
            (o, now) => o.Released.IsZero ? null : ChargebackEntry(o, now, "chargeback_returned",
                [(Account.Escrow(o.Id), -o.Released), (o.CreditAccount, o.ReleasedShare), (Account.PlatformCommission, o.Released - o.ReleasedShare)])),
        new(MoneyMovement.ChargebackLost,
            "escrow → chargebacks out: what the network took back; when the platform bears a released order's loss, chargeback losses → seller available: the seller's share",
            ProviderCall.None,
            (o, now) => ChargebackEntry(o, now, "chargeback_lost",
                o.PlatformBearsChargeback
                    ? [(Account.Escrow(o.Id), -o.Captured), (Account.ChargebacksOut, o.Captured), (Account.ChargebackLosses, -o.ReleasedShare),
                        (Account.SellerAvailable(o.SellerId), o.ReleasedShare)]
                    : [(Account.Escrow(o.Id), -o.Captured), (Account.ChargebacksOut, o.Captured)])),
    ];

    private static readonly Dictionary<MoneyMovement, MovementRule> ByMovement = Movements.ToDictionary(m => m.Movement);

    public static MovementRule Of(MoneyMovement movement) => ByMovement[movement];

    // A per-item dispute's part leaves escrow: the refund to the buyer, the rest of the part to the seller less commission on it.
    private static (Account, Money)[] PartLines(Order o) =>
        [(Account.Escrow(o.Id), -o.Part), (Account.RefundsOwed, o.Refunded), (o.CreditAccount, o.PartSplit.SellerShare), (Account.PlatformCommission, o.PartSplit.Commission)];

    private static JournalEntry Entry(Order o, DateTimeOffset now, string key, string kind, IEnumerable<(Account, Money)> lines) =>
        new(Guid.CreateVersion7(now), $"order:{o.Id}:{key}", kind, o.Id, now, lines);

    // One chargeback per order: its hold, and then either its return or its loss, keyed by the chargeback's dispute.
    private static JournalEntry ChargebackEntry(Order o, DateTimeOffset now, string kind, IEnumerable<(Account, Money)> lines) =>
        new(Guid.CreateVersion7(now), $"order:{o.Id}:chargeback:{o.OpenDisputeId}:{kind}", kind, o.Id, now, lines);

    // One settlement per dispute, keyed apart from the order's own capture, refund, release and available entries. The
    // key (also the provider's idempotency key for its refund) names what is refunded: a refund whose commit was lost
    // is replayed only for the same settlement, never taken as the answer to a different one.
    private static JournalEntry DisputeEntry(Order o, DateTimeOffset now, string kind, IEnumerable<(Account, Money)> lines)
    {
        var entryLines = lines.ToList();
        var refunded = entryLines.Where(l => l.Item1.Type == AccountType.RefundsOwed).Sum(l => l.Item2.Amount);
        return new(Guid.CreateVersion7(now), $"order:{o.Id}:dispute:{o.OpenDisputeId}:settlement:{kind}:{refunded}", kind, o.Id, now, entryLines);
    }
}
