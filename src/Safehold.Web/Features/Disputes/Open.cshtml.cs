using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Safehold.Domain.Disputes;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Orders;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// The buyer opens a dispute on an order, with a photo if they have one: the API's open, then its add-evidence. The photo's
/// size and kind are checked first, so a photo that would be refused opens no dispute.
/// </summary>
[Authorize(Roles = nameof(Users.UserRole.Buyer))]
public sealed class OpenModel(SafeholdDb db, DisputeEvidenceFeature evidence, TimeProvider clock) : PortalPage
{
    public static readonly IReadOnlyList<string> Reasons = Enum.GetValues<DisputeReason>().Select(DisputeProcess.Name).ToList();

    public static readonly IReadOnlyList<string> Outcomes =
        new[] { DisputeOutcome.FullRefund, DisputeOutcome.PartialRefund, DisputeOutcome.ReturnAndRefund }.Select(DisputeProcess.Name).ToList();

    public OrderResponse Order { get; private set; } = null!;

    /// <summary>The upload's size and kind, read from its first bytes as the evidence feature reads them, before a dispute is opened.</summary>
    private async Task CheckFile(IFormFile file)
    {
        if (file.Length > DisputeEvidenceFeature.MaxBytes)
        {
            ModelState.AddModelError("file", Words.ForCode(L, "file_too_large"));
            return;
        }
        var head = new byte[16];
        await using var content = file.OpenReadStream();
        var read = await content.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false);
        var type = EvidenceType.Detect(head.AsSpan(0, read));
        if (type is null) ModelState.AddModelError("file", Words.ForCode(L, "unsupported_file_type"));
        else if (!type.Admits(file.ContentType, Path.GetFileName(file.FileName))) ModelState.AddModelError("file", Words.ForCode(L, "file_type_mismatch"));
    }

    public async Task OnGetAsync(Guid orderId, CancellationToken ct) => Order = (await OrderQueries.Get(orderId, HttpContext, db, clock, ct)).Value!;

    /// <summary>Whether the buyer ticked the item (on a form sent back); none ticked is the whole order.</summary>
    public bool Ticked(Guid itemId) => Request.HasFormContentType && Request.Form["item"].Contains(itemId.ToString());

    /// <summary>The quantity the buyer chose for an item (on a form sent back), else all that was bought.</summary>
    public string Quantity(OrderItemResponse item) => Posted("qty-" + item.ItemId) ?? item.Quantity.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The ticked items with their quantities, as the API takes them; null when none is ticked (the whole order).</summary>
    private List<OpenDispute.ItemInput>? ItemsChosen(IReadOnlyList<string> ticked)
    {
        if (ticked.Count == 0) return null;
        var items = new List<OpenDispute.ItemInput>();
        foreach (var item in Order.Items.Where(i => ticked.Contains(i.ItemId.ToString())))
        {
            var field = "qty-" + item.ItemId;
            if (!int.TryParse(Posted(field), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var quantity))
                ModelState.AddModelError(field, L["Between 1 and {0}.", item.Quantity]);
            items.Add(new OpenDispute.ItemInput(item.ItemId, quantity));
        }
        return items;
    }

    public async Task<IActionResult> OnPostAsync(Guid orderId, string? reason, string? requestedOutcome, string? amount, string? description,
        IFormFile? file, string[]? item, CancellationToken ct)
    {
        Order = (await OrderQueries.Get(orderId, HttpContext, db, clock, ct)).Value!;
        var requested = CaseModel.Amount(this, "amount", amount, Order.Total.Currency);
        var items = ItemsChosen(item ?? []);
        if (file is { Length: > 0 }) await CheckFile(file);
        if (Invalid()) return Page();
        Guid disputeId = default;
        var ok = await Attempt(async ct =>
            disputeId = (await Service<OpenDispute>().RunAsync(Me, orderId, new OpenDispute.Input(reason, requestedOutcome, requested, description, items), ct)).Id,
            new Dictionary<string, string> { ["requestedAmount"] = "amount", ["requestedAmount.currency"] = "amount" });
        if (!ok)
        {
            var claimed = items?.Sum(i => Order.Items.First(l => l.ItemId == i.ItemId).UnitPrice.Amount * (i.Quantity ?? 0));
            CaseModel.AmountRefusedBeside(this, "amount", claimed is { } value ? Order.Total with { Amount = value } : Order.Total, ofItems: claimed is not null);
            return Page();
        }
        Done = "The dispute is open. The seller has been told.";
        if (requested is not null) Done = L[Done] + " " + L["Amount: {0}.", Words.Money(requested)];
        // Evidence is written in a transaction of its own (the API's upload). The file was checked above; should the upload
        // still be refused, the dispute stands and its page says why the photo is missing.
        if (file is { Length: > 0 } && !await Attempt(async ct =>
            {
                await using var content = file.OpenReadStream();
                await evidence.AddAsync(Me, disputeId, new DisputeEvidenceFeature.Upload(file.FileName, file.ContentType, file.Length, content, null), ct);
            }, ownTransactions: true))
            Done = "The dispute is open, but the photo was refused; add it again from the dispute's page.";
        // (the amount read is shown on the dispute's page, under the buyer's request)
        return Redirect($"/disputes/{disputeId}");
    }
}
