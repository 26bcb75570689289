using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Localization;
using Safehold.Domain;

namespace Safehold.Web.Features.Portal;

/// <summary>Money, dates, spans of time, statuses and problem codes, written for the reader's language and time zone.</summary>
/// <remarks>
/// Georgian declines a date or a count by its case, not by gluing an ending on with a hyphen: the phrases
/// <see cref="On"/> and <see cref="Duration"/> are <see cref="IFormattable"/>, so a template asks for the case it needs
/// (<c>{0:in}</c> "5 დღეში", <c>{1:at}</c> "14 მარტს", <c>{1:until}</c> "23 იანვრამდე", <c>{0:by}</c> "5 დღით"). English
/// templates carry their own prepositions and ask for no case.
/// </remarks>
public static class Words
{
    private static CultureInfo Culture => CultureInfo.CurrentCulture;

    private static bool Georgian => Culture.TwoLetterISOLanguageName == "ka";

    private static readonly AsyncLocal<TimeZoneInfo?> ReaderZone = new();

    /// <summary>The reader's time zone (set per request from the portal's time-zone cookie; UTC when none was chosen).</summary>
    public static TimeZoneInfo Zone
    {
        get => ReaderZone.Value ?? TimeZoneInfo.Utc;
        set => ReaderZone.Value = value;
    }

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
    public static long? MinorUnits(string text, int decimals) => ReadAmount(text, decimals).Minor;

    /// <summary>What a typed amount was read as: its minor units, or why it could not be read (a template with an example of the right way).</summary>
    public readonly record struct TypedAmount(long? Minor, string? Problem);

    /// <summary>
    /// An amount as the page's language writes it: English <c>19.50</c> or <c>1,950.00</c>, Georgian <c>19,50</c> or
    /// <c>1 950,00</c>. The other language's decimal mark is refused, never guessed: <c>19,50</c> on an English page could be
    /// nineteen and a half or (grouped) one thousand nine hundred and fifty.
    /// </summary>
    public static TypedAmount ReadAmount(string text, int decimals)
    {
        var point = Culture.NumberFormat.NumberDecimalSeparator;
        var other = point == "." ? "," : ".";
        // Spaces of any kind (Georgian groups thousands with a no-break space) are only grouping.
        var compact = Regex.Replace(text.Trim(), @"[\s\u00A0\u202F]", "");
        if (compact.Contains(other, StringComparison.Ordinal))
        {
            // The other mark is read only as this language's grouping of thousands, and only beside a decimal mark (1,950.00).
            var grouped = Culture.NumberFormat.NumberGroupSeparator == other
                && Regex.IsMatch(compact, @"^\d{1,3}(" + Regex.Escape(other) + @"\d{3})+" + Regex.Escape(point) + @"\d+$");
            if (!grouped) return new(null, "Write the amount with {0} before the cents, like {1}.");
            compact = compact.Replace(other, "", StringComparison.Ordinal);
        }
        var parts = Regex.Match(compact, @"^(\d+)(?:" + Regex.Escape(point) + @"(\d+))?$");
        if (!parts.Success) return new(null, "Not an amount.");
        var integer = parts.Groups[1].Value.TrimStart('0');
        var fraction = parts.Groups[2].Value;
        if (fraction.Length > decimals) return new(null, decimals == 0 ? "Whole units only: this currency has no cents." : "At most {2} digits after {0}.");
        if (integer.Length > 15) return new(null, "Too large.");
        var minor = (integer.Length == 0 ? 0 : long.Parse(integer, CultureInfo.InvariantCulture)) * (long)Math.Pow(10, decimals)
            + (fraction.Length == 0 ? 0 : long.Parse(fraction.PadRight(decimals, '0'), CultureInfo.InvariantCulture));
        return new(minor, null);
    }

    /// <summary>Why an amount was refused, beside its field: <see cref="TypedAmount.Problem"/> filled in with the page's marks.</summary>
    public static string AmountProblem(IStringLocalizer l, string problem, int decimals)
    {
        var point = Culture.NumberFormat.NumberDecimalSeparator;
        var example = 19.5m.ToString("N" + Math.Max(decimals, 0), Culture);
        return l[problem, point == "." ? l["a point"] : l["a comma"], example, decimals];
    }

    /// <summary>An instant in the reader's time zone.</summary>
    public static DateTimeOffset Local(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Zone);

    /// <summary>A day: "3 January 2027" (the year left out when it is this year's), in the reader's time zone.</summary>
    public static string Day(DateTimeOffset at, DateTimeOffset now) => On(at, now).ToString();

    /// <summary>A day as a phrase a template declines: <c>{1:at}</c>, <c>{1:until}</c> in Georgian.</summary>
    public static DatePhrase On(DateTimeOffset at, DateTimeOffset now)
    {
        var local = Local(at);
        return new DatePhrase(local.DateTime, local.Year != Local(now).Year);
    }

    /// <summary>An instant as a phrase a template declines: "3 January 2027, 18:05 UTC+4"; in Georgian <c>{1:until}</c> "3 იანვრამდე (18:05 UTC+4)".</summary>
    public static InstantPhrase At(DateTimeOffset at, DateTimeOffset now)
    {
        var local = Local(at);
        return new InstantPhrase(new DatePhrase(local.DateTime, local.Year != Local(now).Year),
            local.ToString("HH:mm", CultureInfo.InvariantCulture) + " " + ZoneLabel(local.Offset));
    }

    /// <summary>
    /// Writes for another reader until disposed: their language and time zone (an API answer, an email), where a page has the
    /// request's. The reader's before is restored.
    /// </summary>
    public static IDisposable For(CultureInfo culture, TimeZoneInfo zone)
    {
        var before = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture, ReaderZone.Value);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = culture;
        Zone = zone;
        return new Restore(() =>
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (before.CurrentCulture, before.CurrentUICulture);
            ReaderZone.Value = before.Value;
        });
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>An instant: "3 January 2027, 18:05 UTC+4" in the reader's time zone.</summary>
    public static string Instant(DateTimeOffset at)
    {
        var local = Local(at);
        return new DatePhrase(local.DateTime, true) + ", " + local.ToString("HH:mm", CultureInfo.InvariantCulture) + " " + ZoneLabel(local.Offset);
    }

    private static string ZoneLabel(TimeSpan offset) => offset == TimeSpan.Zero
        ? "UTC"
        : "UTC" + (offset < TimeSpan.Zero ? "−" : "+") + offset.Duration().Hours + (offset.Minutes == 0 ? "" : ":" + offset.Duration().Minutes.ToString("00", CultureInfo.InvariantCulture));

    /// <summary>How long <paramref name="span"/> is, in the largest unit it rounds to: "12 days", "5 hours".</summary>
    public static string Span(IStringLocalizer l, TimeSpan span) => Duration(span).ToString();

    /// <summary>
    /// A span rounded to the nearest whole unit (a deadline 4 days 23 hours 59 minutes away is "5 days", as it was
    /// promised; 4 days 2 hours is "4 days"): days from a day and a half up, then hours, then minutes.
    /// </summary>
    public static CountPhrase Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = -span;
        var days = (long)Math.Round(span.TotalDays, MidpointRounding.AwayFromZero);
        if (days >= 2) return new CountPhrase(days, TimeUnit.Day);
        var hours = (long)Math.Round(span.TotalHours, MidpointRounding.AwayFromZero);
        if (hours >= 24) return new CountPhrase(1, TimeUnit.Day);
        if (hours >= 1 && span.TotalMinutes >= 59.5) return new CountPhrase(hours, TimeUnit.Hour);
        return new CountPhrase(Math.Max(1, (long)Math.Round(span.TotalMinutes, MidpointRounding.AwayFromZero)), TimeUnit.Minute);
    }

    /// <summary>A deadline in words: "Protection ends in 12 days, on 3 January", or when it passed.</summary>
    public static string Deadline(IStringLocalizer l, string name, DateTimeOffset at, DateTimeOffset now)
    {
        var day = On(at, now);
        if (at <= now) return l["deadline.passed", l["deadline." + name + ".name"], day];
        return l["deadline." + name, Duration(at - now), day];
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
        var template = Regex.Replace(message, @"\d+(\.\d+)?", m =>
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

    /// <summary>The units a <see cref="CountPhrase"/> counts.</summary>
    public enum TimeUnit { Day, Hour, Minute }

    /// <summary>"5 days"; in Georgian "5 დღე", and by its case: <c>in</c> "5 დღეში", <c>by</c> "5 დღით".</summary>
    public sealed record CountPhrase(long Count, TimeUnit Unit) : IFormattable
    {
        public override string ToString() => ToString(null, null);

        public string ToString(string? format, IFormatProvider? formatProvider)
        {
            var n = Count.ToString("N0", Culture);
            if (!Georgian)
            {
                var unit = Unit switch { TimeUnit.Day => "day", TimeUnit.Hour => "hour", _ => "minute" };
                return Count == 1 ? "1 " + unit : n + " " + unit + "s";
            }
            // After a numeral a Georgian noun stays singular; the case ending goes on the noun: დღე, დღეში, დღით (its e drops).
            var (nominative, within, by) = Unit switch
            {
                TimeUnit.Day => ("დღე", "დღეში", "დღით"),
                TimeUnit.Hour => ("საათი", "საათში", "საათით"),
                _ => ("წუთი", "წუთში", "წუთით"),
            };
            return n + " " + format switch
            {
                "in" => within,
                "by" => by,
                _ => nominative,
            };
        }
    }

    /// <summary>
    /// A phrase with its declined forms written out, for words a template declines like a date: "the deadline"; in Georgian
    /// "დადგენილი ვადა", <c>at</c> "დადგენილ დღეს", <c>until</c> "დადგენილ ვადამდე".
    /// </summary>
    public sealed record DeclinedPhrase(string Nominative, string At, string Until) : IFormattable
    {
        public override string ToString() => Nominative;

        public string ToString(string? format, IFormatProvider? formatProvider) => format switch
        {
            "at" => At,
            "until" => Until,
            _ => Nominative,
        };
    }

    /// <summary>A day and its time: "3 January 2027, 18:05 UTC+4"; in Georgian the day takes its case and the time follows in brackets.</summary>
    public sealed record InstantPhrase(DatePhrase Day, string Time) : IFormattable
    {
        public override string ToString() => ToString(null, null);

        public string ToString(string? format, IFormatProvider? formatProvider) =>
            Georgian ? Day.ToString(format, formatProvider) + " (" + Time + ")" : Day.ToString(format, formatProvider) + ", " + Time;
    }

    /// <summary>
    /// A day, "3 January" or "3 January 2027"; in Georgian "3 იანვარი", "2027 წლის 3 იანვარი", and by its case:
    /// <c>at</c> (dative) "3 იანვარს", <c>until</c> (terminative) "3 იანვრამდე".
    /// </summary>
    public sealed record DatePhrase(DateTime Day, bool WithYear) : IFormattable
    {
        // The months in the nominative, the dative (-ს) and the terminative (-მდე, with the stem's syncope: იანვარ-ი, იანვრ-ამდე).
        private static readonly string[] Nominative = ["იანვარი", "თებერვალი", "მარტი", "აპრილი", "მაისი", "ივნისი", "ივლისი", "აგვისტო", "სექტემბერი", "ოქტომბერი", "ნოემბერი", "დეკემბერი"];
        private static readonly string[] Dative = ["იანვარს", "თებერვალს", "მარტს", "აპრილს", "მაისს", "ივნისს", "ივლისს", "აგვისტოს", "სექტემბერს", "ოქტომბერს", "ნოემბერს", "დეკემბერს"];
        private static readonly string[] Terminative = ["იანვრამდე", "თებერვლამდე", "მარტამდე", "აპრილამდე", "მაისამდე", "ივნისამდე", "ივლისამდე", "აგვისტომდე", "სექტემბრამდე", "ოქტომბრამდე", "ნოემბრამდე", "დეკემბრამდე"];

        public override string ToString() => ToString(null, null);

        public string ToString(string? format, IFormatProvider? formatProvider)
        {
            if (!Georgian) return Day.ToString(WithYear ? "d MMMM yyyy" : "d MMMM", Culture);
            var month = (format switch { "at" => Dative, "until" => Terminative, _ => Nominative })[Day.Month - 1];
            var day = Day.Day.ToString(CultureInfo.InvariantCulture) + " " + month;
            return WithYear ? Day.Year.ToString(CultureInfo.InvariantCulture) + " წლის " + day : day;
        }
    }
}
