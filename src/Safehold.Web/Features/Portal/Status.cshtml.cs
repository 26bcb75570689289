using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Safehold.Web.Features.Portal;

/// <summary>The portal's page for a status without a body of its own (404 above all), in the reader's language.</summary>
/// <remarks>A refused POST (no antiforgery token, say) is re-executed here as a POST: this page has nothing to protect.</remarks>
[IgnoreAntiforgeryToken]
public sealed class StatusModel : PageModel
{
    public int Code { get; private set; }

    public void OnGet(int code) => Code = code;

    public void OnPost(int code) => Code = code;
}
