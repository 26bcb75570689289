using System.Security.Claims;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Api;

/// <summary>The authenticated caller, read from the claims the API key or the sign-in cookie set.</summary>
public readonly record struct Caller(Guid Id, UserRole Role)
{
    public static Caller From(ClaimsPrincipal user)
    {
        var id = user.FindFirstValue(ClaimTypes.NameIdentifier);
        var role = user.FindFirstValue(ClaimTypes.Role);
        if (id is null || role is null || !Guid.TryParse(id, out var guid) || !Enum.TryParse<UserRole>(role, true, out var r))
            throw new InvalidOperationException("The request is not authenticated.");
        return new Caller(guid, r);
    }

    public void Require(UserRole role, string doing)
    {
        if (Role != role)
            throw new Domain.DomainException(Domain.RefusalKind.NotAllowed, "action_not_allowed", $"Only a {role.ToString().ToLowerInvariant()} can {doing}.");
    }
}
