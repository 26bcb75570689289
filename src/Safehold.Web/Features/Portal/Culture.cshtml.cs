using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Portal;

/// <summary>
/// The language and time-zone switches: each remembers the choice in a cookie for a year (a guest's choice, and the
/// browser's after signing out) and, for a signed-in reader, on the user (<see cref="Preferences"/>), so it follows them to
/// another browser and to their notifications and emails. Then back to the page it came from.
/// </summary>
public sealed class CultureModel(SafeholdDb db, ApiKeyMemory memory) : PageModel
{
    public IActionResult OnGet() => LocalRedirect("/");

    public async Task<IActionResult> OnPostAsync(string? culture, string? returnUrl, CancellationToken ct)
    {
        var chosen = PortalSetup.Cultures.FirstOrDefault(c => c.Name == culture) ?? PortalSetup.Cultures[0];
        Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(chosen)),
            new CookieOptions { MaxAge = TimeSpan.FromDays(365), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true });
        await KeepOnUserAsync(Preferences.LanguageOf(chosen), null, ct);
        return LocalRedirect(Url.IsLocalUrl(returnUrl) ? returnUrl : "/");
    }

    /// <summary>The time-zone switch: every time on the pages is shown in the chosen zone (kept a year, like the language).</summary>
    public async Task<IActionResult> OnPostZoneAsync(string? zone, string? returnUrl, CancellationToken ct)
    {
        var chosen = PortalSetup.TimeZones.Contains(zone) ? zone! : "UTC";
        Response.Cookies.Append(PortalSetup.ZoneCookie, chosen,
            new CookieOptions { MaxAge = TimeSpan.FromDays(365), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true });
        await KeepOnUserAsync(null, chosen, ct);
        return LocalRedirect(Url.IsLocalUrl(returnUrl) ? returnUrl : "/");
    }

    private async Task KeepOnUserAsync(string? language, string? timeZone, CancellationToken ct)
    {
        if (User.Identity?.IsAuthenticated != true) return;
        var id = Caller.From(User).Id;
        if (await db.Users.FirstOrDefaultAsync(u => u.Id == id, ct) is not { } user) return;
        user.Prefer(language, timeZone);
        await db.SaveChangesAsync(ct);
        // The session check remembers the user's choice with their stamp: read it again on the next page.
        memory.ForgetUser(id);
    }
}
