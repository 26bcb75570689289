using System.ComponentModel.DataAnnotations;
using System.Net.Mail;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Web.Api;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Users;

/// <param name="Language">The language the user reads (<c>en</c>, <c>ka</c>), or null until chosen: their notifications are written in it.</param>
/// <param name="TimeZone">The IANA time zone the user reads times in, or null until chosen (times are then UTC).</param>
public sealed record UserResponse(Guid Id, string Email, string DisplayName, [property: ApiEnum<UserRole>] string Role, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt,
    string? Language, string? TimeZone, [property: ApiExternalId] string? ExternalId, [property: ApiMetadata] IReadOnlyDictionary<string, string> Metadata)
{
    public static UserResponse From(User u) =>
        new(u.Id, u.Email, u.DisplayName, u.Role.ToString().ToLowerInvariant(), u.CreatedAt, u.DisabledAt, u.Language, u.TimeZone,
            u.ExternalId, ExternalIds.Read(u.Metadata));
}

/// <summary>The response that carries a new API key: shown this once, stored only as a hash.</summary>
public sealed record CreatedUserResponse(Guid Id, string Email, string DisplayName, [property: ApiEnum<UserRole>] string Role, string ApiKey,
    [property: ApiExternalId] string? ExternalId, [property: ApiMetadata] IReadOnlyDictionary<string, string> Metadata);
public sealed record ApiKeyResponse(Guid Id, Guid UserId, string ApiKey, string Prefix, DateTimeOffset CreatedAt);
public sealed record UserListResponse(IReadOnlyList<UserResponse> Items, string? NextCursor);

/// <summary>A key as its owner and the admin see it: never the key, never its hash.</summary>
public sealed record ApiKeySummary(Guid Id, Guid UserId, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    public static ApiKeySummary From(ApiKey k) => new(k.Id, k.UserId, k.Prefix, k.CreatedAt, k.LastUsedAt, k.RevokedAt);
}

public sealed record ApiKeyListResponse(IReadOnlyList<ApiKeySummary> Items);

/// <summary>
/// Admins create, disable and enable users; a user's API keys are listed, issued and revoked by an admin or by the user
/// (another user's keys answer 404, as their orders do). Rotating a key is issuing a new one and revoking the old.
/// </summary>
public static class UserEndpoints
{
    /// <param name="Language">Optional: <c>en</c> or <c>ka</c>, the language of the user's notifications and pages.</param>
    /// <param name="TimeZone">Optional: an IANA time zone the portal offers (<c>Asia/Tbilisi</c>, ...).</param>
    /// <param name="ExternalId">Optional: the marketplace's own id for the user, unique among users.</param>
    /// <param name="Metadata">Optional: the marketplace's notes on the user (string pairs).</param>
    public sealed record CreateRequest([property: StringLength(254)] string? Email, [property: StringLength(100)] string? DisplayName,
        [property: ApiEnum<UserRole>] string? Role, [property: StringLength(128, MinimumLength = 8)] string? Password = null,
        [property: ApiValuesOf(typeof(Preferences), nameof(Preferences.LanguageNames))] string? Language = null,
        [property: ApiValuesOf(typeof(Portal.PortalSetup), nameof(Portal.PortalSetup.TimeZones))] string? TimeZone = null, [property: ApiExternalId] string? ExternalId = null, [property: ApiMetadata] IReadOnlyDictionary<string, string?>? Metadata = null);

    /// <summary>The caller's own language and time zone; a field left out (or null) stays as it was.</summary>
    /// <param name="Language"><c>en</c> or <c>ka</c>.</param>
    /// <param name="TimeZone">One of the IANA time zones the portal offers: UTC, Asia/Tbilisi, Europe/Istanbul, Europe/Berlin, Europe/London, America/New_York.</param>
    public sealed record PreferencesRequest([property: ApiValuesOf(typeof(Preferences), nameof(Preferences.LanguageNames))] string? Language,
        [property: ApiValuesOf(typeof(Portal.PortalSetup), nameof(Portal.PortalSetup.TimeZones))] string? TimeZone);

    public static void MapUsers(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users");
        users.MapPost("/", Create).WithMetadata(new SecretInResponse("apiKey"));
        users.MapGet("/", List);
        users.MapGet("/me", Me);
        users.MapPatch("/me", UpdateMe);
        users.MapGet("/{id:guid}/api-keys", ListKeys);
        users.MapPost("/{id:guid}/api-keys", IssueKey).WithMetadata(new SecretInResponse("apiKey"));
        users.MapPost("/{id:guid}/disable", Disable);
        users.MapPost("/{id:guid}/enable", Enable);
        api.MapPost("/api-keys/{keyId:guid}/revoke", RevokeKey).WithTags("Users");
    }

    public static async Task<Created<CreatedUserResponse>> Create(CreateRequest request, HttpContext http, SafeholdDb db, TimeProvider clock,
        IPasswordHasher<User> hasher, CancellationToken ct)
    {
        Caller.From(http.User).Require(UserRole.Admin, "create users");
        var errors = new InputErrors();
        var email = errors.Text("email", request.Email, Limits.Length<CreateRequest>(nameof(CreateRequest.Email)))?.ToLowerInvariant();
        if (email is not null && !IsEmail(email)) errors.Add("email", "Not an email address.");
        var name = errors.Text("displayName", request.DisplayName, Limits.Length<CreateRequest>(nameof(CreateRequest.DisplayName)));
        UserRole role = default;
        // Exactly one role by its name: no numbers, no "buyer,seller" flag combinations.
        var roles = Enum.GetValues<UserRole>().ToDictionary(r => r.ToString().ToLowerInvariant());
        if (string.IsNullOrWhiteSpace(request.Role)) errors.Add("role", "Required.");
        else if (!roles.TryGetValue(request.Role.Trim().ToLowerInvariant(), out role))
            errors.Add("role", "One of: buyer, seller, arbiter, admin, platform.");
        var (shortest, longest) = (Limits.MinLength<CreateRequest>(nameof(CreateRequest.Password)), Limits.Length<CreateRequest>(nameof(CreateRequest.Password)));
        if (request.Password is { } pw && (pw.Length < shortest || pw.Length > longest)) errors.Add("password", $"From {shortest} to {longest} characters.");
        else if (request.Password is not null && role == UserRole.Platform)
            errors.Add("password", "A platform user calls the API with its keys and never signs in to the portal: send no password.");
        var (language, timeZone) = Preferences.Check(errors, request.Language, request.TimeZone);
        var externalId = errors.ExternalId(request.ExternalId);
        var metadata = errors.Metadata(request.Metadata);
        errors.ThrowIfAny();

        if (await db.Users.AnyAsync(u => u.Email == email, ct))
            throw new DomainException(RefusalKind.WrongState, "email_taken", "A user with this email already exists.");
        var (user, key) = await CreateUserAsync(db, clock.GetUtcNow(), email!, name!, role, request.Password, hasher, apiKey: null, ct,
            language, timeZone, externalId, metadata);
        return TypedResults.Created($"/api/v1/users/{user.Id}",
            new CreatedUserResponse(user.Id, user.Email, user.DisplayName, user.Role.ToString().ToLowerInvariant(), key, user.ExternalId, ExternalIds.Read(user.Metadata)));
    }

    /// <summary>
    /// Every user, newest first, for an admin. The platform finds a buyer or seller by the marketplace's own id
    /// (<c>externalId</c>, required for it), to act for them; anyone else, or no one, is an empty page.
    /// </summary>
    public static async Task<Ok<UserListResponse>> List([ApiExternalId] string? externalId, string? cursor, int? limit, HttpContext http, SafeholdDb db,
        CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var query = db.Users.AsNoTracking();
        if (caller.Role == UserRole.Platform && externalId is not null)
            query = query.Where(u => u.Role == UserRole.Buyer || u.Role == UserRole.Seller);
        else caller.Require(UserRole.Admin, "list users");
        if (ExternalIds.Wanted(externalId) is { } wanted) query = query.Where(u => u.ExternalId == wanted);
        var (page, next) = await query.PageAsync(u => u.CreatedAt, u => u.Id, newestFirst: true, cursor, limit, ct);
        return TypedResults.Ok(new UserListResponse(page.Select(UserResponse.From).ToList(), next));
    }

    public static async Task<Ok<UserResponse>> Me(HttpContext http, SafeholdDb db, CancellationToken ct)
    {
        var id = Caller.From(http.User).Id;
        return TypedResults.Ok(UserResponse.From(await db.Users.AsNoTracking().FirstAsync(u => u.Id == id, ct)));
    }

    /// <summary>The caller chooses their language and time zone (as the portal's switches do for a signed-in reader).</summary>
    public static async Task<Ok<UserResponse>> UpdateMe(PreferencesRequest request, HttpContext http, SafeholdDb db, ApiKeyMemory memory, CancellationToken ct)
    {
        var id = Caller.From(http.User).Id;
        var errors = new InputErrors();
        var (language, timeZone) = Preferences.Check(errors, request.Language, request.TimeZone);
        errors.ThrowIfAny();
        var user = await db.Users.FirstAsync(u => u.Id == id, ct);
        user.Prefer(language, timeZone);
        await db.SaveChangesAsync(ct);
        // Signed-in sessions of the user read their choice with their stamp: read it again.
        ForgetNowAndAfterCommit(http, () => memory.ForgetUser(id));
        return TypedResults.Ok(UserResponse.From(user));
    }

    public static async Task<Ok<ApiKeyListResponse>> ListKeys(Guid id, HttpContext http, SafeholdDb db, CancellationToken ct)
    {
        await RequireKeysOf(Caller.From(http.User), id, db, ct);
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.UserId == id).ToListAsync(ct);
        return TypedResults.Ok(new ApiKeyListResponse(keys.OrderBy(k => k.CreatedAt).ThenBy(k => k.Id).Select(ApiKeySummary.From).ToList()));
    }

    public static async Task<Created<ApiKeyResponse>> IssueKey(Guid id, HttpContext http, SafeholdDb db, TimeProvider clock, CancellationToken ct)
    {
        await RequireKeysOf(Caller.From(http.User), id, db, ct);
        var key = ApiKeyAuthentication.NewKey();
        var stored = AddKey(db, id, key, clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/users/{id}/api-keys", new ApiKeyResponse(stored.Id, id, key, stored.Prefix, stored.CreatedAt));
    }

    /// <summary>The key stops working at once on this host, and within <see cref="ApiKeyAuthentication.RecheckAfter"/> on the others.</summary>
    public static async Task<Ok<ApiKeySummary>> RevokeKey(Guid keyId, HttpContext http, SafeholdDb db, TimeProvider clock, ApiKeyMemory memory,
        CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == keyId, ct);
        if (key is null || (caller.Role != UserRole.Admin && key.UserId != caller.Id)) throw Problems.NotFound("API key");
        key.Revoke(clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        ForgetNowAndAfterCommit(http, () => memory.ForgetKey(keyId));
        return TypedResults.Ok(ApiKeySummary.From(key));
    }

    /// <summary>Every key and sign-in session of the user stops working; they cannot sign in until enabled.</summary>
    public static async Task<Ok<UserResponse>> Disable(Guid id, HttpContext http, SafeholdDb db, TimeProvider clock, ApiKeyMemory memory,
        CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        caller.Require(UserRole.Admin, "disable users");
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id, ct) ?? throw Problems.NotFound("User");
        if (user.Id == caller.Id)
            throw new DomainException(RefusalKind.RuleRefused, "cannot_disable_yourself", "An admin cannot disable themselves; ask another admin.");
        user.Disable(clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        ForgetNowAndAfterCommit(http, () => memory.ForgetUser(id));
        return TypedResults.Ok(UserResponse.From(user));
    }

    public static async Task<Ok<UserResponse>> Enable(Guid id, HttpContext http, SafeholdDb db, ApiKeyMemory memory, CancellationToken ct)
    {
        Caller.From(http.User).Require(UserRole.Admin, "enable users");
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == id, ct) ?? throw Problems.NotFound("User");
        user.Enable();
        await db.SaveChangesAsync(ct);
        ForgetNowAndAfterCommit(http, () => memory.ForgetUser(id));
        return TypedResults.Ok(UserResponse.From(user));
    }

    // The request's transaction commits after the handler returns: a request in between could read the old row and be
    // remembered again, so the memory forgets once more as the answer starts, after the commit.
    internal static void ForgetNowAndAfterCommit(HttpContext http, Action forget)
    {
        forget();
        http.Response.OnStarting(() =>
        {
            forget();
            return Task.CompletedTask;
        });
    }

    // An admin reaches every user's keys, a user their own; anyone else's answer 404, as if they did not exist.
    private static async Task RequireKeysOf(Caller caller, Guid userId, SafeholdDb db, CancellationToken ct)
    {
        if (caller.Role != UserRole.Admin && caller.Id != userId) throw Problems.NotFound("User");
        if (!await db.Users.AnyAsync(u => u.Id == userId, ct)) throw Problems.NotFound("User");
    }

    /// <summary>Creates a user with one API key (a new random one unless given) and, optionally, a portal password.</summary>
    public static async Task<(User User, string ApiKey)> CreateUserAsync(SafeholdDb db, DateTimeOffset now, string email, string displayName,
        UserRole role, string? password, IPasswordHasher<User> hasher, string? apiKey, CancellationToken ct, string? language = null, string? timeZone = null,
        string? externalId = null, string? metadata = null)
    {
        var user = new User(Guid.CreateVersion7(now), email, displayName, role, now);
        user.Prefer(language, timeZone);
        user.SetExternalReference(externalId, metadata);
        if (password is not null) user.SetPasswordHash(hasher.HashPassword(user, password));
        db.Users.Add(user);
        var key = apiKey ?? ApiKeyAuthentication.NewKey();
        AddKey(db, user.Id, key, now);
        await ExternalIds.SaveNewAsync(db, "Users", "user", ct);
        return (user, key);
    }

    internal static ApiKey AddKey(SafeholdDb db, Guid userId, string key, DateTimeOffset now)
    {
        var stored = new ApiKey(Guid.CreateVersion7(now), userId, ApiKeyAuthentication.HashOf(key), key[..Math.Min(8, key.Length)], now);
        db.ApiKeys.Add(stored);
        return stored;
    }

    private static bool IsEmail(string value) =>
        MailAddress.TryCreate(value, out var address) && address.Address == value && value.Contains('.', StringComparison.Ordinal);
}
