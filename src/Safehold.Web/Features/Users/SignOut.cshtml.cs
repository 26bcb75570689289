using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Safehold.Web.Api;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Users;

/// <summary>
/// Signing out is a POST with the antiforgery token, so no link on another site can sign anyone out. It ends the
/// session on the server too: a copy of the cookie kept from before opens nothing (nor do the user's other sessions).
/// </summary>
public sealed class SignOutModel : PageModel
{
    public IActionResult OnGet() => LocalRedirect("/");

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (User.Identity?.IsAuthenticated == true) await Sessions.EndAllAsync(HttpContext, Caller.From(User).Id, ct);
        await HttpContext.SignOutAsync(PortalSetup.CookieScheme);
        return LocalRedirect("/");
    }
}
