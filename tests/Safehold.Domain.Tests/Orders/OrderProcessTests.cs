using Safehold.Domain.Disputes;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using static Safehold.Domain.Tests.Orders.TestOrders;

namespace Safehold.Domain.Tests.Orders;

/// <summary>
/// The order's process, checked against the spec written out here by hand (never read back from
/// <see cref="OrderProcess.Table"/>): every trigger, by every party, in every state a real order can reach.
/// </summary>
public sealed class OrderProcessTests
{
    /// <summary>Where an order is, finer than <see cref="OrderStatus"/>: delivery and extension requests matter.</summary>
    private enum Stage
    {
        Unpaid,
        Paid,
        InTransit,
        InTransitAsking, // an extension request waits for the seller
        InTransitExtendedTwice, // both extension requests used
        Delivered,
        DeliveredAsking,
        DeliveredExtendedTwice,
        Completed, // the post-completion dispute window is open; the seller's credit is pending
        CreditAvailable,
        Closed,

        // A dispute is open: the order is frozen where it was.
        InTransitDisputed,
        InTransitAskingDisputed,
        InTransitExtendedTwiceDisputed,
        DeliveredDisputed,
        DeliveredAskingDisputed,
        DeliveredExtendedTwiceDisputed,
        CompletedDisputed,

        // Completed after a dispute was resolved; the seller's credit is pending.
        SettledReleased, // released to the seller
        SettledPartly, // refunded in part (by PartialRefund)
    }

    private sealed record Move(Stage From, OrderTrigger Trigger, Party Who, Stage To, string? Entry);

    /// <summary>Every legal move: in this stage, this party may do this, the order goes there and this journal entry is written.</summary>
    private static readonly Move[] Legal =
    [
        new(Stage.Unpaid, OrderTrigger.Pay, Party.Buyer, Stage.Paid, "capture"),
        new(Stage.Unpaid, OrderTrigger.Cancel, Party.Buyer, Stage.Closed, null),
        new(Stage.Unpaid, OrderTrigger.Cancel, Party.Seller, Stage.Closed, null),
        new(Stage.Unpaid, OrderTrigger.ExpireUnpaid, Party.System, Stage.Closed, null),

        new(Stage.Paid, OrderTrigger.Ship, Party.Seller, Stage.InTransit, null),
        new(Stage.Paid, OrderTrigger.Cancel, Party.Buyer, Stage.Closed, "refund"),
        new(Stage.Paid, OrderTrigger.Cancel, Party.Seller, Stage.Closed, "refund"),
        new(Stage.Paid, OrderTrigger.ShipByMissed, Party.System, Stage.Closed, "refund"),

        new(Stage.InTransit, OrderTrigger.MarkDelivered, Party.Seller, Stage.Delivered, null),
        new(Stage.InTransit, OrderTrigger.MarkDelivered, Party.Admin, Stage.Delivered, null),
        new(Stage.InTransit, OrderTrigger.MarkDelivered, Party.System, Stage.Delivered, null), // the carrier's delivered scan
        new(Stage.InTransit, OrderTrigger.ConfirmReceipt, Party.Buyer, Stage.Completed, "release"),
        new(Stage.InTransit, OrderTrigger.ProtectionEnded, Party.System, Stage.Completed, "release"),
        new(Stage.InTransit, OrderTrigger.ExtendProtection, Party.Buyer, Stage.InTransitAsking, null),

        new(Stage.InTransitAsking, OrderTrigger.MarkDelivered, Party.Seller, Stage.DeliveredAsking, null),
        new(Stage.InTransitAsking, OrderTrigger.MarkDelivered, Party.Admin, Stage.DeliveredAsking, null),
        new(Stage.InTransitAsking, OrderTrigger.MarkDelivered, Party.System, Stage.DeliveredAsking, null), // the carrier's delivered scan
        new(Stage.InTransitAsking, OrderTrigger.ConfirmReceipt, Party.Buyer, Stage.Completed, "release"),
        new(Stage.InTransitAsking, OrderTrigger.ProtectionEnded, Party.System, Stage.Completed, "release"),
        new(Stage.InTransitAsking, OrderTrigger.ApproveExtension, Party.Seller, Stage.InTransit, null),
        new(Stage.InTransitAsking, OrderTrigger.DeclineExtension, Party.Seller, Stage.InTransit, null),
        new(Stage.InTransitAsking, OrderTrigger.ExtensionAutoApproved, Party.System, Stage.InTransit, null),

        new(Stage.InTransitExtendedTwice, OrderTrigger.MarkDelivered, Party.Seller, Stage.DeliveredExtendedTwice, null),
        new(Stage.InTransitExtendedTwice, OrderTrigger.MarkDelivered, Party.Admin, Stage.DeliveredExtendedTwice, null),
        new(Stage.InTransitExtendedTwice, OrderTrigger.MarkDelivered, Party.System, Stage.DeliveredExtendedTwice, null), // the carrier's delivered scan
        new(Stage.InTransitExtendedTwice, OrderTrigger.ConfirmReceipt, Party.Buyer, Stage.Completed, "release"),
        new(Stage.InTransitExtendedTwice, OrderTrigger.ProtectionEnded, Party.System, Stage.Completed, "release"),

        new(Stage.Delivered, OrderTrigger.ConfirmReceipt, Party.Buyer, Stage.Completed, "release"),
        new(Stage.Delivered, OrderTrigger.ProtectionEnded, Party.System, Stage.Completed, "release"),
        new(Stage.Delivered, OrderTrigger.DeliveryAutoComplete, Party.System, Stage.Completed, "release"),
        new(Stage.Delivered, OrderTrigger.ExtendProtection, Party.Buyer, Stage.DeliveredAsking, null),

        new(Stage.DeliveredAsking, OrderTrigger.ConfirmReceipt, Party.Buyer, Stage.Completed, "release"),
        new(Stage.DeliveredAsking, OrderTrigger.ProtectionEnded, Party.System, Stage.Completed, "release"),
        new(Stage.DeliveredAsking, OrderTrigger.DeliveryAutoComplete, Party.System, Stage.Completed, "release"),
        new(Stage.DeliveredAsking, OrderTrigger.ApproveExtension, Party.Seller, Stage.Delivered, null),
        new(Stage.DeliveredAsking, OrderTrigger.DeclineExtension, Party.Seller, Stage.Delivered, null),
        new(Stage.DeliveredAsking, OrderTrigger.ExtensionAutoApproved, Party.System, Stage.Delivered, null),

        new(Stage.DeliveredExtendedTwice, OrderTrigger.ConfirmReceipt, Party.Buyer, Stage.Completed, "release"),
        new(Stage.DeliveredExtendedTwice, OrderTrigger.ProtectionEnded, Party.System, Stage.Completed, "release"),
        new(Stage.DeliveredExtendedTwice, OrderTrigger.DeliveryAutoComplete, Party.System, Stage.Completed, "release"),

        new(Stage.Completed, OrderTrigger.DisputeWindowClosed, Party.System, Stage.CreditAvailable, "credit_available"),

        // Disputes: opened by the buyer from shipment on, and after completion while the seller's credit is pending.
        new(Stage.InTransit, OrderTrigger.OpenDispute, Party.Buyer, Stage.InTransitDisputed, null),
        new(Stage.InTransitAsking, OrderTrigger.OpenDispute, Party.Buyer, Stage.InTransitAskingDisputed, null),
        new(Stage.InTransitExtendedTwice, OrderTrigger.OpenDispute, Party.Buyer, Stage.InTransitExtendedTwiceDisputed, null),
        new(Stage.Delivered, OrderTrigger.OpenDispute, Party.Buyer, Stage.DeliveredDisputed, null),
        new(Stage.DeliveredAsking, OrderTrigger.OpenDispute, Party.Buyer, Stage.DeliveredAskingDisputed, null),
        new(Stage.DeliveredExtendedTwice, OrderTrigger.OpenDispute, Party.Buyer, Stage.DeliveredExtendedTwiceDisputed, null),
        new(Stage.Completed, OrderTrigger.OpenDispute, Party.Buyer, Stage.CompletedDisputed, null),

        // While it is open only its end moves the order: withdrawn (back where it was) or settled.
        .. EndsOfDispute(Stage.InTransitDisputed, Stage.InTransit),
        .. EndsOfDispute(Stage.InTransitAskingDisputed, Stage.InTransitAsking),
        .. EndsOfDispute(Stage.InTransitExtendedTwiceDisputed, Stage.InTransitExtendedTwice),
        .. EndsOfDispute(Stage.DeliveredDisputed, Stage.Delivered),
        .. EndsOfDispute(Stage.DeliveredAskingDisputed, Stage.DeliveredAsking),
        .. EndsOfDispute(Stage.DeliveredExtendedTwiceDisputed, Stage.DeliveredExtendedTwice),
        new(Stage.CompletedDisputed, OrderTrigger.DisputeWithdrawn, Party.System, Stage.Completed, null),
        new(Stage.CompletedDisputed, OrderTrigger.DisputeRefundedInFull, Party.System, Stage.Closed, "dispute_refund"),
        new(Stage.CompletedDisputed, OrderTrigger.DisputeRefundedInPart, Party.System, Stage.SettledPartly, "dispute_partial_refund"),
        new(Stage.CompletedDisputed, OrderTrigger.DisputeReleasedToSeller, Party.System, Stage.SettledReleased, null),

        new(Stage.SettledReleased, OrderTrigger.DisputeWindowClosed, Party.System, Stage.CreditAvailable, "credit_available"),
        new(Stage.SettledPartly, OrderTrigger.DisputeWindowClosed, Party.System, Stage.CreditAvailable, "credit_available"),
    ];

    private static Move[] EndsOfDispute(Stage disputed, Stage before) =>
    [
        new(disputed, OrderTrigger.DisputeWithdrawn, Party.System, before, null),
        new(disputed, OrderTrigger.DisputeRefundedInFull, Party.System, Stage.Closed, "dispute_refund"),
        new(disputed, OrderTrigger.DisputeRefundedInPart, Party.System, Stage.SettledPartly, "dispute_partial_refund"),
        new(disputed, OrderTrigger.DisputeReleasedToSeller, Party.System, Stage.SettledReleased, "release"),
    ];

    private static readonly Stage[] DisputedStages =
    [
        Stage.InTransitDisputed, Stage.InTransitAskingDisputed, Stage.InTransitExtendedTwiceDisputed, Stage.DeliveredDisputed,
        Stage.DeliveredAskingDisputed, Stage.DeliveredExtendedTwiceDisputed, Stage.CompletedDisputed,
    ];

    /// <summary>Refusals by a business rule rather than by the state; every other refusal is invalid_state or action_not_allowed.</summary>
    private static readonly Dictionary<(Stage, OrderTrigger, Party), string> RuleRefusals = new()
    {
        [(Stage.InTransitExtendedTwice, OrderTrigger.ExtendProtection, Party.Buyer)] = "extension_limit_reached",
        [(Stage.DeliveredExtendedTwice, OrderTrigger.ExtendProtection, Party.Buyer)] = "extension_limit_reached",
        [(Stage.CreditAvailable, OrderTrigger.OpenDispute, Party.Buyer)] = "dispute_window_closed",
        [(Stage.SettledReleased, OrderTrigger.OpenDispute, Party.Buyer)] = "dispute_already_resolved",
        [(Stage.SettledPartly, OrderTrigger.OpenDispute, Party.Buyer)] = "dispute_already_resolved",
        [(Stage.InTransitDisputed, OrderTrigger.OpenDispute, Party.Buyer)] = "dispute_already_open",
        [(Stage.InTransitAskingDisputed, OrderTrigger.OpenDispute, Party.Buyer)] = "dispute_already_open",
        [(Stage.InTransitExtendedTwiceDisputed, OrderTrigger.OpenDispute, Party.Buyer)] = "dispute_already_open",
        [(Stage.DeliveredDisputed, OrderTrigger.OpenDispute, Party.Buyer)] = "dispute_already_open",
        [(Stage.DeliveredAskingDisputed, OrderTrigger.OpenDispute, Party.Buyer)] = "dispute_already_open",
        [(Stage.DeliveredExtendedTwiceDisputed, OrderTrigger.OpenDispute, Party.Buyer)] = "dispute_already_open",
        [(Stage.CompletedDisputed, OrderTrigger.OpenDispute, Party.Buyer)] = "dispute_already_open",
    };

    /// <summary>The buttons each party sees, by stage.</summary>
    private static readonly Dictionary<(Stage, Party), string[]> Actions = new()
    {
        [(Stage.Unpaid, Party.Buyer)] = ["pay", "cancel"],
        [(Stage.Unpaid, Party.Seller)] = ["cancel"],
        [(Stage.Paid, Party.Buyer)] = ["cancel"],
        [(Stage.Paid, Party.Seller)] = ["ship", "cancel"],
        [(Stage.InTransit, Party.Buyer)] = ["confirm_receipt", "extend_protection", "open_dispute"],
        [(Stage.InTransit, Party.Seller)] = ["mark_delivered"],
        [(Stage.InTransit, Party.Admin)] = ["mark_delivered"],
        [(Stage.InTransitAsking, Party.Buyer)] = ["confirm_receipt", "open_dispute"],
        [(Stage.InTransitAsking, Party.Seller)] = ["mark_delivered", "approve_extension", "decline_extension"],
        [(Stage.InTransitAsking, Party.Admin)] = ["mark_delivered"],
        [(Stage.InTransitExtendedTwice, Party.Buyer)] = ["confirm_receipt", "open_dispute"],
        [(Stage.InTransitExtendedTwice, Party.Seller)] = ["mark_delivered"],
        [(Stage.InTransitExtendedTwice, Party.Admin)] = ["mark_delivered"],
        [(Stage.Delivered, Party.Buyer)] = ["confirm_receipt", "extend_protection", "open_dispute"],
        [(Stage.DeliveredAsking, Party.Buyer)] = ["confirm_receipt", "open_dispute"],
        [(Stage.DeliveredAsking, Party.Seller)] = ["approve_extension", "decline_extension"],
        [(Stage.DeliveredExtendedTwice, Party.Buyer)] = ["confirm_receipt", "open_dispute"],
        [(Stage.Completed, Party.Buyer)] = ["open_dispute"],
        // Everything else, including every disputed stage (the dispute has its own actions), and everything for the system: nothing.
    };

    private static readonly DateTimeOffset PaidAt = T0.AddHours(1);
    private static readonly DateTimeOffset ShippedAt = T0.AddDays(2);
    private static readonly DateTimeOffset AskedAt = T0.AddDays(3);
    private static readonly DateTimeOffset DeliveredAt = T0.AddDays(5);
    private static readonly DateTimeOffset DoneAt = T0.AddDays(6);
    private static readonly DateTimeOffset DisputedAt = T0.AddDays(7);
    private static readonly DateTimeOffset SettledAt = T0.AddDays(7).AddHours(5);
    private static readonly DateTimeOffset Now = T0.AddDays(8);

    /// <summary>Ways to bring a real order into each stage, through the order's own methods.</summary>
    private static readonly Dictionary<string, (Stage Stage, Func<Order> Make)> Routes = new()
    {
        ["unpaid"] = (Stage.Unpaid, () => PlaceOne()),
        ["paid"] = (Stage.Paid, () => Paid(PlaceOne(), PaidAt)),
        ["in_transit"] = (Stage.InTransit, InTransit),
        ["in_transit_extended_once"] = (Stage.InTransit, () => Then(Asking(InTransit(), AskedAt), o => o.ApproveExtension(Seller(o), AskedAt.AddHours(1), o.PendingExtension!.Id))),
        ["in_transit_asking"] = (Stage.InTransitAsking, () => Asking(InTransit(), AskedAt)),
        ["in_transit_asking_again"] = (Stage.InTransitAsking,
            () => Asking(Then(Asking(InTransit(), AskedAt), o => o.DeclineExtension(Seller(o), AskedAt.AddHours(1), o.PendingExtension!.Id)), AskedAt.AddHours(2))),
        ["in_transit_extended_twice"] = (Stage.InTransitExtendedTwice, ExtendedTwice),
        ["delivered"] = (Stage.Delivered, () => Delivered(InTransit(), DeliveredAt)),
        ["delivered_asking"] = (Stage.DeliveredAsking, () => Asking(Delivered(InTransit(), DeliveredAt), DeliveredAt.AddHours(1))),
        ["delivered_after_asking"] = (Stage.DeliveredAsking, () => Delivered(Asking(InTransit(), AskedAt), DeliveredAt)),
        ["delivered_extended_twice"] = (Stage.DeliveredExtendedTwice, () => Delivered(ExtendedTwice(), DeliveredAt)),
        ["completed_by_buyer"] = (Stage.Completed, () => Then(InTransit(), o => o.ConfirmReceipt(Buyer(o), DoneAt))),
        ["completed_by_buyer_after_delivery"] = (Stage.Completed,
            () => Then(Delivered(InTransit(), DeliveredAt), o => o.ConfirmReceipt(Buyer(o), DoneAt))),
        ["completed_by_buyer_while_asking"] = (Stage.Completed, () => Then(Asking(InTransit(), AskedAt), o => o.ConfirmReceipt(Buyer(o), DoneAt))),
        ["completed_when_protection_ended"] = (Stage.Completed, () => Then(InTransit(), o => o.Fire(OrderTrigger.ProtectionEnded, DoneAt))),
        ["completed_after_delivery"] = (Stage.Completed,
            () => Then(Delivered(InTransit(), DeliveredAt), o => o.Fire(OrderTrigger.DeliveryAutoComplete, DoneAt))),
        ["credit_available"] = (Stage.CreditAvailable,
            () => Then(Then(InTransit(), o => o.ConfirmReceipt(Buyer(o), DoneAt)), o => o.Fire(OrderTrigger.DisputeWindowClosed, DoneAt.AddDays(1)))),
        ["cancelled_unpaid"] = (Stage.Closed, () => Then(PlaceOne(), o => o.Cancel(Buyer(o), PaidAt, "changed my mind"))),
        ["expired_unpaid"] = (Stage.Closed, () => Then(PlaceOne(), o => o.Fire(OrderTrigger.ExpireUnpaid, T0.AddHours(24)))),
        ["cancelled_paid"] = (Stage.Closed, () => Then(Paid(PlaceOne(), PaidAt), o => o.Cancel(Seller(o), ShippedAt, "out of stock"))),
        ["ship_by_missed"] = (Stage.Closed, () => Then(Paid(PlaceOne(), PaidAt), o => o.Fire(OrderTrigger.ShipByMissed, PaidAt.AddDays(7)))),

        ["in_transit_disputed"] = (Stage.InTransitDisputed, () => Dispute(InTransit())),
        ["in_transit_asking_disputed"] = (Stage.InTransitAskingDisputed, () => Dispute(Asking(InTransit(), AskedAt))),
        ["in_transit_extended_twice_disputed"] = (Stage.InTransitExtendedTwiceDisputed, () => Dispute(ExtendedTwice())),
        ["delivered_disputed"] = (Stage.DeliveredDisputed, () => Dispute(Delivered(InTransit(), DeliveredAt))),
        ["delivered_asking_disputed"] = (Stage.DeliveredAskingDisputed, () => Dispute(Asking(Delivered(InTransit(), DeliveredAt), DeliveredAt.AddHours(1)))),
        ["delivered_extended_twice_disputed"] = (Stage.DeliveredExtendedTwiceDisputed, () => Dispute(Delivered(ExtendedTwice(), DeliveredAt))),
        ["completed_disputed"] = (Stage.CompletedDisputed, () => Dispute(CompletedByBuyer())),
        ["in_transit_dispute_withdrawn"] = (Stage.InTransit, () => Then(Dispute(InTransit()), o => o.WithdrawDispute(SettledAt))),
        ["delivered_asking_dispute_withdrawn"] = (Stage.DeliveredAsking,
            () => Then(Dispute(Asking(Delivered(InTransit(), DeliveredAt), DeliveredAt.AddHours(1))), o => o.WithdrawDispute(SettledAt))),
        ["completed_dispute_withdrawn"] = (Stage.Completed, () => Then(Dispute(CompletedByBuyer()), o => o.WithdrawDispute(SettledAt))),
        ["released_by_dispute_before_completion"] = (Stage.SettledReleased,
            () => Then(Dispute(InTransit()), o => o.ResolveDispute(DisputeOutcome.ReleasedToSeller, null, SettledAt))),
        ["released_by_dispute_after_completion"] = (Stage.SettledReleased,
            () => Then(Dispute(CompletedByBuyer()), o => o.ResolveDispute(DisputeOutcome.ReleasedToSeller, null, SettledAt))),
        ["refunded_in_part_before_completion"] = (Stage.SettledPartly,
            () => Then(Dispute(Delivered(InTransit(), DeliveredAt)), o => o.ResolveDispute(DisputeOutcome.PartialRefund, PartialRefund, SettledAt))),
        ["refunded_in_part_after_completion"] = (Stage.SettledPartly,
            () => Then(Dispute(CompletedByBuyer()), o => o.ResolveDispute(DisputeOutcome.PartialRefund, PartialRefund, SettledAt))),
        ["refunded_in_full_by_dispute"] = (Stage.Closed, () => Then(Dispute(InTransit()), o => o.ResolveDispute(DisputeOutcome.FullRefund, null, SettledAt))),
        ["refunded_in_full_by_dispute_after_completion"] = (Stage.Closed,
            () => Then(Dispute(CompletedByBuyer()), o => o.ResolveDispute(DisputeOutcome.FullRefund, null, SettledAt))),
    };

    private static Order Dispute(Order o) => Then(o, x => Disputed(x, DisputedAt));

    private static Order CompletedByBuyer() => Then(InTransit(), o => o.ConfirmReceipt(Buyer(o), DoneAt));

    private static readonly Party[] Parties = [Party.Buyer, Party.Seller, Party.Admin, Party.System];

    private static Order InTransit() => Shipped(Paid(PlaceOne(), PaidAt), ShippedAt);

    /// <summary>In transit with both extension requests used: one approved, one declined.</summary>
    private static Order ExtendedTwice()
    {
        var o = Asking(InTransit(), AskedAt);
        o.ApproveExtension(Seller(o), AskedAt.AddHours(1), o.PendingExtension!.Id);
        Asking(o, AskedAt.AddHours(2));
        o.DeclineExtension(Seller(o), AskedAt.AddHours(3), o.PendingExtension!.Id);
        return o;
    }

    private static Order Then(Order o, Action<Order> step)
    {
        step(o);
        return o;
    }

    private static OrderStatus StatusOf(Stage stage) => stage switch
    {
        Stage.Unpaid => OrderStatus.AwaitingPayment,
        Stage.Paid => OrderStatus.AwaitingShipment,
        Stage.InTransit or Stage.InTransitAsking or Stage.InTransitExtendedTwice
            or Stage.Delivered or Stage.DeliveredAsking or Stage.DeliveredExtendedTwice => OrderStatus.AwaitingDelivery,
        Stage.InTransitDisputed or Stage.InTransitAskingDisputed or Stage.InTransitExtendedTwiceDisputed
            or Stage.DeliveredDisputed or Stage.DeliveredAskingDisputed or Stage.DeliveredExtendedTwiceDisputed => OrderStatus.AwaitingDelivery,
        Stage.Completed or Stage.CreditAvailable or Stage.CompletedDisputed or Stage.SettledReleased or Stage.SettledPartly => OrderStatus.Completed,
        Stage.Closed => OrderStatus.Closed,
        _ => throw new ArgumentOutOfRangeException(nameof(stage)),
    };

    private static bool IsDelivered(Stage stage) => stage is Stage.Delivered or Stage.DeliveredAsking or Stage.DeliveredExtendedTwice
        or Stage.DeliveredDisputed or Stage.DeliveredAskingDisputed or Stage.DeliveredExtendedTwiceDisputed;

    private static bool IsAsking(Stage stage) => stage is Stage.InTransitAsking or Stage.DeliveredAsking
        or Stage.InTransitAskingDisputed or Stage.DeliveredAskingDisputed;

    private static bool IsDisputed(Stage stage) => DisputedStages.Contains(stage);

    private static bool IsBeforeCompletion(Stage stage) => StatusOf(stage) == OrderStatus.AwaitingDelivery;

    public static TheoryData<string, OrderTrigger, Party> Attempts()
    {
        var data = new TheoryData<string, OrderTrigger, Party>();
        // A chargeback comes with a dispute of its own, from the payment provider: OrderChargebackTests drives its rows.
        foreach (var route in Routes.Keys)
            foreach (var trigger in Enum.GetValues<OrderTrigger>().Except(OrderChargebackTests.Triggers))
                foreach (var party in Parties)
                    data.Add(route, trigger, party);
        return data;
    }

    public static TheoryData<string, Party> RoutesAndParties()
    {
        var data = new TheoryData<string, Party>();
        foreach (var route in Routes.Keys)
            foreach (var party in Parties)
                data.Add(route, party);
        return data;
    }

    [Theory]
    [MemberData(nameof(Attempts))]
    public void Every_trigger_by_every_party_in_every_state_moves_as_the_policy_says_or_is_refused(string route, OrderTrigger trigger, Party party)
    {
        var (stage, make) = Routes[route];
        var order = make();
        Assert.Equal(StatusOf(stage), order.Status);
        if (order.Status == OrderStatus.AwaitingDelivery)
        {
            Assert.Equal(IsDelivered(stage), order.DeliveredAt is not null);
            Assert.Equal(IsAsking(stage), order.PendingExtension is not null);
        }
        Assert.Equal(IsDisputed(stage), order.OpenDisputeId is not null);
        Assert.Equal(IsDisputed(stage), order.Timers.Count > 0 && order.Timers.All(t => t.IsPaused));
        var disputeId = order.OpenDisputeId;
        var before = Snapshot(order);
        var version = order.Version;
        var events = order.Timeline.Count;
        var completedAt = order.CompletedAt;
        var move = Legal.SingleOrDefault(m => m.From == stage && m.Trigger == trigger && m.Who == party);

        if (move is not null)
        {
            var entry = Attempt(order, trigger, party, Now);

            Assert.Equal(StatusOf(move.To), order.Status);
            Assert.Equal(version + 1, order.Version);
            Assert.Equal(events + 1, order.Timeline.Count);
            Assert.Equal(party, order.Timeline[^1].Actor);
            Assert.Equal(Now, order.Timeline[^1].At);
            if (IsDelivered(move.To) && !IsDelivered(stage)) Assert.Equal(Now, order.DeliveredAt);
            if (IsAsking(move.To) && !IsAsking(stage)) Assert.Equal(Now, order.PendingExtension?.RequestedAt);
            if (IsAsking(stage) && !IsAsking(move.To))
                Assert.Null(order.PendingExtension); // answered, or lapsed with protection
            if (StatusOf(move.To) == OrderStatus.Completed && StatusOf(stage) != OrderStatus.Completed) Assert.Equal(Now, order.CompletedAt);
            if (move.To == Stage.CreditAvailable)
            {
                Assert.Equal(Now, order.CreditAvailableAt);
                Assert.Equal(completedAt, order.CompletedAt); // completion happened once, earlier
            }
            // A dispute that was withdrawn held the window for as long as it was open: see the timer tests.
            if (move.To == Stage.CreditAvailable && order.Timeline.All(e => e.Kind != "dispute_opened"))
                Assert.Equal(completedAt?.AddDays(15), order.DisputeWindowEndsAt);
            if (move.To == Stage.Closed) Assert.Equal(Now, order.ClosedAt);
            Assert.Equal(IsDisputed(move.To), order.OpenDisputeId is not null);
            if (IsDisputed(move.To)) Assert.Equal(Now, order.DisputeOpenedAt);
            if (move.To is Stage.SettledPartly or Stage.SettledReleased || (IsDisputed(stage) && move.To == Stage.Closed))
                Assert.Equal(Now, order.DisputeResolvedAt);
            AssertEntry(order, stage, disputeId, move.Entry, entry);
        }
        else
        {
            var error = Assert.Throws<DomainException>(() => Attempt(order, trigger, party, Now));

            var partyEverMay = Legal.Any(m => m.Trigger == trigger && m.Who == party);
            var (code, kind) = RuleRefusals.TryGetValue((stage, trigger, party), out var rule) ? (rule, RefusalKind.RuleRefused)
                : partyEverMay ? ("invalid_state", RefusalKind.WrongState)
                : ("action_not_allowed", RefusalKind.NotAllowed);
            Assert.Equal(code, error.Code);
            Assert.Equal(kind, error.Kind);
            Assert.Equal(before, Snapshot(order));
        }
    }

    [Theory]
    [MemberData(nameof(RoutesAndParties))]
    public void Actions_offered_are_exactly_what_the_party_may_do_now(string route, Party party)
    {
        var (stage, make) = Routes[route];
        var order = make();
        var expected = Actions.GetValueOrDefault((stage, party), []);

        var actions = OrderProcess.ActionsFor(order, party, NowOf(order));

        Assert.Equal(expected.Order(StringComparer.Ordinal), actions.Order(StringComparer.Ordinal));
    }

    private static void AssertEntry(Order order, Stage from, Guid? disputeId, string? kind, JournalEntry? entry)
    {
        if (kind is null)
        {
            Assert.Null(entry);
            return;
        }
        Assert.NotNull(entry);
        Assert.Equal(kind, entry.Kind);
        Assert.Equal(kind switch
        {
            "credit_available" => $"order:{order.Id}:available",
            "dispute_refund" or "dispute_partial_refund" =>
                $"order:{order.Id}:dispute:{disputeId}:settlement:{kind}:{entry.Lines.Where(l => l.AccountType == AccountType.RefundsOwed).Sum(l => l.Amount)}",
            _ => $"order:{order.Id}:{kind}",
        }, entry.DedupeKey);
        Assert.Equal(order.Id, entry.OrderId);
        Assert.Equal(Now, entry.At);
        Assert.All(entry.Lines, l => Assert.Equal("USD", l.Currency));
        Assert.All(entry.Lines, l => Assert.Equal(order.Id, l.OrderId));
        var total = order.TotalAmount;
        var bps = order.CommissionBasisPoints;
        var commission = ExpectedCommission(total, bps);
        // What stays released after a partial refund, and the commission on it only.
        var kept = total - PartialRefund;
        var keptCommission = ExpectedCommission(kept, bps);
        var released = from == Stage.SettledPartly ? kept : total;
        var releasedCommission = ExpectedCommission(released, bps);
        var expected = kind switch
        {
            "capture" => new Dictionary<string, long> { ["payment_clearing"] = -total, [$"escrow:{order.Id}"] = total },
            "refund" => new Dictionary<string, long> { [$"escrow:{order.Id}"] = -total, ["refunds_owed"] = total },
            "release" => new Dictionary<string, long>
            {
                [$"escrow:{order.Id}"] = -total,
                [$"seller_pending:{order.SellerId}"] = total - commission,
                ["platform_commission"] = commission,
            },
            "credit_available" => new Dictionary<string, long>
            {
                [$"seller_pending:{order.SellerId}"] = -(released - releasedCommission),
                [$"seller_available:{order.SellerId}"] = released - releasedCommission,
            },
            "dispute_refund" when IsBeforeCompletion(from) => new Dictionary<string, long>
            {
                [$"escrow:{order.Id}"] = -total,
                ["refunds_owed"] = total,
            },
            "dispute_refund" => new Dictionary<string, long>
            {
                [$"seller_pending:{order.SellerId}"] = -(total - commission),
                ["platform_commission"] = -commission,
                ["refunds_owed"] = total,
            },
            "dispute_partial_refund" when IsBeforeCompletion(from) => new Dictionary<string, long>
            {
                [$"escrow:{order.Id}"] = -total,
                ["refunds_owed"] = PartialRefund,
                [$"seller_pending:{order.SellerId}"] = kept - keptCommission,
                ["platform_commission"] = keptCommission,
            },
            "dispute_partial_refund" => new Dictionary<string, long>
            {
                [$"seller_pending:{order.SellerId}"] = (kept - keptCommission) - (total - commission),
                ["platform_commission"] = keptCommission - commission,
                ["refunds_owed"] = PartialRefund,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        Assert.Equal(expected, entry.Lines.ToDictionary(l => l.Account, l => l.Amount));
    }

    [Fact]
    public void Paying_captures_the_total_into_the_order_escrow()
    {
        var order = PlaceOne(12999);

        var entry = order.Pay(Buyer(order), PaidAt, "pay_abc");

        Assert.Equal(OrderStatus.AwaitingShipment, order.Status);
        Assert.Equal("pay_abc", order.PaymentReference);
        Assert.Equal(PaidAt, order.PaidAt);
        Assert.Equal("capture", entry.Kind);
        Assert.Equal(12999, entry.Lines.Single(l => l.AccountType == AccountType.Escrow).Amount);
        Assert.Equal(-12999, entry.Lines.Single(l => l.AccountType == AccountType.PaymentClearing).Amount);
    }

    [Fact]
    public void Confirm_receipt_releases_escrow_minus_commission()
    {
        var order = InTransit();

        var entry = order.ConfirmReceipt(Buyer(order), DoneAt);

        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.Equal("release", entry.Kind);
        Assert.Equal(-12999, entry.Lines.Single(l => l.AccountType == AccountType.Escrow).Amount);
        Assert.Equal(12349, entry.Lines.Single(l => l.AccountType == AccountType.SellerPending).Amount);
        Assert.Equal(SellerId, entry.Lines.Single(l => l.AccountType == AccountType.SellerPending).SellerId);
        Assert.Equal(650, entry.Lines.Single(l => l.AccountType == AccountType.PlatformCommission).Amount);
    }

    [Fact]
    public void Cancelling_an_unpaid_order_moves_no_money()
    {
        var order = PlaceOne();

        Assert.Null(order.Cancel(Buyer(order), PaidAt, null));
        Assert.Equal(OrderStatus.Closed, order.Status);
    }

    [Fact]
    public void Cancelling_a_paid_order_refunds_the_buyer_in_full_at_once()
    {
        var order = Paid(PlaceOne(12999), PaidAt);

        var entry = order.Cancel(Buyer(order), ShippedAt, "found it cheaper");

        Assert.NotNull(entry);
        Assert.Equal("refund", entry.Kind);
        Assert.Equal(12999, entry.Lines.Single(l => l.AccountType == AccountType.RefundsOwed).Amount);
        Assert.Equal(OrderStatus.Closed, order.Status);
        Assert.Equal("found it cheaper", order.Timeline[^1].Detail);
    }

    [Fact]
    public void Delivery_is_reported_only_once()
    {
        var order = Delivered(InTransit(), DeliveredAt);

        var error = Assert.Throws<DomainException>(() => order.MarkDelivered(Admin, DoneAt));

        Assert.Equal("invalid_state", error.Code);
        Assert.Equal(DeliveredAt, order.DeliveredAt);
        Assert.Equal(DeliveredAt.AddDays(15), order.AutoCompleteAt);
    }

    [Fact]
    public void Delivery_auto_complete_fires_only_once_delivery_was_reported()
    {
        var order = InTransit();

        var error = Assert.Throws<DomainException>(() => order.Fire(OrderTrigger.DeliveryAutoComplete, DoneAt));
        Assert.Equal("invalid_state", error.Code);
        Assert.Equal(OrderStatus.AwaitingDelivery, order.Status);

        order.MarkDelivered(Seller(order), DeliveredAt);
        var entry = order.Fire(OrderTrigger.DeliveryAutoComplete, DoneAt);

        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.Equal("release", entry?.Kind);
        Assert.Equal(Actor.System, new Actor(order.Timeline[^1].Actor, order.Timeline[^1].ActorUserId));
        Assert.Equal("delivery_auto_complete", order.Timeline[^1].Kind);
    }

    // Fired twice, the window's end would move the seller's credit from pending to available twice.
    [Fact]
    public void The_seller_credit_becomes_available_only_once()
    {
        var order = Then(InTransit(), o => o.ConfirmReceipt(Buyer(o), DoneAt));
        order.Fire(OrderTrigger.DisputeWindowClosed, DoneAt.AddDays(15));
        var before = Snapshot(order);

        var error = Assert.Throws<DomainException>(() => order.Fire(OrderTrigger.DisputeWindowClosed, DoneAt.AddDays(16)));

        Assert.Equal("invalid_state", error.Code);
        Assert.Equal(before, Snapshot(order));
    }

    [Theory]
    [InlineData(OrderTrigger.Pay)]
    [InlineData(OrderTrigger.Cancel)]
    [InlineData(OrderTrigger.ConfirmReceipt)]
    public void Fire_refuses_a_trigger_only_a_person_may_take(OrderTrigger trigger)
    {
        var order = PlaceOne();

        var error = Assert.Throws<DomainException>(() => order.Fire(trigger, PaidAt));

        Assert.Equal("action_not_allowed", error.Code);
        Assert.Equal(OrderStatus.AwaitingPayment, order.Status);
    }

    [Fact]
    public void The_timeline_records_who_did_what_and_when()
    {
        var order = Then(Delivered(InTransit(), DeliveredAt), o => o.ConfirmReceipt(Buyer(o), DoneAt));

        Assert.Equal(
            [
                ("placed", Party.Buyer, (Guid?)BuyerId, T0),
                ("paid", Party.Buyer, BuyerId, PaidAt),
                ("shipped", Party.Seller, SellerId, ShippedAt),
                ("delivered", Party.Seller, SellerId, DeliveredAt),
                ("receipt_confirmed", Party.Buyer, BuyerId, DoneAt),
            ],
            order.Timeline.Select(e => (e.Kind, e.Actor, e.ActorUserId, e.At)));
        Assert.Equal([1, 2, 3, 4, 5], order.Timeline.Select(e => e.Sequence));
        Assert.Equal("DHL JD014600006281234567", order.Timeline[2].Detail);
    }

    [Theory]
    [InlineData(OrderTrigger.Pay, "pay")]
    [InlineData(OrderTrigger.MarkDelivered, "mark_delivered")]
    [InlineData(OrderTrigger.ConfirmReceipt, "confirm_receipt")]
    [InlineData(OrderTrigger.DeliveryAutoComplete, "delivery_auto_complete")]
    public void Triggers_have_snake_case_action_names(OrderTrigger trigger, string name) =>
        Assert.Equal(name, OrderProcess.ActionName(trigger));

    [Theory]
    [InlineData(OrderStatus.AwaitingPayment, "awaiting_payment")]
    [InlineData(OrderStatus.AwaitingShipment, "awaiting_shipment")]
    [InlineData(OrderStatus.AwaitingDelivery, "awaiting_delivery")]
    [InlineData(OrderStatus.Completed, "completed")]
    [InlineData(OrderStatus.Closed, "closed")]
    public void Statuses_have_snake_case_names_that_parse_back(OrderStatus status, string name)
    {
        Assert.Equal(name, OrderProcess.StatusName(status));
        Assert.True(OrderProcess.TryParseStatus(name, out var parsed));
        Assert.Equal(status, parsed);
    }

    [Theory]
    [InlineData("AwaitingPayment")]
    [InlineData("AWAITING_PAYMENT")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("shipped")]
    public void A_status_name_that_is_not_the_api_spelling_does_not_parse(string? name) =>
        Assert.False(OrderProcess.TryParseStatus(name, out _));
}
