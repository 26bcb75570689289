using Microsoft.AspNetCore.Authorization;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Ledger;

/// <summary>The seller's pending, available and paid-out money per currency: the API's balance.</summary>
[Authorize(Roles = nameof(Users.UserRole.Seller))]
public sealed class BalanceModel(SafeholdDb db) : PortalPage
{
    public BalanceResponse Balance { get; private set; } = new([]);

    public async Task OnGetAsync(CancellationToken ct) => Balance = (await LedgerEndpoints.GetBalance(HttpContext, db, ct)).Value!;
}
