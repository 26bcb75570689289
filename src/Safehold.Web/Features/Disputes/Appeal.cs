using System.ComponentModel.DataAnnotations;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Disputes;

/// <summary>The buyer or the seller appeals the arbiter's decision, once, within its window; a different arbiter decides.</summary>
public sealed class Appeal(DisputeChange change)
{
    public sealed record Input([property: StringLength(2000)] string? Reason);

    public Task<DisputeResponse> RunAsync(Caller caller, Guid id, Input input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var reason = errors.Text("reason", input.Reason, Limits.Length<Input>(nameof(Input.Reason)));
        errors.ThrowIfAny();
        return change.RunAsync(caller, id, (d, actor, now) => d.Appeal(actor, now, reason!), ct);
    }

    public static void Map(RouteGroupBuilder disputes) =>
        disputes.MapPost("/{id:guid}/appeal", async (Guid id, Input input, HttpContext http, Appeal useCase, CancellationToken ct) =>
            TypedResults.Ok(await useCase.RunAsync(Caller.From(http.User), id, input, ct)))
            .WithMetadata(new PreparedAhead()); // the step reads the dispute and its order
}
