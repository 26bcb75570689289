using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Users;

/// <summary>Email and password, checked with ASP.NET Core Identity's password hasher; the session is a cookie.</summary>
public sealed class SignInModel(SafeholdDb db, IPasswordHasher<User> hasher, Api.SignInThrottle throttle) : PortalPage
{
    [BindProperty, Required(ErrorMessage = "Required."), EmailAddress(ErrorMessage = "Not an email address."), StringLength(254, ErrorMessage = "Too long.")]
    public string? Email { get; set; }

    [BindProperty, Required(ErrorMessage = "Required."), StringLength(128, ErrorMessage = "Too long.")]
    public string? Password { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (Invalid()) return Page();
        var email = Email!.Trim().ToLowerInvariant();
        // Attempts per email, from any address (the address's own budget is spent before the page: Api/RateLimits.cs).
        if (throttle.Attempt(email) is { } wait)
        {
            Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Refuse(429, "rate_limited");
            ModelState.AddModelError(nameof(Password), Refusal!);
            return Page();
        }
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Email == email, ct);
        // Always hash, so an unknown email (or a user without a password) takes as long as a wrong password.
        var result = user?.PasswordHash is { } hash
            ? hasher.VerifyHashedPassword(user, hash, Password!)
            : Refused(hasher.VerifyHashedPassword(Nobody, NobodysHash(hasher), Password!));
        if (user is null || result == PasswordVerificationResult.Failed || user.DisabledAt is not null || user.Role == UserRole.Platform)
        {
            // One answer for an unknown email and a wrong password: the form does not tell who has an account.
            ModelState.AddModelError(nameof(Password), L["The email or the password is wrong."]);
            Refuse(400, "sign_in_failed");
            return Page();
        }
        await PortalSetup.SignInAsync(HttpContext, user);
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : Home(user.Role));
    }

    private static readonly User Nobody = new(Guid.Empty, "", "", UserRole.Buyer, DateTimeOffset.UnixEpoch);
    private static string? _nobodysHash;

    // A hash made by the app's own hasher (same algorithm, same work factor), of a password nobody types.
    private static string NobodysHash(IPasswordHasher<User> hasher) =>
        _nobodysHash ??= hasher.HashPassword(Nobody, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));

    private static PasswordVerificationResult Refused(PasswordVerificationResult _) => PasswordVerificationResult.Failed;

    /// <summary>Where each role starts.</summary>
    public static string Home(UserRole role) => role switch
    {
        UserRole.Buyer => "/orders",
        UserRole.Seller => "/seller/to-ship",
        UserRole.Arbiter => "/arbiter",
        _ => "/admin/users",
    };
}
