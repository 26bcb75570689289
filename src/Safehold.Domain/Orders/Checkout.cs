using Safehold.Domain.Ledger;

namespace Safehold.Domain.Orders;

/// <summary>
/// A cart of several sellers' products bought at once (SPEC 5, <c>/checkouts</c>): one order per seller, each with its own
/// listing snapshot, ship-by and protection, paid together with one payment. The payment's one capture is shared out:
/// each order's total enters its own escrow by its own journal entry, and whatever later refunds an order (a cancel, a
/// dispute) returns that order's share of the capture, never another's. Once paid, each order lives on its own.
/// </summary>
public sealed class Checkout
{
    /// <summary>The most lines a checkout takes.</summary>
    public const int MaxLines = 50;

    private Checkout()
    {
        Currency = "";
    }

    public Guid Id { get; private set; }
    public Guid BuyerId { get; private set; }
    public string Currency { get; private set; }

    /// <summary>The sum of its orders' totals: what the one payment captures.</summary>
    public long TotalAmount { get; private set; }
    public int OrderCount { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? PaidAt { get; private set; }

    /// <summary>The one capture's reference at the provider, shared by every order it paid.</summary>
    public string? PaymentReference { get; private set; }

    /// <summary>Incremented by every change; the database refuses a write based on a stale copy.</summary>
    public int Version { get; private set; }

    public Money Total => new(TotalAmount, Safehold.Domain.Currency.Of(Currency));

    /// <summary>
    /// A checkout of <paramref name="orders"/>, just placed by one buyer, one per seller and all in one currency (one
    /// payment captures one currency); each order is marked as the checkout's.
    /// </summary>
    public static Checkout Place(Guid id, Guid buyerId, IReadOnlyList<Order> orders, DateTimeOffset now)
    {
        if (orders.Count == 0)
            throw new DomainException(RefusalKind.Invalid, "validation_failed", "A checkout needs at least one item.");
        if (orders.Any(o => o.BuyerId != buyerId || o.Status != OrderStatus.AwaitingPayment || o.CheckoutId is not null))
            throw new InvalidOperationException("A checkout is made of its buyer's orders just placed.");
        if (orders.Select(o => o.SellerId).Distinct().Count() != orders.Count)
            throw new InvalidOperationException("A checkout has one order per seller.");
        if (orders.Select(o => o.Total.Currency).Distinct().Count() != 1)
            throw new DomainException(RefusalKind.RuleRefused, "mixed_currencies",
                "All items of a checkout must be priced in one currency: it is paid with one payment.");
        Money total;
        try
        {
            total = orders.Skip(1).Aggregate(orders[0].Total, (sum, o) => sum + o.Total);
        }
        catch (OverflowException)
        {
            throw new DomainException(RefusalKind.Invalid, "amount_too_large", "The checkout's total is too large.");
        }
        var checkout = new Checkout
        {
            Id = id,
            BuyerId = buyerId,
            Currency = total.Currency.Code,
            TotalAmount = total.Amount,
            OrderCount = orders.Count,
            CreatedAt = now,
            Version = 1,
        };
        foreach (var order in orders) order.PlacedBy(id);
        return checkout;
    }

    /// <summary>
    /// The one payment was captured: every order of the checkout is paid by the pay row of its own process, each order's
    /// total into its own escrow. All or none: <paramref name="orders"/> must be exactly the checkout's, and each must
    /// be payable now (a closed one refuses the whole payment, before anything changes). Returns one entry per order.
    /// </summary>
    public IReadOnlyList<JournalEntry> Pay(IReadOnlyList<Order> orders, Actor actor, DateTimeOffset now, string paymentReference)
    {
        Authorize(orders, actor, now);
        var entries = orders.Select(o => o.Pay(new OrderAct(actor, WithItsCheckout: true), now, paymentReference)).ToList();
        PaidAt = now;
        PaymentReference = paymentReference;
        Version++;
        return entries;
    }

    /// <summary>Whether <paramref name="who"/> may pay the checkout now: it is unpaid and every order's pay row lets them, with it.</summary>
    public bool MayBePaid(IReadOnlyList<Order> orders, Party who, DateTimeOffset now) =>
        PaidAt is null && orders.All(o => o.Process.Engine.Allows(o, OrderTrigger.Pay, new OrderAct(new Actor(who, null), WithItsCheckout: true), now));

    /// <summary>
    /// Refuses, changing nothing, unless every order of the checkout may be paid by <paramref name="actor"/> now (each by
    /// its own process's pay row) and their totals are the checkout's.
    /// </summary>
    public void Authorize(IReadOnlyList<Order> orders, Actor actor, DateTimeOffset now)
    {
        if (orders.Count != OrderCount || orders.Any(o => o.CheckoutId != Id))
            throw new InvalidOperationException("A checkout is paid with all its orders and only them.");
        if (PaidAt is not null)
            throw DomainException.InvalidState("The checkout has been paid.");
        foreach (var order in orders) // a closed order refuses the whole payment
            OrderProcess.Authorize(order, OrderTrigger.Pay, new OrderAct(actor, WithItsCheckout: true), now);
        if (orders.Sum(o => o.Total.Amount) != TotalAmount)
            throw new InvalidOperationException("The checkout's orders no longer add up to its total.");
    }
}
