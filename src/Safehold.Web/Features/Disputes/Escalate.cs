using Safehold.Web.Api;

namespace Safehold.Web.Features.Disputes;

/// <summary>The buyer or the seller takes the dispute to the platform, once the seller has answered.</summary>
public sealed class Escalate(DisputeChange change)
{
    public Task<DisputeResponse> RunAsync(Caller caller, Guid id, CancellationToken ct) =>
        change.RunAsync(caller, id, (d, actor, now) => d.Escalate(actor, now), ct);

    public static void Map(RouteGroupBuilder disputes) =>
        disputes.MapPost("/{id:guid}/escalate", async (Guid id, HttpContext http, Escalate useCase, CancellationToken ct) =>
            TypedResults.Ok(await useCase.RunAsync(Caller.From(http.User), id, ct)))
            .WithMetadata(new PreparedAhead()); // the step reads the dispute and its order
}
