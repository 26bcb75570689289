using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Api;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Users;

/// <summary>
/// The sign-in cookie is checked against the server on each request: it carries the user's session stamp, and a
/// cookie whose stamp is no longer the user's (signed out, disabled) opens nothing. The stamp read is remembered for
/// <see cref="ApiKeyAuthentication.RecheckAfter"/>, as keys are; the host that ends a session forgets it at once.
/// </summary>
public static class Sessions
{
    public const string StampClaim = "safehold:session";

    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var http = context.HttpContext;
        var principal = context.Principal;
        var stamp = principal?.FindFirstValue(StampClaim);
        if (stamp is null || !Guid.TryParse(principal!.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
        {
            await RejectAsync(context);
            return;
        }
        var memory = http.RequestServices.GetRequiredService<ApiKeyMemory>();
        var clock = http.RequestServices.GetRequiredService<TimeProvider>();
        if (!memory.TryRecallSession(userId, out var known) || clock.GetElapsedTime(known.CheckedAt) >= ApiKeyAuthentication.RecheckAfter)
        {
            var db = http.RequestServices.GetRequiredService<SafeholdDb>();
            var user = await db.Users.AsNoTracking().Where(u => u.Id == userId)
                .Select(u => new { u.SessionStamp, u.DisabledAt, u.Language, u.TimeZone }).FirstOrDefaultAsync(http.RequestAborted);
            known = new ApiKeyMemory.KnownSession(user is { DisabledAt: null } ? user.SessionStamp : null, user?.Language, user?.TimeZone, clock.GetTimestamp());
            memory.RememberSession(userId, known);
        }
        if (known.Stamp is null || !string.Equals(known.Stamp, stamp, StringComparison.Ordinal)) await RejectAsync(context);
        else Preferences.Keep(http, new Preferences.Stored(known.Language, known.TimeZone));
    }

    /// <summary>Ends every session of the user, on every host (this one at once): the stamp their cookies carry changes.</summary>
    public static async Task EndAllAsync(HttpContext http, Guid userId, CancellationToken ct)
    {
        var db = http.RequestServices.GetRequiredService<SafeholdDb>();
        var memory = http.RequestServices.GetRequiredService<ApiKeyMemory>();
        if (await db.Users.FirstOrDefaultAsync(u => u.Id == userId, ct) is { } user)
        {
            user.EndSessions();
            await db.SaveChangesAsync(ct);
        }
        UserEndpoints.ForgetNowAndAfterCommit(http, () => memory.ForgetUser(userId));
    }

    private static async Task RejectAsync(CookieValidatePrincipalContext context)
    {
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }
}
