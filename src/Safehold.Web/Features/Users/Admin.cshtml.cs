using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Users;

/// <summary>
/// The admin's users and API keys: the API's create-user and issue-key, with each new key shown once; revoke-key,
/// disable-user and enable-user.
/// </summary>
[Authorize(Roles = nameof(UserRole.Admin))]
public sealed class AdminModel(SafeholdDb db, TimeProvider clock, IPasswordHasher<User> hasher, ApiKeyMemory memory) : PortalPage
{
    public const int PageSize = 50;

    [BindProperty, Required(ErrorMessage = "Required."), StringLength(254, ErrorMessage = "Too long.")]
    public string? Email { get; set; }

    [BindProperty, Required(ErrorMessage = "Required."), StringLength(100, ErrorMessage = "Too long.")]
    public string? DisplayName { get; set; }

    [BindProperty, Required(ErrorMessage = "Required.")]
    public string? Role { get; set; } = "buyer";

    [BindProperty]
    public string? Password { get; set; }

    public IReadOnlyList<User> Users { get; private set; } = [];
    public string? NextCursor { get; private set; }
    public string? NewKey { get; private set; }
    public string? NewKeyOwner { get; private set; }
    public DateTimeOffset Now { get; private set; }
    private ILookup<Guid, ApiKey> _keys = Array.Empty<ApiKey>().ToLookup(k => k.UserId);

    public IEnumerable<ApiKey> KeysOf(Guid userId) => _keys[userId];

    public Task OnGetAsync(string? cursor, CancellationToken ct) => Load(cursor, ct);

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken ct)
    {
        if (!Invalid())
        {
            CreatedUserResponse? created = null;
            var ok = await Attempt(async ct =>
                created = (await UserEndpoints.Create(new UserEndpoints.CreateRequest(Email, DisplayName, Role, string.IsNullOrEmpty(Password) ? null : Password),
                    HttpContext, db, clock, hasher, ct)).Value);
            if (ok)
            {
                NewKey = created!.ApiKey;
                NewKeyOwner = created.Email;
                ModelState.Clear();
                Email = DisplayName = Password = null;
            }
        }
        await Load(null, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostIssueKeyAsync(Guid userId, CancellationToken ct)
    {
        ModelState.Clear(); // the new-user form is not part of this post
        ApiKeyResponse? issued = null;
        if (await Attempt(async ct => issued = (await UserEndpoints.IssueKey(userId, HttpContext, db, clock, ct)).Value))
        {
            NewKey = issued!.ApiKey;
            NewKeyOwner = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).FirstAsync(ct);
        }
        await Load(null, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeKeyAsync(Guid keyId, CancellationToken ct)
    {
        ModelState.Clear();
        if (await Attempt(ct => UserEndpoints.RevokeKey(keyId, HttpContext, db, clock, memory, ct)))
            Done = "The key is revoked: it no longer works.";
        await Load(null, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostDisableAsync(Guid userId, CancellationToken ct)
    {
        ModelState.Clear();
        if (await Attempt(ct => UserEndpoints.Disable(userId, HttpContext, db, clock, memory, ct)))
            Done = "The user is disabled: their keys and sessions no longer work.";
        await Load(null, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostEnableAsync(Guid userId, CancellationToken ct)
    {
        ModelState.Clear();
        if (await Attempt(ct => UserEndpoints.Enable(userId, HttpContext, db, memory, ct)))
            Done = "The user is enabled again.";
        await Load(null, ct);
        return Page();
    }

    private async Task Load(string? cursor, CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        var (users, next) = await db.Users.AsNoTracking().PageAsync(u => u.CreatedAt, u => u.Id, newestFirst: true, Cursor.FromLink(cursor), PageSize, ct);
        Users = users;
        var ids = users.Select(u => u.Id).ToList();
        _keys = (await db.ApiKeys.AsNoTracking().Where(k => ids.Contains(k.UserId)).OrderBy(k => k.CreatedAt).ToListAsync(ct)).ToLookup(k => k.UserId);
        NextCursor = next;
    }
}
