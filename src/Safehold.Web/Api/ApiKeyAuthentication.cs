using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Web.Data;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Api;

/// <summary>
/// <c>Authorization: Bearer &lt;api key&gt;</c>. A key is found by the SHA-256 of the key itself; the key is
/// never stored. A key found in the database is remembered for <see cref="RecheckAfter"/>, so a busy client costs
/// one hash per request and one indexed look-up every few seconds rather than one per request.
/// </summary>
/// <remarks>
/// The price of remembering: a key revoked (or a user whose role changed) is still honoured by a host that saw it
/// in the last <see cref="RecheckAfter"/>. Unknown keys are never remembered, so a new key works at once.
/// </remarks>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    SafeholdDb db, IProblemDetailsService problems, TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>How long a key found in the database is trusted without looking again.</summary>
    public static readonly TimeSpan RecheckAfter = TimeSpan.FromSeconds(5);

    private const int MaxRemembered = 10_000;

    // One memory per app: keyed by the app's options monitor (a singleton), so apps sharing a process (tests) never
    // see each other's keys, and the memory goes with the app.
    private static readonly ConditionalWeakTable<object, ConcurrentDictionary<string, KnownKey>> Remembered = new();

    private sealed record KnownKey(Guid UserId, UserRole Role, long CheckedAt);

    /// <summary>The stored form of a key.</summary>
    public static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>A new random key: 32 random bytes, URL-safe, with a readable prefix.</summary>
    public static string NewKey() => "sh_" + Base64Url(RandomNumberGenerator.GetBytes(32));

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.Fail("Authorization is not a bearer key.");
        var key = header["Bearer ".Length..].Trim();
        if (key.Length is 0 or > 200) return AuthenticateResult.Fail("Malformed key.");

        var hash = HashOf(key);
        var remembered = Remembered.GetValue(OptionsMonitor, _ => new ConcurrentDictionary<string, KnownKey>(StringComparer.Ordinal));
        if (!remembered.TryGetValue(hash, out var known) || clock.GetElapsedTime(known.CheckedAt) >= RecheckAfter)
        {
            var found = await db.ApiKeys.AsNoTracking()
                .Where(k => k.Hash == hash && k.RevokedAt == null)
                .Join(db.Users, k => k.UserId, u => u.Id, (k, u) => new { u.Id, u.Role })
                .FirstOrDefaultAsync(Context.RequestAborted);
            if (found is null)
            {
                remembered.TryRemove(hash, out _);
                return AuthenticateResult.Fail("Unknown key.");
            }
            if (remembered.Count >= MaxRemembered) remembered.Clear(); // crude, and rare: more live keys than this on one host
            remembered[hash] = known = new KnownKey(found.Id, found.Role, clock.GetTimestamp());
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, known.UserId.ToString()), new Claim(ClaimTypes.Role, known.Role.ToString())], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Write(401, "unauthorized", "Send a valid API key as 'Authorization: Bearer <key>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 403;
        return Write(403, "forbidden", "Your role may not use this.");
    }

    private Task Write(int status, string code, string detail)
    {
        var problem = new ProblemDetails { Status = status, Title = status == 401 ? "Not authenticated." : "Forbidden.", Detail = detail };
        problem.Extensions["code"] = code;
        return problems.WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = problem }).AsTask();
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
