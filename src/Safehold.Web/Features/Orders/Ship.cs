using System.ComponentModel.DataAnnotations;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Tracking;

namespace Safehold.Web.Features.Orders;

/// <summary>
/// The seller ships with a carrier and tracking number; the buyer's protection starts. A delivered scan the carrier's
/// feed reported before the shipment was (<c>POST /tracking-events</c>) reports the delivery at once, by the system.
/// </summary>
public sealed class Ship(OrderChange change, SafeholdDb db)
{
    public sealed record Input([property: StringLength(100)] string? Carrier, [property: StringLength(100)] string? TrackingNumber);

    public Task<OrderResponse> RunAsync(Caller caller, Guid id, Input input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var carrier = errors.Text("carrier", input.Carrier, Limits.Length<Input>(nameof(Input.Carrier)));
        var tracking = errors.Text("trackingNumber", input.TrackingNumber, Limits.Length<Input>(nameof(Input.TrackingNumber)));
        errors.ThrowIfAny();
        var deliveredScan = false;
        return change.RunAsync(caller, id, async (order, actor, now, ct) =>
        {
            order.Ship(actor, now, carrier!, tracking!);
            if (await TrackingScans.DeliveredAsync(db, carrier!, tracking!, order.CreatedAt, ct) is { } delivered)
            {
                deliveredScan = true;
                order.MarkDelivered(Actor.System, now, TrackingScans.Source(delivered));
            }
            return (JournalEntry?)null;
        }, ct,
        // Prepared ahead of the write lock: a delivered scan reported meanwhile would be missed, so it is looked for again.
        stillTrue: async (on, order, ct) => deliveredScan || await TrackingScans.DeliveredAsync(on, carrier!, tracking!, order.CreatedAt, ct) is null);
    }

    public static void Map(RouteGroupBuilder orders) =>
        orders.MapPost("/{id:guid}/ship", async (Guid id, Input input, HttpContext http, Ship ship, CancellationToken ct) =>
            TypedResults.Ok(await ship.RunAsync(Caller.From(http.User), id, input, ct)))
            .WithMetadata(new PreparedAhead());
}
