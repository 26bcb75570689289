using Safehold.Web.Api;

namespace Safehold.Web.Features.Disputes;

/// <summary>The seller accepts the buyer's request: a refund settles at once; a return starts with the buyer shipping the item back.</summary>
public sealed class AcceptRequest(DisputeChange change)
{
    public Task<DisputeResponse> RunAsync(Caller caller, Guid id, CancellationToken ct) =>
        change.RunAsync(caller, id, (d, actor, now) => d.Accept(actor, now), ct);

    public static void Map(RouteGroupBuilder disputes) =>
        disputes.MapPost("/{id:guid}/accept", async (Guid id, HttpContext http, AcceptRequest useCase, CancellationToken ct) =>
            TypedResults.Ok(await useCase.RunAsync(Caller.From(http.User), id, ct)))
            .WithMetadata(new PreparedAhead()); // the step reads the dispute and its order
}
