using System.ComponentModel.DataAnnotations;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Disputes;

/// <summary>The seller rejects the buyer's request, saying why; the buyer may then escalate (or withdraw).</summary>
public sealed class Reject(DisputeChange change)
{
    public sealed record Input([property: StringLength(2000)] string? Reason);

    public Task<DisputeResponse> RunAsync(Caller caller, Guid id, Input input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var reason = errors.Text("reason", input.Reason, Limits.Length<Input>(nameof(Input.Reason)));
        errors.ThrowIfAny();
        return change.RunAsync(caller, id, (d, actor, now) => d.Reject(actor, now, reason!), ct);
    }

    public static void Map(RouteGroupBuilder disputes) =>
        disputes.MapPost("/{id:guid}/reject", async (Guid id, Input input, HttpContext http, Reject useCase, CancellationToken ct) =>
            TypedResults.Ok(await useCase.RunAsync(Caller.From(http.User), id, input, ct)))
            .WithMetadata(new PreparedAhead()); // the step reads the dispute and its order
}
