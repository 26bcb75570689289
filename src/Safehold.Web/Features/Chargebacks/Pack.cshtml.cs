using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Chargebacks;

/// <summary>The evidence pack's PDF for a signed-in seller, arbiter or admin: the API's <c>evidence-pack</c> as a download.</summary>
[Authorize]
public sealed class PackModel(EvidencePack pack) : PortalPage
{
    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        var result = await pack.RunAsync(Me, id, ct);
        return File(EvidencePackPdf.Render(result), "application/pdf", $"evidence-pack-{result.Order.Number}.pdf");
    }
}
