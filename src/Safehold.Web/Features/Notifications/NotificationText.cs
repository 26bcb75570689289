using Microsoft.Extensions.Localization;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Notifications;

/// <summary>
/// A notification in its reader's words, written when it is read: the kind's subject and body (<c>notice.{kind}</c> and
/// <c>notice.{kind}.body</c> in the portal's strings, a variant after the kind where the words differ) filled in from its
/// <see cref="NoticeValues"/>, money as money and times in the reader's time zone (the ambient culture and
/// <see cref="Words.Zone"/>: the page's, or those <see cref="Words.For"/> sets for an API answer or an email).
/// </summary>
/// <remarks>
/// Every template reads <c>{0}</c> the order's title, <c>{1}</c> the kind's deadline (<see cref="Words.InstantPhrase"/>, declined by
/// its case in Georgian), <c>{2}</c> the order number; <c>{3}</c> and on are the kind's own (<see cref="Arguments"/>).
/// </remarks>
public static class NotificationText
{
    /// <summary>Every kind of notification written today.</summary>
    public static readonly IReadOnlyList<string> Kinds =
    [
        "protection_ending", "ship_by_reminder", "order_message",
        "dispute_opened", "dispute_answered", "dispute_return_requested", "dispute_return_shipped", "dispute_escalated",
        "dispute_appealed", "dispute_resolved", "dispute_withdrawn", "dispute_response_reminder", "dispute_return_reminder",
        "dispute_message", "payout_paid", "payout_failed", "chargeback_opened", "chargeback_decided", "dispute_superseded",
        "dispute_return_delivered",
    ];

    public sealed record Text(string Subject, string Body);

    /// <summary>A stored notification in the reader's words; a row stored as prose (before values) as it was written.</summary>
    public static Text Write(IStringLocalizer l, Notification n, DateTimeOffset now) =>
        n.Values is null ? new(n.Subject ?? "", n.Body ?? "") : Write(l, n.Kind, NoticeValues.Parse(n.Values), n.CreatedAt, now);

    public static Text Write(IStringLocalizer l, string kind, NoticeValues v, DateTimeOffset createdAt, DateTimeOffset now)
    {
        var key = "notice." + kind + (Variant(kind, v) is { } variant ? "." + variant : "");
        // A notice without its deadline's date names "the deadline", declined as the date would have been.
        object deadline = Deadline(kind) is { } name && v.AtOf(name) is { } due
            ? Words.At(due, now)
            : new Words.DeclinedPhrase(l["notice.the deadline"], l["notice.the deadline.at"], l["notice.the deadline.until"]);
        object title = v.TextOf("title") is { } t ? l["notice.quoted", t].Value : l["notice.your order"].Value;
        object[] args = [title, deadline, v.TextOf("orderNumber") ?? "", .. Arguments(l, kind, v, createdAt)];
        var subject = l[key, args];
        var body = l[key + ".body", args];
        if (subject.ResourceNotFound || body.ResourceNotFound) throw new InvalidOperationException($"No words for the notification {key}.");
        return new(subject, body);
    }

    /// <summary>Where a kind's words differ by its values: who wrote, whether it was an offer, whether it can still be appealed.</summary>
    private static string? Variant(string kind, NoticeValues v) => kind switch
    {
        "dispute_answered" => v.TextOf("answer") == "rejected" ? "rejected" : "offer",
        "dispute_escalated" or "dispute_appealed" or "chargeback_opened" => v.TextOf("reader") == "buyer" ? "buyer" : "seller",
        "chargeback_decided" => v.TextOf("outcome") == "released_to_seller" ? "seller" : "buyer",
        "dispute_resolved" => v.TextOf("settled") == "yes" ? "settled" : "decided",
        "order_message" => v.TextOf("from") == "seller" ? "seller" : "buyer",
        _ => null,
    };

    /// <summary>The deadline a kind's words name (one of the order's or the dispute's deadline names).</summary>
    private static string? Deadline(string kind) => kind switch
    {
        "protection_ending" => "protectionEndsAt",
        "ship_by_reminder" => "shipBy",
        "dispute_opened" or "dispute_response_reminder" => "sellerResponseBy",
        "dispute_answered" => "buyerResponseBy",
        "dispute_return_requested" => "returnShipBy",
        "dispute_return_shipped" or "dispute_return_reminder" or "dispute_return_delivered" => "returnReceiptBy",
        "dispute_resolved" => "appealBy",
        "chargeback_opened" => "respondBy",
        _ => null,
    };

    /// <summary>A kind's own arguments, from <c>{3}</c>.</summary>
    private static object[] Arguments(IStringLocalizer l, string kind, NoticeValues v, DateTimeOffset createdAt) => kind switch
    {
        "protection_ending" => [Words.Duration((v.AtOf("protectionEndsAt") ?? createdAt) - createdAt)],
        "dispute_opened" => [Words.Name(l, "reason", v.TextOf("reason") ?? ""), Outcome(l, v, "requestedOutcome", "requestedAmount")],
        "dispute_answered" => [Outcome(l, v, "offerOutcome", "offerAmount")],
        "dispute_return_shipped" or "dispute_return_delivered" => [v.TextOf("carrier") ?? "", v.TextOf("trackingNumber") ?? ""],
        "dispute_resolved" => [Outcome(l, v, "outcome", "refundAmount")],
        "dispute_message" or "order_message" => [v.TextOf("message") ?? ""],
        "payout_paid" => [Money(v, "amount"), v.TextOf("reference") ?? ""],
        "payout_failed" => [Money(v, "amount")],
        _ => [],
    };

    /// <summary>"Partial refund 25.00 USD", "Released to the seller": an outcome in words with its amount, if it has one.</summary>
    private static string Outcome(IStringLocalizer l, NoticeValues v, string outcome, string amount)
    {
        var name = v.TextOf(outcome) is { } o ? Words.Name(l, "outcome", o) : "";
        return v.MoneyOf(amount) is { } m ? (name + " " + Words.Money(m.Amount, m.Currency)).Trim() : name;
    }

    private static string Money(NoticeValues v, string name) => v.MoneyOf(name) is { } m ? Words.Money(m.Amount, m.Currency) : "";
}
