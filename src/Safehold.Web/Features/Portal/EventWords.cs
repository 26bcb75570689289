using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Localization;

namespace Safehold.Web.Features.Portal;

/// <summary>
/// A timeline event's detail in the reader's words. The domain writes details for the record ("partial_refund 4000",
/// "2500 USD", "7 days: reason"); the API keeps them as they are, and the portal reads each event's own shape back into
/// money, outcomes and counts. A detail of an unknown shape is shown as written; an internal one (a discarded timer) not at all.
/// </summary>
public static partial class EventWords
{
    /// <summary>The detail of an order's timeline event, or null when there is nothing to add to the event's name.</summary>
    public static string? Order(IStringLocalizer l, string kind, string? detail)
    {
        if (detail is null) return null;
        switch (kind)
        {
            case "timer_discarded":
                return null;
            case "dispute_opened":
                return Words.Name(l, "reason", detail);
            case "extension_requested" when DaysAndText().Match(detail) is { Success: true } m:
                return Days(m.Groups[1].Value) + ": " + m.Groups[2].Value;
            case "extension_approved" or "extension_auto_approved" when DaysOnly().Match(detail) is { Success: true } m:
                return Days(m.Groups[1].Value);
            case "dispute_released_to_seller":
                return null;
            case "delivered":
                return Scan(l, detail);
            case "dispute_refunded_in_full" or "dispute_refunded_in_part" when MinorAndCode().Match(detail) is { Success: true } m:
                return l["Refunded {0}", Words.Money(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value)];
            default:
                return detail;
        }
    }

    /// <summary>The detail of a dispute's timeline event, or null.</summary>
    public static string? Dispute(IStringLocalizer l, string kind, string? detail, string currency)
    {
        if (detail is null) return null;
        switch (kind)
        {
            case "timer_discarded":
                return null;
            case "opened" when ReasonAndRest().Match(detail) is { Success: true } m:
                return Words.Name(l, "reason", m.Groups[1].Value) + ": " + (Outcome(l, m.Groups[2].Value, currency) ?? m.Groups[2].Value);
            case "return_delivered":
                return Scan(l, detail);
            case "offer_made" or "offer_accepted":
                return Outcome(l, detail, currency) ?? detail;
            case "decided" or "appeal_decided":
                var colon = detail.IndexOf(": ", StringComparison.Ordinal);
                var head = colon < 0 ? detail : detail[..colon];
                return Outcome(l, head, currency) is { } outcome ? outcome + (colon < 0 ? "" : detail[colon..]) : detail;
            default:
                return detail;
        }
    }

    /// <summary>"partial_refund 4000" as "Partial refund 40.00 USD"; null when it is not an outcome.</summary>
    public static string? Outcome(IStringLocalizer l, string text, string currency)
    {
        var m = OutcomeAndAmount().Match(text);
        if (!m.Success) return null;
        var name = Words.Name(l, "outcome", m.Groups[1].Value);
        return m.Groups[2].Success ? name + " " + Words.Money(long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), currency) : name;
    }

    /// <summary>"tracking: DHL JD0142, signed by A. Buyer" (a delivery a carrier's scan reported) in the reader's words.</summary>
    public static string Scan(IStringLocalizer l, string detail)
    {
        var m = TrackingSource().Match(detail);
        if (!m.Success) return detail;
        return m.Groups[2].Success ? l["Carrier's scan: {0}, signed by {1}", m.Groups[1].Value, m.Groups[2].Value] : l["Carrier's scan: {0}", m.Groups[1].Value];
    }

    private static string Days(string n) => Words.Duration(TimeSpan.FromDays(int.Parse(n, CultureInfo.InvariantCulture))).ToString();

    [GeneratedRegex(@"^(\d+) days?: (.*)$", RegexOptions.Singleline)]
    private static partial Regex DaysAndText();

    [GeneratedRegex(@"^tracking: (.+?)(?:, signed by (.+))?$", RegexOptions.Singleline)]
    private static partial Regex TrackingSource();

    [GeneratedRegex(@"^(\d+) days?$")]
    private static partial Regex DaysOnly();

    [GeneratedRegex(@"^(\d+) ([A-Z]{3})$")]
    private static partial Regex MinorAndCode();

    [GeneratedRegex(@"^([a-z_]+): (.*)$", RegexOptions.Singleline)]
    private static partial Regex ReasonAndRest();

    [GeneratedRegex(@"^(full_refund|partial_refund|return_and_refund|released_to_seller)(?: (\d+))?$")]
    private static partial Regex OutcomeAndAmount();
}
