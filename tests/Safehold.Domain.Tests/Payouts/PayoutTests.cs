using Safehold.Domain.Ledger;
using Safehold.Domain.Payouts;

namespace Safehold.Domain.Tests.Payouts;

public sealed class PayoutTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);
    private static readonly Guid Seller = Guid.NewGuid();
    private static Money Usd(long amount) => new(amount, Currency.Usd);

    [Fact]
    public void Starting_a_payout_moves_the_whole_available_balance_to_payouts_owed()
    {
        var (payout, entry) = Payout.Start(Guid.NewGuid(), Seller, Usd(9_500), Usd(1_000), "admin:1", Now)!.Value;

        Assert.Equal(PayoutStatus.Processing, payout.Status);
        Assert.Equal(9_500, payout.Amount);
        Assert.Equal("payout", entry.Kind);
        Assert.Equal($"payout:{payout.Id}", entry.DedupeKey);
        Assert.Equal(-9_500, entry.Lines.Single(l => l.AccountType == AccountType.SellerAvailable).Amount);
        Assert.Equal(9_500, entry.Lines.Single(l => l.AccountType == AccountType.PayoutsOwed).Amount);
        Assert.All(entry.Lines, l => Assert.Equal(Seller, l.SellerId));
    }

    [Theory]
    [InlineData(999)]
    [InlineData(0)]
    [InlineData(-5)]
    public void A_balance_below_the_minimum_is_not_paid_out(long available)
    {
        Assert.Null(Payout.Start(Guid.NewGuid(), Seller, Usd(available), Usd(1_000), "admin:1", Now));
    }

    [Fact]
    public void A_balance_of_exactly_the_minimum_is_paid_out()
    {
        Assert.NotNull(Payout.Start(Guid.NewGuid(), Seller, Usd(1_000), Usd(1_000), "admin:1", Now));
    }

    [Fact]
    public void A_minimum_in_another_currency_is_a_programming_error()
    {
        Assert.Throws<ArgumentException>(() => Payout.Start(Guid.NewGuid(), Seller, Usd(5_000), new Money(1_000, Currency.Of("GEL")), "admin:1", Now));
    }

    [Fact]
    public void A_paid_payout_keeps_its_reference_and_cannot_be_answered_again()
    {
        var (payout, _) = Payout.Start(Guid.NewGuid(), Seller, Usd(5_000), Usd(1_000), "admin:1", Now)!.Value;

        payout.MarkPaid("po_1", Now.AddMinutes(1));

        Assert.Equal(PayoutStatus.Paid, payout.Status);
        Assert.Equal("po_1", payout.Reference);
        Assert.Equal(Now.AddMinutes(1), payout.CompletedAt);
        var again = Assert.Throws<DomainException>(() => payout.MarkPaid("po_2", Now));
        Assert.Equal("invalid_state", again.Code);
    }
}
