using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Domain.Orders;
using Safehold.Domain.Policy;
using Safehold.Web.Data;
using Safehold.Web.Features.Products;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Demo;

/// <summary>
/// Writes many orders straight into a database, through the domain (so each carries its timers and journal
/// entries exactly as real traffic would), for benchmarks and crash tests that need a large backlog quickly.
/// </summary>
public static class BulkOrders
{
    /// <summary>
    /// Creates <paramref name="sellers"/> sellers with a product each, a buyer, and <paramref name="count"/> paid, shipped
    /// and delivered orders of those products in turn, the first placed at <paramref name="at"/> and each next one
    /// <paramref name="apart"/> later (all at once by default).
    /// </summary>
    /// <remarks>
    /// Order ids are time-ordered (UUIDv7), so orders placed at one instant have ids in random order while orders placed
    /// apart, as real ones are, fall due and are stored in the same order. No payment instructions are written (a real
    /// payment's capture): these orders are swept, not reconciled; the load benchmark's seeder writes them.
    /// </remarks>
    public static async Task<IReadOnlyList<Guid>> SeedDeliveredAsync(SafeholdDb db, int count, DateTimeOffset at, CancellationToken ct = default,
        TimeSpan apart = default, int sellers = 1)
    {
        var hasher = new PasswordHasher<User>();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (buyer, _) = await UserEndpoints.CreateUserAsync(db, at, $"bulk-buyer-{tag}@bench.test", "Bulk buyer", UserRole.Buyer, null, hasher, null, ct);
        var products = new List<Product>();
        for (var s = 0; s < Math.Max(1, sellers); s++)
        {
            var (seller, _) = await UserEndpoints.CreateUserAsync(db, at, $"bulk-seller-{tag}-{s}@bench.test", $"Bulk seller {s}", UserRole.Seller, null, hasher, null, ct);
            var product = new Product(Guid.CreateVersion7(at), seller.Id, "Bulk item", "For load.", new Money(1_999, Currency.Usd), 7, null, null, [], at);
            db.Products.Add(product);
            products.Add(product);
        }
        await db.SaveChangesAsync(ct);

        var policy = new ProtectionPolicy();
        var ids = new List<Guid>(count);
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        for (var done = 0; done < count;)
        {
            var size = Math.Min(2_000, count - done);
            for (var i = 0; i < size; i++)
            {
                var placed = at + apart * (done + i);
                var product = products[(done + i) % products.Count];
                var order = Order.Place(Guid.CreateVersion7(placed), buyer.Id, [(product.Snapshot(), 1)], "\"1 Bulk Street\"", policy, placed);
                db.JournalEntries.Add(order.Pay(new Actor(Party.Buyer, buyer.Id), placed, $"ch_bulk_{order.Id:N}"));
                order.Ship(new Actor(Party.Seller, product.SellerId), placed, "Bulk Post", "BULK" + i);
                order.MarkDelivered(new Actor(Party.Seller, product.SellerId), placed);
                db.Orders.Add(order);
                ids.Add(order.Id);
            }
            db.ChangeTracker.DetectChanges();
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            done += size;
        }
        db.ChangeTracker.AutoDetectChangesEnabled = true;
        return ids;
    }
}
