using System.Collections.Concurrent;
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
/// never stored. A key found in the database is remembered (<see cref="ApiKeyMemory"/>) for <see cref="RecheckAfter"/>,
/// so a busy client costs one hash per request and one indexed look-up every few seconds rather than one per request.
/// </summary>
/// <remarks>
/// The price of remembering: a key revoked (or a user disabled) on another host is still honoured by a host that saw
/// it in the last <see cref="RecheckAfter"/>. The host that revokes or disables forgets at once. Unknown keys are
/// never remembered, so a new key works at once.
/// </remarks>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    SafeholdDb db, IProblemDetailsService problems, TimeProvider clock, ApiKeyMemory memory)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>The header by which a platform key acts for a buyer or seller (SPEC 1).</summary>
    public const string ActingForHeader = "Safehold-Acting-For";

    private static readonly object RefusalKey = new();

    /// <summary>How long a key found in the database is trusted without looking again.</summary>
    public static readonly TimeSpan RecheckAfter = TimeSpan.FromSeconds(5);

    /// <summary>How stale a key's <c>lastUsedAt</c> may grow before a use writes it again.</summary>
    public static readonly TimeSpan LastUsedPrecision = TimeSpan.FromMinutes(1);

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
        if (!memory.TryRecall(hash, out var known) || clock.GetElapsedTime(known.CheckedAt) >= RecheckAfter)
        {
            var found = await db.ApiKeys.AsNoTracking()
                .Where(k => k.Hash == hash && k.RevokedAt == null)
                .Join(db.Users.Where(u => u.DisabledAt == null), k => k.UserId, u => u.Id, (k, u) => new { KeyId = k.Id, u.Id, u.Role, k.LastUsedAt })
                .FirstOrDefaultAsync(Context.RequestAborted);
            if (found is null)
            {
                memory.Forget(hash);
                return AuthenticateResult.Fail("Unknown key.");
            }
            var now = clock.GetUtcNow();
            if (found.LastUsedAt is not { } used || now - used >= LastUsedPrecision || used > now)
                await db.ApiKeys.Where(k => k.Id == found.KeyId).ExecuteUpdateAsync(u => u.SetProperty(k => k.LastUsedAt, now), Context.RequestAborted);
            known = memory.Remember(hash, new ApiKeyMemory.KnownKey(found.KeyId, found.Id, found.Role, clock.GetTimestamp()));
        }

        string? acting = Request.Headers[ActingForHeader];
        if (acting is null)
        {
            var identity = new ClaimsIdentity(
                [new Claim(ClaimTypes.NameIdentifier, known.UserId.ToString()), new Claim(ClaimTypes.Role, known.Role.ToString())], SchemeName);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
        }
        return await ActForAsync(known, acting);
    }

    /// <summary>
    /// A platform key acting for a buyer or seller: the request is that user's, with that user's rights exactly, and
    /// carries which platform and which of its keys acted (every event it causes records both).
    /// </summary>
    private async Task<AuthenticateResult> ActForAsync(ApiKeyMemory.KnownKey platform, string acting)
    {
        if (platform.Role != UserRole.Platform)
            return Refuse(403, "acting_for_not_allowed", $"Only a platform key may send '{ActingForHeader}'.");
        if (!Guid.TryParse(acting, out var userId))
            return Refuse(400, "acting_for_invalid", $"'{ActingForHeader}' must be the id of a buyer or seller.");
        if (!memory.TryRecallUser(userId, out var user) || clock.GetElapsedTime(user.CheckedAt) >= RecheckAfter)
        {
            var role = await db.Users.AsNoTracking()
                .Where(u => u.Id == userId && u.DisabledAt == null && (u.Role == UserRole.Buyer || u.Role == UserRole.Seller))
                .Select(u => (UserRole?)u.Role).FirstOrDefaultAsync(Context.RequestAborted);
            user = memory.RememberUser(userId, new ApiKeyMemory.KnownUser(role, clock.GetTimestamp()));
        }
        if (user.Role is not { } actingRole)
            return Refuse(404, "acting_for_unknown", $"'{ActingForHeader}' names no active buyer or seller.");

        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, userId.ToString()), new Claim(ClaimTypes.Role, actingRole.ToString()),
            new Claim(Caller.PlatformClaim, platform.UserId.ToString()), new Claim(Caller.PlatformKeyClaim, platform.KeyId.ToString()),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <summary>Fails authentication with a problem of its own, which the challenge then answers.</summary>
    private AuthenticateResult Refuse(int status, string code, string detail)
    {
        Context.Items[RefusalKey] = (status, code, detail);
        return AuthenticateResult.Fail(detail);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[RefusalKey] is (int status, string code, string detail))
        {
            Response.StatusCode = status;
            return Write(status, code, detail);
        }
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
        var problem = new ProblemDetails
        {
            Status = status,
            Title = status switch { 401 => "Not authenticated.", 403 => "Forbidden.", 404 => "Not found.", _ => "Bad request." },
            Detail = detail,
        };
        problem.Extensions["code"] = code;
        return problems.WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = problem }).AsTask();
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// The keys (by hash) this host found in the database in the last few seconds, and the users whose sign-in sessions it
/// checked: one memory per app (a singleton). Revoking a key, disabling a user or ending their sessions forgets them
/// here at once; other hosts look again within <see cref="ApiKeyAuthentication.RecheckAfter"/>.
/// </summary>
public sealed class ApiKeyMemory
{
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<string, KnownKey> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, KnownSession> _sessions = new();
    private readonly ConcurrentDictionary<Guid, KnownUser> _actingFor = new();

    public sealed record KnownKey(Guid KeyId, Guid UserId, UserRole Role, long CheckedAt);

    /// <summary>A user a platform key acts for: their role, or null when they are no active buyer or seller.</summary>
    public sealed record KnownUser(UserRole? Role, long CheckedAt);

    /// <summary>A user's current session stamp (null when disabled), with their language and time zone, as last read.</summary>
    public sealed record KnownSession(string? Stamp, string? Language, string? TimeZone, long CheckedAt);

    public bool TryRecall(string hash, out KnownKey known) => _keys.TryGetValue(hash, out known!);

    public KnownKey Remember(string hash, KnownKey known)
    {
        if (_keys.Count >= MaxRemembered) _keys.Clear(); // crude, and rare: more live keys than this on one host
        return _keys[hash] = known;
    }

    public void Forget(string hash) => _keys.TryRemove(hash, out _);

    /// <summary>Forgets one key by its id.</summary>
    public void ForgetKey(Guid keyId)
    {
        foreach (var (hash, known) in _keys)
            if (known.KeyId == keyId) _keys.TryRemove(hash, out _);
    }

    /// <summary>Forgets every key and the session stamp of one user.</summary>
    public void ForgetUser(Guid userId)
    {
        foreach (var (hash, known) in _keys)
            if (known.UserId == userId) _keys.TryRemove(hash, out _);
        _sessions.TryRemove(userId, out _);
        _actingFor.TryRemove(userId, out _);
    }

    public bool TryRecallUser(Guid userId, out KnownUser known) => _actingFor.TryGetValue(userId, out known!);

    public KnownUser RememberUser(Guid userId, KnownUser known)
    {
        if (_actingFor.Count >= MaxRemembered) _actingFor.Clear();
        return _actingFor[userId] = known;
    }

    public bool TryRecallSession(Guid userId, out KnownSession known) => _sessions.TryGetValue(userId, out known!);

    public void RememberSession(Guid userId, KnownSession known)
    {
        if (_sessions.Count >= MaxRemembered) _sessions.Clear();
        _sessions[userId] = known;
    }
}
