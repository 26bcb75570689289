using System.Net;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>GET /disputes: each caller's own, newest first, by status, a page at a time; arbiters see the platform's queue.</summary>
public sealed class DisputeListTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task Parties_see_their_disputes_arbiters_the_escalated_and_their_decided_and_admins_all()
    {
        var (buyer, seller, _, first) = await app.Disputed();
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var (_, seller2, _, second) = await app.Disputed();
        var arbiter = await app.NewUser("arbiter");
        var other = await app.NewUser("arbiter");
        await PostOk(seller2, second.Id(), "reject", new { reason = "No." });
        await PostOk(seller2, second.Id(), "escalate");

        Assert.Equal([first.Id()], (await Api.ItemsOf(buyer, "/api/v1/disputes")).Select(d => d!.Id()));
        Assert.Equal([first.Id()], (await Api.ItemsOf(seller, "/api/v1/disputes")).Select(d => d!.Id()));
        Assert.Contains(second.Id(), (await Api.ItemsOf(arbiter, "/api/v1/disputes?status=under_review&limit=100")).Select(d => d!.Id()));
        Assert.DoesNotContain(first.Id(), (await Api.ItemsOf(arbiter, "/api/v1/disputes?limit=100")).Select(d => d!.Id()));
        var all = (await Api.ItemsOf(new TestUser(Guid.Empty, "admin", SafeholdApp.AdminKey, app.Admin), "/api/v1/disputes?limit=100")).Select(d => d!.Id()).ToList();
        Assert.True(all.IndexOf(second.Id()) < all.IndexOf(first.Id()), "newest first");
        Assert.Empty(await Api.ItemsOf(buyer, "/api/v1/disputes?status=under_review"));

        await PostOk(arbiter, second.Id(), "decision", new { outcome = "released_to_seller", rationale = "Not shown." });
        Assert.Contains(second.Id(), (await Api.ItemsOf(arbiter, "/api/v1/disputes?status=resolved&limit=100")).Select(d => d!.Id()));
        Assert.DoesNotContain(second.Id(), (await Api.ItemsOf(other, "/api/v1/disputes?limit=100")).Select(d => d!.Id()));
        await Api.ExpectProblem(await other.Http.GetAsync($"/api/v1/disputes/{second.Id()}"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task An_arbiters_disputes_under_review_and_decided_come_a_page_at_a_time_each_once_in_the_order_of_the_whole_list()
    {
        using var own = new SafeholdApp(); // only this test's disputes, so the arbiter's list is known whole
        var arbiter = await own.NewUser("arbiter");
        var theirs = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            if (i == 4) own.Clock.Advance(TimeSpan.FromMinutes(1)); // two instants, several disputes opened at each
            var (_, seller, _, dispute) = await own.Disputed();
            if (i % 3 == 2) continue; // not escalated: no arbiter's
            await PostOk(seller, dispute.Id(), "reject", new { reason = "No." });
            await PostOk(seller, dispute.Id(), "escalate");
            if (i % 3 == 1) await PostOk(arbiter, dispute.Id(), "decision", new { outcome = "released_to_seller", rationale = "Not shown." });
            theirs.Add(dispute.Id());
        }

        var pages = await Api.AllPages(arbiter, "/api/v1/disputes?limit=2");

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        // In the order of every dispute's list, which one query reads from one index: the parts' merge keeps it, ties included.
        var admin = new TestUser(Guid.Empty, "admin", SafeholdApp.AdminKey, own.Admin);
        var inOrder = (await Api.ItemsOf(admin, "/api/v1/disputes?limit=100")).Select(d => d!.Id()).Where(theirs.Contains).ToList();
        Assert.Equal(theirs.Count, inOrder.Count);
        Assert.Equal(inOrder, pages.SelectMany(p => p).ToList());
    }

    [Fact]
    public async Task A_buyers_disputes_come_a_page_at_a_time_each_once()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller);
        var opened = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            var orderId = (await app.PlaceOrder(buyer, product)).Id();
            await Api.ExpectStatus(await SafeholdApp.Pay(buyer, orderId), HttpStatusCode.OK);
            await Api.ExpectStatus(await SafeholdApp.Ship(seller, orderId), HttpStatusCode.OK);
            opened.Add((await OpenOk(buyer, orderId)).Id());
        }

        var pages = await Api.AllPages(buyer, "/api/v1/disputes?limit=2");

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(opened.OrderBy(x => x).ToList(), pages.SelectMany(p => p).OrderBy(x => x).ToList());
        await Api.ExpectProblem(await buyer.Http.GetAsync("/api/v1/disputes?cursor=nonsense"), HttpStatusCode.BadRequest, "validation_failed");
    }
}
