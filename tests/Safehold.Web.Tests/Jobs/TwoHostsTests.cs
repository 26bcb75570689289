using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Safehold.Web.Jobs;

namespace Safehold.Web.Tests.Jobs;

/// <summary>Two hosts on one database sweep a shared backlog: every timer fires once, by one of them.</summary>
public sealed class TwoHostsTests
{
    [Fact]
    public async Task Two_hosts_sweeping_one_backlog_at_once_fire_each_timer_exactly_once()
    {
        var directory = SafeholdApp.NewDirectory();
        using var first = SafeholdApp.Over(directory);
        using var second = SafeholdApp.Over(directory);
        var orders = new List<Guid>();
        for (var i = 0; i < 30; i++)
            orders.Add((await first.OrderIn(i % 2 == 0 ? "awaiting_delivery" : "awaiting_shipment", amount: 1_000 + i)).OrderId);
        _ = second.Admin; // start the second host

        first.Clock.Advance(TimeSpan.FromDays(41));
        second.Clock.Advance(TimeSpan.FromDays(41));
        var fired = await Task.WhenAll(
            first.Services.GetRequiredService<DeadlineSweeper>().RunDueAsync(CancellationToken.None),
            second.Services.GetRequiredService<DeadlineSweeper>().RunDueAsync(CancellationToken.None));

        var (scope, db) = first.OpenDb();
        using (scope)
        {
            var entries = await db.JournalEntries.Where(e => e.OrderId != null && orders.Contains(e.OrderId.Value)).ToListAsync();
            Assert.All(orders, id => Assert.Equal(2, entries.Count(e => e.OrderId == id))); // capture + (release or refund)
            var statuses = await db.Orders.Where(o => orders.Contains(o.Id)).Select(o => o.Status).Distinct().ToListAsync();
            Assert.DoesNotContain(Domain.Orders.OrderStatus.AwaitingDelivery, statuses);
            Assert.DoesNotContain(Domain.Orders.OrderStatus.AwaitingShipment, statuses);
            // Shipped orders: reminder + completion; unshipped: ship-by reminder + cancellation. Nothing twice.
            var orderEvents = await db.Orders.Where(o => orders.Contains(o.Id)).ToListAsync();
            Assert.All(orderEvents, o => Assert.Equal(o.Timeline.Select(e => e.Kind).Distinct().Count(), o.Timeline.Count));
            Assert.Equal(60, fired.Sum());
        }
        await first.AssertLedgerOk();
    }
}
