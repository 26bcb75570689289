using System.Collections.Frozen;

namespace Safehold.Domain;

/// <summary>
/// An ISO 4217 currency and the number of decimal places of its minor unit
/// (USD cents: 2, JPY yen: 0, KWD fils: 3).
/// </summary>
public readonly record struct Currency
{
    private Currency(string code, int minorUnits)
    {
        Code = code;
        MinorUnits = minorUnits;
    }

    /// <summary>The three-letter upper-case ISO 4217 code.</summary>
    public string Code { get; }

    /// <summary>Decimal places between the major and the minor unit.</summary>
    public int MinorUnits { get; }

    public override string ToString() => Code;

    /// <summary>Finds an active ISO 4217 currency by its code, in any letter case.</summary>
    public static bool TryParse(string? code, out Currency currency)
    {
        if (code is not null && Known.TryGetValue(code.ToUpperInvariant(), out var units))
        {
            currency = new Currency(code.ToUpperInvariant(), units);
            return true;
        }
        currency = default;
        return false;
    }

    /// <summary>The currency with this code; throws for a code that is not an active ISO 4217 currency.</summary>
    public static Currency Of(string code) =>
        TryParse(code, out var currency) ? currency : throw new ArgumentException($"'{code}' is not an ISO 4217 currency.", nameof(code));

    public static Currency Usd => Of("USD");

    // Active ISO 4217 codes with their minor units; the codes not listed here have two.
    private static readonly string[] TwoDecimalCodes =
    [
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD", "BND",
        "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CNY", "COP", "CRC", "CUP", "CVE", "CZK",
        "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD",
        "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK",
        "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN",
        "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON",
        "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP",
        "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "UYU", "UZS", "VES", "WST", "XCD",
        "XCG", "YER", "ZAR", "ZMW", "ZWG",
    ];

    private static readonly string[] ZeroDecimalCodes =
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"];

    private static readonly string[] ThreeDecimalCodes = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

    private static readonly string[] FourDecimalCodes = ["CLF", "UYW"];

    private static readonly FrozenDictionary<string, int> Known =
        TwoDecimalCodes.Select(c => KeyValuePair.Create(c, 2))
            .Concat(ZeroDecimalCodes.Select(c => KeyValuePair.Create(c, 0)))
            .Concat(ThreeDecimalCodes.Select(c => KeyValuePair.Create(c, 3)))
            .Concat(FourDecimalCodes.Select(c => KeyValuePair.Create(c, 4)))
            .ToFrozenDictionary();
}
