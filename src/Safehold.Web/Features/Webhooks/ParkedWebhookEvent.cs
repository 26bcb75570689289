namespace Safehold.Web.Features.Webhooks;

/// <summary>
/// An event an endpoint did not take after every attempt: set aside so that the events after it are delivered, kept until
/// an admin replays it (<c>POST /api/v1/webhook-endpoints/{id}/replay</c>) and the endpoint takes it.
/// </summary>
public sealed class ParkedWebhookEvent
{
    private ParkedWebhookEvent()
    {
        EventId = EventType = LastError = "";
    }

    public ParkedWebhookEvent(Guid id, Guid endpointId, string eventId, string eventType, long txId, long position, string lastError, DateTimeOffset now)
    {
        Id = id;
        EndpointId = endpointId;
        EventId = eventId;
        EventType = eventType;
        TxId = txId;
        Position = position;
        LastError = WebhookEndpoint.Clip(lastError);
        ParkedAt = now;
    }

    public Guid Id { get; private set; }
    public Guid EndpointId { get; private set; }

    /// <summary>The event's id in the log (its cursor, <c>{txId}.{position}</c>), and the same value as its parts, to read it back.</summary>
    public string EventId { get; private set; }
    public string EventType { get; private set; }
    public long TxId { get; private set; }
    public long Position { get; private set; }
    public DateTimeOffset ParkedAt { get; private set; }
    public string LastError { get; private set; }

    /// <summary>When an admin asked for it to be sent again; null while it waits for one.</summary>
    public DateTimeOffset? ReplayRequestedAt { get; private set; }

    public void RequestReplay(DateTimeOffset now) => ReplayRequestedAt = now;

    /// <summary>A replay failed too: it waits for the next request.</summary>
    public void ReplayFailed(string error)
    {
        ReplayRequestedAt = null;
        LastError = WebhookEndpoint.Clip(error);
    }
}

/// <summary>
/// <c>Safehold:Webhooks</c>: how many attempts an event gets before it is parked, how long a rolled secret keeps signing,
/// and whether endpoints may be on private addresses.
/// </summary>
public sealed class WebhookOptions
{
    public const string Section = "Safehold:Webhooks";

    /// <summary>Attempts at one event (with back-off from 10 s doubling to an hour between them) before it is parked.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>How long, in hours, the previous secret keeps signing beside the new one after a roll (0: not at all).</summary>
    public double SecretOverlapHours { get; set; } = 24;

    public TimeSpan SecretOverlap => TimeSpan.FromHours(Math.Max(0, SecretOverlapHours));

    /// <summary>Whether a webhook URL may resolve to loopback, link-local or private addresses (tests, a local receiver).</summary>
    public bool AllowPrivateAddresses { get; set; }
}
