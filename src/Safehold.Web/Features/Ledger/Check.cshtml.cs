using Microsoft.AspNetCore.Authorization;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Ledger;

/// <summary>The admin's check of the ledger's invariants (SPEC 4), the same checks the API runs.</summary>
[Authorize(Roles = nameof(Users.UserRole.Admin))]
public sealed class CheckModel(SafeholdDb db, TimeProvider clock) : PortalPage
{
    public LedgerCheckResponse Result { get; private set; } = new(false, []);

    public async Task OnGetAsync(CancellationToken ct) => Result = (await LedgerEndpoints.Check(HttpContext, db, clock, ct)).Value!;
}
