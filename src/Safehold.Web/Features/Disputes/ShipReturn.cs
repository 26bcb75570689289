using System.ComponentModel.DataAnnotations;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Disputes;

/// <summary>The buyer shipped the item back with a carrier and tracking number.</summary>
public sealed class ShipReturn(DisputeChange change)
{
    public sealed record Input([property: StringLength(100)] string? Carrier, [property: StringLength(100)] string? TrackingNumber);

    public Task<DisputeResponse> RunAsync(Caller caller, Guid id, Input input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var carrier = errors.Text("carrier", input.Carrier, Limits.Length<Input>(nameof(Input.Carrier)));
        var tracking = errors.Text("trackingNumber", input.TrackingNumber, Limits.Length<Input>(nameof(Input.TrackingNumber)));
        errors.ThrowIfAny();
        return change.RunAsync(caller, id, (d, actor, now) => d.ShipReturn(actor, now, carrier!, tracking!), ct);
    }

    public static void Map(RouteGroupBuilder disputes) =>
        disputes.MapPost("/{id:guid}/return-shipment", async (Guid id, Input input, HttpContext http, ShipReturn useCase, CancellationToken ct) =>
            TypedResults.Ok(await useCase.RunAsync(Caller.From(http.User), id, input, ct)));
}
