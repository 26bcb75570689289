using Safehold.Domain.Orders;
using static Safehold.Domain.Tests.Orders.TestOrders;

namespace Safehold.Domain.Tests.Orders;

/// <summary>The order's timers: which are pending in each state, when they are due, and what firing one does.</summary>
public sealed class OrderTimerTests
{
    private static readonly DateTimeOffset PaidAt = T0.AddHours(1);
    private static readonly DateTimeOffset ShippedAt = T0.AddDays(2);
    private static readonly DateTimeOffset DeliveredAt = T0.AddDays(5);
    private static readonly DateTimeOffset DoneAt = T0.AddDays(6);

    private static Dictionary<OrderTimerKind, DateTimeOffset> TimersOf(Order o) => o.Timers.ToDictionary(t => t.Kind, t => t.DueAt);

    private static Order InTransit(int handlingDays = 3, int protectionDays = 30) =>
        Shipped(Paid(Place((Listing(handlingDays: handlingDays, protectionDays: protectionDays), 1)), PaidAt), ShippedAt);

    [Fact]
    public void Placing_starts_the_pay_by_timer()
    {
        var order = PlaceOne();
        Assert.Equal(new Dictionary<OrderTimerKind, DateTimeOffset> { [OrderTimerKind.PayBy] = T0.AddHours(24) }, TimersOf(order));
        Assert.All(order.Timers, t => Assert.Equal(order.Id, t.OrderId));
    }

    [Fact]
    public void Paying_starts_ship_by_and_the_seller_reminder_a_day_before_it()
    {
        var order = Paid(Place((Listing(handlingDays: 3), 1)), PaidAt);
        Assert.Equal(new Dictionary<OrderTimerKind, DateTimeOffset>
        {
            [OrderTimerKind.ShipBy] = PaidAt.AddDays(3),
            [OrderTimerKind.ShipByReminder] = PaidAt.AddDays(2),
        }, TimersOf(order));
    }

    [Fact]
    public void Shipping_starts_protection_end_and_the_buyer_reminder_3_days_before_it()
    {
        var order = InTransit(protectionDays: 30);
        Assert.Equal(new Dictionary<OrderTimerKind, DateTimeOffset>
        {
            [OrderTimerKind.ProtectionEnds] = ShippedAt.AddDays(30),
            [OrderTimerKind.ProtectionEndingReminder] = ShippedAt.AddDays(27),
        }, TimersOf(order));
    }

    [Fact]
    public void Reporting_delivery_adds_auto_complete_15_days_later()
    {
        var order = Delivered(InTransit(protectionDays: 30), DeliveredAt);
        Assert.Equal(new Dictionary<OrderTimerKind, DateTimeOffset>
        {
            [OrderTimerKind.ProtectionEnds] = ShippedAt.AddDays(30),
            [OrderTimerKind.ProtectionEndingReminder] = ShippedAt.AddDays(27),
            [OrderTimerKind.AutoComplete] = DeliveredAt.AddDays(15),
        }, TimersOf(order));
    }

    [Fact]
    public void Completing_leaves_only_the_dispute_window_timer()
    {
        var order = Asking(Delivered(InTransit(), DeliveredAt), DeliveredAt.AddHours(1));
        order.ConfirmReceipt(Buyer(order), DoneAt);
        Assert.Equal(new Dictionary<OrderTimerKind, DateTimeOffset> { [OrderTimerKind.DisputeWindowEnds] = DoneAt.AddDays(15) }, TimersOf(order));
    }

    [Fact]
    public void Closing_cancels_every_timer()
    {
        var cancelled = PlaceOne();
        cancelled.Cancel(Buyer(cancelled), PaidAt, null);
        var refunded = Paid(PlaceOne(), PaidAt);
        refunded.Cancel(Seller(refunded), ShippedAt, "out of stock");

        Assert.Empty(cancelled.Timers);
        Assert.Empty(refunded.Timers);
    }

    [Fact]
    public void A_reminder_that_would_already_be_due_is_not_started()
    {
        // One handling day: the reminder a day before ship-by would be due at once.
        var order = Paid(Place((Listing(handlingDays: 1, protectionDays: 2), 1)), PaidAt);
        Assert.Equal([OrderTimerKind.ShipBy], order.Timers.Select(t => t.Kind));

        Shipped(order, ShippedAt);
        Assert.Equal([OrderTimerKind.ProtectionEnds], order.Timers.Select(t => t.Kind));
    }

    [Fact]
    public void Firing_the_ship_by_reminder_removes_it_and_reminds_the_seller()
    {
        var order = Paid(PlaceOne(), PaidAt);
        var version = order.Version;

        var outcome = order.FireTimer(OrderTimerKind.ShipByReminder, PaidAt.AddDays(6));

        Assert.Null(outcome.Entry);
        Assert.Equal(Party.Seller, outcome.Reminded);
        Assert.Equal([OrderTimerKind.ShipBy], order.Timers.Select(t => t.Kind));
        Assert.Equal(OrderStatus.AwaitingShipment, order.Status);
        Assert.Equal(version + 1, order.Version);
        Assert.Equal(("seller_reminded", Party.System), (order.Timeline[^1].Kind, order.Timeline[^1].Actor));
    }

    [Fact]
    public void Firing_the_protection_ending_reminder_reminds_the_buyer()
    {
        var order = InTransit();

        var outcome = order.FireTimer(OrderTimerKind.ProtectionEndingReminder, ShippedAt.AddDays(27));

        Assert.Equal(Party.Buyer, outcome.Reminded);
        Assert.Equal("buyer_reminded", order.Timeline[^1].Kind);
        Assert.Equal(OrderStatus.AwaitingDelivery, order.Status);
    }

    [Fact]
    public void Firing_pay_by_expires_the_unpaid_order()
    {
        var order = PlaceOne();

        var outcome = order.FireTimer(OrderTimerKind.PayBy, T0.AddHours(24));

        Assert.Equal(OrderStatus.Closed, order.Status);
        Assert.Null(outcome.Entry);
        Assert.Equal(Party.None, outcome.Reminded);
        Assert.Equal("expire_unpaid", order.Timeline[^1].Kind);
    }

    [Fact]
    public void Firing_ship_by_refunds_the_buyer()
    {
        var order = Paid(PlaceOne(), PaidAt);

        var outcome = order.FireTimer(OrderTimerKind.ShipBy, PaidAt.AddDays(7));

        Assert.Equal(OrderStatus.Closed, order.Status);
        Assert.Equal("refund", outcome.Entry?.Kind);
        Assert.Empty(order.Timers);
    }

    [Theory]
    [InlineData(false, OrderTimerKind.ProtectionEnds)]
    [InlineData(true, OrderTimerKind.ProtectionEnds)]
    [InlineData(true, OrderTimerKind.AutoComplete)]
    public void Firing_protection_end_or_auto_complete_releases_escrow_to_the_seller(bool delivered, OrderTimerKind kind)
    {
        var order = InTransit();
        if (delivered) Delivered(order, DeliveredAt);

        var outcome = order.FireTimer(kind, DoneAt);

        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.Equal("release", outcome.Entry?.Kind);
        Assert.Equal([OrderTimerKind.DisputeWindowEnds], order.Timers.Select(t => t.Kind));
    }

    [Fact]
    public void Firing_the_dispute_window_end_makes_the_seller_credit_available()
    {
        var order = InTransit();
        order.ConfirmReceipt(Buyer(order), DoneAt);

        var outcome = order.FireTimer(OrderTimerKind.DisputeWindowEnds, DoneAt.AddDays(15));

        Assert.Equal("credit_available", outcome.Entry?.Kind);
        Assert.Equal(DoneAt.AddDays(15), order.CreditAvailableAt);
        Assert.Equal(DoneAt, order.CompletedAt);
        Assert.Equal(DoneAt.AddDays(15), order.DisputeWindowEndsAt);
        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.Empty(order.Timers);
        Assert.Empty(order.PendingDeadlines());
    }

    [Fact]
    public void A_timer_fires_once()
    {
        var order = InTransit();
        order.ConfirmReceipt(Buyer(order), DoneAt);
        order.FireTimer(OrderTimerKind.DisputeWindowEnds, DoneAt.AddDays(15));
        var before = Snapshot(order);

        var error = Assert.Throws<DomainException>(() => order.FireTimer(OrderTimerKind.DisputeWindowEnds, DoneAt.AddDays(16)));

        Assert.Equal("invalid_state", error.Code);
        Assert.Equal(before, Snapshot(order));
    }

    [Fact]
    public void Firing_a_timer_the_order_does_not_have_is_refused_and_changes_nothing()
    {
        var order = PlaceOne();
        var before = Snapshot(order);

        var error = Assert.Throws<DomainException>(() => order.FireTimer(OrderTimerKind.ShipBy, T0.AddDays(8)));

        Assert.Equal("invalid_state", error.Code);
        Assert.Equal(before, Snapshot(order));
    }

    [Fact]
    public void Discarding_a_timer_removes_it_and_says_why()
    {
        var order = Paid(PlaceOne(), PaidAt);
        var version = order.Version;

        order.DiscardTimer(OrderTimerKind.ShipBy, ShippedAt, "refused: test");

        Assert.DoesNotContain(order.Timers, t => t.Kind == OrderTimerKind.ShipBy);
        Assert.Equal(version + 1, order.Version);
        Assert.Equal(("timer_discarded", "ship_by: refused: test"), (order.Timeline[^1].Kind, order.Timeline[^1].Detail));
        Assert.Equal(OrderStatus.AwaitingShipment, order.Status);
    }

    [Fact]
    public void Discarding_a_timer_the_order_does_not_have_changes_nothing()
    {
        var order = PlaceOne();
        var before = Snapshot(order);

        order.DiscardTimer(OrderTimerKind.AutoComplete, T0.AddHours(1), "no such timer");

        Assert.Equal(before, Snapshot(order));
    }
}
