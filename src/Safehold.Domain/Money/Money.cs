namespace Safehold.Domain;

/// <summary>
/// An exact amount of money: a whole number of the currency's minor units (cents, yen, tetri).
/// Arithmetic is checked: it never rounds, never overflows silently and never mixes currencies.
/// </summary>
public readonly record struct Money(long Amount, Currency Currency)
{
    public static Money Zero(Currency currency) => new(0, currency);

    public bool IsZero => Amount == 0;

    public static Money operator +(Money a, Money b) => new(checked(a.Amount + b.Amount), Same(a, b));

    public static Money operator -(Money a, Money b) => new(checked(a.Amount - b.Amount), Same(a, b));

    public static Money operator -(Money a) => new(checked(-a.Amount), a.Currency);

    public static Money operator *(Money a, long factor) => new(checked(a.Amount * factor), a.Currency);

    public static bool operator <(Money a, Money b) => a.Amount < Same(a, b, b.Amount);

    public static bool operator >(Money a, Money b) => a.Amount > Same(a, b, b.Amount);

    public static bool operator <=(Money a, Money b) => a.Amount <= Same(a, b, b.Amount);

    public static bool operator >=(Money a, Money b) => a.Amount >= Same(a, b, b.Amount);

    /// <summary>
    /// Splits this amount into a commission of <paramref name="basisPoints"/> (1/100 of a percent),
    /// rounded half up to the minor unit, and the rest. The two parts always add up to this amount.
    /// </summary>
    public (Money SellerShare, Money Commission) SplitCommission(int basisPoints)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(basisPoints);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(basisPoints, 10_000);
        ArgumentOutOfRangeException.ThrowIfNegative(Amount);
        var commission = (long)((Int128)Amount * basisPoints / 10_000 + ((Int128)Amount * basisPoints % 10_000 >= 5_000 ? 1 : 0));
        return (new Money(Amount - commission, Currency), new Money(commission, Currency));
    }

    public override string ToString() => $"{Amount} {Currency.Code}";

    private static Currency Same(Money a, Money b) =>
        a.Currency == b.Currency ? a.Currency : throw new InvalidOperationException($"Cannot combine {a.Currency} with {b.Currency}.");

    private static long Same(Money a, Money b, long value) => Same(a, b) == a.Currency ? value : value;
}
