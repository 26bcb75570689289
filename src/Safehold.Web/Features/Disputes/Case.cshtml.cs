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
    /// <summary>The dispute actions this page has a form for: every action the dispute process offers a person, evidence and messages.</summary>
    public static readonly IReadOnlySet<string> Forms = new HashSet<string>
    {
        "accept", "counter_offer", "reject", "accept_offer", "escalate", "withdraw", "return_shipment", "confirm_return", "decision", "appeal",
        "add_evidence", "send_message",
    };

    public DisputeResponse Dispute { get; private set; } = null!;
    public IReadOnlyDictionary<Guid, string> Names { get; private set; } = new Dictionary<Guid, string>();
    public DateTimeOffset Now { get; private set; }

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

    public Task<IActionResult> OnPostAcceptAsync(Guid id) => Act(id, "You accepted the buyer's request.", ct => Service<AcceptRequest>().RunAsync(Me, id, ct));

    public Task<IActionResult> OnPostCounterOfferAsync(Guid id, string? outcome, string? amount, string? message) =>
        WithAmount(id, amount, "Your offer is sent to the buyer.", (money, ct) => Service<CounterOffer>().RunAsync(Me, id, new CounterOffer.Input(outcome, money, message), ct));

    public Task<IActionResult> OnPostRejectAsync(Guid id, string? reason) =>
        Act(id, "The request is rejected; the buyer may escalate it to the platform.", ct => Service<Reject>().RunAsync(Me, id, new Reject.Input(reason), ct));

    public Task<IActionResult> OnPostAcceptOfferAsync(Guid id) => Act(id, "You accepted the seller's offer.", ct => Service<AcceptOffer>().RunAsync(Me, id, ct));

    public Task<IActionResult> OnPostEscalateAsync(Guid id) =>
        Act(id, "The dispute went to the platform. An arbiter will decide.", ct => Service<Escalate>().RunAsync(Me, id, ct));

    public Task<IActionResult> OnPostWithdrawAsync(Guid id) =>
        Act(id, "The dispute is withdrawn; the order continues where it was.", ct => Service<Withdraw>().RunAsync(Me, id, ct));

    public Task<IActionResult> OnPostReturnShipmentAsync(Guid id, string? carrier, string? trackingNumber) =>
        Act(id, "The return shipment is recorded.", ct => Service<ShipReturn>().RunAsync(Me, id, new ShipReturn.Input(carrier, trackingNumber), ct));

    public Task<IActionResult> OnPostConfirmReturnAsync(Guid id) => Act(id, "The return is confirmed; the buyer is refunded.", ct => Service<ConfirmReturn>().RunAsync(Me, id, ct));

    public Task<IActionResult> OnPostDecisionAsync(Guid id, string? outcome, string? amount, string? rationale) =>
        WithAmount(id, amount, "The decision is recorded.", (money, ct) => Service<Decide>().RunAsync(Me, id, new Decide.Input(outcome, money, rationale), ct),
            "refundAmount");

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
        var currency = await db.Disputes.AsNoTracking().VisibleTo(Me).Where(d => d.Id == id).Select(d => d.Currency).FirstOrDefaultAsync()
            ?? throw Problems.NotFound("Dispute");
        var money = Amount(this, "amount", amount, currency);
        return await Act(id, done, ct => work(money, ct), new() { [field] = "amount", [field + ".currency"] = "amount" });
    }

    /// <summary>An amount typed as the culture writes it ("12.50", "12,50"), as money of the dispute's currency; null when left empty.</summary>
    public static MoneyDto? Amount(PortalPage page, string field, string? text, string currency)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var decimals = Domain.Currency.TryParse(currency, out var c) ? c.MinorUnits : 2;
        if (Words.MinorUnits(text, decimals) is { } minor) return new MoneyDto(minor, currency);
        page.ModelState.AddModelError(field, page.L["Not an amount of {0}.", currency]);
        return null;
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
    }

    public static bool IsImage(EvidenceResponse e) => e.ContentType.StartsWith("image/", StringComparison.Ordinal);
}
