using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Safehold.Web.Features.Events;

namespace Safehold.Web.Features.Webhooks;

/// <summary>
/// Where an integrator wants the event log pushed: a URL, the event types it wants, and the secret its deliveries are
/// signed with. It reads the log like any reader, from its own place in it, one event per delivery and in order; a
/// failed delivery is retried with back-off, and nothing after it is sent until it succeeds or, after the configured
/// number of attempts (<see cref="WebhookOptions.MaxAttempts"/>), is parked (<see cref="ParkedWebhookEvent"/>): the
/// endpoint is then marked failing and goes on with the events after it; an admin replays what was parked.
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

    /// <summary>The secret before the last roll, still signing beside the new one until <see cref="PreviousSecretUntil"/>.</summary>
    public string? PreviousSecret { get; private set; }
    public DateTimeOffset? PreviousSecretUntil { get; private set; }

    /// <summary>Since when an event has been parked after its last attempt failed; null once every parked event was replayed.</summary>
    public DateTimeOffset? FailingSince { get; private set; }
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

    /// <summary>
    /// A delivery failed: the same event is tried again after a delay that doubles, from 10 seconds up to an hour; true
    /// when that was its last attempt (the <paramref name="maxAttempts"/>th), and the caller parks it and goes on.
    /// </summary>
    public bool Failed(string error, DateTimeOffset now, int maxAttempts)
    {
        FailedAttempts++;
        LastError = Clip(error);
        if (FailedAttempts >= maxAttempts)
        {
            FailedAttempts = 0;
            FailingSince ??= now;
            NextAttemptAt = now;
            return true;
        }
        NextAttemptAt = now + RetryDelay(FailedAttempts);
        return false;
    }

    /// <summary>A parked event was delivered on replay: counted, and the place in the log stays where it is.</summary>
    public void Replayed(DateTimeOffset now)
    {
        Delivered++;
        LastDeliveredAt = now;
    }

    /// <summary>Every parked event was delivered again: the endpoint is no longer failing.</summary>
    public void Recovered() => FailingSince = null;

    /// <summary>A new signing secret; the old one keeps signing beside it until <paramref name="now"/> + <paramref name="overlap"/>.</summary>
    public void RollSecret(string secret, DateTimeOffset now, TimeSpan overlap)
    {
        PreviousSecret = overlap > TimeSpan.Zero ? Secret : null;
        PreviousSecretUntil = overlap > TimeSpan.Zero ? now + overlap : null;
        Secret = secret;
    }

    /// <summary>The secrets a delivery at <paramref name="now"/> is signed with: the current one, then the previous while it overlaps.</summary>
    public IReadOnlyList<string> SigningSecrets(DateTimeOffset now) =>
        PreviousSecret is not null && PreviousSecretUntil > now ? [Secret, PreviousSecret] : [Secret];

    public static string Clip(string error) => error.Length > 500 ? error[..500] : error;

    public static TimeSpan RetryDelay(int failedAttempts) =>
        TimeSpan.FromSeconds(Math.Min(3600, 10 * Math.Pow(2, Math.Min(failedAttempts - 1, 20))));

    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool IsPattern(string pattern) => PatternRegex().IsMatch(pattern);

    [GeneratedRegex("^(\\*|[a-z_]+\\.(\\*|[a-z_]+))$")]
    private static partial Regex PatternRegex();
}
