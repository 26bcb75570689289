using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Users;

/// <summary>Signing out is a POST with the antiforgery token, so no link on another site can sign anyone out.</summary>
public sealed class SignOutModel : PageModel
{
    public IActionResult OnGet() => LocalRedirect("/");

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(PortalSetup.CookieScheme);
        return LocalRedirect("/");
    }
}
