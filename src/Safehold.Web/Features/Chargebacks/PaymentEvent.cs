namespace Safehold.Web.Features.Chargebacks;

/// <summary>
/// A provider event Safehold has applied, under the provider's own event id: the same id again answers this first
/// result and changes nothing. An event that was refused (an unknown order, a decision before its chargeback, a failure
/// of a refund that has not been sent) is not recorded, so the provider's retry is applied once the event it depends on
/// has arrived. A chargeback event names its order and dispute; a <c>refund.failed</c> or <c>payout.failed</c> its
/// payment instruction (and a refund's order).
/// </summary>
public sealed class PaymentEvent
{
    private PaymentEvent()
    {
        Id = Type = RequestHash = Result = "";
    }

    public PaymentEvent(string id, string type, Guid? orderId, Guid? disputeId, Guid? instructionId, string result, Guid receivedBy, string requestHash,
        DateTimeOffset receivedAt)
    {
        Id = id;
        Type = type;
        OrderId = orderId;
        DisputeId = disputeId;
        InstructionId = instructionId;
        Result = result;
        ReceivedBy = receivedBy;
        RequestHash = requestHash;
        ReceivedAt = receivedAt;
    }

    /// <summary>The provider's id of the event.</summary>
    public string Id { get; private set; }

    /// <summary><c>chargeback.opened</c>, <c>chargeback.won</c>, <c>chargeback.lost</c>, <c>refund.failed</c> or <c>payout.failed</c>.</summary>
    public string Type { get; private set; }

    /// <summary>The order it concerns; none for a payout's failure.</summary>
    public Guid? OrderId { get; private set; }

    /// <summary>The chargeback's dispute the event opened or decided.</summary>
    public Guid? DisputeId { get; private set; }

    /// <summary>The refund or payout instruction a failure event took back.</summary>
    public Guid? InstructionId { get; private set; }

    /// <summary>After the event: the dispute's status (<c>under_review</c>, <c>resolved</c>), or the instruction's (<c>failed</c>).</summary>
    public string Result { get; private set; }

    /// <summary>The user whose key reported it (the platform's, or an admin's).</summary>
    public Guid ReceivedBy { get; private set; }

    /// <summary>A hash of the event as reported: the same id with other content is refused.</summary>
    public string RequestHash { get; private set; }
    public DateTimeOffset ReceivedAt { get; private set; }
}
