using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Disputes;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// A dispute, for its buyer, its seller and the arbiter: status, deadlines in words, the request and offers, the
/// listing as bought beside each party's evidence, the timeline and the messages; and a form for each of the
/// dispute's <c>actions</c> for the reader, each calling the API's own use case.
/// </summary>
public sealed class CaseModel(SafeholdDb db, TimeProvider clock, DisputeEvidenceFeature evidence, DisputeMessages messages)
    : PortalPage
{
    public DisputeResponse Dispute { get; private set; } = null!;
    public IReadOnlyDictionary<Guid, string> Names { get; private set; } = new Dictionary<Guid, string>();
    public DateTimeOffset Now { get; private set; }

    /// <summary>The carrier's scans of the order's shipment, oldest first.</summary>
    public IReadOnlyList<Tracking.TrackingScanResponse> OrderScans { get; private set; } = [];

    /// <summary>The carrier's scans of the item's return shipment, oldest first.</summary>
    public IReadOnlyList<Tracking.TrackingScanResponse> ReturnScans { get; private set; } = [];

    /// <summary>
    /// For the arbiter: a <c>not_received</c> dispute on an order the carrier's scan shows delivered with a signature, and
    /// that scan (the buyer says the parcel never came; someone signed for it).
    /// </summary>
    public Tracking.TrackingScanResponse? SignedDelivery { get; private set; }

    public bool Can(string action) => Dispute.Actions.Contains(action);

    public string NameOf(Guid id) => Names.GetValueOrDefault(id, "");

    public Task OnGetAsync(Guid id, CancellationToken ct) => Load(id, ct);

    /// <summary>An evidence file, shown inline (images preview on the page); only to those who may see the dispute.</summary>
    public async Task<IActionResult> OnGetEvidenceAsync(Guid id, Guid evidenceId, CancellationToken ct)
    {
        var (row, path) = await evidence.FindAsync(Me, id, evidenceId, ct);
        Response.Headers.XContentTypeOptions = "nosniff";
        Response.Headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        // A photo is shown as its re-encoded preview (pixels only), never as the bytes uploaded.
        var preview = Service<EvidenceStore>().PreviewPathOf(evidenceId);
        if (row.ContentType.StartsWith("image/", StringComparison.Ordinal))
            return System.IO.File.Exists(preview) ? PhysicalFile(preview, row.ContentType == "image/png" ? "image/png" : "image/jpeg") : NotFound();
        return PhysicalFile(path, row.ContentType);
    }

    /// <summary>The irreversible step the reader is asked to confirm, when this answer is that question.</summary>
    public ConfirmStep? Confirming { get; private set; }

    public async Task<IActionResult> OnPostAcceptAsync(Guid id, bool confirmed) =>
        !confirmed && await AskFirst(id, "accept", "Accept", [])
            ? Page()
            : await Act(id, "You accepted the buyer's request.", ct => Service<AcceptRequest>().RunAsync(Me, id, ct));

    public Task<IActionResult> OnPostCounterOfferAsync(Guid id, string? outcome, string? amount, string? message) =>
        WithAmount(id, amount, "Your offer is sent to the buyer.", (money, ct) => Service<CounterOffer>().RunAsync(Me, id, new CounterOffer.Input(outcome, money, message), ct));

    public Task<IActionResult> OnPostRejectAsync(Guid id, string? reason) =>
        Act(id, "The request is rejected; the buyer may escalate it to the platform.", ct => Service<Reject>().RunAsync(Me, id, new Reject.Input(reason), ct));

    public async Task<IActionResult> OnPostAcceptOfferAsync(Guid id, bool confirmed) =>
        !confirmed && await AskFirst(id, "accept_offer", "AcceptOffer", [])
            ? Page()
            : await Act(id, "You accepted the seller's offer.", ct => Service<AcceptOffer>().RunAsync(Me, id, ct));

    public Task<IActionResult> OnPostEscalateAsync(Guid id) =>
        Act(id, "The dispute went to the platform. An arbiter will decide.", ct => Service<Escalate>().RunAsync(Me, id, ct));

    public Task<IActionResult> OnPostWithdrawAsync(Guid id) =>
        Act(id, "The dispute is withdrawn; the order continues where it was.", ct => Service<Withdraw>().RunAsync(Me, id, ct));

    public Task<IActionResult> OnPostReturnShipmentAsync(Guid id, string? carrier, string? trackingNumber) =>
        Act(id, "The return shipment is recorded.", ct => Service<ShipReturn>().RunAsync(Me, id, new ShipReturn.Input(carrier, trackingNumber), ct));

    public async Task<IActionResult> OnPostConfirmReturnAsync(Guid id, bool confirmed) =>
        !confirmed && await AskFirst(id, "confirm_return", "ConfirmReturn", [])
            ? Page()
            : await Act(id, "The return is confirmed; the buyer is refunded.", ct => Service<ConfirmReturn>().RunAsync(Me, id, ct));

    public async Task<IActionResult> OnPostDecisionAsync(Guid id, string? outcome, string? amount, string? rationale, bool confirmed)
    {
        // Asked first only when the decision is whole (an outcome known, a reason given); an incomplete one is refused as the API refuses it.
        if (!confirmed && !string.IsNullOrWhiteSpace(rationale)
            && (outcome is "full_refund" or "return_and_refund" or "released_to_seller" || (outcome == "partial_refund" && !string.IsNullOrWhiteSpace(amount))))
        {
            await Load(id, HttpContext.RequestAborted);
            var money = Amount(this, "amount", amount, Dispute.OrderTotal.Currency);
            if (ModelState.IsValid && await AskFirst(id, "decision", "Decision", new() { ["outcome"] = outcome, ["amount"] = amount, ["rationale"] = rationale }, outcome, money))
                return Page();
            ModelState.Clear(); // the amount is read (and refused, beside its field) again below
        }
        return await WithAmount(id, amount, "The decision is recorded.",
            (money, ct) => Service<Decide>().RunAsync(Me, id, new Decide.Input(outcome, money, rationale), ct), "refundAmount");
    }

    /// <summary>
    /// Loads the page as the question "are you sure?" for an irreversible <paramref name="action"/>, saying what happens to the
    /// money; false (and the action goes ahead, to be refused in words) when the dispute does not offer it now.
    /// </summary>
    private async Task<bool> AskFirst(Guid id, string action, string handler, Dictionary<string, string?> fields, string? outcome = null, MoneyDto? amount = null)
    {
        await Load(id, HttpContext.RequestAborted);
        if (!Can(action)) return false;
        var d = Dispute;
        var total = d.OrderTotal;
        string Happens(string? outcomeName, MoneyDto? refund) => outcomeName switch
        {
            "full_refund" => L["The buyer is refunded {0} in full.", Words.Money(total)],
            "partial_refund" when refund is not null => L["{0} is refunded to the buyer and {1} is paid to the seller (less the platform's commission).",
                Words.Money(refund), Words.Money(total.Amount - Math.Min(refund.Amount, total.Amount), total.Currency)],
            "return_and_refund" => L["The buyer sends the item back; once the seller confirms it arrived, the buyer is refunded {0}.", Words.Money(total)],
            "released_to_seller" => L["The {0} is paid to the seller (less the platform's commission); the buyer gets nothing back.", Words.Money(total)],
            _ => "",
        };
        var back = $"/disputes/{id}";
        var act = $"/disputes/{id}?handler={handler}";
        var final = L["This cannot be undone."];
        var offer = d.Offers.Count > 0 ? d.Offers[^1] : null;
        Confirming = action switch
        {
            "accept" => new ConfirmStep(L["Accept the buyer's request?"], Happens(d.RequestedOutcome, d.RequestedAmount) + " " + final,
                L["Yes, accept the request"], act, back, fields),
            "accept_offer" => new ConfirmStep(L["Accept the seller's offer?"], Happens(offer?.Outcome, offer?.Amount) + " " + final,
                L["Yes, accept the offer"], act, back, fields),
            "confirm_return" => new ConfirmStep(L["Confirm that the item came back?"], Happens("full_refund", null) + " " + final,
                L["Yes, the item came back"], act, back, fields),
            _ => new ConfirmStep(L["Record this decision?"], Happens(outcome, amount) + " "
                    + L["Either party may appeal it once; otherwise it is final."],
                L["Yes, record the decision"], act, back, fields),
        };
        return true;
    }

    public Task<IActionResult> OnPostAppealAsync(Guid id, string? reason) =>
        Act(id, "The decision is appealed; a different arbiter will decide.", ct => Service<Appeal>().RunAsync(Me, id, new Appeal.Input(reason), ct));

    public Task<IActionResult> OnPostEvidenceAsync(Guid id, IFormFile? file, string? description)
    {
        if (file is null || file.Length == 0) ModelState.AddModelError("file", L["Choose a file."]);
        return Act(id, "The evidence is added.", async ct =>
        {
            await using var content = file!.OpenReadStream();
            await evidence.AddAsync(Me, id, new DisputeEvidenceFeature.Upload(file.FileName, file.ContentType, file.Length, content, description), ct);
        }, ownTransactions: true);
    }

    public Task<IActionResult> OnPostMessageAsync(Guid id, string? body) =>
        Act(id, "The message is sent.", ct => messages.SendAsync(Me, id, new DisputeMessages.SendInput(body), ct));

    private async Task<IActionResult> WithAmount(Guid id, string? amount, string done, Func<MoneyDto?, CancellationToken, Task> work, string field = "amount")
    {
        var dispute = await db.Disputes.AsNoTracking().VisibleTo(Me).Where(d => d.Id == id).Select(d => new { d.Currency, d.OrderTotalAmount, d.ItemsAmount }).FirstOrDefaultAsync()
            ?? throw Problems.NotFound("Dispute");
        var money = Amount(this, "amount", amount, dispute.Currency);
        // What the amount was read as is said with what was done (the layout shows a message it has no translation for as it is).
        if (money is not null) done = L[done] + " " + L["Amount: {0}.", Words.Money(money)];
        var result = await Act(id, done, ct => work(money, ct), new() { [field] = "amount", [field + ".currency"] = "amount" });
        AmountRefusedBeside(this, "amount", new MoneyDto(dispute.ItemsAmount ?? dispute.OrderTotalAmount, dispute.Currency), ofItems: dispute.ItemsAmount is not null);
        return result;
    }

    /// <summary>An amount typed as the page's language writes it ("12.50", "12,50"), as money of the dispute's currency;
    /// null when left empty or unreadable (then why, beside the field).</summary>
    public static MoneyDto? Amount(PortalPage page, string field, string? text, string currency)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var decimals = Domain.Currency.TryParse(currency, out var c) ? c.MinorUnits : 2;
        var read = Words.ReadAmount(text, decimals);
        if (read.Minor is { } minor) return new MoneyDto(minor, currency);
        page.ModelState.AddModelError(field, Words.AmountProblem(page.L, read.Problem!, decimals));
        return null;
    }

    /// <summary>An amount the dispute rules refused (out of range, or given with an outcome that takes none) is said beside the amount's field.</summary>
    /// <param name="ofItems">Whether <paramref name="total"/> is the value of the items a dispute claims, not the order's total.</param>
    public static void AmountRefusedBeside(PortalPage page, string field, MoneyDto total, bool ofItems = false)
    {
        if (page.ModelState.TryGetValue(field, out var entry) && entry.Errors.Count > 0) return;
        var message = page.RefusedCode switch
        {
            "amount_out_of_range" when ofItems =>
                page.L["A partial refund is more than nothing and at most the value of the items disputed, {0}.", Words.Money(total)].Value,
            "amount_out_of_range" => page.L["A partial refund is more than nothing and at most the order's total, {0}.", Words.Money(total)].Value,
            "validation_failed" when page.ModelState.ErrorCount == 0 => page.L["A partial refund needs an amount; the other outcomes take none."].Value,
            _ => null,
        };
        if (message is not null) page.ModelState.AddModelError(field, message);
    }

    private async Task<IActionResult> Act(Guid id, string done, Func<CancellationToken, Task> work, Dictionary<string, string>? fields = null,
        bool ownTransactions = false)
    {
        if (!Invalid() && await Attempt(work, fields, ownTransactions))
        {
            Done = done;
            return Redirect($"/disputes/{id}");
        }
        await Load(id, HttpContext.RequestAborted);
        return Page();
    }

    private async Task Load(Guid id, CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        Dispute = await DisputeQueries.GetAsync(db, Me, id, Now, ct);
        var ids = new[] { Dispute.BuyerId, Dispute.SellerId }
            .Concat(Dispute.Evidence.Select(e => e.UploadedBy)).Concat(Dispute.Messages.Select(m => m.AuthorId))
            .Concat(new[] { Dispute.Decision?.ArbiterId, Dispute.Appeal?.Decision?.ArbiterId }.OfType<Guid>()).Distinct().ToList();
        Names = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        var shipment = await db.Orders.AsNoTracking().Where(o => o.Id == Dispute.OrderId).Select(o => new { o.Carrier, o.TrackingNumber, o.CreatedAt })
            .FirstAsync(ct);
        if (shipment is { Carrier: { } carrier, TrackingNumber: { } number })
            OrderScans = Tracking.TrackingScans.Timeline(await Tracking.TrackingScans.OfAsync(db, carrier, number, shipment.CreatedAt, ct),
                Tracking.TrackingScans.OrderShipment);
        if (Dispute.ReturnShipment is { } rs)
            ReturnScans = Tracking.TrackingScans.Timeline(await Tracking.TrackingScans.OfAsync(db, rs.Carrier, rs.TrackingNumber, Dispute.OpenedAt, ct),
                Tracking.TrackingScans.ReturnShipment);
        if (Dispute.Reason == "not_received" && Me.Role is Users.UserRole.Arbiter or Users.UserRole.Admin)
            SignedDelivery = OrderScans.FirstOrDefault(s => s.Status == "delivered" && s.SignedBy is not null);
    }

    public static bool IsImage(EvidenceResponse e) => e.ContentType.StartsWith("image/", StringComparison.Ordinal);
}
