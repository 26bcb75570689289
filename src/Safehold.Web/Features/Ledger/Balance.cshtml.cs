using Microsoft.AspNetCore.Authorization;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Ledger;

/// <summary>The seller's pending, available and paid-out money per currency, their payouts and their statement: the API's balance, payouts and statement.</summary>
[Authorize(Roles = nameof(Users.UserRole.Seller))]
public sealed class BalanceModel(SafeholdDb db) : PortalPage
{
    public BalanceResponse Balance { get; private set; } = new([]);
    public IReadOnlyList<Payouts.PayoutResponse> Payouts { get; private set; } = [];
    public IReadOnlyList<Payouts.StatementItem> Statement { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        Balance = (await LedgerEndpoints.GetBalance(HttpContext, db, ct)).Value!;
        Payouts = (await Features.Payouts.PayoutEndpoints.List(HttpContext, db, null, null, 20, ct)).Value!.Items;
        Statement = (await Features.Payouts.PayoutEndpoints.Statement(HttpContext, db, null, null, 30, ct)).Value!.Items;
    }
}
