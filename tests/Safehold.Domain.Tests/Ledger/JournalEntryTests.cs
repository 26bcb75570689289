using Safehold.Domain.Ledger;

namespace Safehold.Domain.Tests.Ledger;

public sealed class JournalEntryTests
{
    private static readonly Currency Usd = Currency.Of("USD");
    private static readonly Currency Jpy = Currency.Of("JPY");
    private static readonly Guid OrderId = Guid.Parse("0de40000-0000-0000-0000-000000000001");
    private static readonly Guid SellerId = Guid.Parse("5e11e000-0000-0000-0000-000000000001");
    private static readonly DateTimeOffset At = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    private static JournalEntry Entry(params (Account Account, Money Amount)[] lines) =>
        new(Guid.NewGuid(), "order:test:capture", "capture", OrderId, At, lines);

    [Fact]
    public void A_balanced_entry_keeps_its_lines_and_identity()
    {
        var id = Guid.NewGuid();
        var entry = new JournalEntry(id, $"order:{OrderId}:capture", "capture", OrderId, At,
            [(Account.PaymentClearing, new Money(-12999, Usd)), (Account.Escrow(OrderId), new Money(12999, Usd))]);

        Assert.Equal(id, entry.Id);
        Assert.Equal($"order:{OrderId}:capture", entry.DedupeKey);
        Assert.Equal("capture", entry.Kind);
        Assert.Equal(OrderId, entry.OrderId);
        Assert.Equal(At, entry.At);
        Assert.Collection(entry.Lines,
            l =>
            {
                Assert.Equal("payment_clearing", l.Account);
                Assert.Equal(AccountType.PaymentClearing, l.AccountType);
                Assert.Equal(-12999, l.Amount);
                Assert.Equal("USD", l.Currency);
                Assert.Equal(id, l.EntryId);
                Assert.Equal(OrderId, l.OrderId);
                Assert.Null(l.SellerId);
            },
            l =>
            {
                Assert.Equal($"escrow:{OrderId}", l.Account);
                Assert.Equal(AccountType.Escrow, l.AccountType);
                Assert.Equal(12999, l.Amount);
                Assert.Null(l.SellerId);
            });
    }

    [Fact]
    public void An_unbalanced_entry_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Entry((Account.PaymentClearing, new Money(-12999, Usd)), (Account.Escrow(OrderId), new Money(12998, Usd))));
        Assert.Contains("does not balance", error.Message);
    }

    [Fact]
    public void An_entry_with_no_lines_is_refused() =>
        Assert.Throws<InvalidOperationException>(() => Entry());

    [Fact]
    public void An_entry_with_one_line_is_refused() =>
        Assert.Throws<InvalidOperationException>(() => Entry((Account.Escrow(OrderId), new Money(100, Usd))));

    [Fact]
    public void An_entry_with_one_non_zero_line_and_zero_lines_is_refused_as_too_few_lines()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Entry((Account.Escrow(OrderId), new Money(100, Usd)), (Account.RefundsOut, Money.Zero(Usd)), (Account.PlatformCommission, Money.Zero(Usd))));
        Assert.Contains("at least two accounts", error.Message);
    }

    [Fact]
    public void An_entry_of_only_zero_lines_is_refused() =>
        Assert.Throws<InvalidOperationException>(() =>
            Entry((Account.Escrow(OrderId), Money.Zero(Usd)), (Account.RefundsOut, Money.Zero(Usd))));

    [Fact]
    public void Zero_lines_are_dropped()
    {
        var entry = Entry(
            (Account.Escrow(OrderId), new Money(-12999, Usd)),
            (Account.SellerPending(SellerId), new Money(12999, Usd)),
            (Account.PlatformCommission, Money.Zero(Usd)));

        Assert.Equal([$"escrow:{OrderId}", $"seller_pending:{SellerId}"], entry.Lines.Select(l => l.Account));
    }

    [Fact]
    public void A_balanced_entry_of_many_lines_is_accepted_and_seller_lines_name_the_seller()
    {
        var entry = Entry(
            (Account.Escrow(OrderId), new Money(-12999, Usd)),
            (Account.SellerPending(SellerId), new Money(12349, Usd)),
            (Account.PlatformCommission, new Money(650, Usd)));

        Assert.Equal(3, entry.Lines.Count);
        Assert.Equal(0, entry.Lines.Sum(l => l.Amount));
        var seller = entry.Lines.Single(l => l.AccountType == AccountType.SellerPending);
        Assert.Equal(SellerId, seller.SellerId);
        Assert.Equal($"seller_pending:{SellerId}", seller.Account);
        Assert.Null(entry.Lines.Single(l => l.AccountType == AccountType.Escrow).SellerId);
    }

    [Fact]
    public void A_multi_currency_entry_that_balances_in_each_currency_is_accepted()
    {
        var entry = Entry(
            (Account.PaymentClearing, new Money(-500, Usd)),
            (Account.Escrow(OrderId), new Money(500, Usd)),
            (Account.PaymentClearing, new Money(-70000, Jpy)),
            (Account.Escrow(OrderId), new Money(70000, Jpy)));

        Assert.Equal(4, entry.Lines.Count);
        Assert.All(entry.Lines.GroupBy(l => l.Currency), g => Assert.Equal(0, g.Sum(l => l.Amount)));
    }

    [Fact]
    public void A_multi_currency_entry_that_balances_only_across_currencies_is_refused()
    {
        // The numbers sum to zero, but 500 cents are not 500 yen.
        var error = Assert.Throws<InvalidOperationException>(() => Entry(
            (Account.PaymentClearing, new Money(-500, Usd)),
            (Account.Escrow(OrderId), new Money(300, Usd)),
            (Account.Escrow(OrderId), new Money(200, Jpy))));
        Assert.Contains("does not balance", error.Message);
    }

    [Theory]
    [InlineData("", "capture")]
    [InlineData(" ", "capture")]
    [InlineData("order:x:capture", "")]
    public void An_entry_needs_a_dedupe_key_and_a_kind(string dedupeKey, string kind) =>
        Assert.ThrowsAny<ArgumentException>(() => new JournalEntry(Guid.NewGuid(), dedupeKey, kind, OrderId, At,
            [(Account.PaymentClearing, new Money(-1, Usd)), (Account.Escrow(OrderId), new Money(1, Usd))]));

    [Fact]
    public void Account_codes_are_stable_and_readable()
    {
        Assert.Equal("payment_clearing", Account.PaymentClearing.Code);
        Assert.Equal("platform_commission", Account.PlatformCommission.Code);
        Assert.Equal("refunds_out", Account.RefundsOut.Code);
        Assert.Equal($"escrow:{OrderId}", Account.Escrow(OrderId).Code);
        Assert.Equal($"seller_available:{SellerId}", Account.SellerAvailable(SellerId).Code);
        Assert.Equal($"payouts_out:{SellerId}", Account.PayoutsOut(SellerId).Code);
        Assert.Equal(SellerId, Account.PayoutsOut(SellerId).SellerId);
        Assert.Null(Account.Escrow(OrderId).SellerId);
    }
}
