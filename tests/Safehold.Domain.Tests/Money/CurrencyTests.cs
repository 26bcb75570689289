namespace Safehold.Domain.Tests;

public sealed class CurrencyTests
{
    [Theory]
    [InlineData("USD", "USD", 2)]
    [InlineData("JPY", "JPY", 0)]
    [InlineData("KWD", "KWD", 3)]
    [InlineData("GEL", "GEL", 2)]
    [InlineData("EUR", "EUR", 2)]
    [InlineData("CLF", "CLF", 4)]
    [InlineData("usd", "USD", 2)]
    [InlineData("jPy", "JPY", 0)]
    [InlineData("gel", "GEL", 2)]
    public void TryParse_finds_an_iso_currency_with_its_minor_units_in_any_case(string input, string code, int minorUnits)
    {
        Assert.True(Currency.TryParse(input, out var currency));
        Assert.Equal(code, currency.Code);
        Assert.Equal(minorUnits, currency.MinorUnits);
        Assert.Equal(code, currency.ToString());
    }

    [Theory]
    [InlineData("XYZ")]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(null)]
    [InlineData("US")]
    [InlineData("USDD")]
    [InlineData(" USD")]
    [InlineData("U$D")]
    public void TryParse_refuses_what_is_not_an_iso_currency_code(string? input)
    {
        Assert.False(Currency.TryParse(input, out var currency));
        Assert.Equal(default, currency);
    }

    [Fact]
    public void Of_throws_for_an_unknown_code() =>
        Assert.Throws<ArgumentException>(() => Currency.Of("XYZ"));

    [Fact]
    public void A_currency_parsed_from_lower_case_equals_the_upper_case_one()
    {
        Assert.Equal(Currency.Usd, Currency.Of("usd"));
        Assert.NotEqual(Currency.Of("USD"), Currency.Of("JPY"));
    }
}
