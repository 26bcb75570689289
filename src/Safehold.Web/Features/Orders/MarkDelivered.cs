using Safehold.Domain.Ledger;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Orders;

/// <summary>The seller (or an admin) reports the delivery; the order completes on its own some days later.</summary>
public sealed class MarkDelivered(OrderChange change)
{
    public Task<OrderResponse> RunAsync(Caller caller, Guid id, CancellationToken ct) =>
        change.RunAsync(caller, id, (order, actor, now, _) =>
        {
            order.MarkDelivered(actor, now);
            return Task.FromResult<JournalEntry?>(null);
        }, ct);

    public static void Map(RouteGroupBuilder orders) =>
        orders.MapPost("/{id:guid}/mark-delivered", async (Guid id, HttpContext http, MarkDelivered markDelivered, CancellationToken ct) =>
            TypedResults.Ok(await markDelivered.RunAsync(Caller.From(http.User), id, ct)));
}
