using Safehold.Web.Api;

namespace Safehold.Web.Features.Disputes;

/// <summary>The seller confirms the returned item arrived: the buyer is refunded in full.</summary>
public sealed class ConfirmReturn(DisputeChange change)
{
    public Task<DisputeResponse> RunAsync(Caller caller, Guid id, CancellationToken ct) =>
        change.RunAsync(caller, id, (d, actor, now) => d.ConfirmReturn(actor, now), ct);

    public static void Map(RouteGroupBuilder disputes) =>
        disputes.MapPost("/{id:guid}/confirm-return", async (Guid id, HttpContext http, ConfirmReturn useCase, CancellationToken ct) =>
            TypedResults.Ok(await useCase.RunAsync(Caller.From(http.User), id, ct)))
            .WithMetadata(new PreparedAhead()); // the step reads the dispute and its order
}
