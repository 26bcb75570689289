using Safehold.Domain.Ledger;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Orders;

/// <summary>The buyer confirms the order arrived as described: escrow is released to the seller, less commission.</summary>
public sealed class ConfirmReceipt(OrderChange change)
{
    public Task<OrderResponse> RunAsync(Caller caller, Guid id, CancellationToken ct) =>
        change.RunAsync(caller, id, (order, actor, now, _) => Task.FromResult<JournalEntry?>(order.ConfirmReceipt(actor, now)), ct);

    public static void Map(RouteGroupBuilder orders) =>
        orders.MapPost("/{id:guid}/confirm-receipt", async (Guid id, HttpContext http, ConfirmReceipt confirm, CancellationToken ct) =>
            TypedResults.Ok(await confirm.RunAsync(Caller.From(http.User), id, ct)))
            .WithMetadata(new PreparedAhead()); // the step reads nothing but the order
}
