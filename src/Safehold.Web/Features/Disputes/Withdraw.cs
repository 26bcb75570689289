using Safehold.Web.Api;

namespace Safehold.Web.Features.Disputes;

/// <summary>The buyer withdraws the dispute; the order continues where it was.</summary>
public sealed class Withdraw(DisputeChange change)
{
    public Task<DisputeResponse> RunAsync(Caller caller, Guid id, CancellationToken ct) =>
        change.RunAsync(caller, id, (d, actor, now) => d.Withdraw(actor, now), ct);

    public static void Map(RouteGroupBuilder disputes) =>
        disputes.MapPost("/{id:guid}/withdraw", async (Guid id, HttpContext http, Withdraw useCase, CancellationToken ct) =>
            TypedResults.Ok(await useCase.RunAsync(Caller.From(http.User), id, ct)))
            .WithMetadata(new PreparedAhead()); // the step reads the dispute and its order
}
