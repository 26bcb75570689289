using Safehold.Domain.Disputes;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using static Safehold.Domain.Tests.Disputes.TestDisputes;
using static Safehold.Domain.Tests.Orders.TestOrders;

namespace Safehold.Domain.Tests.Disputes;

/// <summary>
/// Disputes naming some of an order's items (SPEC 3): they claim at most the items' value, hold only that in escrow, and
/// the rest of the order goes on by its own clock; the outcome posts against the claimed part only.
/// </summary>
public sealed class PerItemDisputeTests
{
    private static readonly DateTimeOffset PaidAt = T0.AddHours(1);

    /// <summary>A watch (100.00) and two straps (15.00 each), shipped: 130.00 in escrow, 10 % commission by default.</summary>
    private static Order WatchAndStraps()
    {
        var order = Place((Listing(10_000, title: "Watch"), 1), (Listing(1_500, title: "Strap"), 2));
        order.Pay(Buyer(order), PaidAt, "pay");
        order.Ship(Seller(order), ShippedAt, "UPS", "1Z");
        return order;
    }

    private static Guid Strap(Order o) => o.Lines[1].ItemId;

    private static Dispute OpenOnOneStrap(Order o, DisputeOutcome asks = DisputeOutcome.FullRefund, long? amount = null) =>
        o.OpenDispute(Buyer(o), OpenedAt, Guid.NewGuid(), DisputeReason.Damaged, asks, amount, "One strap is torn.", new DisputeTerms(), [(Strap(o), 1)]);

    private static long Balance(IEnumerable<JournalEntry?> entries, AccountType type) =>
        entries.OfType<JournalEntry>().SelectMany(e => e.Lines).Where(l => l.AccountType == type).Sum(l => l.Amount);

    [Fact]
    public void A_dispute_naming_items_claims_their_value_and_holds_only_that_while_the_order_runs_on()
    {
        var order = WatchAndStraps();

        var dispute = OpenOnOneStrap(order);

        Assert.Equal(1_500, dispute.ClaimedAmount);
        Assert.Equal(1_500, order.PartAmount);
        Assert.Equal(1_500, order.HeldByDispute.Amount);
        Assert.All(order.Timers, t => Assert.False(t.IsPaused));
        Assert.Contains("confirm_receipt", OrderProcess.ActionsFor(order, Party.Buyer, OpenedAt));
        var item = Assert.Single(dispute.Items);
        Assert.Equal((2, 1, 1_500L), (item.LineNumber, item.Quantity, item.Amount));
    }

    [Fact]
    public void The_requested_amount_is_capped_by_the_claimed_items_value()
    {
        var order = WatchAndStraps();

        var refused = Assert.Throws<DomainException>(() => OpenOnOneStrap(order, DisputeOutcome.PartialRefund, 1_501));

        Assert.Equal("amount_out_of_range", refused.Code);
        Assert.Null(order.OpenDisputeId);
        Assert.Equal(0, order.PartAmount);
    }

    [Theory]
    [InlineData("duplicate", "duplicate_item")]
    [InlineData("zero", "quantity_out_of_range")]
    [InlineData("too_many", "quantity_out_of_range")]
    [InlineData("other_order", "unknown_item")]
    public void Bad_items_are_refused_with_a_named_error_and_change_nothing(string what, string code)
    {
        var order = WatchAndStraps();
        var before = Snapshot(order);
        (Guid, int)[] items = what switch
        {
            "duplicate" => [(Strap(order), 1), (Strap(order), 1)],
            "zero" => [(Strap(order), 0)],
            "too_many" => [(Strap(order), 3)],
            _ => [(WatchAndStraps().Lines[0].ItemId, 1)],
        };

        var refused = Assert.Throws<DomainException>(() => order.OpenDispute(Buyer(order), OpenedAt, Guid.NewGuid(), DisputeReason.Damaged,
            DisputeOutcome.FullRefund, null, "torn", new DisputeTerms(), items));

        Assert.Equal((code, RefusalKind.Invalid), (refused.Code, refused.Kind));
        Assert.Equal(before, Snapshot(order));
    }

    [Fact]
    public void Confirm_receipt_releases_the_rest_less_its_commission_and_the_outcome_refunds_the_claimed_part_only()
    {
        var order = WatchAndStraps();
        var dispute = OpenOnOneStrap(order);

        var release = order.ConfirmReceipt(Buyer(order), OpenedAt.AddHours(1));
        var settle = dispute.Accept(SellerOf(dispute), OpenedAt.AddHours(2)).ApplyTo(order, OpenedAt.AddHours(2));

        // The rest, 115.00: 5.75 commission, 109.25 to the seller; the strap's 15.00 refunded, no commission on it.
        Assert.Equal(-11_500, Balance([release], AccountType.Escrow));
        Assert.Equal(10_925, Balance([release], AccountType.SellerPending));
        Assert.Equal(575, Balance([release], AccountType.PlatformCommission));
        Assert.Equal(1_500, Balance([settle], AccountType.RefundsOwed));
        Assert.Equal(0, Balance([settle], AccountType.PlatformCommission));
        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.Equal(1_500, order.RefundedAmount);
        Assert.Equal(10_925, order.SellerShare.Amount);
        Assert.Equal(ProviderCall.Refund, order.LastTransition!.Calls);
    }

    [Fact]
    public void A_part_refunded_before_the_rest_leaves_the_order_running_and_protections_end_releases_the_rest()
    {
        var order = WatchAndStraps();
        var dispute = OpenOnOneStrap(order, DisputeOutcome.PartialRefund, 500);
        var entries = new List<JournalEntry?>();

        entries.Add(dispute.Accept(SellerOf(dispute), OpenedAt.AddHours(1)).ApplyTo(order, OpenedAt.AddHours(1)));
        Assert.Equal(OrderStatus.AwaitingDelivery, order.Status);
        Assert.Null(order.OpenDisputeId);
        var protectionEnds = order.Timers.Single(t => t.Kind == OrderTimerKind.ProtectionEnds);
        entries.Add(order.FireTimer(OrderTimerKind.ProtectionEnds, protectionEnds.DueAt).Entry);

        // Strap: 5.00 back, 10.00 released (0.50 commission); the rest, 115.00, released (5.75 commission).
        Assert.Equal(500, Balance(entries, AccountType.RefundsOwed));
        Assert.Equal(950 + 10_925, Balance(entries, AccountType.SellerPending));
        Assert.Equal(50 + 575, Balance(entries, AccountType.PlatformCommission));
        Assert.Equal(-13_000, Balance(entries, AccountType.Escrow));
        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.Throws<DomainException>(() => OpenOnOneStrap(order));
    }

    [Fact]
    public void A_per_item_dispute_withdrawn_before_completion_leaves_one_order_again()
    {
        var order = WatchAndStraps();
        var dispute = OpenOnOneStrap(order);

        Assert.Null(dispute.Withdraw(BuyerOf(dispute), OpenedAt.AddHours(1)).ApplyTo(order, OpenedAt.AddHours(1)));

        Assert.Equal(0, order.PartAmount);
        Assert.Equal(13_000, Balance([order.ConfirmReceipt(Buyer(order), OpenedAt.AddHours(2))], AccountType.Escrow) * -1);
    }

    [Fact]
    public void A_per_item_dispute_withdrawn_after_the_rest_was_released_releases_its_part_less_commission()
    {
        var order = WatchAndStraps();
        var dispute = OpenOnOneStrap(order);
        order.ConfirmReceipt(Buyer(order), OpenedAt.AddHours(1));

        var entry = dispute.Withdraw(BuyerOf(dispute), OpenedAt.AddHours(2)).ApplyTo(order, OpenedAt.AddHours(2));

        Assert.Equal(-1_500, Balance([entry], AccountType.Escrow));
        Assert.Equal(1_425, Balance([entry], AccountType.SellerPending));
        Assert.Equal(75, Balance([entry], AccountType.PlatformCommission));
        Assert.Equal(10_925 + 1_425, order.SellerShare.Amount);
    }

    [Fact]
    public void A_dispute_naming_every_item_in_full_is_a_dispute_on_the_whole_order()
    {
        var order = WatchAndStraps();

        order.OpenDispute(Buyer(order), OpenedAt, Guid.NewGuid(), DisputeReason.Damaged, DisputeOutcome.FullRefund, null, "all broken",
            new DisputeTerms(), [(order.Lines[0].ItemId, 1), (Strap(order), 2)]);

        Assert.Equal(0, order.PartAmount);
        Assert.All(order.Timers, t => Assert.True(t.IsPaused));
        Assert.DoesNotContain("confirm_receipt", OrderProcess.ActionsFor(order, Party.Buyer, OpenedAt));
    }

    [Fact]
    public void After_completion_a_per_item_dispute_takes_its_part_back_into_escrow_and_the_rest_becomes_available_on_its_own_clock()
    {
        var order = WatchAndStraps();
        var release = order.ConfirmReceipt(Buyer(order), OpenedAt);
        var (dispute, hold) = order.OpenDisputeWithEntry(Buyer(order), OpenedAt, Guid.NewGuid(), DisputeReason.Damaged, DisputeOutcome.FullRefund, null,
            "One strap is torn.", new DisputeTerms(), [(Strap(order), 1)]);

        // 130.00 was released (6.50 commission); the strap's 15.00 comes back, and the rest's commission is 5.75.
        Assert.Equal(1_500, Balance([hold], AccountType.Escrow));
        Assert.Equal(10_925 - 12_350, Balance([hold], AccountType.SellerPending));
        Assert.Equal(575 - 650, Balance([hold], AccountType.PlatformCommission));
        Assert.All(order.Timers, t => Assert.False(t.IsPaused));
        var window = order.Timers.Single(t => t.Kind == OrderTimerKind.DisputeWindowEnds);
        var available = order.FireTimer(OrderTimerKind.DisputeWindowEnds, window.DueAt).Entry;
        Assert.Equal(10_925, Balance([available], AccountType.SellerAvailable));

        var settle = dispute.Accept(SellerOf(dispute), window.DueAt.AddHours(1)).ApplyTo(order, window.DueAt.AddHours(1));
        Assert.Equal((-1_500L, 1_500L), (Balance([settle], AccountType.Escrow), Balance([settle], AccountType.RefundsOwed)));
        Assert.Equal(-13_000, Balance([release, hold, settle], AccountType.Escrow));
        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.Throws<InvalidOperationException>(() =>
        {
            var other = WatchAndStraps();
            other.ConfirmReceipt(Buyer(other), OpenedAt);
            OpenOnOneStrap(other); // an entry that would be lost: the caller must post it
        });
    }

    [Fact]
    public void The_item_id_is_stable_and_names_a_line_of_its_own_order_only()
    {
        var id = Guid.NewGuid();

        Assert.Equal(OrderLine.ItemIdOf(id, 1), OrderLine.ItemIdOf(id, 1));
        Assert.NotEqual(OrderLine.ItemIdOf(id, 1), OrderLine.ItemIdOf(id, 2));
        Assert.NotEqual(OrderLine.ItemIdOf(id, 1), OrderLine.ItemIdOf(Guid.NewGuid(), 1));
    }
}
