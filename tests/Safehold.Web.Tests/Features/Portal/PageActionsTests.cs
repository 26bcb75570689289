using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Web.Tests.Features.Disputes;

namespace Safehold.Web.Tests.Features.Portal;

/// <summary>
/// The order and dispute pages show a form (or link) for exactly the <c>actions</c> the API offers the same reader at
/// the same moment, read from the rendered markup (<c>data-action</c>), at every stage the tests reach; and between
/// them the stages reach every action the process tables give a person, so an action the pages cannot show fails here.
/// </summary>
public sealed partial class PageActionsTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task More_details_shows_a_form_for_exactly_the_actions_the_API_offers_its_reader_at_every_stage()
    {
        var seen = new HashSet<string>();
        foreach (var status in new[] { "awaiting_payment", "awaiting_shipment", "awaiting_delivery", "delivered", "completed", "closed" })
        {
            var (buyer, seller, orderId) = await app.OrderIn(status);
            await Compare(buyer, seller, orderId, status, seen);
        }

        var (b, s, extended) = await app.OrderIn("awaiting_delivery");
        await Api.ExpectStatus(await b.Http.PostAsJsonAsync($"/api/v1/orders/{extended}/protection-extensions", new { days = 7, reason = "Held at customs." }),
            HttpStatusCode.Created);
        await Compare(b, s, extended, "extension asked", seen);

        var (db, ds, disputed, _) = await app.Disputed();
        await Compare(db, ds, disputed, "in dispute", seen);

        var offered = OrderProcess.Table.Where(t => (t.Who & Party.System) == 0).Select(t => OrderProcess.ActionName(t.Trigger)).ToHashSet();
        Assert.True(offered.IsSubsetOf(seen), "Actions no stage of this test showed: " + string.Join(", ", offered.Except(seen)));
    }

    [Fact]
    public async Task The_dispute_page_shows_a_form_for_exactly_the_actions_the_API_offers_its_reader_at_every_stage()
    {
        var seen = new HashSet<string>();
        var arbiter = await app.NewUser("arbiter");

        var (buyer, seller, _, opened) = await app.Disputed();
        var id = opened.Id();
        await CompareCase(id, "opened", seen, buyer, seller);
        await DisputeApi.PostOk(seller, id, "counter-offer", new { outcome = "partial_refund", amount = DisputeApi.Usd(2_000), message = "Part of it back." });
        await CompareCase(id, "counter-offered", seen, buyer, seller);
        await DisputeApi.PostOk(buyer, id, "escalate");
        await CompareCase(id, "under review", seen, buyer, seller, arbiter);
        await DisputeApi.PostOk(arbiter, id, "decision", new { outcome = "released_to_seller", rationale = "Not shown to be damaged." });
        await CompareCase(id, "decided", seen, buyer, seller, arbiter);

        var (rb, rs, _, returning) = await app.Disputed(outcome: "return_and_refund", reason: "wrong_item");
        var rid = returning.Id();
        await DisputeApi.PostOk(rs, rid, "accept");
        await CompareCase(rid, "return asked", seen, rb, rs);
        await DisputeApi.PostOk(rb, rid, "return-shipment", new { carrier = "DHL", trackingNumber = "RET123" });
        await CompareCase(rid, "return shipped", seen, rb, rs);

        var (jb, js, _, rejected) = await app.Disputed();
        await DisputeApi.PostOk(js, rejected.Id(), "reject", new { reason = "It left here intact." });
        await CompareCase(rejected.Id(), "rejected", seen, jb, js);

        var offered = DisputeProcess.Table.Where(t => (t.Who & DisputeParty.System) == 0 && t.Trigger != DisputeTrigger.Open)
            .Select(t => DisputeProcess.ActionName(t.Trigger)).ToHashSet();
        Assert.True(offered.IsSubsetOf(seen), "Actions no stage of this test showed: " + string.Join(", ", offered.Except(seen)));
    }

    private async Task Compare(TestUser buyer, TestUser seller, Guid orderId, string stage, HashSet<string> seen)
    {
        foreach (var reader in new[] { buyer, seller })
        {
            var offered = (await Api.GetOrder(reader, orderId)).Actions();
            var page = await (await PortalClient.As(app, reader)).Page($"/orders/{orderId}");
            Assert.True(offered.ToHashSet().SetEquals(FormsOn(page)),
                $"{stage}, {reader.Email}: the API offers [{string.Join(", ", offered)}], the page shows [{string.Join(", ", FormsOn(page))}]");
            seen.UnionWith(offered);
        }
    }

    private async Task CompareCase(Guid disputeId, string stage, HashSet<string> seen, params TestUser[] readers)
    {
        foreach (var reader in readers)
        {
            var offered = (await DisputeApi.Get(reader, disputeId)).Actions();
            var page = await (await PortalClient.As(app, reader)).Page($"/disputes/{disputeId}");
            Assert.True(offered.ToHashSet().SetEquals(FormsOn(page)),
                $"{stage}, {reader.Email}: the API offers [{string.Join(", ", offered)}], the page shows [{string.Join(", ", FormsOn(page))}]");
            seen.UnionWith(offered);
        }
    }

    private static HashSet<string> FormsOn(string html) => DataAction().Matches(html).Select(m => m.Groups[1].Value).ToHashSet();

    [GeneratedRegex("data-action=\"([a-z_]+)\"")]
    private static partial Regex DataAction();
}
