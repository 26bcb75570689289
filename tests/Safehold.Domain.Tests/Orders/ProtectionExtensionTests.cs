using Safehold.Domain.Orders;
using Safehold.Domain.Policy;
using static Safehold.Domain.Tests.Orders.TestOrders;

namespace Safehold.Domain.Tests.Orders;

/// <summary>
/// More protection time: the buyer asks (up to 30 days a request, 2 requests an order), the seller approves or
/// declines within 3 days, and silence approves.
/// </summary>
public sealed class ProtectionExtensionTests
{
    private static readonly DateTimeOffset PaidAt = T0.AddHours(1);
    private static readonly DateTimeOffset ShippedAt = T0.AddDays(2);
    private static readonly DateTimeOffset AskedAt = T0.AddDays(10);
    private static readonly DateTimeOffset AnsweredAt = AskedAt.AddDays(1);

    private static Order InTransit(ProtectionPolicy? policy = null)
    {
        var order = Order.Place(Guid.NewGuid(), BuyerId, [(Listing(protectionDays: 30), 1)], "somewhere", policy ?? DefaultPolicy, T0);
        return Shipped(Paid(order, PaidAt), ShippedAt);
    }

    private static ProtectionExtension Request(Order o, DateTimeOffset at, int days = 10) =>
        o.RequestExtension(Buyer(o), at, Guid.NewGuid(), days, "customs are slow");

    [Fact]
    public void A_request_waits_for_the_seller_for_3_days()
    {
        var order = InTransit();
        var id = Guid.NewGuid();

        var extension = order.RequestExtension(Buyer(order), AskedAt, id, 10, "customs are slow");

        Assert.Equal((id, order.Id, 10, "customs are slow", ExtensionStatus.Pending, AskedAt, AskedAt.AddDays(3), (DateTimeOffset?)null),
            (extension.Id, extension.OrderId, extension.Days, extension.Reason, extension.Status, extension.RequestedAt, extension.AnswerBy, extension.DecidedAt));
        Assert.Same(extension, order.PendingExtension);
        Assert.Same(extension, Assert.Single(order.Extensions));
        Assert.Equal(AskedAt.AddDays(3), order.PendingDeadlines()["extensionDecisionBy"]);
        Assert.Equal(ShippedAt.AddDays(30), order.ProtectionEndsAt);
        Assert.Equal(("extension_requested", Party.Buyer, "10 days: customs are slow"),
            (order.Timeline[^1].Kind, order.Timeline[^1].Actor, order.Timeline[^1].Detail));
    }

    [Fact]
    public void Approving_moves_protection_end_and_its_reminder_later_by_the_days()
    {
        var order = InTransit();
        var extension = Request(order, AskedAt, days: 10);

        order.ApproveExtension(Seller(order), AnsweredAt, extension.Id);

        Assert.Equal((ExtensionStatus.Approved, (DateTimeOffset?)AnsweredAt), (extension.Status, extension.DecidedAt));
        Assert.Null(order.PendingExtension);
        Assert.Equal(ShippedAt.AddDays(40), order.ProtectionEndsAt);
        Assert.Equal(new Dictionary<OrderTimerKind, DateTimeOffset>
        {
            [OrderTimerKind.ProtectionEnds] = ShippedAt.AddDays(40),
            [OrderTimerKind.ProtectionEndingReminder] = ShippedAt.AddDays(37),
        }, order.Timers.ToDictionary(t => t.Kind, t => t.DueAt));
        Assert.Equal(("extension_approved", Party.Seller), (order.Timeline[^1].Kind, order.Timeline[^1].Actor));
    }

    [Fact]
    public void Approving_after_delivery_also_moves_auto_complete()
    {
        var order = Delivered(InTransit(), AskedAt.AddDays(-1));
        var extension = Request(order, AskedAt, days: 10);

        order.ApproveExtension(Seller(order), AnsweredAt, extension.Id);

        Assert.Equal(AskedAt.AddDays(-1 + 15 + 10), order.AutoCompleteAt);
        Assert.Equal(AskedAt.AddDays(24), order.PendingDeadlines()["autoCompleteAt"]);
    }

    [Fact]
    public void Declining_leaves_protection_end_where_it_was()
    {
        var order = InTransit();
        var extension = Request(order, AskedAt);

        order.DeclineExtension(Seller(order), AnsweredAt, extension.Id);

        Assert.Equal(ExtensionStatus.Declined, extension.Status);
        Assert.Null(order.PendingExtension);
        Assert.Equal(ShippedAt.AddDays(30), order.ProtectionEndsAt);
        Assert.False(order.PendingDeadlines().ContainsKey("extensionDecisionBy"));
        Assert.DoesNotContain(order.Timers, t => t.Kind == OrderTimerKind.ExtensionDecision);
    }

    [Fact]
    public void The_seller_silence_approves_when_the_answer_timer_fires()
    {
        var order = InTransit();
        var extension = Request(order, AskedAt, days: 7);

        var outcome = order.FireTimer(OrderTimerKind.ExtensionDecision, extension.AnswerBy);

        Assert.Null(outcome.Entry);
        Assert.Equal((ExtensionStatus.AutoApproved, (DateTimeOffset?)extension.AnswerBy), (extension.Status, extension.DecidedAt));
        Assert.Equal(ShippedAt.AddDays(37), order.ProtectionEndsAt);
        Assert.DoesNotContain(order.Timers, t => t.Kind == OrderTimerKind.ExtensionDecision);
        Assert.Equal(("extension_auto_approved", Party.System), (order.Timeline[^1].Kind, order.Timeline[^1].Actor));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void A_request_adds_at_least_one_day(int days)
    {
        var order = InTransit();
        var before = Snapshot(order);

        var error = Assert.Throws<DomainException>(() => Request(order, AskedAt, days));

        Assert.Equal(("validation_failed", RefusalKind.Invalid), (error.Code, error.Kind));
        Assert.Equal(before, Snapshot(order));
    }

    [Fact]
    public void A_request_adds_at_most_30_days()
    {
        var order = InTransit();
        var before = Snapshot(order);

        var error = Assert.Throws<DomainException>(() => Request(order, AskedAt, days: 31));

        Assert.Equal(("extension_too_long", RefusalKind.RuleRefused), (error.Code, error.Kind));
        Assert.Equal(before, Snapshot(order));
        Assert.Equal(30, Request(order, AskedAt, days: 30).Days);
    }

    [Fact]
    public void Only_one_request_waits_at_a_time()
    {
        var order = InTransit();
        Request(order, AskedAt);
        var before = Snapshot(order);

        var error = Assert.Throws<DomainException>(() => Request(order, AskedAt.AddHours(1)));

        Assert.Equal("invalid_state", error.Code);
        Assert.Equal(before, Snapshot(order));
    }

    [Fact]
    public void An_order_allows_two_requests_whatever_their_answers()
    {
        var order = InTransit();
        order.DeclineExtension(Seller(order), AnsweredAt, Request(order, AskedAt).Id);
        order.ApproveExtension(Seller(order), AnsweredAt.AddHours(2), Request(order, AnsweredAt.AddHours(1)).Id);
        var before = Snapshot(order);

        var error = Assert.Throws<DomainException>(() => Request(order, AnsweredAt.AddHours(3)));

        Assert.Equal(("extension_limit_reached", RefusalKind.RuleRefused), (error.Code, error.Kind));
        Assert.Equal(before, Snapshot(order));
        Assert.DoesNotContain("extend_protection", OrderProcess.ActionsFor(order, Party.Buyer, NowOf(order)));
    }

    [Fact]
    public void The_limits_come_from_the_policy_in_force_when_the_order_was_placed()
    {
        var policy = new ProtectionPolicy { MaxExtensions = 3, MaxExtensionDays = 5, ExtensionResponseDays = 1 };
        var order = InTransit(policy);

        Assert.Equal("extension_too_long", Assert.Throws<DomainException>(() => Request(order, AskedAt, days: 6)).Code);
        for (var i = 0; i < 3; i++)
        {
            var extension = Request(order, AskedAt.AddDays(i), days: 5);
            Assert.Equal(AskedAt.AddDays(i + 1), extension.AnswerBy);
            order.DeclineExtension(Seller(order), AskedAt.AddDays(i).AddHours(1), extension.Id);
        }
        Assert.Equal("extension_limit_reached", Assert.Throws<DomainException>(() => Request(order, AskedAt.AddDays(4), days: 5)).Code);
    }

    [Fact]
    public void Answering_a_request_that_is_not_the_waiting_one_is_not_found()
    {
        var order = InTransit();
        Request(order, AskedAt);
        var before = Snapshot(order);

        var error = Assert.Throws<DomainException>(() => order.ApproveExtension(Seller(order), AnsweredAt, Guid.NewGuid()));

        Assert.Equal(("not_found", RefusalKind.NotFound), (error.Code, error.Kind));
        Assert.Equal(before, Snapshot(order));
    }

    [Fact]
    public void Answering_when_nothing_waits_is_invalid_state()
    {
        var order = InTransit();
        var extension = Request(order, AskedAt);
        order.DeclineExtension(Seller(order), AnsweredAt, extension.Id);
        var before = Snapshot(order);

        var error = Assert.Throws<DomainException>(() => order.ApproveExtension(Seller(order), AnsweredAt.AddHours(1), extension.Id));

        Assert.Equal("invalid_state", error.Code);
        Assert.Equal(before, Snapshot(order));
        Assert.Equal(ExtensionStatus.Declined, extension.Status);
    }

    // Nobody can answer a request once protection is over; left Pending it would wait for ever.
    [Theory]
    [InlineData(OrderTrigger.ConfirmReceipt)]
    [InlineData(OrderTrigger.ProtectionEnded)]
    [InlineData(OrderTrigger.DeliveryAutoComplete)]
    public void A_request_still_waiting_when_the_order_completes_lapses(OrderTrigger completion)
    {
        var order = Delivered(InTransit(), AskedAt.AddDays(-1));
        var extension = Request(order, AskedAt);

        Attempt(order, completion, completion == OrderTrigger.ConfirmReceipt ? Party.Buyer : Party.System, AnsweredAt);

        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.DoesNotContain(order.Timers, t => t.Kind == OrderTimerKind.ExtensionDecision);
        Assert.Null(order.PendingExtension);
        Assert.Equal((ExtensionStatus.Lapsed, (DateTimeOffset?)AnsweredAt), (extension.Status, extension.DecidedAt));
        Assert.Equal(ShippedAt.AddDays(30), order.ProtectionEndsAt);
    }
}
