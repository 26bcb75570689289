using Safehold.Domain.Orders;
using Safehold.Domain.Policy;
using static Safehold.Domain.Tests.Orders.TestOrders;

namespace Safehold.Domain.Tests.Orders;

public sealed class OrderTests
{
    private static Order PlaceWith(ProtectionPolicy policy, params (ListingSnapshot Listing, int Quantity)[] lines) =>
        Order.Place(Guid.NewGuid(), BuyerId, lines, "1 Rustaveli Ave, Tbilisi", policy, T0);

    private static ProtectionPolicy WithCategories(params (string Category, int Bps)[] categories) => new()
    {
        CategoryCommissionBasisPoints = categories.ToDictionary(c => c.Category, c => c.Bps, StringComparer.OrdinalIgnoreCase),
    };

    private static DomainException Refused(params (ListingSnapshot Listing, int Quantity)[] lines) =>
        Assert.Throws<DomainException>(() => Place(lines));

    [Fact]
    public void Place_makes_an_unpaid_order_for_the_total_of_its_lines()
    {
        var id = Guid.NewGuid();
        var order = Order.Place(id, BuyerId, [(Listing(12999), 2), (Listing(500, title: "Headphones"), 3)], "1 Rustaveli Ave, Tbilisi", DefaultPolicy, T0);

        Assert.Equal(id, order.Id);
        Assert.Equal(BuyerId, order.BuyerId);
        Assert.Equal(SellerId, order.SellerId);
        Assert.Equal(OrderStatus.AwaitingPayment, order.Status);
        Assert.Equal(1, order.Version);
        Assert.Equal("USD", order.Currency);
        Assert.Equal(27498, order.TotalAmount);
        Assert.Equal(new Money(27498, Currency.Usd), order.Total);
        Assert.Equal("1 Rustaveli Ave, Tbilisi", order.ShippingAddress);
        Assert.Equal(T0, order.CreatedAt);
        Assert.Null(order.PaidAt);
        var placed = Assert.Single(order.Timeline);
        Assert.Equal(("placed", Party.Buyer, (Guid?)BuyerId, T0), (placed.Kind, placed.Actor, placed.ActorUserId, placed.At));
    }

    [Fact]
    public void Place_refuses_an_order_without_items()
    {
        var error = Refused();
        Assert.Equal("validation_failed", error.Code);
        Assert.Equal(RefusalKind.Invalid, error.Kind);
    }

    [Fact]
    public void Place_refuses_items_from_more_than_one_seller()
    {
        var error = Refused((Listing(), 1), (Listing(sellerId: Guid.NewGuid()), 1));
        Assert.Equal("multiple_sellers", error.Code);
        Assert.Equal(RefusalKind.RuleRefused, error.Kind);
    }

    [Fact]
    public void Place_refuses_items_priced_in_different_currencies()
    {
        var error = Refused((Listing(12999, "USD"), 1), (Listing(1500, "JPY"), 1));
        Assert.Equal("mixed_currencies", error.Code);
        Assert.Equal(RefusalKind.RuleRefused, error.Kind);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Place_refuses_a_quantity_below_one(int quantity)
    {
        var error = Refused((Listing(), 1), (Listing(), quantity));
        Assert.Equal("validation_failed", error.Code);
        Assert.Equal(RefusalKind.Invalid, error.Kind);
    }

    // A zero total could never be paid (its capture would have no non-zero line); a negative one would make escrow negative.
    [Theory]
    [InlineData(0)]
    [InlineData(-500)]
    public void Place_refuses_a_listing_priced_at_zero_or_less(long price)
    {
        var error = Refused((Listing(price), 1));
        Assert.Equal("validation_failed", error.Code);
        Assert.Equal(RefusalKind.Invalid, error.Kind);
    }

    [Fact]
    public void Place_refuses_a_seller_buying_their_own_product()
    {
        var error = Assert.Throws<DomainException>(() =>
            Order.Place(Guid.NewGuid(), SellerId, [(Listing(), 1)], "somewhere", DefaultPolicy, T0));
        Assert.Equal("own_product", error.Code);
        Assert.Equal(RefusalKind.RuleRefused, error.Kind);
    }

    [Fact]
    public void Place_refuses_a_line_total_that_overflows()
    {
        var error = Refused((Listing(long.MaxValue / 2 + 1), 2));
        Assert.Equal("amount_too_large", error.Code);
        Assert.Equal(RefusalKind.Invalid, error.Kind);
    }

    [Fact]
    public void Place_refuses_an_order_total_that_overflows() =>
        Assert.Equal("amount_too_large", Refused((Listing(long.MaxValue / 2 + 1), 1), (Listing(long.MaxValue / 2 + 1), 1)).Code);

    [Fact]
    public void Place_accepts_the_largest_total_that_fits()
    {
        var order = Place((Listing(long.MaxValue - 1), 1), (Listing(1), 1));
        Assert.Equal(long.MaxValue, order.TotalAmount);
        Assert.Equal(500, order.CommissionBasisPoints);
    }

    [Fact]
    public void Place_copies_the_listing_as_it_is_now()
    {
        var images = new List<string> { "https://img.example/front.jpg", "https://img.example/back.jpg" };
        var listing = new ListingSnapshot(Guid.NewGuid(), SellerId, "Mobvoi Ticwatch 2", "Round face, 512 MB", new Money(12999, Currency.Usd),
            "electronics", images, 3, 45);

        var order = Place((listing, 2));
        images.Add("https://img.example/added-later.jpg");

        var line = Assert.Single(order.Lines);
        Assert.Equal(order.Id, line.OrderId);
        Assert.Equal(1, line.LineNumber);
        Assert.Equal(listing.ProductId, line.ProductId);
        Assert.Equal("Mobvoi Ticwatch 2", line.Title);
        Assert.Equal("Round face, 512 MB", line.Description);
        Assert.Equal("electronics", line.Category);
        Assert.Equal(["https://img.example/front.jpg", "https://img.example/back.jpg"], line.Images);
        Assert.Equal("USD", line.Currency);
        Assert.Equal(12999, line.UnitPriceAmount);
        Assert.Equal(new Money(12999, Currency.Usd), line.UnitPrice);
        Assert.Equal(2, line.Quantity);
        Assert.Equal(new Money(25998, Currency.Usd), line.LineTotal);
    }

    [Fact]
    public void Lines_are_numbered_in_the_order_given()
    {
        var order = Place((Listing(title: "Watch"), 1), (Listing(title: "Headphones"), 1), (Listing(title: "Strap"), 1));
        Assert.Equal([(1, "Watch"), (2, "Headphones"), (3, "Strap")], order.Lines.Select(l => (l.LineNumber, l.Title)));
    }

    [Fact]
    public void Pay_by_is_24_hours_after_placing()
    {
        var order = PlaceOne();
        Assert.Equal(T0.AddHours(24), order.PayBy);
    }

    [Fact]
    public void Deadlines_run_from_payment_shipment_delivery_and_completion()
    {
        var paid = T0.AddHours(3);
        var shipped = paid.AddDays(2).AddHours(5);
        var delivered = shipped.AddDays(6);
        var completed = delivered.AddDays(1);
        var order = Place((Listing(handlingDays: 3, protectionDays: 30), 1));

        order.Pay(Buyer(order), paid, "pay_1");
        Assert.Equal(paid.AddDays(3), order.ShipBy);
        Assert.Null(order.ProtectionEndsAt);

        order.Ship(Seller(order), shipped, "DHL", "JD1");
        Assert.Equal(shipped, order.ShippedAt);
        Assert.Equal("DHL", order.Carrier);
        Assert.Equal("JD1", order.TrackingNumber);
        Assert.Equal(shipped.AddDays(30), order.ProtectionEndsAt);
        Assert.Null(order.AutoCompleteAt);

        order.MarkDelivered(Seller(order), delivered);
        Assert.Equal(delivered, order.DeliveredAt);
        Assert.Equal(delivered.AddDays(15), order.AutoCompleteAt);

        order.ConfirmReceipt(Buyer(order), completed);
        Assert.Equal(completed, order.CompletedAt);
        Assert.Equal(completed.AddDays(15), order.DisputeWindowEndsAt);
        Assert.Null(order.ClosedAt);
    }

    [Fact]
    public void A_product_without_its_own_days_gets_the_policy_defaults_of_7_handling_and_40_protection_days()
    {
        var order = Shipped(Paid(PlaceOne(), T0), T0.AddDays(1));
        Assert.Equal(7, order.HandlingDays);
        Assert.Equal(40, order.ProtectionDays);
        Assert.Equal(T0.AddDays(7), order.ShipBy);
        Assert.Equal(T0.AddDays(41), order.ProtectionEndsAt);
    }

    [Theory]
    [InlineData(3, 10, 10)]
    [InlineData(10, 3, 10)]
    [InlineData(3, null, 7)] // the default of the line that does not say
    [InlineData(9, null, 9)]
    public void Handling_days_are_the_longest_of_any_line(int? first, int? second, int expected)
    {
        var order = Place((Listing(handlingDays: first), 1), (Listing(handlingDays: second), 1));
        Assert.Equal(expected, order.HandlingDays);
        order.Pay(Buyer(order), T0, "pay_1");
        Assert.Equal(T0.AddDays(expected), order.ShipBy);
    }

    [Theory]
    [InlineData(30, 60, 60)]
    [InlineData(60, 30, 60)]
    [InlineData(30, null, 40)]
    [InlineData(90, null, 90)]
    public void Protection_days_are_the_longest_of_any_line(int? first, int? second, int expected)
    {
        var order = Place((Listing(protectionDays: first), 1), (Listing(protectionDays: second), 1));
        Assert.Equal(expected, order.ProtectionDays);
        Shipped(Paid(order, T0), T0.AddDays(1));
        Assert.Equal(T0.AddDays(1 + expected), order.ProtectionEndsAt);
    }

    [Fact]
    public void An_order_keeps_the_policy_in_force_when_it_was_placed()
    {
        var policy = new ProtectionPolicy
        {
            PayWithin = TimeSpan.FromHours(2),
            DefaultHandlingDays = 4,
            DefaultProtectionDays = 20,
            AutoCompleteDaysAfterDelivery = 10,
            PostCompletionDisputeDays = 20,
            CommissionBasisPoints = 300,
        };
        var order = PlaceWith(policy, (Listing(), 1));

        Assert.Equal(T0.AddHours(2), order.PayBy);
        Assert.Equal((4, 20, 10, 20, 300),
            (order.HandlingDays, order.ProtectionDays, order.AutoCompleteDaysAfterDelivery, order.PostCompletionDisputeDays, order.CommissionBasisPoints));
        Delivered(Shipped(Paid(order, T0), T0.AddDays(1)), T0.AddDays(3));
        Assert.Equal(T0.AddDays(13), order.AutoCompleteAt);
        order.Fire(OrderTrigger.DeliveryAutoComplete, T0.AddDays(13));
        Assert.Equal(T0.AddDays(33), order.DisputeWindowEndsAt);
    }

    [Fact]
    public void Commission_is_the_policy_default_without_a_category_override() =>
        Assert.Equal(500, Place((Listing(category: "books"), 1)).CommissionBasisPoints);

    [Theory]
    [InlineData("electronics")]
    [InlineData("Electronics")]
    [InlineData("ELECTRONICS")]
    public void Commission_follows_the_category_override_in_any_letter_case(string category) =>
        Assert.Equal(800, PlaceWith(WithCategories(("electronics", 800)), (Listing(category: category), 1)).CommissionBasisPoints);

    [Theory]
    // 1000 at 8% and 3000 at 5%: (80 + 150) / 4000 = 5.75%
    [InlineData(1000, 1, 3000, 1, 575)]
    // quantities weigh: 3 x 1000 at 8% and 1 x 1000 at 5%: 7.25%
    [InlineData(1000, 3, 1000, 1, 725)]
    // 1 at 8% and 1 at 5%: 6.5%
    [InlineData(1, 1, 1, 1, 650)]
    // 2 at 8% and 1 at 5%: 7%
    [InlineData(2, 1, 1, 1, 700)]
    public void Commission_of_a_mixed_category_order_is_weighted_by_amount(long electronicsPrice, int electronicsQty, long booksPrice, int booksQty, int expected)
    {
        var policy = WithCategories(("electronics", 800));
        var order = PlaceWith(policy, (Listing(electronicsPrice, category: "electronics"), electronicsQty), (Listing(booksPrice, category: "books"), booksQty));
        Assert.Equal(expected, order.CommissionBasisPoints);
    }

    [Theory]
    // 1 at 10.01% and 1 at 5%: 750.5 bps, the half rounds up
    [InlineData(1001, 1, 500, 1, 751)]
    // 1 at 10% and 2 at 5%: 666.67 bps rounds up
    [InlineData(1000, 1, 500, 2, 667)]
    // 2 at 10% and 1 at 5%: 833.33 bps rounds down
    [InlineData(1000, 2, 500, 1, 833)]
    public void Weighted_commission_rounds_half_up_to_a_basis_point(int aBps, int aQty, int bBps, int bQty, int expected)
    {
        var policy = WithCategories(("a", aBps), ("b", bBps));
        var order = PlaceWith(policy, (Listing(1, category: "a"), aQty), (Listing(1, category: "b"), bQty));
        Assert.Equal(expected, order.CommissionBasisPoints);
    }

    [Fact]
    public void The_weighted_commission_is_what_is_kept_at_release()
    {
        var policy = WithCategories(("electronics", 800));
        var order = PlaceWith(policy, (Listing(10000, category: "electronics"), 1), (Listing(30000, category: "books"), 1));
        Shipped(Paid(order, T0), T0.AddDays(1));

        var entry = order.ConfirmReceipt(Buyer(order), T0.AddDays(2));

        // 575 bps of 40000 = 2300
        Assert.Equal(2300, entry.Lines.Single(l => l.Account == "platform_commission").Amount);
        Assert.Equal(37700, entry.Lines.Single(l => l.Account == $"seller_pending:{SellerId}").Amount);
    }

    [Fact]
    public void Pending_deadlines_name_what_is_ahead_in_each_status()
    {
        var order = Place((Listing(handlingDays: 3, protectionDays: 30), 1));
        Assert.Equal(new Dictionary<string, DateTimeOffset> { ["payBy"] = T0.AddHours(24) }, order.PendingDeadlines());

        Paid(order, T0.AddHours(1));
        Assert.Equal(new Dictionary<string, DateTimeOffset> { ["shipBy"] = T0.AddHours(1).AddDays(3) }, order.PendingDeadlines());

        Shipped(order, T0.AddDays(2));
        Assert.Equal(new Dictionary<string, DateTimeOffset> { ["protectionEndsAt"] = T0.AddDays(32) }, order.PendingDeadlines());

        Delivered(order, T0.AddDays(4));
        Assert.Equal(new Dictionary<string, DateTimeOffset>
        {
            ["protectionEndsAt"] = T0.AddDays(32),
            ["autoCompleteAt"] = T0.AddDays(19),
        }, order.PendingDeadlines());

        order.RequestExtension(Buyer(order), T0.AddDays(4).AddHours(1), Guid.NewGuid(), 10, "slow post");
        Assert.Equal(new Dictionary<string, DateTimeOffset>
        {
            ["protectionEndsAt"] = T0.AddDays(32),
            ["autoCompleteAt"] = T0.AddDays(19),
            ["extensionDecisionBy"] = T0.AddDays(7).AddHours(1),
        }, order.PendingDeadlines());

        order.DeclineExtension(Seller(order), T0.AddDays(4).AddHours(2), order.PendingExtension!.Id);
        order.ConfirmReceipt(Buyer(order), T0.AddDays(5));
        Assert.Equal(new Dictionary<string, DateTimeOffset> { ["availableAt"] = T0.AddDays(20) }, order.PendingDeadlines());

        order.Fire(OrderTrigger.DisputeWindowClosed, T0.AddDays(20));
        Assert.Empty(order.PendingDeadlines());
    }

    [Fact]
    public void A_closed_order_has_no_pending_deadlines()
    {
        var cancelled = PlaceOne();
        cancelled.Cancel(Buyer(cancelled), T0.AddHours(1), null);
        var refunded = Paid(PlaceOne(), T0.AddHours(1));
        refunded.Fire(OrderTrigger.ShipByMissed, T0.AddDays(8));

        Assert.Empty(cancelled.PendingDeadlines());
        Assert.Empty(refunded.PendingDeadlines());
        Assert.Equal(T0.AddHours(1), cancelled.ClosedAt);
        Assert.Equal(T0.AddDays(8), refunded.ClosedAt);
        Assert.Null(refunded.CompletedAt);
    }
}
