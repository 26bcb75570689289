using Safehold.Domain.Ledger;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Orders;

/// <summary>The seller approves (protection ends later by its days) or declines the buyer's waiting extension request.</summary>
public sealed class AnswerExtension(OrderChange change)
{
    public Task<OrderResponse> RunAsync(Caller caller, Guid id, Guid extensionId, bool approve, CancellationToken ct) =>
        change.RunAsync(caller, id, (order, actor, now, _) =>
        {
            if (order.Extensions.All(e => e.Id != extensionId)) throw Problems.NotFound("Extension request");
            if (approve) order.ApproveExtension(actor, now, extensionId);
            else order.DeclineExtension(actor, now, extensionId);
            return Task.FromResult<JournalEntry?>(null);
        }, ct);

    public static void Map(RouteGroupBuilder orders)
    {
        orders.MapPost("/{id:guid}/protection-extensions/{extensionId:guid}/approve",
            async (Guid id, Guid extensionId, HttpContext http, AnswerExtension answer, CancellationToken ct) =>
                TypedResults.Ok(await answer.RunAsync(Caller.From(http.User), id, extensionId, approve: true, ct)));
        orders.MapPost("/{id:guid}/protection-extensions/{extensionId:guid}/decline",
            async (Guid id, Guid extensionId, HttpContext http, AnswerExtension answer, CancellationToken ct) =>
                TypedResults.Ok(await answer.RunAsync(Caller.From(http.User), id, extensionId, approve: false, ct)));
    }
}
