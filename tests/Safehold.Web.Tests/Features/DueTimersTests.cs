using Microsoft.Extensions.DependencyInjection;
using Safehold.Domain.Ledger;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features;
using Safehold.Web.Features.Disputes;
using Safehold.Web.Features.Users;
using Safehold.Web.Tests.Features.Disputes;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features;

/// <summary>Due timers fired by the requests that touch their order or dispute.</summary>
public sealed class DueTimersTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task Firing_ahead_of_the_lock_works_on_the_open_dispute_read_with_its_order_not_on_one_read_again_after_a_step_of_it_committed()
    {
        var (buyer, seller, _, opened) = await app.Disputed(amount: 8_000);
        var id = opened.Id();
        var caller = new Caller(seller.Id, UserRole.Seller);
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var (dispute, order) = await DisputeAccess.LoadAheadAsync(db, id, caller, orderTracked: false, CancellationToken.None);
        await PostOk(buyer, id, "withdraw"); // committed after the seller's read

        var noneFallenDue = await scope.ServiceProvider.GetRequiredService<DueTimers>()
            .FireAheadAsync([order], app.Clock.GetUtcNow(), new List<JournalEntry>(), CancellationToken.None);

        Assert.NotNull(noneFallenDue);
        Assert.Equal(["opened"], dispute.Timeline.Select(e => e.Kind)); // as read, not with the withdrawal's event joined to it
        // The seller's answer, decided on what was read, adds the timeline's next event: no other is tracked under its key.
        dispute.Accept(DisputeAccess.ActorOf(dispute, caller), app.Clock.GetUtcNow());
        db.ChangeTracker.DetectChanges();
    }
}
