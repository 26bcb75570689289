using System.Globalization;
using Microsoft.AspNetCore.Localization;
using Safehold.Web.Api;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Users;

/// <summary>
/// A reader's language and time zone, stored on the user: chosen with the portal's language and time-zone switches
/// (which write through to the signed-in user) or through the API (<c>PATCH /api/v1/users/me</c>, or on creation).
/// A browser that made a choice with the switches keeps it (a cookie); otherwise a signed-in reader's stored choice wins over
/// the browser's languages, so it follows them to another browser, and to their notifications and emails.
/// </summary>
public static class Preferences
{
    /// <summary>The languages by their API value, with the culture the portal writes each in.</summary>
    public static readonly IReadOnlyDictionary<string, CultureInfo> Languages = new Dictionary<string, CultureInfo>(StringComparer.Ordinal)
    {
        ["en"] = PortalSetup.Cultures[0],
        ["ka"] = PortalSetup.Cultures[1],
    };

    /// <summary>The languages' API values, as the document lists them.</summary>
    public static IReadOnlyList<string> LanguageNames => [.. Languages.Keys];

    /// <summary>The API value of a portal culture: <c>en</c>, <c>ka</c>.</summary>
    public static string LanguageOf(CultureInfo culture) => culture.TwoLetterISOLanguageName;

    /// <summary>A requested language and time zone, checked (an unknown one is a field error); null where none was given.</summary>
    public static (string? Language, string? TimeZone) Check(InputErrors errors, string? language, string? timeZone)
    {
        string? lang = null, zone = null;
        if (language is not null)
        {
            lang = language.Trim().ToLowerInvariant();
            if (!Languages.ContainsKey(lang)) errors.Add("language", "One of: en, ka.");
        }
        if (timeZone is not null)
        {
            zone = timeZone.Trim();
            if (!PortalSetup.TimeZones.Contains(zone, StringComparer.Ordinal))
                errors.Add("timeZone", "One of: " + string.Join(", ", PortalSetup.TimeZones) + ".");
        }
        return (lang, zone);
    }

    /// <summary>What the signed-in reader chose, as their session check read it with their session stamp.</summary>
    public sealed record Stored(string? Language, string? TimeZone);

    public static Stored? Of(HttpContext http) => http.Items.TryGetValue(typeof(Stored), out var stored) ? stored as Stored : null;

    internal static void Keep(HttpContext http, Stored stored) => http.Items[typeof(Stored)] = stored;

    /// <summary>The culture to write for an API reader: their stored language, else the best of <c>Accept-Language</c>, else English.</summary>
    public static CultureInfo CultureFor(string? stored, HttpRequest request)
    {
        if (stored is not null && Languages.TryGetValue(stored, out var chosen)) return chosen;
        var asked = request.GetTypedHeaders().AcceptLanguage;
        foreach (var language in asked.OrderByDescending(l => l.Quality ?? 1))
        {
            var name = language.Value.Value ?? "";
            var primary = name.Split('-')[0].ToLowerInvariant();
            if (Languages.TryGetValue(primary, out var culture)) return culture;
        }
        return PortalSetup.Cultures[0];
    }

    /// <summary>The portal's culture provider after the switch's cookie: the signed-in reader's stored language.</summary>
    public sealed class CultureProvider : RequestCultureProvider
    {
        public override Task<ProviderCultureResult?> DetermineProviderCultureResult(HttpContext httpContext)
        {
            var culture = Of(httpContext)?.Language is { } lang && Languages.TryGetValue(lang, out var c) ? c : null;
            return Task.FromResult(culture is null ? null : new ProviderCultureResult(culture.Name));
        }
    }
}
