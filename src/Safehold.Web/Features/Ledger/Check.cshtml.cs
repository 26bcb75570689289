using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Localization;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Ledger;

/// <summary>The admin's check of the ledger's invariants (SPEC 4), the same checks the API runs, each told in the reader's language.</summary>
[Authorize(Roles = nameof(Users.UserRole.Admin))]
public sealed class CheckModel(SafeholdDb db, TimeProvider clock) : PortalPage
{
    public LedgerCheckResponse Result { get; private set; } = new(false, []);

    public async Task OnGetAsync(CancellationToken ct) => Result = (await LedgerEndpoints.Check(HttpContext, db, clock, ct)).Value!;

    /// <summary>
    /// A check's detail from its values (<c>check.{name}.ok</c> with what it counted, <c>check.{name}.broken</c> with what
    /// breaks it), never the API's English detail; amounts off from zero as money.
    /// </summary>
    public static string Detail(IStringLocalizer l, LedgerCheckItem c)
    {
        if (c.Ok) return l["check." + c.Name + ".ok", Words.Number(c.Counted)];
        var failing = c.OffBy.Count > 0 ? c.OffBy.Select(Words.Money) : c.Failing;
        return l["check." + c.Name + ".broken", string.Join(", ", failing)];
    }
}
