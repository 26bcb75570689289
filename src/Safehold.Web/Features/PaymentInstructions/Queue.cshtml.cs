using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Payments;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.PaymentInstructions;

/// <summary>
/// The admin's payment instructions by status, the failed ones first (they wait for a hand): each failed refund or payout
/// can be tried again, or settled by hand with a note after a confirmation, through the same code as the API's
/// <c>retry</c> and <c>resolve</c>.
/// </summary>
[Authorize(Roles = nameof(Users.UserRole.Admin))]
public sealed class QueueModel(SafeholdDb db, TimeProvider clock, InstructionChanges changes) : PortalPage
{
    public const int PageSize = 25;

    /// <summary>The tabs, in the order an admin needs them: what waits for a hand, then what is on its way, then what is done.</summary>
    public static readonly string[] Statuses = ["failed", "pending", "processing", "succeeded"];

    public string Status { get; private set; } = "failed";
    public IReadOnlyList<InstructionResponse> Items { get; private set; } = [];
    public string? NextCursor { get; private set; }
    public DateTimeOffset Now { get; private set; }

    /// <summary>The instruction the last post was about (its note's error is shown beside its form).</summary>
    public Guid? PostedId { get; private set; }

    /// <summary>The resolution the reader is asked to confirm, when this answer is that question.</summary>
    public ConfirmStep? Confirming { get; private set; }

    public Task OnGetAsync(string? status, string? cursor, CancellationToken ct) => Load(status, Cursor.FromLink(cursor), ct);

    public async Task<IActionResult> OnPostRetryAsync(Guid id, string? status)
    {
        PostedId = id;
        if (await Attempt(ct => InstructionEndpoints.Retry(id, HttpContext, changes, ct)))
        {
            Done = "The instruction will be tried again in a moment.";
            return Redirect(Link(status));
        }
        await Load(status, null, HttpContext.RequestAborted);
        return Page();
    }

    public async Task<IActionResult> OnPostResolveAsync(Guid id, string? note, string? status, bool confirmed)
    {
        PostedId = id;
        var ct = HttpContext.RequestAborted;
        if (!confirmed && !string.IsNullOrWhiteSpace(note)
            && await db.PaymentInstructions.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, ct) is { Status: InstructionStatus.Failed } failed)
        {
            Confirming = new ConfirmStep(L["Mark this instruction settled by hand?"],
                L[failed.Kind == InstructionKind.Refund
                    ? "The {0} refund is recorded as paid another way: it leaves the money owed to the buyer and will not be sent again. Your note is kept with it. This cannot be undone."
                    : "The {0} payout is recorded as paid another way: it leaves the money owed to the seller and will not be sent again. Your note is kept with it. This cannot be undone.",
                    Words.Money(failed.Money)],
                L["Yes, mark it settled"], "/admin/payment-instructions?handler=Resolve", Link(status),
                new Dictionary<string, string?> { ["id"] = id.ToString(), ["note"] = note, ["status"] = status });
            await Load(status, null, ct);
            return Page();
        }
        if (await Attempt(ct => InstructionEndpoints.Resolve(id, new InstructionEndpoints.ResolveRequest(note), HttpContext, changes, ct)))
        {
            Done = "The instruction is settled by hand, with your note.";
            return Redirect(Link(status));
        }
        await Load(status, null, ct);
        return Page();
    }

    public static string Link(string? status) => "/admin/payment-instructions" + (status is { Length: > 0 } s && Statuses.Contains(s) ? "?status=" + s : "");

    private async Task Load(string? status, string? cursor, CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        Status = status is not null && Statuses.Contains(status) ? status : "failed";
        var page = (await InstructionEndpoints.List(HttpContext, db, Status, cursor, PageSize, ct)).Value!;
        Items = page.Items;
        NextCursor = page.NextCursor;
    }
}
