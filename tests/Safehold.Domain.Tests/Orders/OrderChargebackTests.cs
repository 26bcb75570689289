using Safehold.Domain.Disputes;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Policy;
using static Safehold.Domain.Tests.Orders.TestOrders;

namespace Safehold.Domain.Tests.Orders;

/// <summary>
/// The chargeback rows of the order's and the dispute's tables: who may take them (the provider, never a person), what
/// money each moves, and that every entry balances and leaves the order's escrow as SPEC 4 says.
/// </summary>
public sealed class OrderChargebackTests
{
    /// <summary>The order's chargeback triggers, left out of the exhaustive table test and driven here.</summary>
    public static readonly OrderTrigger[] Triggers = [OrderTrigger.ChargebackOpened, OrderTrigger.ChargebackWon, OrderTrigger.ChargebackLost];

    /// <summary>The dispute's chargeback triggers, likewise.</summary>
    public static readonly DisputeTrigger[] DisputeTriggers =
        [DisputeTrigger.ChargebackOpened, DisputeTrigger.ChargebackWon, DisputeTrigger.ChargebackLost, DisputeTrigger.Superseded];

    private static readonly DateTimeOffset Later = T0.AddDays(20);
    private static readonly DisputeTerms Terms = new();

    private static (Dispute Chargeback, JournalEntry? Entry) Open(Order o, Dispute? open = null, ChargebackBearer bearer = ChargebackBearer.Seller) =>
        o.OpenChargeback(Later, Guid.NewGuid(), open, "fraudulent", Later.AddDays(7), null, bearer, "cb_1", Terms);

    private static Order Completed()
    {
        var o = Shipped(Paid(PlaceOne(10_000), T0), T0.AddDays(1));
        o.ConfirmReceipt(Buyer(o), T0.AddDays(5));
        return o;
    }

    private static Dictionary<AccountType, long> Lines(JournalEntry? entry) =>
        entry!.Lines.GroupBy(l => l.AccountType).ToDictionary(g => g.Key, g => g.Sum(l => l.Amount));

    [Theory]
    [InlineData(Party.Buyer)]
    [InlineData(Party.Seller)]
    [InlineData(Party.Admin)]
    public void No_person_can_take_a_chargeback_row(Party party)
    {
        var o = Completed();
        foreach (var trigger in Triggers)
        {
            var refused = Assert.Throws<DomainException>(() => OrderProcess.Authorize(o, trigger, As(o, party), Later));
            Assert.Equal("action_not_allowed", refused.Code);
        }
        Assert.DoesNotContain(OrderProcess.ActionsFor(o, party, Later), a => a.StartsWith("chargeback", StringComparison.Ordinal));
    }

    [Fact]
    public void A_chargeback_in_escrow_moves_no_money_until_lost_and_then_sends_the_total_out()
    {
        var o = Shipped(Paid(PlaceOne(10_000), T0), T0.AddDays(1));
        var (chargeback, hold) = Open(o);

        Assert.Null(hold);
        Assert.True(o.ChargebackIsOpen);
        Assert.Equal(DisputeStatus.UnderReview, chargeback.Status);
        Assert.Equal(Later.AddDays(7), chargeback.PendingDeadlines()["respondBy"]);
        Assert.All(o.Timers, t => Assert.True(t.IsPaused));
        Assert.Throws<DomainException>(() => o.ConfirmReceipt(Buyer(o), Later));

        var lost = chargeback.DecideChargeback(ChargebackOutcome.Lost, Later.AddDays(3), null).ApplyTo(o, Later.AddDays(3));

        Assert.Equal(new Dictionary<AccountType, long> { [AccountType.Escrow] = -10_000, [AccountType.ChargebacksOut] = 10_000 }, Lines(lost));
        Assert.Equal(OrderStatus.Closed, o.Status);
        Assert.Equal(DisputeOutcome.FullRefund, chargeback.Outcome);
        Assert.False(o.ChargebackIsOpen);
    }

    [Fact]
    public void A_chargeback_after_release_takes_the_share_and_commission_back_into_escrow_and_winning_gives_them_back()
    {
        var o = Completed();
        var (chargeback, hold) = Open(o);

        Assert.Equal(new Dictionary<AccountType, long>
        {
            [AccountType.SellerPending] = -9_500,
            [AccountType.PlatformCommission] = -500,
            [AccountType.Escrow] = 10_000,
        }, Lines(hold));
        Assert.True(o.Timers.Single(t => t.Kind == OrderTimerKind.DisputeWindowEnds).IsPaused);

        var returned = chargeback.DecideChargeback(ChargebackOutcome.Won, Later.AddDays(3), null).ApplyTo(o, Later.AddDays(3));

        Assert.Equal(new Dictionary<AccountType, long>
        {
            [AccountType.Escrow] = -10_000,
            [AccountType.SellerPending] = 9_500,
            [AccountType.PlatformCommission] = 500,
        }, Lines(returned));
        Assert.Equal(OrderStatus.Completed, o.Status);
        Assert.False(o.Timers.Single(t => t.Kind == OrderTimerKind.DisputeWindowEnds).IsPaused);
        Assert.Equal(T0.AddDays(5 + 15 + 3), o.DisputeWindowEndsAt); // the window held still for the chargeback's three days
        Assert.Equal(DisputeOutcome.ReleasedToSeller, chargeback.Outcome);
    }

    [Fact]
    public void Once_the_credit_is_available_a_chargeback_takes_it_from_available_and_the_platform_can_make_it_good()
    {
        var o = Completed();
        o.Fire(OrderTrigger.DisputeWindowClosed, T0.AddDays(20));
        var (chargeback, hold) = Open(o, bearer: ChargebackBearer.Platform);

        Assert.Equal(-9_500, Lines(hold)[AccountType.SellerAvailable]);
        var lost = chargeback.DecideChargeback(ChargebackOutcome.Lost, Later.AddDays(3), null).ApplyTo(o, Later.AddDays(3));
        Assert.Equal(new Dictionary<AccountType, long>
        {
            [AccountType.Escrow] = -10_000,
            [AccountType.ChargebacksOut] = 10_000,
            [AccountType.ChargebackLosses] = -9_500,
            [AccountType.SellerAvailable] = 9_500,
        }, Lines(lost));
    }

    [Fact]
    public void After_a_partial_refund_a_chargeback_takes_back_only_what_is_still_captured()
    {
        var o = Shipped(Paid(PlaceOne(10_000), T0), T0.AddDays(1));
        var dispute = Disputed(o, T0.AddDays(2), asks: DisputeOutcome.PartialRefund, amount: 2_000);
        dispute.Accept(new DisputeActor(DisputeParty.Seller, o.SellerId), T0.AddDays(3)).ApplyTo(o, T0.AddDays(3));
        Assert.Equal(OrderStatus.Completed, o.Status);

        var (chargeback, hold) = Open(o);

        Assert.Equal(8_000, chargeback.ChargebackAmount);
        Assert.Equal(new Dictionary<AccountType, long>
        {
            [AccountType.SellerPending] = -7_600,
            [AccountType.PlatformCommission] = -400,
            [AccountType.Escrow] = 8_000,
        }, Lines(hold));
        var lost = chargeback.DecideChargeback(ChargebackOutcome.Lost, Later.AddDays(1), null).ApplyTo(o, Later.AddDays(1));
        Assert.Equal(-8_000, Lines(lost)[AccountType.Escrow]);
        Assert.Equal(DisputeOutcome.PartialRefund, chargeback.Outcome);
        Assert.Equal(8_000, chargeback.RefundAmount);
    }

    [Fact]
    public void A_chargeback_supersedes_an_open_dispute_and_refuses_a_reported_amount_that_is_not_what_was_captured()
    {
        var o = Shipped(Paid(PlaceOne(10_000), T0), T0.AddDays(1));
        var dispute = Disputed(o, T0.AddDays(2));
        var mismatch = Assert.Throws<DomainException>(() =>
            o.OpenChargeback(Later, Guid.NewGuid(), dispute, "fraudulent", Later.AddDays(7), 9_999, ChargebackBearer.Seller, null, Terms));
        Assert.Equal("chargeback_amount_mismatch", mismatch.Code);
        Assert.True(dispute.IsOpen);

        var (chargeback, _) = Open(o, dispute);

        Assert.Equal(DisputeStatus.Superseded, dispute.Status);
        Assert.Equal(chargeback.Id, dispute.SupersededBy);
        Assert.False(dispute.IsOpen);
        Assert.Empty(dispute.Timers);
        Assert.Equal(chargeback.Id, o.OpenDisputeId);
        Assert.Equal(T0.AddDays(2), o.DisputeOpenedAt); // the clock has been paused since the dispute opened
        Assert.Equal("chargeback_exists", Assert.Throws<DomainException>(() => Open(o)).Code);
    }

    [Fact]
    public void A_buyers_dispute_is_not_decided_by_the_network_nor_a_chargeback_by_an_arbiter()
    {
        var o = Completed();
        var (chargeback, _) = Open(o);
        var arbiter = DisputeActor.Arbiter(Guid.NewGuid());
        Assert.Equal("chargeback_decided_by_network",
            Assert.Throws<DomainException>(() => chargeback.Decide(arbiter, Later, DisputeOutcome.ReleasedToSeller, null, "no")).Code);
        Assert.DoesNotContain("decision", DisputeProcess.ActionsFor(chargeback, arbiter, Later));
        Assert.Empty(DisputeProcess.ActionsFor(chargeback, DisputeParty.Buyer, Later));

        var other = Shipped(Paid(PlaceOne(10_000), T0), T0.AddDays(1));
        var dispute = Disputed(other, T0.AddDays(2));
        Assert.Equal("invalid_state", Assert.Throws<DomainException>(() => dispute.Fire(DisputeTrigger.ChargebackWon, Later)).Code);
        Assert.Equal("validation_failed", Assert.Throws<DomainException>(() => Disputed(Shipped(Paid(PlaceOne(), T0), T0), T0.AddDays(1),
            DisputeReason.Chargeback)).Code);
    }

    [Fact]
    public void The_policy_says_who_bears_a_lost_chargeback()
    {
        Assert.Equal(ChargebackBearer.Seller, new ProtectionPolicy().BearerOfChargeback(arbiterDecidedForSeller: false));
        Assert.Equal(ChargebackBearer.Platform, new ProtectionPolicy().BearerOfChargeback(arbiterDecidedForSeller: true));
        Assert.Equal(ChargebackBearer.Seller, new ProtectionPolicy { ChargebackLiability = ChargebackLiability.Seller }.BearerOfChargeback(true));
        Assert.Equal(ChargebackBearer.Platform, new ProtectionPolicy { ChargebackLiability = ChargebackLiability.Platform }.BearerOfChargeback(false));
    }
}
