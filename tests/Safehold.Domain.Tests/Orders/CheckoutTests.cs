using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using static Safehold.Domain.Tests.Orders.TestOrders;

namespace Safehold.Domain.Tests.Orders;

/// <summary>
/// A checkout's money: one payment for several sellers' orders enters each order's own escrow, and whatever each order
/// then does (cancelled and refunded, released on receipt) moves that order's share only. Random carts with fixed seeds.
/// </summary>
public sealed class CheckoutTests
{
    public static TheoryData<int> Seeds() => new(Enumerable.Range(1, 40));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_carts_paid_once_and_settled_order_by_order_never_create_or_lose_a_unit_and_charge_commission_only_on_released_money(int seed)
    {
        var random = new Random(seed);
        var currency = new[] { "USD", "JPY", "GEL" }[random.Next(3)];
        var orders = Enumerable.Range(0, random.Next(1, 6)).Select(_ =>
        {
            var seller = Guid.NewGuid();
            var lines = Enumerable.Range(0, random.Next(1, 4))
                .Select(_ => (Listing(random.Next(3) == 0 ? random.Next(1, 40) : random.NextInt64(1, 500_000), currency, seller,
                    random.Next(2) == 0 ? "electronics" : null), random.Next(1, 5)))
                .ToList();
            return Order.Place(Guid.NewGuid(), BuyerId, lines, "1 Rustaveli Ave, Tbilisi", DefaultPolicy, T0);
        }).ToList();
        var checkout = Checkout.Place(Guid.NewGuid(), BuyerId, orders, T0);
        Assert.Equal(orders.Sum(o => o.Total.Amount), checkout.TotalAmount);

        var entries = checkout.Pay(orders, new Actor(Party.Buyer, BuyerId), T0.AddMinutes(1), "cap_1").ToList();

        Assert.Equal(orders.Count, entries.Count);
        Assert.Equal(-checkout.TotalAmount, entries.SelectMany(e => e.Lines).Where(l => l.AccountType == AccountType.PaymentClearing).Sum(l => l.Amount));
        foreach (var order in orders)
        {
            Assert.Equal(OrderStatus.AwaitingShipment, order.Status);
            Assert.Equal("cap_1", order.PaymentReference);
            Assert.Equal(order.Total.Amount, EscrowOf(entries, order));
        }

        // Each order settles on its own: cancelled (refunded in full) or shipped and received (released less commission).
        var now = T0.AddHours(1);
        foreach (var order in orders)
        {
            if (random.Next(2) == 0) entries.Add(order.Cancel(Buyer(order), now, "changed my mind")!);
            else
            {
                order.Ship(Seller(order), now, "DHL", $"JD{random.Next():D10}");
                entries.Add(order.ConfirmReceipt(Buyer(order), now.AddDays(3)));
            }
        }

        var lines = entries.SelectMany(e => e.Lines).ToList();
        Assert.Equal(0, lines.Sum(l => l.Amount)); // every unit that came in went somewhere
        Assert.All(orders, o => Assert.Equal(0, EscrowOf(entries, o)));
        var refunded = lines.Where(l => l.AccountType == AccountType.RefundsOwed).Sum(l => l.Amount);
        var released = orders.Where(o => o.Status == OrderStatus.Completed).Sum(o => o.Total.Amount);
        Assert.Equal(orders.Where(o => o.Status == OrderStatus.Closed).Sum(o => o.Total.Amount), refunded);
        Assert.Equal(checkout.TotalAmount, refunded + released);
        var commission = lines.Where(l => l.AccountType == AccountType.PlatformCommission).Sum(l => l.Amount);
        Assert.Equal(orders.Where(o => o.Status == OrderStatus.Completed).Sum(o => o.Total.Amount - o.SellerShare.Amount), commission);
    }

    [Fact]
    public void A_checkout_whose_order_was_cancelled_refuses_the_payment_and_changes_none_of_its_orders()
    {
        var orders = new[] { Place((Listing(1_000, sellerId: Guid.NewGuid()), 1)), Place((Listing(2_000, sellerId: Guid.NewGuid()), 1)) };
        var checkout = Checkout.Place(Guid.NewGuid(), BuyerId, orders, T0);
        orders[1].Cancel(Buyer(orders[1]), T0.AddMinutes(1), null);

        var refused = Assert.Throws<DomainException>(() => checkout.Pay(orders, new Actor(Party.Buyer, BuyerId), T0.AddMinutes(2), "cap_1"));

        Assert.Equal(RefusalKind.WrongState, refused.Kind);
        Assert.Equal(OrderStatus.AwaitingPayment, orders[0].Status);
        Assert.Null(orders[0].PaymentReference);
        Assert.Null(checkout.PaidAt);
    }

    [Fact]
    public void An_order_of_a_checkout_is_not_paid_alone_and_does_not_offer_its_buyer_pay()
    {
        var orders = new[] { Place((Listing(1_000, sellerId: Guid.NewGuid()), 1)), Place((Listing(2_000, sellerId: Guid.NewGuid()), 1)) };
        var alone = Place((Listing(3_000, sellerId: Guid.NewGuid()), 1));
        var checkout = Checkout.Place(Guid.NewGuid(), BuyerId, orders, T0);

        var refused = Assert.Throws<DomainException>(() => orders[0].Pay(Buyer(orders[0]), T0.AddMinutes(1), "cap_1"));

        Assert.Equal("checkout_payment_required", refused.Code);
        Assert.Equal(OrderStatus.AwaitingPayment, orders[0].Status);
        Assert.DoesNotContain("pay", OrderProcess.ActionsFor(orders[0], Party.Buyer, T0.AddMinutes(1)));
        Assert.Contains("cancel", OrderProcess.ActionsFor(orders[0], Party.Buyer, T0.AddMinutes(1)));
        Assert.Contains("pay", OrderProcess.ActionsFor(alone, Party.Buyer, T0.AddMinutes(1)));
        Assert.True(checkout.MayBePaid(orders, Party.Buyer, T0.AddMinutes(1)));
        Assert.False(checkout.MayBePaid(orders, Party.Seller, T0.AddMinutes(1)));
    }

    [Fact]
    public void A_checkout_is_paid_once()
    {
        var orders = new[] { Place((Listing(1_000, sellerId: Guid.NewGuid()), 1)), Place((Listing(2_000, sellerId: Guid.NewGuid()), 1)) };
        var checkout = Checkout.Place(Guid.NewGuid(), BuyerId, orders, T0);
        checkout.Pay(orders, new Actor(Party.Buyer, BuyerId), T0.AddMinutes(1), "cap_1");

        Assert.Throws<DomainException>(() => checkout.Pay(orders, new Actor(Party.Buyer, BuyerId), T0.AddMinutes(2), "cap_2"));
        Assert.All(orders, o => Assert.Equal("cap_1", o.PaymentReference));
    }

    [Fact]
    public void A_cart_in_two_currencies_is_refused()
    {
        var orders = new[] { Place((Listing(1_000, "USD", Guid.NewGuid()), 1)), Place((Listing(1_000, "GEL", Guid.NewGuid()), 1)) };

        var refused = Assert.Throws<DomainException>(() => Checkout.Place(Guid.NewGuid(), BuyerId, orders, T0));

        Assert.Equal("mixed_currencies", refused.Code);
        Assert.All(orders, o => Assert.Null(o.CheckoutId));
    }

    private static long EscrowOf(IEnumerable<JournalEntry> entries, Order order) =>
        entries.SelectMany(e => e.Lines).Where(l => l.AccountType == AccountType.Escrow && l.Account == Account.Escrow(order.Id).Code).Sum(l => l.Amount);
}
