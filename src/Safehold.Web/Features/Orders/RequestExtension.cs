using System.ComponentModel.DataAnnotations;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Orders;

/// <summary>The buyer asks for more protection time; the seller has some days to answer, and silence approves.</summary>
public sealed class RequestExtension(OrderChange change)
{
    /// <param name="Days">At least 1, and no more than the order's terms allow (its <c>maxExtensionDays</c>, less what was granted).</param>
    public sealed record Input([property: Range(1, int.MaxValue)] int? Days, [property: StringLength(500)] string? Reason);

    public Task<ExtensionResponse> RunAsync(Caller caller, Guid id, Input input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var days = errors.Range("days", input.Days, Limits.Min<Input>(nameof(Input.Days)), Limits.Max<Input>(nameof(Input.Days)), required: true);
        var reason = errors.Text("reason", input.Reason, Limits.Length<Input>(nameof(Input.Reason)));
        errors.ThrowIfAny();
        ProtectionExtension? extension = null;
        return change.RunAsync(caller, id, (order, actor, now, _) =>
        {
            extension = order.RequestExtension(actor, now, Guid.CreateVersion7(now), days!.Value, reason!);
            return Task.FromResult<JournalEntry?>(null);
        }, (_, _) => Task.FromResult(ExtensionResponse.From(extension!)), ct);
    }

    public static void Map(RouteGroupBuilder orders) =>
        orders.MapPost("/{id:guid}/protection-extensions", async (Guid id, Input input, HttpContext http, RequestExtension request, CancellationToken ct) =>
        {
            var extension = await request.RunAsync(Caller.From(http.User), id, input, ct);
            return TypedResults.Created($"/api/v1/orders/{id}", extension);
        });
}
