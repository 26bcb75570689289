namespace Safehold.Web.Features.Tracking;

/// <summary>What a carrier's scan says of a parcel. The API spells these in snake case (<c>out_for_delivery</c>).</summary>
public enum TrackingStatus
{
    InTransit,
    OutForDelivery,

    /// <summary>Delivered: reports the delivery of an order's shipment, or starts the seller's window for a returned item.</summary>
    Delivered,

    /// <summary>On its way back to the sender: shown to both parties and the arbiter, changes nothing by itself.</summary>
    Returned,

    /// <summary>The carrier reports a problem (damaged, held, address unknown): shown to both parties and the arbiter.</summary>
    Exception,
}

/// <summary>
/// One scan of a parcel by its carrier, as the platform's tracking feed reported it (<c>POST /api/v1/tracking-events</c>).
/// Scans are kept by their carrier and tracking number, not by order: a scan belongs to whichever shipment (an order's, or
/// a dispute's return) carries that number, whenever it is reported, so a scan that arrives before its shipment is
/// matched once the shipment is reported. The same scan twice (carrier, number, status and time) is one row.
/// </summary>
public sealed class TrackingScan
{
    private TrackingScan()
    {
        Carrier = TrackingNumber = "";
    }

    public TrackingScan(Guid id, string carrier, string trackingNumber, TrackingStatus status, DateTimeOffset occurredAt, string? signedBy,
        string? location, Guid reportedBy, DateTimeOffset receivedAt)
    {
        Id = id;
        Carrier = Normalise(carrier);
        TrackingNumber = Normalise(trackingNumber);
        Status = status;
        OccurredAt = Instant(occurredAt);
        SignedBy = signedBy;
        Location = location;
        ReportedBy = reportedBy;
        ReceivedAt = receivedAt;
    }

    public Guid Id { get; private set; }

    /// <summary>The carrier, trimmed and upper-cased (<see cref="Normalise"/>).</summary>
    public string Carrier { get; private set; }

    /// <summary>The tracking number, trimmed and upper-cased (<see cref="Normalise"/>).</summary>
    public string TrackingNumber { get; private set; }
    public TrackingStatus Status { get; private set; }

    /// <summary>When the carrier scanned the parcel (UTC, whole microseconds): scans are shown in this order, whatever order they came in.</summary>
    public DateTimeOffset OccurredAt { get; private set; }

    /// <summary>For a delivery: who signed for it, if the carrier took a signature.</summary>
    public string? SignedBy { get; private set; }

    /// <summary>Where the carrier scanned it, as the carrier words it.</summary>
    public string? Location { get; private set; }

    /// <summary>The user whose key reported it (the platform's, or an admin's).</summary>
    public Guid ReportedBy { get; private set; }
    public DateTimeOffset ReceivedAt { get; private set; }

    /// <summary>How carriers and tracking numbers are compared: trimmed, upper-cased.</summary>
    public static string Normalise(string text) => text.Trim().ToUpperInvariant();

    /// <summary>An instant as both databases keep it: UTC, whole microseconds (PostgreSQL's precision), so a repeated scan is the same scan.</summary>
    public static DateTimeOffset Instant(DateTimeOffset at) => new(at.UtcTicks - at.UtcTicks % 10, TimeSpan.Zero);
}
