using System.ComponentModel.DataAnnotations;
using Safehold.Domain.Disputes;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Disputes;

/// <summary>The seller offers a partial refund or a return and refund instead.</summary>
public sealed class CounterOffer(DisputeChange change)
{
    public sealed record Input([property: ApiEnum<DisputeOutcome>] string? Outcome, [property: ApiOptional] MoneyDto? Amount, [property: StringLength(2000)] string? Message);

    public Task<DisputeResponse> RunAsync(Caller caller, Guid id, Input input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var outcome = DisputeChange.Parse<DisputeOutcome>(errors, "outcome", input.Outcome);
        var message = errors.Text("message", input.Message, Limits.Length<Input>(nameof(Input.Message)));
        errors.ThrowIfAny();
        return change.RunAsync(caller, id, (d, actor, now) => d.CounterOffer(actor, now, outcome!.Value, DisputeChange.Amount(input.Amount, "amount", d.Currency), message!), ct);
    }

    public static void Map(RouteGroupBuilder disputes) =>
        disputes.MapPost("/{id:guid}/counter-offer", async (Guid id, Input input, HttpContext http, CounterOffer useCase, CancellationToken ct) =>
            TypedResults.Ok(await useCase.RunAsync(Caller.From(http.User), id, input, ct)))
            .WithMetadata(new PreparedAhead()); // the step reads the dispute and its order
}
