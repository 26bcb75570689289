using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Checkouts;

/// <summary>Who sees a checkout: its buyer (or the platform acting for them) and an admin; anyone else gets 404.</summary>
public static class CheckoutAccess
{
    public static IQueryable<Checkout> VisibleTo(this IQueryable<Checkout> checkouts, Caller caller) => caller.Role switch
    {
        UserRole.Buyer => checkouts.Where(c => c.BuyerId == caller.Id),
        UserRole.Admin => checkouts,
        _ => checkouts.Where(c => false),
    };

    /// <summary>
    /// Loads a checkout <paramref name="caller"/> may see (any, for the host's own work: no caller); a change locks its
    /// row on PostgreSQL first, so two payments of one checkout on any hosts take turns.
    /// </summary>
    public static async Task<Checkout> LoadAsync(SafeholdDb db, Guid id, Caller? caller, bool tracked, CancellationToken ct)
    {
        if (tracked && db.OnPostgres && db.Database.CurrentTransaction is not null)
            await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "Checkouts" WHERE "Id" = {id} FOR UPDATE""", ct);
        var query = tracked ? db.Checkouts : db.Checkouts.AsNoTracking();
        if (caller is { } c) query = query.VisibleTo(c);
        return await query.FirstOrDefaultAsync(x => x.Id == id, ct) ?? throw Problems.NotFound("Checkout");
    }
}
