using System.Globalization;
using Microsoft.Extensions.Localization;
using Safehold.Domain;

namespace Safehold.Web.Features.Portal;

/// <summary>Money, dates, spans of time, statuses and problem codes, written for the reader's language.</summary>
public static class Words
{
    private static CultureInfo Culture => CultureInfo.CurrentCulture;

    /// <summary>Minor units as the culture writes the amount, then the ISO code: "129.99 USD", "129,99 USD".</summary>
    public static string Money(long amount, string currency)
    {
        var minor = Currency.TryParse(currency, out var c) ? c.MinorUnits : 2;
        var value = amount / (decimal)Math.Pow(10, minor);
        return value.ToString("N" + minor, Culture) + " " + currency;
    }

    public static string Money(Money m) => Money(m.Amount, m.Currency.Code);

    public static string Money(Api.MoneyDto m) => Money(m.Amount, m.Currency);

    public static string Number(long n) => n.ToString("N0", Culture);

    /// <summary>"129.99" (or "129,99" in Georgian) as minor units; null when it is not an amount with at most the currency's decimals.</summary>
    public static long? MinorUnits(string text, int decimals)
    {
        if (!decimal.TryParse(text.Trim(), NumberStyles.Number, Culture, out var value) || value < 0) return null;
        var scaled = value * (decimal)Math.Pow(10, decimals);
        if (scaled != decimal.Truncate(scaled) || scaled > long.MaxValue) return null;
        return (long)scaled;
    }

    /// <summary>A day: "3 January 2027" (the year left out when it is this year's).</summary>
    public static string Day(DateTimeOffset at, DateTimeOffset now) =>
        at.UtcDateTime.ToString(at.Year == now.Year ? "d MMMM" : "d MMMM yyyy", Culture);

    /// <summary>An instant: "3 January 2027, 14:05 UTC".</summary>
    public static string Instant(DateTimeOffset at) => at.UtcDateTime.ToString("d MMMM yyyy, HH:mm", Culture) + " UTC";

    /// <summary>How long from now until <paramref name="at"/>, in the largest whole unit: "12 days", "5 hours".</summary>
    public static string Span(IStringLocalizer l, TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = -span;
        if (span.TotalDays >= 2) return l["{0} days", Number((long)span.TotalDays)];
        if (span.TotalDays >= 1) return l["1 day"];
        if (span.TotalHours >= 2) return l["{0} hours", Number((long)span.TotalHours)];
        if (span.TotalHours >= 1) return l["1 hour"];
        return l["{0} minutes", Number(Math.Max(1, (long)span.TotalMinutes))];
    }

    /// <summary>A deadline in words: "Protection ends in 12 days, on 3 January", or how long ago it passed.</summary>
    public static string Deadline(IStringLocalizer l, string name, DateTimeOffset at, DateTimeOffset now)
    {
        var day = Day(at, now);
        if (at <= now) return l["deadline.passed", l["deadline." + name + ".name"], day];
        return l["deadline." + name, Span(l, at - now), day];
    }

    /// <summary>A problem's <c>code</c> in words; an unknown code still says what it is.</summary>
    public static string ForCode(IStringLocalizer l, string code)
    {
        var words = l["code." + code];
        return words.ResourceNotFound ? l["code.unknown", code] : words;
    }

    /// <summary>
    /// A field message of the use cases' input checks ("At most 500 characters.") in the reader's language: its numbers
    /// become <c>{0}</c>, <c>{1}</c>... to find the template, then go back in, written for the culture.
    /// </summary>
    public static string Input(IStringLocalizer l, string message)
    {
        var numbers = new List<object>();
        var template = System.Text.RegularExpressions.Regex.Replace(message, @"\d+(\.\d+)?", m =>
        {
            numbers.Add(decimal.Parse(m.Value, CultureInfo.InvariantCulture).ToString("G", Culture));
            return "{" + (numbers.Count - 1) + "}";
        });
        var words = l[template, [.. numbers]];
        return words.ResourceNotFound ? message : words;
    }

    /// <summary>A translated name for an API value (status, action, event, reason), or the value made readable.</summary>
    public static string Name(IStringLocalizer l, string prefix, string value)
    {
        var words = l[prefix + "." + value];
        return words.ResourceNotFound ? value.Replace('_', ' ') : words;
    }
}
