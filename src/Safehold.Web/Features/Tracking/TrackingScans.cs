using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Domain.Process;
using Safehold.Web.Api;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Tracking;

/// <summary>One carrier scan as a party or the arbiter reads it, on an order's (or a dispute's return) shipment.</summary>
/// <param name="Shipment"><c>order</c>: the seller's shipment to the buyer; <c>return</c>: the buyer's shipment of a dispute's item back.</param>
public sealed record TrackingScanResponse(
    string Carrier,
    string TrackingNumber,
    [property: ApiEnum<TrackingStatus>] string Status,
    DateTimeOffset OccurredAt,
    string? SignedBy,
    string? Location,
    [property: ApiValues(TrackingScans.OrderShipment, TrackingScans.ReturnShipment)] string Shipment)
{
    public static TrackingScanResponse Of(TrackingScan s, string shipment) =>
        new(s.Carrier, s.TrackingNumber, ProcessNames.Of(s.Status), s.OccurredAt, s.SignedBy, s.Location, shipment);
}

/// <summary>
/// Which scans belong to which shipment: those with its carrier and tracking number (compared as <see cref="TrackingScan.Normalise"/>
/// does) that the carrier made after the order was placed (for a return, after its dispute opened), so a number a carrier
/// used once before never reports anything on a new order.
/// </summary>
public static class TrackingScans
{
    public const string OrderShipment = "order", ReturnShipment = "return";

    /// <summary>
    /// The scans of a shipment, oldest first by when the carrier made them: the one read of them. A compiled query, since an
    /// order's answer after it ships reads them, and a shipment is checked for a delivery, on every ship, confirm and More
    /// details (composed per request, EF Core's building of the query cost more than running it); a shipment has a few
    /// scans, so a caller looking for one picks it from them.
    /// </summary>
    public static Task<List<TrackingScan>> OfAsync(SafeholdDb db, string carrier, string trackingNumber, DateTimeOffset since, CancellationToken ct) =>
        // Scans are kept to the microsecond: one made the same instant as since counts.
        Scans(db, TrackingScan.Normalise(carrier), TrackingScan.Normalise(trackingNumber), TrackingScan.Instant(since)).ToListAsync(ct).AsTask();

    private static readonly Func<SafeholdDb, string, string, DateTimeOffset, IAsyncEnumerable<TrackingScan>> Scans = EF.CompileAsyncQuery<SafeholdDb, string, string, DateTimeOffset, TrackingScan>(
        (db, c, n, from) =>
            db.TrackingScans.AsNoTracking().Where(s => s.Carrier == c && s.TrackingNumber == n && s.OccurredAt >= from).OrderBy(s => s.OccurredAt));

    /// <summary>
    /// The orders a scan is of: shipped under its carrier and tracking number (both <see cref="TrackingScan.Normalise"/>d, as the
    /// scan's are) and placed by <paramref name="until"/>. The condition is the expression of the index
    /// <c>IX_Orders_TrackingNumber_Upper</c> (migration <c>TrackingNumberIndexes</c>): keep the two alike, or every scan reads
    /// every order.
    /// </summary>
    public static IQueryable<Order> OrdersShippedAs(SafeholdDb db, string carrier, string trackingNumber, DateTimeOffset until) =>
        db.Orders.AsNoTracking().Where(o => o.TrackingNumber != null && o.Carrier != null
            && o.TrackingNumber.ToUpper() == trackingNumber && o.Carrier.ToUpper() == carrier && o.CreatedAt <= until);

    /// <summary>
    /// The disputes whose return a scan is of, as <see cref="OrdersShippedAs"/> (index <c>IX_Disputes_ReturnTrackingNumber_Upper</c>),
    /// opened by <paramref name="until"/>.
    /// </summary>
    public static IQueryable<Dispute> ReturnsSentAs(SafeholdDb db, string carrier, string trackingNumber, DateTimeOffset until) =>
        db.Disputes.AsNoTracking().Where(d => d.ReturnTrackingNumber != null && d.ReturnCarrier != null
            && d.ReturnTrackingNumber.ToUpper() == trackingNumber && d.ReturnCarrier.ToUpper() == carrier && d.OpenedAt <= until);

    /// <summary>Scans as a timeline: by when they happened, and scans of one instant in the parcel's order (in transit before delivered).</summary>
    public static IReadOnlyList<TrackingScanResponse> Timeline(IEnumerable<TrackingScan> scans, string shipment) =>
        scans.OrderBy(s => s.OccurredAt).ThenBy(s => (int)s.Status).Select(s => TrackingScanResponse.Of(s, shipment)).ToList();

    /// <summary>The scans of an order's shipment (none before it ships), oldest first.</summary>
    public static async Task<IReadOnlyList<TrackingScanResponse>> ForOrderAsync(SafeholdDb db, Order o, CancellationToken ct) =>
        o.Carrier is { } carrier && o.TrackingNumber is { } number
            ? Timeline(await OfAsync(db, carrier, number, o.CreatedAt, ct), OrderShipment)
            : [];

    /// <summary>The scans of a dispute's return shipment (none before the buyer reports it), oldest first.</summary>
    public static async Task<IReadOnlyList<TrackingScanResponse>> ForReturnAsync(SafeholdDb db, Dispute d, CancellationToken ct) =>
        d.ReturnCarrier is { } carrier && d.ReturnTrackingNumber is { } number
            ? Timeline(await OfAsync(db, carrier, number, d.OpenedAt, ct), ReturnShipment)
            : [];

    /// <summary>The first scan showing a shipment delivered, if the carrier has reported one.</summary>
    public static async Task<TrackingScan?> DeliveredAsync(SafeholdDb db, string carrier, string trackingNumber, DateTimeOffset since, CancellationToken ct) =>
        (await OfAsync(db, carrier, trackingNumber, since, ct)).FirstOrDefault(s => s.Status == TrackingStatus.Delivered);

    /// <summary>
    /// The first delivered scan with a signature on the order's shipment: the arbiter sees it beside a <c>not_received</c>
    /// dispute, whose buyer says the parcel never came.
    /// </summary>
    public static async Task<TrackingScanResponse?> SignedDeliveryAsync(SafeholdDb db, Order o, CancellationToken ct) =>
        o.Carrier is { } carrier && o.TrackingNumber is { } number
        && (await OfAsync(db, carrier, number, o.CreatedAt, ct)).FirstOrDefault(s => s.Status == TrackingStatus.Delivered && s.SignedBy != null) is { } scan
            ? TrackingScanResponse.Of(scan, OrderShipment)
            : null;

    /// <summary>How a delivery reported by a scan reads in the order's (or dispute's) timeline: <c>tracking: DHL 123, signed by A. Buyer</c>.</summary>
    public static string Source(TrackingScan s) =>
        $"tracking: {s.Carrier} {s.TrackingNumber}" + (s.SignedBy is { } signer ? $", signed by {signer}" : "");
}
