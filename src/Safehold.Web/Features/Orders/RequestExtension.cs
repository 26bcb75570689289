using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Orders;

/// <summary>The buyer asks for more protection time; the seller has some days to answer, and silence approves.</summary>
public sealed class RequestExtension(OrderChange change)
{
    public sealed record Input(int? Days, string? Reason);

    public Task<ExtensionResponse> RunAsync(Caller caller, Guid id, Input input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var days = errors.Range("days", input.Days, 1, int.MaxValue, required: true);
        var reason = errors.Text("reason", input.Reason, 500);
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
