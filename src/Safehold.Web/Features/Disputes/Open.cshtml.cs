using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Safehold.Domain.Disputes;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Orders;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// The buyer opens a dispute on an order, with a photo if they have one: the API's open and add-evidence, in one
/// transaction, so a refused photo leaves no dispute behind.
/// </summary>
[Authorize(Roles = nameof(Users.UserRole.Buyer))]
public sealed class OpenModel(SafeholdDb db, DisputeActions actions, DisputeEvidenceFeature evidence) : PortalPage
{
    public static readonly IReadOnlyList<string> Reasons = Enum.GetValues<DisputeReason>().Select(DisputeProcess.Name).ToList();

    public static readonly IReadOnlyList<string> Outcomes =
        new[] { DisputeOutcome.FullRefund, DisputeOutcome.PartialRefund, DisputeOutcome.ReturnAndRefund }.Select(DisputeProcess.Name).ToList();

    public OrderResponse Order { get; private set; } = null!;

    public async Task OnGetAsync(Guid orderId, CancellationToken ct) => Order = (await OrderQueries.Get(orderId, HttpContext, db, ct)).Value!;

    public async Task<IActionResult> OnPostAsync(Guid orderId, string? reason, string? requestedOutcome, string? amount, string? description,
        IFormFile? file, CancellationToken ct)
    {
        Order = (await OrderQueries.Get(orderId, HttpContext, db, ct)).Value!;
        var requested = CaseModel.Amount(this, "amount", amount, Order.Total.Currency);
        if (Invalid()) return Page();
        Guid disputeId = default;
        var ok = await Attempt(async ct =>
        {
            var opened = await actions.OpenAsync(Me, orderId, new DisputeActions.OpenInput(reason, requestedOutcome, requested, description), ct);
            disputeId = opened.Id;
            if (file is { Length: > 0 })
            {
                await using var content = file.OpenReadStream();
                await evidence.AddAsync(Me, disputeId, new DisputeEvidenceFeature.Upload(file.FileName, file.ContentType, file.Length, content, null), ct);
            }
        }, new Dictionary<string, string> { ["requestedAmount"] = "amount", ["requestedAmount.currency"] = "amount" });
        if (!ok) return Page();
        Done = "The dispute is open. The seller has been told.";
        return Redirect($"/disputes/{disputeId}");
    }
}
