using System.Security.Claims;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Api;

/// <summary>
/// The authenticated caller, read from the claims the API key or the sign-in cookie set. When a platform key acts for a
/// user (<c>Safehold-Acting-For</c>), the caller is that user, with that user's rights exactly, and
/// <see cref="Platform"/> and <see cref="PlatformKey"/> say which platform and key acted for them.
/// </summary>
public readonly record struct Caller(Guid Id, UserRole Role, Guid? Platform = null, Guid? PlatformKey = null)
{
    /// <summary>The claim with the platform user's id, on a request a platform key makes for someone else.</summary>
    public const string PlatformClaim = "safehold:platform";

    /// <summary>The claim with the id of the platform's key that made the request.</summary>
    public const string PlatformKeyClaim = "safehold:platform_key";

    /// <summary>The marketplace's back end: its platform key, acting for a user or for itself.</summary>
    public bool IsPlatform => Role == UserRole.Platform || Platform is not null;

    public static Caller From(ClaimsPrincipal user)
    {
        var id = user.FindFirstValue(ClaimTypes.NameIdentifier);
        var role = user.FindFirstValue(ClaimTypes.Role);
        if (id is null || role is null || !Guid.TryParse(id, out var guid) || !Enum.TryParse<UserRole>(role, true, out var r))
            throw new InvalidOperationException("The request is not authenticated.");
        return new Caller(guid, r, IdClaim(user, PlatformClaim), IdClaim(user, PlatformKeyClaim));
    }

    public void Require(UserRole role, string doing)
    {
        if (Role != role)
            throw new Domain.DomainException(Domain.RefusalKind.NotAllowed, "action_not_allowed", $"Only a {role.ToString().ToLowerInvariant()} can {doing}.");
    }

    private static Guid? IdClaim(ClaimsPrincipal user, string type) =>
        Guid.TryParse(user.FindFirstValue(type), out var value) ? value : null;
}
