using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc.Razor;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Portal;

/// <summary>
/// The portal's plumbing: Razor Pages beside their features (root <c>/Features</c>), the sign-in cookie, English and
/// Georgian. The API keeps its bearer keys: a request under <c>/api</c> is only ever authenticated by a key, a page
/// only ever by the cookie, so neither credential works where the other belongs.
/// </summary>
public static class PortalSetup
{
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    private const string ByPath = "ApiKeyOrCookie";

    public static readonly CultureInfo[] Cultures = [new("en"), new("ka-GE")];

    /// <summary>The time zones a reader may choose (IANA ids); times are shown in UTC until one is chosen.</summary>
    public static readonly string[] TimeZones = ["UTC", "Asia/Tbilisi", "Europe/Istanbul", "Europe/Berlin", "Europe/London", "America/New_York"];

    /// <summary>The cookie that keeps the reader's time zone, as the culture cookie keeps the language.</summary>
    public const string ZoneCookie = "safehold.tz";

    public static void AddSafeholdPortal(this IServiceCollection services)
    {
        services.AddAuthentication(ByPath)
            .AddPolicyScheme(ByPath, "API key under /api, the sign-in cookie elsewhere", o => o.ForwardDefaultSelector = http =>
                IsApi(http.Request) ? ApiKeyAuthentication.SchemeName : CookieScheme)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = "safehold.auth";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.LoginPath = "/signin";
                o.LogoutPath = "/signout";
                o.AccessDeniedPath = "/denied";
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                // Sessions run on the wall clock, not the app's: advancing the sandbox clock by days must not sign everyone out.
                o.TimeProvider = TimeProvider.System;
                o.SlidingExpiration = true;
                // The cookie alone is not enough: its session must still be the user's (not signed out, not disabled).
                o.Events.OnValidatePrincipal = Users.Sessions.ValidateAsync;
            });
        services.AddAntiforgery(o => o.Cookie.Name = "safehold.af");
        services.AddLocalization();
        services.AddRazorPages(o =>
            {
                o.RootDirectory = "/Features";
                o.Conventions.AuthorizeFolder("/");
                foreach (var page in new[] { "/Products/Catalog", "/Products/ProductPage", "/Users/SignIn", "/Portal/Culture", "/Portal/Denied", "/Portal/Status" })
                    o.Conventions.AllowAnonymousToPage(page);
                o.Conventions.ConfigureFilter(new NotFoundAsPage());
            })
            .AddViewLocalization(LanguageViewLocationExpanderFormat.Suffix)
            .AddDataAnnotationsLocalization(o => o.DataAnnotationLocalizerProvider = (_, factory) => factory.Create(typeof(PortalText)));
        services.Configure<RequestLocalizationOptions>(o =>
        {
            o.DefaultRequestCulture = new RequestCulture(Cultures[0]);
            o.SupportedCultures = Cultures;
            o.SupportedUICultures = Cultures;
            o.FallBackToParentCultures = true;
            o.FallBackToParentUICultures = true;
            // The choice made with the switch in this browser (a cookie, which the switch also stores on a signed-in user), then
            // the signed-in reader's stored language (chosen in another browser or through the API), then the browser's languages.
            o.RequestCultureProviders = [new CookieRequestCultureProvider(), new Users.Preferences.CultureProvider(), new AcceptLanguageHeaderRequestCultureProvider()];
        });
    }

    /// <summary>Pages get the chosen language; the API is never localized.</summary>
    public static void UseSafeholdPortal(this WebApplication app) =>
        app.UseWhen(http => !IsApi(http.Request), branch =>
        {
            branch.UseRequestLocalization();
            // The reader's time zone (this browser's choice, else a signed-in reader's stored one), for every time a page writes
            // (Words.Zone flows with the request as the culture does).
            branch.Use((http, next) =>
            {
                Words.Zone = ZoneOf(http.Request.Cookies[ZoneCookie] ?? Users.Preferences.Of(http)?.TimeZone);
                return next(http);
            });
        });

    /// <summary>A chosen time zone by its id; UTC for none, or for one not on the list.</summary>
    public static TimeZoneInfo ZoneOf(string? id) =>
        id is not null && id != "UTC" && TimeZones.Contains(id) && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>Paths for programs (the API, its document, health and metrics): API keys and problem+json, never pages.</summary>
    public static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/openapi")
        || Operations.Telemetry.Machine(request.Path);

    /// <summary>The cookie's principal: the same two claims an API key gives, so use-case code reads both alike.</summary>
    public static ClaimsPrincipal PrincipalFor(Users.User user) => new(new ClaimsIdentity(
    [
        new Claim(ClaimTypes.NameIdentifier, user.Id.ToString()),
        new Claim(ClaimTypes.Role, user.Role.ToString()),
        new Claim(ClaimTypes.Name, user.DisplayName),
        new Claim(ClaimTypes.Email, user.Email),
        new Claim(Users.Sessions.StampClaim, user.SessionStamp),
    ], CookieScheme));

    public static Task SignInAsync(HttpContext http, Users.User user) =>
        http.SignInAsync(CookieScheme, PrincipalFor(user), new AuthenticationProperties { IsPersistent = false });
}

/// <summary>The portal's strings (<c>Portal.resx</c> in English, <c>Portal.ka.resx</c> in Georgian).</summary>
public sealed class PortalText;
