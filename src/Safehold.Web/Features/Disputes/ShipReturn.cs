using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Tracking;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// The buyer shipped the item back with a carrier and tracking number. A delivered scan of that number the carrier's feed
/// reported before (<c>POST /tracking-events</c>) starts the seller's days to confirm it at once.
/// </summary>
public sealed class ShipReturn(DisputeChange change, SafeholdDb db)
{
    public sealed record Input([property: StringLength(100)] string? Carrier, [property: StringLength(100)] string? TrackingNumber);

    public Task<DisputeResponse> RunAsync(Caller caller, Guid id, Input input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var carrier = errors.Text("carrier", input.Carrier, Limits.Length<Input>(nameof(Input.Carrier)));
        var tracking = errors.Text("trackingNumber", input.TrackingNumber, Limits.Length<Input>(nameof(Input.TrackingNumber)));
        errors.ThrowIfAny();
        return RunAsync(caller, id, carrier!, tracking!, ct);
    }

    private async Task<DisputeResponse> RunAsync(Caller caller, Guid id, string carrier, string tracking, CancellationToken ct)
    {
        var delivered = (await TrackingScans.OfAsync(db, carrier, tracking, ReportTrackingEvents.Earliest, ct))
            .Where(s => s.Status == TrackingStatus.Delivered).ToList();
        return await change.RunAsync(caller, id, (d, actor, now) =>
        {
            var step = d.ShipReturn(actor, now, carrier, tracking);
            return delivered.FirstOrDefault(s => s.OccurredAt >= d.OpenedAt) is { } scan ? d.ReturnDelivered(now, TrackingScans.Source(scan)) : step;
        }, ct);
    }

    public static void Map(RouteGroupBuilder disputes) =>
        disputes.MapPost("/{id:guid}/return-shipment", async (Guid id, Input input, HttpContext http, ShipReturn useCase, CancellationToken ct) =>
            TypedResults.Ok(await useCase.RunAsync(Caller.From(http.User), id, input, ct)))
            .WithMetadata(new PreparedAhead()); // the step reads the dispute and its order
}
