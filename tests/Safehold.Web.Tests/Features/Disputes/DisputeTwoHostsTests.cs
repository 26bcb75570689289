using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Safehold.Web.Jobs;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>Two hosts on one database sweep a backlog of dispute deadlines: each fires once, and each refund is made once.</summary>
public sealed class DisputeTwoHostsTests
{
    [Fact]
    public async Task Two_hosts_sweeping_dispute_deadlines_at_once_settle_each_dispute_exactly_once()
    {
        var directory = SafeholdApp.NewDirectory();
        using var first = SafeholdApp.Over(directory);
        using var second = SafeholdApp.Over(directory);
        var orders = new List<Guid>();
        for (var i = 0; i < 16; i++)
        {
            var (_, _, orderId, _) = await first.Disputed(amount: 2_000 + i, outcome: i % 2 == 0 ? "full_refund" : "partial_refund",
                requested: i % 2 == 0 ? null : 500 + i);
            orders.Add(orderId);
        }
        _ = second.Admin; // start the second host
        var refunds = first.Payments.CountSucceeded("refund");

        first.Clock.Advance(TimeSpan.FromDays(5));
        second.Clock.Advance(TimeSpan.FromDays(5));
        var fired = await Task.WhenAll(
            first.Services.GetRequiredService<DeadlineSweeper>().RunDueAsync(CancellationToken.None),
            second.Services.GetRequiredService<DeadlineSweeper>().RunDueAsync(CancellationToken.None));

        Assert.Equal(32, fired.Sum()); // each dispute's reminder and its 5-day deadline
        Assert.Equal(refunds + 16, first.Payments.CountSucceeded("refund"));
        var (scope, db) = first.OpenDb();
        using (scope)
        {
            var settlements = await db.JournalEntries.Where(e => e.OrderId != null && orders.Contains(e.OrderId.Value) && e.Kind.StartsWith("dispute_")).ToListAsync();
            Assert.All(orders, id => Assert.Single(settlements, e => e.OrderId == id));
            var disputes = await db.Disputes.Where(d => orders.Contains(d.OrderId)).ToListAsync();
            Assert.All(disputes, d => Assert.Single(d.Timeline, e => e.Kind == "seller_response_missed"));
            Assert.All(disputes, d => Assert.NotNull(d.SettledAt));
        }
        await first.AssertLedgerOk();
    }
}
