using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Safehold.Domain.Disputes;
using Safehold.Domain.Policy;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Orders;
using Safehold.Web.Jobs;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// The buyer opens a dispute on their order, with the policy's dispute terms; the order is frozen until it ends. A change
/// of the order (<see cref="OrderChange"/>): prepared ahead of the write lock on the API.
/// </summary>
public sealed class OpenDispute(SafeholdDb db, DisputeNotices notices, OrderChange change, IOptions<ProtectionPolicy> policy)
{
    /// <summary>One item a dispute claims: an order item's <c>itemId</c> (as <c>GET /api/v1/orders/{id}</c> lists it) and how many of it.</summary>
    /// <param name="ItemId">The order item's <c>itemId</c>; an item of another order is unknown (400 <c>unknown_item</c>).</param>
    /// <param name="Quantity">How many of the item are claimed: 1 to what was bought (400 <c>quantity_out_of_range</c>).</param>
    public sealed record ItemInput(Guid? ItemId, [property: Range(1, PlaceOrder.MaxQuantity)] int? Quantity);

    /// <param name="Items">
    /// Optional: the items the dispute claims, each once (400 <c>duplicate_item</c>). None named means the whole order. A dispute
    /// naming items claims at most their value (unit price × quantity): the requested amount is capped by it, and a full refund
    /// is that value. On items worth less than the total, only that value stays in escrow while the dispute runs (after
    /// completion it is taken back from the seller's pending credit); the rest of the order goes on by its own clock (confirm
    /// receipt or protection's end releases it; the end of the dispute window makes it available).
    /// </param>
    public sealed record Input(
        [property: ApiEnum<DisputeReason>] string? Reason,
        [property: ApiEnum<DisputeOutcome>] string? RequestedOutcome,
        [property: ApiOptional] MoneyDto? RequestedAmount,
        [property: StringLength(5000)] string? Description,
        [property: ApiOptional] IReadOnlyList<ItemInput>? Items = null);

    public async Task<DisputeResponse> RunAsync(Caller caller, Guid orderId, Input input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var reason = DisputeChange.Parse<DisputeReason>(errors, "reason", input.Reason);
        var outcome = DisputeChange.Parse<DisputeOutcome>(errors, "requestedOutcome", input.RequestedOutcome);
        var description = errors.Text("description", input.Description, Limits.Length<Input>(nameof(Input.Description)));
        var items = Items(errors, input.Items);
        errors.ThrowIfAny();

        Dispute? opened = null;
        return await change.RunAsync(caller, orderId, async (order, actor, now, ct) =>
        {
            var amount = DisputeChange.Amount(input.RequestedAmount, "requestedAmount", order.Currency);
            var (dispute, entry) = order.OpenDisputeWithEntry(actor, now, Guid.CreateVersion7(now), reason!.Value, outcome!.Value, amount,
                description!, policy.Value.Disputes, items);
            db.Disputes.Add(opened = dispute);
            await notices.StepAsync(dispute, caller.Id, now, ct);
            return entry; // a per-item dispute after completion takes its part back into escrow
        }, (order, now) => DisputeResponse.LoadAsync(db, opened!, order, caller, now, CancellationToken.None), ct);
    }

    /// <summary>The items named, each with an id and a quantity; whether they are this order's, once, and not more than bought is the order's rule.</summary>
    private static List<(Guid ItemId, int Quantity)>? Items(InputErrors errors, IReadOnlyList<ItemInput>? items)
    {
        if (items is null) return null;
        if (items.Count > PlaceOrder.MaxItems)
        {
            errors.Add("items", $"At most {PlaceOrder.MaxItems} items.");
            return null;
        }
        var named = new List<(Guid, int)>();
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not { ItemId: { } id, Quantity: { } quantity } || id == Guid.Empty)
            {
                if (items[i]?.ItemId is null || items[i]!.ItemId == Guid.Empty) errors.Add($"items[{i}].itemId", "Required.");
                if (items[i]?.Quantity is null) errors.Add($"items[{i}].quantity", "Required.");
                continue;
            }
            named.Add((id, quantity));
        }
        return named;
    }

    public static void Map(IEndpointRouteBuilder api) =>
        api.MapPost("/orders/{id:guid}/disputes", async (Guid id, Input input, HttpContext http, OpenDispute open, CancellationToken ct) =>
        {
            var dispute = await open.RunAsync(Caller.From(http.User), id, input, ct);
            return TypedResults.Created($"/api/v1/disputes/{dispute.Id}", dispute);
        }).WithTags("Disputes").WithMetadata(new PreparedAhead()); // the step reads nothing but the order
}
