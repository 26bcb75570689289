using Safehold.Domain.Tests.Orders;

namespace Safehold.Domain.Tests;

public sealed class MoneyTests
{
    private static readonly Currency Usd = Currency.Of("USD");
    private static readonly Currency Jpy = Currency.Of("JPY");

    private static Money Usd_(long amount) => new(amount, Usd);

    [Theory]
    [InlineData(12999, 500, 650, 12349)]
    [InlineData(10, 500, 1, 9)] // 0.5 rounds up
    [InlineData(9, 500, 0, 9)] // 0.45 rounds down
    [InlineData(30, 500, 2, 28)] // 1.5 rounds up
    [InlineData(29, 500, 1, 28)] // 1.45 rounds down
    [InlineData(1, 5000, 1, 0)] // 0.5 rounds up
    [InlineData(3, 5000, 2, 1)] // 1.5 rounds up
    [InlineData(0, 500, 0, 0)]
    [InlineData(12999, 0, 0, 12999)]
    [InlineData(12999, 10_000, 12999, 0)]
    [InlineData(long.MaxValue, 500, 461_168_601_842_738_790, long.MaxValue - 461_168_601_842_738_790)]
    [InlineData(long.MaxValue, 10_000, long.MaxValue, 0)]
    public void Commission_split_rounds_half_up_to_the_minor_unit(long amount, int bps, long commission, long sellerShare)
    {
        var (share, cut) = Usd_(amount).SplitCommission(bps);

        Assert.Equal(Usd_(commission), cut);
        Assert.Equal(Usd_(sellerShare), share);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Commission_split_always_adds_back_to_the_amount_exactly(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 5_000; i++)
        {
            var amount = i % 10 == 0 ? random.NextInt64(long.MaxValue) : random.NextInt64(1_000_000_000);
            var bps = random.Next(0, 10_001);

            var (share, cut) = new Money(amount, Jpy).SplitCommission(bps);

            Assert.Equal(amount, share.Amount + cut.Amount);
            Assert.Equal(TestOrders.ExpectedCommission(amount, bps), cut.Amount);
            Assert.Equal(Jpy, share.Currency);
            Assert.Equal(Jpy, cut.Currency);
        }
    }

    [Theory]
    [InlineData(100, -1)]
    [InlineData(100, 10_001)]
    [InlineData(-100, 500)]
    public void Commission_split_refuses_a_rate_outside_0_to_100_percent_or_a_negative_amount(long amount, int bps) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Usd_(amount).SplitCommission(bps));

    [Fact]
    public void Money_of_one_currency_adds_subtracts_multiplies_and_compares()
    {
        Assert.Equal(Usd_(350), Usd_(100) + Usd_(250));
        Assert.Equal(Usd_(-150), Usd_(100) - Usd_(250));
        Assert.Equal(Usd_(-100), -Usd_(100));
        Assert.Equal(Usd_(300), Usd_(100) * 3);
        Assert.True(Usd_(1) < Usd_(2));
        Assert.True(Usd_(2) > Usd_(1));
        Assert.True(Usd_(2) <= Usd_(2));
        Assert.True(Usd_(2) >= Usd_(2));
        Assert.False(Usd_(2) < Usd_(2));
        Assert.True(Money.Zero(Usd).IsZero);
        Assert.False(Usd_(1).IsZero);
        Assert.Equal("12999 USD", Usd_(12999).ToString());
    }

    [Fact]
    public void Amounts_of_the_same_number_in_different_currencies_are_not_equal() =>
        Assert.NotEqual(new Money(100, Usd), new Money(100, Jpy));

    [Fact]
    public void Adding_different_currencies_throws() =>
        Assert.Throws<InvalidOperationException>(() => new Money(100, Usd) + new Money(100, Jpy));

    [Fact]
    public void Subtracting_different_currencies_throws() =>
        Assert.Throws<InvalidOperationException>(() => new Money(100, Usd) - new Money(100, Jpy));

    [Fact]
    public void Comparing_different_currencies_throws()
    {
        var usd = new Money(100, Usd);
        var jpy = new Money(200, Jpy);
        Assert.Throws<InvalidOperationException>(() => usd < jpy);
        Assert.Throws<InvalidOperationException>(() => usd > jpy);
        Assert.Throws<InvalidOperationException>(() => usd <= jpy);
        Assert.Throws<InvalidOperationException>(() => usd >= jpy);
    }

    [Fact]
    public void Addition_that_overflows_throws() =>
        Assert.Throws<OverflowException>(() => Usd_(long.MaxValue) + Usd_(1));

    [Fact]
    public void Subtraction_that_underflows_throws() =>
        Assert.Throws<OverflowException>(() => Usd_(long.MinValue) - Usd_(1));

    [Fact]
    public void Multiplication_that_overflows_throws() =>
        Assert.Throws<OverflowException>(() => Usd_(long.MaxValue / 2 + 1) * 2);

    [Fact]
    public void Negating_the_smallest_amount_throws() =>
        Assert.Throws<OverflowException>(() => -Usd_(long.MinValue));
}
