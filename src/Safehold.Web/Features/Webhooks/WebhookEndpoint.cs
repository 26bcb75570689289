using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Safehold.Web.Features.Events;

namespace Safehold.Web.Features.Webhooks;

/// <summary>
/// Where an integrator wants the event log pushed: a URL, the event types it wants, and the secret its deliveries are
/// signed with. It reads the log like any reader, from its own place in it, one event per delivery and in order; a
/// failed delivery is retried with back-off, and nothing after it is sent until it succeeds.
/// </summary>
public sealed partial class WebhookEndpoint
{
    private WebhookEndpoint()
    {
        Url = EventTypes = Secret = "";
    }

    public WebhookEndpoint(Guid id, string url, IEnumerable<string> eventTypes, string secret, EventCursor from, Guid createdBy, DateTimeOffset now)
    {
        Id = id;
        Url = url;
        EventTypes = string.Join(',', eventTypes);
        Secret = secret;
        CursorTxId = from.TxId;
        CursorPosition = from.Position;
        CreatedBy = createdBy;
        CreatedAt = now;
        NextAttemptAt = now;
    }

    public Guid Id { get; private set; }
    public string Url { get; private set; }

    /// <summary>Comma-separated patterns: <c>*</c>, <c>order.*</c> or an exact type such as <c>order.paid</c>.</summary>
    public string EventTypes { get; private set; }

    /// <summary>The signing secret. Kept as it is: signing needs it, and the integrator holds the same value.</summary>
    public string Secret { get; private set; }
    public Guid CreatedBy { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>The last event delivered (or skipped as not wanted).</summary>
    public long CursorTxId { get; private set; }
    public long CursorPosition { get; private set; }

    /// <summary>Failed attempts at the event after the cursor; 0 when the last attempt succeeded.</summary>
    public int FailedAttempts { get; private set; }
    public DateTimeOffset NextAttemptAt { get; private set; }

    /// <summary>Until when one host is delivering for this endpoint; other hosts leave it alone until then.</summary>
    public DateTimeOffset? LeaseUntil { get; private set; }
    public long Delivered { get; private set; }
    public DateTimeOffset? LastDeliveredAt { get; private set; }
    public string? LastError { get; private set; }

    public EventCursor Cursor => new(CursorTxId, CursorPosition);

    public IReadOnlyList<string> Patterns => EventTypes.Split(',', StringSplitOptions.RemoveEmptyEntries);

    public bool Wants(string type) => Patterns.Any(p => p == "*" || p == type || (p.EndsWith(".*", StringComparison.Ordinal) && type.StartsWith(p[..^1], StringComparison.Ordinal)));

    /// <summary>Moves the place past an event: delivered, or not wanted.</summary>
    public void Passed(EventCursor cursor, bool delivered, DateTimeOffset now)
    {
        CursorTxId = cursor.TxId;
        CursorPosition = cursor.Position;
        if (!delivered) return;
        Delivered++;
        LastDeliveredAt = now;
        FailedAttempts = 0;
        LastError = null;
    }

    /// <summary>A delivery failed: the same event is tried again after a delay that doubles, from 10 seconds up to an hour.</summary>
    public void Failed(string error, DateTimeOffset now)
    {
        FailedAttempts++;
        LastError = error.Length > 500 ? error[..500] : error;
        NextAttemptAt = now + RetryDelay(FailedAttempts);
    }

    public static TimeSpan RetryDelay(int failedAttempts) =>
        TimeSpan.FromSeconds(Math.Min(3600, 10 * Math.Pow(2, Math.Min(failedAttempts - 1, 20))));

    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool IsPattern(string pattern) => PatternRegex().IsMatch(pattern);

    [GeneratedRegex("^(\\*|[a-z_]+\\.(\\*|[a-z_]+))$")]
    private static partial Regex PatternRegex();
}
