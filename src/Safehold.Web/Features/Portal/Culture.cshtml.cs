using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Safehold.Web.Features.Portal;

/// <summary>The language switch: remembers the choice in a cookie for a year and goes back to the page it came from.</summary>
public sealed class CultureModel : PageModel
{
    public IActionResult OnGet() => LocalRedirect("/");

    public IActionResult OnPost(string? culture, string? returnUrl)
    {
        var chosen = PortalSetup.Cultures.FirstOrDefault(c => c.Name == culture) ?? PortalSetup.Cultures[0];
        Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(chosen)),
            new CookieOptions { MaxAge = TimeSpan.FromDays(365), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true });
        return LocalRedirect(Url.IsLocalUrl(returnUrl) ? returnUrl : "/");
    }

    /// <summary>The time-zone switch: every time on the pages is shown in the chosen zone (kept a year, like the language).</summary>
    public IActionResult OnPostZone(string? zone, string? returnUrl)
    {
        var chosen = PortalSetup.TimeZones.Contains(zone) ? zone! : "UTC";
        Response.Cookies.Append(PortalSetup.ZoneCookie, chosen,
            new CookieOptions { MaxAge = TimeSpan.FromDays(365), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true });
        return LocalRedirect(Url.IsLocalUrl(returnUrl) ? returnUrl : "/");
    }
}
