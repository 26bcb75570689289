using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Payouts;

/// <summary>The admin's payouts: every payout, newest first, and the API's run-now (many short transactions of its own, as there).</summary>
[Authorize(Roles = nameof(Users.UserRole.Admin))]
public sealed class RunModel(SafeholdDb db, PayoutRunner runner) : PortalPage
{
    public IReadOnlyList<PayoutResponse> Payouts { get; private set; } = [];
    public IReadOnlyDictionary<Guid, string> Sellers { get; private set; } = new Dictionary<Guid, string>();

    public Task OnGetAsync(CancellationToken ct) => Load(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var (_, paid) = await runner.RunNowAsync(Me.Id, ct);
        Done = paid.Count == 0 ? "No seller had enough available to pay out." : "The payouts ran.";
        return Redirect("/admin/payouts");
    }

    private async Task Load(CancellationToken ct)
    {
        Payouts = (await PayoutEndpoints.List(HttpContext, db, null, null, 100, ct)).Value!.Items;
        var ids = Payouts.Select(p => p.SellerId).Distinct().ToList();
        Sellers = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
    }
}
