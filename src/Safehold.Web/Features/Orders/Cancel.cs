using System.ComponentModel.DataAnnotations;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Orders;

/// <summary>The buyer or the seller cancels before shipment; a paid order is refunded in full at once (its refund owed with the change, sent right after).</summary>
public sealed class Cancel(OrderChange change)
{
    public sealed record Input([property: StringLength(500)] string? Reason = null);

    public Task<OrderResponse> RunAsync(Caller caller, Guid id, Input? input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var reason = errors.Text("reason", input?.Reason, Limits.Length<Input>(nameof(Input.Reason)), required: false);
        errors.ThrowIfAny();
        return change.RunAsync(caller, id, (order, actor, now, _) => Task.FromResult(order.Cancel(actor, now, reason)), ct);
    }

    public static void Map(RouteGroupBuilder orders) =>
        orders.MapPost("/{id:guid}/cancel", async (Guid id, Input? input, HttpContext http, Cancel cancel, CancellationToken ct) =>
            TypedResults.Ok(await cancel.RunAsync(Caller.From(http.User), id, input, ct)))
            // The step reads nothing but the order; a paid order's refund is an instruction written with it, sent afterwards.
            .WithMetadata(new PreparedAhead());
}
