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
        // Both hosts' instruction workers work the one queue at once: every refund is sent and recorded once.
        var recorded = await Task.WhenAll(
            first.Services.GetRequiredService<InstructionWorker>().RunDueAsync(CancellationToken.None),
            second.Services.GetRequiredService<InstructionWorker>().RunDueAsync(CancellationToken.None));
        Assert.Equal(16, recorded.Sum());
        Assert.Equal(refunds + 16, first.Payments.CountSucceeded("refund"));
        var (scope, db) = first.OpenDb();
        using (scope)
        {
            var settlements = await db.JournalEntries.Where(e => e.OrderId != null && orders.Contains(e.OrderId.Value) && e.Kind.StartsWith("dispute_")).ToListAsync();
            Assert.All(orders, id => Assert.Single(settlements, e => e.OrderId == id));
            var sent = await db.JournalEntries.Where(e => e.OrderId != null && orders.Contains(e.OrderId.Value) && e.Kind == "refund_sent").ToListAsync();
            Assert.All(orders, id => Assert.Single(sent, e => e.OrderId == id));
            var instructions = await db.PaymentInstructions.Where(i => i.OrderId != null && orders.Contains(i.OrderId.Value)).ToListAsync();
            Assert.All(instructions, i => Assert.Equal((Domain.Payments.InstructionStatus.Succeeded, 1), (i.Status, i.Attempts)));
            var disputes = await db.Disputes.Where(d => orders.Contains(d.OrderId)).ToListAsync();
            Assert.All(disputes, d => Assert.Single(d.Timeline, e => e.Kind == "seller_response_missed"));
            Assert.All(disputes, d => Assert.NotNull(d.SettledAt));
        }
        await first.AssertLedgerOk();
    }
}
