namespace Safehold.Web.Features.Users;

/// <summary>What a user is on the platform; fixed when the user is created.</summary>
public enum UserRole
{
    Buyer,
    Seller,
    Arbiter,
    Admin,

    /// <summary>
    /// The marketplace's own back end: one key that acts for any buyer or seller (header <c>Safehold-Acting-For</c>)
    /// with exactly that user's rights, and reports payments, tracking and provider events. It never signs in to the portal.
    /// </summary>
    Platform,
}

/// <summary>A person who signs in to the portal or calls the API with one of their keys.</summary>
public sealed class User
{
    private User()
    {
        Email = DisplayName = SessionStamp = "";
    }

    public User(Guid id, string email, string displayName, UserRole role, DateTimeOffset createdAt)
    {
        Id = id;
        Email = email;
        DisplayName = displayName;
        Role = role;
        CreatedAt = createdAt;
        SessionStamp = NewStamp();
    }

    public Guid Id { get; private set; }

    /// <summary>Lower-cased; unique.</summary>
    public string Email { get; private set; }
    public string DisplayName { get; private set; }
    public UserRole Role { get; private set; }

    /// <summary>ASP.NET Core Identity's password hash, when the user may sign in to the portal.</summary>
    public string? PasswordHash { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>When an admin disabled the user: none of their keys or sessions work, and they cannot sign in.</summary>
    public DateTimeOffset? DisabledAt { get; private set; }

    /// <summary>
    /// Carried by every sign-in cookie of the user and checked on each request: a new stamp (sign-out, disable)
    /// ends every session the old one was given to, on every host.
    /// </summary>
    public string SessionStamp { get; private set; }

    /// <summary>The language the user reads (<c>en</c>, <c>ka</c>; see <see cref="Preferences"/>), or null until they choose one.</summary>
    public string? Language { get; private set; }

    /// <summary>The IANA time zone the user reads times in (one of <see cref="Portal.PortalSetup.TimeZones"/>), or null until they choose one.</summary>
    public string? TimeZone { get; private set; }

    /// <summary>Keeps the user's choice of language and time zone; a null leaves that one as it was. Checked by <see cref="Preferences"/>.</summary>
    public void Prefer(string? language, string? timeZone)
    {
        if (language is not null) Language = language;
        if (timeZone is not null) TimeZone = timeZone;
    }

    /// <summary>The marketplace's own id for the user, unique among users (see <see cref="Api.ExternalIds"/>).</summary>
    public string? ExternalId { get; private set; }

    /// <summary>The marketplace's notes on the user, as JSON text of string pairs (see <see cref="Api.ExternalIds"/>).</summary>
    public string? Metadata { get; private set; }

    /// <summary>Keeps the marketplace's id and notes, as checked by <see cref="Api.ExternalIds"/>.</summary>
    public void SetExternalReference(string? externalId, string? metadata) => (ExternalId, Metadata) = (externalId, metadata);

    /// <summary>Sets the portal password; every session signed in with an earlier one ends (on every host within 5 seconds).</summary>
    public void SetPasswordHash(string hash)
    {
        PasswordHash = hash;
        EndSessions();
    }

    public void Disable(DateTimeOffset now)
    {
        DisabledAt ??= now;
        EndSessions();
    }

    public void Enable() => DisabledAt = null;

    public void EndSessions() => SessionStamp = NewStamp();

    private static string NewStamp() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
}

/// <summary>
/// An API key. Only a SHA-256 hash of the key is stored: keys are long random strings, so a fast
/// hash is enough and lets every request find its key with one indexed look-up.
/// </summary>
public sealed class ApiKey
{
    private ApiKey()
    {
        Hash = Prefix = "";
    }

    public ApiKey(Guid id, Guid userId, string hash, string prefix, DateTimeOffset createdAt)
    {
        Id = id;
        UserId = userId;
        Hash = hash;
        Prefix = prefix;
        CreatedAt = createdAt;
    }

    public Guid Id { get; private set; }
    public Guid UserId { get; private set; }
    public string Hash { get; private set; }

    /// <summary>The first characters of the key, to tell keys apart without revealing them.</summary>
    public string Prefix { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? RevokedAt { get; private set; }

    /// <summary>When the key last authenticated a request, to the minute (written at most once a minute per key and host).</summary>
    public DateTimeOffset? LastUsedAt { get; private set; }

    public void Revoke(DateTimeOffset now) => RevokedAt ??= now;
}
