namespace Safehold.Web.Features.Chargebacks;

/// <summary>
/// A provider event Safehold has applied, under the provider's own event id: the same id again answers this first
/// result and changes nothing. An event that was refused (an unknown order, a decision before its chargeback) is not
/// recorded, so the provider's retry is applied once the event it depends on has arrived.
/// </summary>
public sealed class PaymentEvent
{
    private PaymentEvent()
    {
        Id = Type = RequestHash = Result = "";
    }

    public PaymentEvent(string id, string type, Guid orderId, Guid disputeId, string result, Guid receivedBy, string requestHash, DateTimeOffset receivedAt)
    {
        Id = id;
        Type = type;
        OrderId = orderId;
        DisputeId = disputeId;
        Result = result;
        ReceivedBy = receivedBy;
        RequestHash = requestHash;
        ReceivedAt = receivedAt;
    }

    /// <summary>The provider's id of the event.</summary>
    public string Id { get; private set; }

    /// <summary><c>chargeback.opened</c>, <c>chargeback.won</c> or <c>chargeback.lost</c>.</summary>
    public string Type { get; private set; }
    public Guid OrderId { get; private set; }

    /// <summary>The chargeback's dispute the event opened or decided.</summary>
    public Guid DisputeId { get; private set; }

    /// <summary>The dispute's status after the event: <c>under_review</c> or <c>resolved</c>.</summary>
    public string Result { get; private set; }

    /// <summary>The user whose key reported it (the platform's, or an admin's).</summary>
    public Guid ReceivedBy { get; private set; }

    /// <summary>A hash of the event as reported: the same id with other content is refused.</summary>
    public string RequestHash { get; private set; }
    public DateTimeOffset ReceivedAt { get; private set; }
}
