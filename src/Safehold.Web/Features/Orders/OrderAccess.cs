using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Orders;

/// <summary>Who may see an order: its buyer, its seller and admins. Anyone else is told it does not exist.</summary>
public static class OrderAccess
{
    public static IQueryable<Order> VisibleTo(this IQueryable<Order> orders, Caller caller) => caller.Role switch
    {
        UserRole.Buyer => orders.Where(o => o.BuyerId == caller.Id),
        UserRole.Seller => orders.Where(o => o.SellerId == caller.Id),
        UserRole.Admin => orders,
        _ => orders.Where(o => false), // arbiters see orders through the disputes they handle
    };

    public static async Task<Order> LoadVisibleAsync(SafeholdDb db, Guid id, Caller caller, bool tracked, CancellationToken ct)
    {
        if (tracked && db.OnPostgres && db.Database.CurrentTransaction is not null)
        {
            // A change to an order holds the order's row until it commits, so a racing change on any host waits and
            // then reads the winner's state (409 invalid_state) before it calls the payment provider; on SQLite the
            // write transaction is already exclusive.
            await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "Orders" WHERE "Id" = {id} FOR UPDATE""", ct);
        }
        // The order whole, in one round trip (OrderReader); someone else's is not there. PartyOf is VisibleTo's rule for one order.
        var order = await OrderReader.FindAsync(db, id, tracked, ct);
        return order is not null && PartyOf(order, caller) != Party.None ? order : throw Problems.NotFound("Order");
    }

    /// <summary>404 unless the caller may see the order: its buyer, its seller, an admin, or an arbiter of a dispute about it.</summary>
    public static async Task RequireVisibleAsync(SafeholdDb db, Guid id, Caller caller, CancellationToken ct)
    {
        var visible = caller.Role == UserRole.Arbiter
            ? await Disputes.DisputeAccess.VisibleTo(db.Disputes, caller).AnyAsync(d => d.OrderId == id, ct)
            : await db.Orders.VisibleTo(caller).AnyAsync(o => o.Id == id, ct);
        if (!visible) throw Problems.NotFound("Order");
    }

    /// <summary>The caller's relation to an order they can see.</summary>
    public static Party PartyOf(Order order, Caller caller) =>
        order.BuyerId == caller.Id ? Party.Buyer
        : order.SellerId == caller.Id ? Party.Seller
        : caller.Role == UserRole.Admin ? Party.Admin
        : Party.None;

    public static Actor ActorOf(Order order, Caller caller) => new(PartyOf(order, caller), caller.Id, ViaOf(caller));

    /// <summary>The platform acting for the caller, if one is.</summary>
    public static ActingPlatform? ViaOf(Caller caller) =>
        caller is { Platform: { } platform, PlatformKey: { } key } ? new ActingPlatform(platform, key) : null;
}
