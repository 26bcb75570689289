using System.ComponentModel.DataAnnotations;
using Safehold.Domain.Disputes;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Disputes;

/// <summary>An arbiter decides, with a rationale; never on an order they are a party to, nor the appeal of their own decision.</summary>
public sealed class Decide(DisputeChange change)
{
    public sealed record Input([property: ApiEnum<DisputeOutcome>] string? Outcome, [property: ApiOptional] MoneyDto? RefundAmount, [property: StringLength(5000)] string? Rationale);

    public Task<DisputeResponse> RunAsync(Caller caller, Guid id, Input input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var outcome = DisputeChange.Parse<DisputeOutcome>(errors, "outcome", input.Outcome);
        var rationale = errors.Text("rationale", input.Rationale, Limits.Length<Input>(nameof(Input.Rationale)));
        errors.ThrowIfAny();
        return change.RunAsync(caller, id, (d, actor, now) => d.Decide(actor, now, outcome!.Value, DisputeChange.Amount(input.RefundAmount, "refundAmount", d.Currency), rationale!), ct);
    }

    public static void Map(RouteGroupBuilder disputes) =>
        disputes.MapPost("/{id:guid}/decision", async (Guid id, Input input, HttpContext http, Decide useCase, CancellationToken ct) =>
            TypedResults.Ok(await useCase.RunAsync(Caller.From(http.User), id, input, ct)))
            .WithMetadata(new PreparedAhead()); // the step reads the dispute and its order
}
