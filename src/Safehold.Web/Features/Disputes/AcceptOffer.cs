using Safehold.Web.Api;

namespace Safehold.Web.Features.Disputes;

/// <summary>The buyer accepts the seller's latest offer.</summary>
public sealed class AcceptOffer(DisputeChange change)
{
    public Task<DisputeResponse> RunAsync(Caller caller, Guid id, CancellationToken ct) =>
        change.RunAsync(caller, id, (d, actor, now) => d.AcceptOffer(actor, now), ct);

    public static void Map(RouteGroupBuilder disputes) =>
        disputes.MapPost("/{id:guid}/accept-offer", async (Guid id, HttpContext http, AcceptOffer useCase, CancellationToken ct) =>
            TypedResults.Ok(await useCase.RunAsync(Caller.From(http.User), id, ct)))
            .WithMetadata(new PreparedAhead()); // the step reads the dispute and its order
}
