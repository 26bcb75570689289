using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Safehold.Domain.Disputes;
using Safehold.Domain.Policy;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Orders;
using Safehold.Web.Jobs;

namespace Safehold.Web.Features.Disputes;

/// <summary>The buyer opens a dispute on their order, with the policy's dispute terms; the order is frozen until it ends.</summary>
public sealed class OpenDispute(SafeholdDb db, DueTimers timers, DisputeNotices notices, DisputeChange change, TimeProvider clock,
    IOptions<ProtectionPolicy> policy)
{
    public sealed record Input(
        [property: ApiEnum<DisputeReason>] string? Reason,
        [property: ApiEnum<DisputeOutcome>] string? RequestedOutcome,
        [property: ApiOptional] MoneyDto? RequestedAmount,
        [property: StringLength(5000)] string? Description);

    public async Task<DisputeResponse> RunAsync(Caller caller, Guid orderId, Input input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var reason = DisputeChange.Parse<DisputeReason>(errors, "reason", input.Reason);
        var outcome = DisputeChange.Parse<DisputeOutcome>(errors, "requestedOutcome", input.RequestedOutcome);
        var description = errors.Text("description", input.Description, Limits.Length<Input>(nameof(Input.Description)));
        errors.ThrowIfAny();

        return await change.InTransactionAsync(async () =>
        {
            var now = clock.GetUtcNow();
            var order = await timers.LoadForChangeAsync(orderId, caller, now, ct);
            var amount = DisputeChange.Amount(input.RequestedAmount, "requestedAmount", order.Currency);
            var dispute = order.OpenDispute(OrderAccess.ActorOf(order, caller), now, Guid.CreateVersion7(now), reason!.Value, outcome!.Value, amount,
                description!, policy.Value.Disputes);
            db.Disputes.Add(dispute);
            await notices.StepAsync(dispute, caller.Id, now, ct);
            await db.SaveChangesAsync(CancellationToken.None);
            return await DisputeResponse.LoadAsync(db, dispute, order, caller, now, ct);
        }, ct);
    }

    public static void Map(IEndpointRouteBuilder api) =>
        api.MapPost("/orders/{id:guid}/disputes", async (Guid id, Input input, HttpContext http, OpenDispute open, CancellationToken ct) =>
        {
            var dispute = await open.RunAsync(Caller.From(http.User), id, input, ct);
            return TypedResults.Created($"/api/v1/disputes/{dispute.Id}", dispute);
        }).WithTags("Disputes");
}
