using System.Net;
using System.Text.Json.Nodes;
using Safehold.Web.Tests.Features.Disputes;

namespace Safehold.Web.Tests.Features.Events;

public sealed class EventLogTests
{
    private static async Task<JsonNode> Page(SafeholdApp app, string? after = null, int? limit = null, bool settle = true)
    {
        if (settle) await EventLogSettling.Settled(app);
        var query = new List<string>();
        if (after is not null) query.Add($"after={after}");
        if (limit is not null) query.Add($"limit={limit}");
        var response = await app.Admin.GetAsync("/api/v1/events" + (query.Count > 0 ? "?" + string.Join('&', query) : ""));
        await Api.ExpectStatus(response, HttpStatusCode.OK);
        return await Api.Json(response);
    }

    private static List<JsonNode> Items(JsonNode page) => page["items"]!.AsArray().Select(i => i!).ToList();

    [Fact]
    public async Task An_orders_life_is_in_the_log_in_the_order_it_happened_with_who_did_it()
    {
        using var app = new SafeholdApp();
        var (buyer, seller, orderId) = await app.OrderIn("completed");

        var events = Items(await Page(app)).Where(e => e["orderId"]!.GetValue<string>() == orderId.ToString()).ToList();

        Assert.Equal(["order.placed", "order.paid", "order.shipped", "order.receipt_confirmed"], events.Select(e => e["type"]!.GetValue<string>()));
        Assert.Equal(["buyer", "buyer", "seller", "buyer"], events.Select(e => e["actor"]!.GetValue<string>()));
        Assert.All(events, e => Assert.Equal(buyer.Id.ToString(), e["buyerId"]!.GetValue<string>()));
        Assert.All(events, e => Assert.Equal(seller.Id.ToString(), e["sellerId"]!.GetValue<string>()));
        Assert.Equal([1, 2, 3, 4], events.Select(e => e["sequence"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_disputes_steps_are_in_the_log_between_its_orders_events_with_the_dispute_and_its_parties()
    {
        using var app = new SafeholdApp();
        var (buyer, seller, orderId, dispute) = await app.Disputed();
        var disputeId = dispute.Id();
        await DisputeApi.PostOk(seller, disputeId, "accept");

        var events = Items(await Page(app)).Where(e => e["orderId"]!.GetValue<string>() == orderId.ToString()).ToList();
        var types = events.Select(e => e["type"]!.GetValue<string>()).ToList();

        Assert.Equal(["order.placed", "order.paid", "order.shipped", "order.dispute_opened"], types.Take(4));
        var disputeEvents = events.Where(e => e["type"]!.GetValue<string>().StartsWith("dispute.", StringComparison.Ordinal)).ToList();
        Assert.True(disputeEvents.Count >= 2, string.Join(", ", types));
        Assert.All(disputeEvents, e => Assert.Equal(disputeId.ToString(), e["disputeId"]!.GetValue<string>()));
        Assert.All(disputeEvents, e => Assert.Equal(buyer.Id.ToString(), e["buyerId"]!.GetValue<string>()));
        Assert.All(disputeEvents, e => Assert.Equal(seller.Id.ToString(), e["sellerId"]!.GetValue<string>()));
        Assert.Contains(disputeEvents, e => e["actor"]!.GetValue<string>() == "seller");
        Assert.All(events.Where(e => e["type"]!.GetValue<string>().StartsWith("order.", StringComparison.Ordinal)), e => Assert.Null(e["disputeId"]));
        // The seller's acceptance refunds the order: its refund comes after the dispute's step that caused it.
        Assert.Equal(["dispute.opened", "dispute.request_accepted", "order.dispute_refunded_in_full"], types.Skip(4));
    }

    [Fact]
    public async Task Reading_after_an_event_returns_only_what_came_later_and_an_empty_page_keeps_the_place()
    {
        using var app = new SafeholdApp();
        await app.OrderIn("awaiting_shipment");
        var first = await Page(app);
        var next = first["next"]!.GetValue<string>();
        Assert.Equal(Items(first)[^1]["id"]!.GetValue<string>(), next);

        var empty = await Page(app, next);
        Assert.Empty(Items(empty));
        Assert.Equal(next, empty["next"]!.GetValue<string>());

        var (_, _, later) = await app.OrderIn("awaiting_payment");
        var newer = Items(await Page(app, next));
        Assert.Equal("order.placed", Assert.Single(newer)["type"]!.GetValue<string>());
        Assert.Equal(later.ToString(), newer[0]["orderId"]!.GetValue<string>());
    }

    [Fact]
    public async Task What_the_clock_does_is_in_the_log_as_the_system()
    {
        using var app = new SafeholdApp();
        var (_, _, orderId) = await app.OrderIn("awaiting_payment");

        await app.AdvanceAndSweep(TimeSpan.FromHours(25));

        var last = Items(await Page(app)).Last(e => e["orderId"]!.GetValue<string>() == orderId.ToString());
        Assert.Equal("system", last["actor"]!.GetValue<string>());
        Assert.Null(last["actorUserId"]);
    }

    [Fact]
    public async Task Pages_follow_one_another_without_gaps_or_repeats()
    {
        using var app = new SafeholdApp();
        for (var i = 0; i < 3; i++) await app.OrderIn("awaiting_delivery");
        var all = Items(await Page(app)).Select(e => e["id"]!.GetValue<string>()).ToList();

        var paged = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await Page(app, after, 5);
            if (Items(page).Count == 0) break;
            paged.AddRange(Items(page).Select(e => e["id"]!.GetValue<string>()));
            after = page["next"]!.GetValue<string>();
        }

        Assert.Equal(9, all.Count); // placed, paid, shipped
        Assert.Equal(all, paged);
    }

    [Fact]
    public async Task A_reader_polling_while_many_orders_are_written_at_once_sees_each_event_exactly_once()
    {
        using var app = new SafeholdApp();
        var seller = await app.NewUser("seller");
        var product = await app.NewProduct(seller);
        var buyers = new List<TestUser>();
        for (var i = 0; i < 4; i++) buyers.Add(await app.NewUser("buyer"));

        var seen = new List<string>();
        var writing = true;
        var reader = Task.Run(async () =>
        {
            string? after = null;
            while (true)
            {
                var done = !Volatile.Read(ref writing);
                var page = await Page(app, after, 7, settle: done);
                seen.AddRange(Items(page).Select(e => e["id"]!.GetValue<string>()));
                after = page["next"]!.GetValue<string>();
                if (done && Items(page).Count == 0) return;
            }
        });
        await Task.WhenAll(buyers.Select(async buyer =>
        {
            for (var i = 0; i < 6; i++)
            {
                var order = (await app.PlaceOrder(buyer, product)).Id();
                await Api.ExpectStatus(await SafeholdApp.Pay(buyer, order), HttpStatusCode.OK);
            }
        }));
        await EventLogSettling.Settled(app); // what the writers committed is readable: the reader may stop at the first empty page after this
        Volatile.Write(ref writing, false);
        await reader;

        var everything = Items(await Page(app, limit: 1000)).Select(e => e["id"]!.GetValue<string>()).ToList();
        Assert.Equal(48, everything.Count);
        Assert.Equal(everything, seen);
    }

    [Fact]
    public async Task Only_an_admin_reads_the_log_and_a_cursor_it_did_not_give_is_refused()
    {
        using var app = new SafeholdApp();
        var (buyer, _, _) = await app.OrderIn("awaiting_payment");

        await Api.ExpectProblem(await buyer.Http.GetAsync("/api/v1/events"), HttpStatusCode.Forbidden, "action_not_allowed");
        await Api.ExpectProblem(await app.Admin.GetAsync("/api/v1/events?after=yesterday"), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await app.Admin.GetAsync("/api/v1/events?limit=0"), HttpStatusCode.BadRequest, "validation_failed");
    }
}
