using Safehold.Domain.Orders;
using Safehold.Domain.Policy;
using Safehold.Domain.Process;
using static Safehold.Domain.Tests.Disputes.TestDisputes;
using static Safehold.Domain.Tests.Orders.TestOrders;

namespace Safehold.Domain.Tests.Process;

public sealed class ProcessEngineTests
{
    private static readonly Party[] People = [Party.Buyer, Party.Seller, Party.Admin];
    private static readonly DisputeParty[] DisputePeople = [DisputeParty.Buyer, DisputeParty.Seller, DisputeParty.Arbiter];

    /// <summary>Orders at every stage, each looked at from the moment it got there to long after every deadline.</summary>
    public static TheoryData<string, int> OrdersAndDays()
    {
        var data = new TheoryData<string, int>();
        foreach (var stage in Stages.Keys)
            foreach (var days in new[] { 0, 1, 6, 7, 14, 39, 40, 41, 60, 90 })
                data.Add(stage, days);
        return data;
    }

    private static readonly Dictionary<string, Func<Order>> Stages = new()
    {
        ["placed"] = () => PlaceOne(),
        ["paid"] = () => Paid(PlaceOne(), T0.AddHours(1)),
        ["in_transit"] = () => Shipped(Paid(PlaceOne(), T0.AddHours(1)), T0.AddDays(2)),
        ["asking"] = () => Asking(Shipped(Paid(PlaceOne(), T0.AddHours(1)), T0.AddDays(2)), T0.AddDays(5)),
        ["delivered"] = () => Delivered(Shipped(Paid(PlaceOne(), T0.AddHours(1)), T0.AddDays(2)), T0.AddDays(6)),
        ["completed"] = () =>
        {
            var o = Shipped(Paid(PlaceOne(), T0.AddHours(1)), T0.AddDays(2));
            o.ConfirmReceipt(Buyer(o), T0.AddDays(8));
            return o;
        },
    };

    [Theory]
    [MemberData(nameof(OrdersAndDays))]
    public void An_order_offers_exactly_the_actions_the_same_request_would_be_allowed_at_that_moment(string stage, int days)
    {
        var order = Stages[stage]();
        var now = NowOf(order).AddDays(days);
        foreach (var party in People)
        {
            var act = new OrderAct(new Actor(party, null));
            var offered = OrderProcess.ActionsFor(order, party, now);
            foreach (var trigger in OrderProcess.Table.Where(t => !ProcessEngine<OrderTransition, OrderStatus, OrderTrigger, Party, Order, OrderAct>.Overlaps(t.Who, Party.System))
                         .Select(t => t.Trigger).Distinct())
            {
                var allowed = TryAuthorize(() => OrderProcess.Authorize(order, trigger, act, now));
                Assert.True(allowed == offered.Contains(OrderProcess.ActionName(trigger)),
                    $"{party} at {stage} + {days} days: {trigger} offered {offered.Contains(OrderProcess.ActionName(trigger))}, allowed {allowed}");
            }
        }
    }

    [Fact]
    public void A_dispute_offers_exactly_the_actions_the_same_request_would_be_allowed_at_that_moment()
    {
        var (_, decided) = Decided(ArbiterA);
        var (_, open) = Open();
        foreach (var dispute in new[] { decided, open })
            foreach (var days in new[] { 0, 1, 5, 29, 30, 31 })
                foreach (var party in DisputePeople)
                {
                    var now = NowOf(dispute).AddDays(days);
                    var actor = party == DisputeParty.Arbiter ? DisputeActor.Arbiter(ArbiterB) : As(dispute, party);
                    var offered = DisputeProcess.ActionsFor(dispute, actor, now);
                    foreach (var trigger in DisputeProcess.Table.Where(t => t.Who != DisputeParty.System && t.Trigger != DisputeTrigger.Open).Select(t => t.Trigger).Distinct())
                    {
                        var allowed = TryAuthorize(() => DisputeProcess.Authorize(dispute, trigger, new DisputeAct(actor), now));
                        Assert.True(allowed == offered.Contains(DisputeProcess.ActionName(trigger)), $"{party} {days} days on: {trigger}");
                    }
                }
    }

    [Fact]
    public void Once_protection_has_ended_a_dispute_is_neither_offered_nor_opened_even_before_the_sweeper_completes_the_order()
    {
        var order = Shipped(Paid(PlaceOne(), T0.AddHours(1)), T0.AddDays(2));
        var ended = order.ProtectionEndsAt!.Value;

        Assert.Contains("open_dispute", OrderProcess.ActionsFor(order, Party.Buyer, ended.AddSeconds(-1)));
        Assert.DoesNotContain("open_dispute", OrderProcess.ActionsFor(order, Party.Buyer, ended));
        var refused = Assert.Throws<DomainException>(() => { Disputed(order, ended); });
        Assert.Equal("dispute_window_closed", refused.Code);
        Assert.Equal(OrderStatus.AwaitingDelivery, order.Status);
    }

    [Fact]
    public void Once_the_appeal_days_are_over_an_appeal_is_neither_offered_nor_accepted_even_before_the_decision_settles()
    {
        var (_, dispute) = Decided(ArbiterA);
        var closes = dispute.DecidedAt!.Value.AddDays(dispute.AppealDays);

        Assert.Contains("appeal", DisputeProcess.ActionsFor(dispute, BuyerOf(dispute), closes.AddSeconds(-1)));
        Assert.DoesNotContain("appeal", DisputeProcess.ActionsFor(dispute, BuyerOf(dispute), closes));
        var refused = Assert.Throws<DomainException>(() => dispute.Appeal(BuyerOf(dispute), closes, "Too late?"));
        Assert.Equal("appeal_window_closed", refused.Code);
    }

    [Fact]
    public void An_extension_longer_than_the_orders_terms_is_refused_by_its_rows_guard_and_changes_nothing()
    {
        var order = Shipped(Paid(PlaceOne(), T0.AddHours(1)), T0.AddDays(2));
        var before = Snapshot(order);

        var refused = Assert.Throws<DomainException>(() =>
            order.RequestExtension(Buyer(order), T0.AddDays(3), Guid.NewGuid(), order.MaxExtensionDays + 1, "Customs."));

        Assert.Equal("extension_too_long", refused.Code);
        Assert.Equal(before, Snapshot(order));
        Assert.Contains("extend_protection", OrderProcess.ActionsFor(order, Party.Buyer, T0.AddDays(3))); // some number of days still may
    }

    [Fact]
    public void A_transition_is_added_by_adding_one_row_and_is_then_authorized_offered_and_carries_its_effects()
    {
        OrderTransition adminCancels = new(OrderTrigger.Cancel, OrderStatus.AwaitingShipment, Party.Admin, OrderStatus.Closed, MoneyMovement.RefundInFull, [],
            Sets: OrderDate.Closed);
        var engine = new ProcessEngine<OrderTransition, OrderStatus, OrderTrigger, Party, Order, OrderAct>(
            "order", [.. OrderProcess.Table, adminCancels], _ => "administrator", Party.System);
        var order = Paid(PlaceOne(), T0.AddHours(1));

        Assert.DoesNotContain("cancel", OrderProcess.ActionsFor(order, Party.Admin, T0.AddDays(1)));
        Assert.Contains("cancel", engine.ActionsFor(order, new OrderAct(Admin), T0.AddDays(1)));
        var row = engine.Authorize(order, OrderTrigger.Cancel, Admin, T0.AddDays(1));
        Assert.Same(adminCancels, row);
        Assert.Equal(ProviderCall.Refund, row.Calls);
    }

    [Fact]
    public void A_timer_is_added_by_adding_one_row_and_is_then_started_by_its_transition_fires_once_when_due_and_ends_with_its_state()
    {
        // A maintainer's change: a last call to the seller 12 hours before ship-by. Its kind, its row, and the row that starts it.
        const OrderTimerKind lastCall = (OrderTimerKind)100;
        TimerRule row = new(lastCall, OrderStatus.AwaitingShipment, null, o => o.ShipBy?.AddHours(-12), null, Remind: Party.Seller,
            Due: "12 hours before ship-by");
        var tables = new OrderTables(
            [.. OrderProcess.Table.Select(t => t.Trigger == OrderTrigger.Pay ? t with { Starts = [.. t.Starts, lastCall] } : t)],
            [.. OrderProcess.Timers, row]);
        Order PlaceUnder() => Order.Place(Guid.NewGuid(), BuyerId, [(Listing(), 1)], "1 Rustaveli Ave, Tbilisi", DefaultPolicy, T0, process: tables);

        var reminded = PlaceUnder();
        Assert.DoesNotContain(reminded.Timers, t => t.Kind == lastCall); // not started before its transition
        reminded.Pay(Buyer(reminded), T0.AddHours(1), "pay_1");
        var due = reminded.ShipBy!.Value.AddHours(-12);
        Assert.Equal(due, Assert.Single(reminded.Timers, t => t.Kind == lastCall).DueAt);

        var outcome = reminded.FireTimer(lastCall, due);
        Assert.Equal((null, Party.Seller), (outcome.Entry, outcome.Reminded));
        Assert.Equal("seller_reminded", reminded.Timeline[^1].Kind);
        Assert.DoesNotContain(reminded.Timers, t => t.Kind == lastCall); // fired once, gone
        Assert.Contains(reminded.Timers, t => t.Kind == OrderTimerKind.ShipBy); // the standard timers go on beside it

        var shipped = PlaceUnder();
        shipped.Pay(Buyer(shipped), T0.AddHours(1), "pay_2");
        shipped.Ship(Seller(shipped), T0.AddDays(1), "UPS", "1Z9999999999999999");
        Assert.DoesNotContain(shipped.Timers, t => t.Kind == lastCall); // leaving its state ended it

        var standard = Paid(PlaceOne(), T0.AddHours(1)); // the tables in force are untouched
        Assert.DoesNotContain(standard.Timers, t => t.Kind == lastCall);
    }

    [Fact]
    public void A_dispute_timer_is_added_by_adding_one_row_and_is_tried_on_a_single_dispute_through_its_orders_process()
    {
        // A maintainer's change: the buyer is nudged a day before their answer to the seller's offer is due.
        const DisputeTimerKind nudge = (DisputeTimerKind)100;
        DisputeTimerRule row = new(nudge, [DisputeStatus.AwaitingBuyerResponse], t => TimeSpan.FromDays(t.BuyerResponseDays - 1), null, null,
            Remind: DisputeParty.Buyer, Due: "a day before the buyer's answer is due");
        var disputes = new DisputeTables(
            [.. DisputeProcess.Table.Select(t => t.Starts.Contains(DisputeTimerKind.BuyerResponse) ? t with { Starts = [.. t.Starts, nudge] } : t)],
            [.. DisputeProcess.Timers, row]);
        var order = Order.Place(Guid.NewGuid(), BuyerId, [(Listing(), 1)], "1 Rustaveli Ave, Tbilisi", DefaultPolicy, T0,
            process: new OrderTables(OrderProcess.Table, OrderProcess.Timers, disputes));
        Shipped(Paid(order, T0.AddHours(1)), T0.AddDays(2));
        var dispute = order.OpenDispute(Buyer(order), T0.AddDays(7), Guid.NewGuid(), DisputeReason.Damaged, DisputeOutcome.FullRefund, null,
            "Arrived with a cracked screen.", new DisputeTerms());
        Assert.Same(disputes, dispute.Process);
        Assert.DoesNotContain(dispute.Timers, t => t.Kind == nudge); // not started before its transition

        var offeredAt = T0.AddDays(8);
        dispute.CounterOffer(SellerOf(dispute), offeredAt, DisputeOutcome.PartialRefund, 500, "Half of it back?");
        var due = offeredAt.AddDays(new DisputeTerms().BuyerResponseDays - 1);
        Assert.Equal(due, Assert.Single(dispute.Timers, t => t.Kind == nudge).DueAt);

        var step = dispute.FireTimer(nudge, due);
        Assert.Equal((DisputeParty.Buyer, DisputeStatus.AwaitingBuyerResponse), (step.Reminded, dispute.Status));
        Assert.Equal("buyer_reminded", dispute.Timeline[^1].Kind);
        Assert.DoesNotContain(dispute.Timers, t => t.Kind == nudge); // fired once, gone
        Assert.Contains(dispute.Timers, t => t.Kind == DisputeTimerKind.BuyerResponse); // the standard timers go on beside it

        var (_, standard) = Open(); // the tables in force are untouched
        Assert.Same(DisputeProcess.Standard, standard.Process);
        standard.CounterOffer(SellerOf(standard), OpenedAt.AddDays(1), DisputeOutcome.PartialRefund, 500, "Half of it back?");
        Assert.DoesNotContain(standard.Timers, t => t.Kind == nudge);
        Assert.Throws<ArgumentException>(() => new DisputeTables(disputes.Table, DisputeProcess.Timers)); // a row's timer must have its row
    }

    [Fact]
    public void Tables_whose_transition_starts_a_timer_without_a_row_are_refused_when_made()
    {
        var table = OrderProcess.Table.Select(t => t.Trigger == OrderTrigger.Pay ? t with { Starts = [.. t.Starts, (OrderTimerKind)100] } : t).ToList();

        var refused = Assert.Throws<ArgumentException>(() => new OrderTables(table, OrderProcess.Timers));

        Assert.Contains("pay", refused.Message);
    }

    [Fact]
    public void A_party_that_never_may_is_told_so_before_the_state_is_considered()
    {
        var order = PlaceOne();

        var refused = Assert.Throws<DomainException>(() => OrderProcess.Authorize(order, OrderTrigger.ConfirmReceipt, Seller(order), T0));

        Assert.Equal(("action_not_allowed", RefusalKind.NotAllowed), (refused.Code, refused.Kind));
        Assert.Equal("The seller of an order cannot confirm receipt.", refused.Message);
    }

    [Fact]
    public void Names_are_the_snake_case_of_each_member_and_parse_back_exactly()
    {
        Assert.Equal("awaiting_seller_response", ProcessNames.Of(DisputeStatus.AwaitingSellerResponse));
        Assert.True(ProcessNames.TryParse<DisputeReason>("not_received", out var reason));
        Assert.Equal(DisputeReason.NotReceived, reason);
        Assert.False(ProcessNames.TryParse<DisputeReason>("Not_Received", out _));
        Assert.False(ProcessNames.TryParse<DisputeReason>(null, out _));
        Assert.Equal(Enum.GetValues<OrderStatus>().Length, ProcessNames.All<OrderStatus>().Count);
    }

    [Fact]
    public void Every_row_that_refunds_money_asks_the_provider_for_the_refund_and_only_those()
    {
        foreach (var row in OrderProcess.Table)
        {
            var paysOut = row.Money is MoneyMovement.RefundInFull or MoneyMovement.DisputeRefundFromEscrow or MoneyMovement.DisputeSplitEscrow
                or MoneyMovement.DisputeRefundFromPending or MoneyMovement.DisputePartRefundFromPending or MoneyMovement.PartRefund;
            Assert.Equal(paysOut, row.Calls == ProviderCall.Refund);
        }
    }

    /// <summary>A dispute escalated and decided (a partial refund) by <paramref name="arbiter"/>, its appeal window running.</summary>
    private static (Order Order, Dispute Dispute) Decided(Guid arbiter)
    {
        var (order, dispute) = Open();
        dispute.Reject(SellerOf(dispute), OpenedAt.AddDays(1), "It was fine when it left.");
        dispute.Escalate(SellerOf(dispute), OpenedAt.AddDays(2));
        dispute.Decide(DisputeActor.Arbiter(arbiter), OpenedAt.AddDays(3), DisputeOutcome.PartialRefund, 4000, "Partly damaged.");
        return (order, dispute);
    }

    private static bool TryAuthorize(Func<object> authorize)
    {
        try
        {
            authorize();
            return true;
        }
        catch (DomainException)
        {
            return false;
        }
    }
}
