using System.Net;
using System.Net.Http.Json;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>Wrong party, wrong state, bad amounts and closed windows: a 4xx with a code, and nothing changed.</summary>
public sealed class DisputeBadInputTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task Only_the_orders_buyer_opens_a_dispute_and_anyone_elses_order_does_not_exist()
    {
        var (buyer, seller, orderId) = await app.OrderIn("awaiting_delivery");
        var stranger = await app.NewUser("buyer");
        var arbiter = await app.NewUser("arbiter");

        await Api.ExpectProblem(await Open(seller, orderId), HttpStatusCode.Forbidden, "action_not_allowed");
        await Api.ExpectProblem(await Open(stranger, orderId), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await Open(arbiter, orderId), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await Open(buyer, Guid.NewGuid()), HttpStatusCode.NotFound, "not_found");

        var order = await Api.GetOrder(buyer, orderId);
        Assert.Null(order["dispute"]);
        Assert.Empty(await Api.ItemsOf(buyer, "/api/v1/disputes?limit=100"));
    }

    [Fact]
    public async Task A_dispute_cannot_be_opened_before_shipment_nor_as_not_received_after_delivery_nor_after_the_window()
    {
        var (buyer, _, unshipped) = await app.OrderIn("awaiting_shipment");
        await Api.ExpectProblem(await Open(buyer, unshipped), HttpStatusCode.Conflict, "invalid_state");

        var (b2, _, delivered) = await app.OrderIn("delivered");
        await Api.ExpectProblem(await Open(b2, delivered, reason: "not_received"), HttpStatusCode.UnprocessableEntity, "dispute_window_closed");

        var (b3, _, completed) = await app.OrderIn("completed");
        await Api.ExpectProblem(await Open(b3, completed, reason: "not_received"), HttpStatusCode.UnprocessableEntity, "dispute_window_closed");
        await app.AdvanceAndSweep(TimeSpan.FromDays(15));
        await Api.ExpectProblem(await Open(b3, completed), HttpStatusCode.UnprocessableEntity, "dispute_window_closed");
        Assert.Null((await Api.GetOrder(b3, completed))["dispute"]);
    }

    [Fact]
    public async Task Amounts_outside_one_unit_to_the_total_and_malformed_requests_are_refused()
    {
        var (buyer, _, orderId) = await app.OrderIn("awaiting_delivery", amount: 5_000);

        await Api.ExpectProblem(await Open(buyer, orderId, outcome: "partial_refund", amount: 5_001), HttpStatusCode.UnprocessableEntity, "amount_out_of_range");
        await Api.ExpectProblem(await Open(buyer, orderId, outcome: "partial_refund", amount: 0), HttpStatusCode.UnprocessableEntity, "amount_out_of_range");
        await Api.ExpectProblem(await Open(buyer, orderId, outcome: "partial_refund"), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await Open(buyer, orderId, outcome: "full_refund", amount: 100), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await Open(buyer, orderId, outcome: "partial_refund", amount: 100, currency: "EUR"), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await Open(buyer, orderId, reason: "changed_my_mind"), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await Open(buyer, orderId, outcome: "released_to_seller"), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await Open(buyer, orderId, description: " "), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await buyer.Http.GetAsync("/api/v1/disputes?status=open"), HttpStatusCode.BadRequest, "validation_failed");

        Assert.Null((await Api.GetOrder(buyer, orderId))["dispute"]);
        Assert.Contains("open_dispute", (await Api.GetOrder(buyer, orderId)).Actions());
    }

    [Fact]
    public async Task One_dispute_at_a_time_and_none_after_one_was_resolved()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(outcome: "partial_refund", requested: 100);

        await Api.ExpectProblem(await Open(buyer, orderId), HttpStatusCode.UnprocessableEntity, "dispute_already_open");
        await PostOk(seller, dispute.Id(), "accept");
        await Api.ExpectProblem(await Open(buyer, orderId), HttpStatusCode.UnprocessableEntity, "dispute_already_resolved");
        Assert.Single(await Api.ItemsOf(buyer, "/api/v1/disputes"));
    }

    [Fact]
    public async Task Each_answer_belongs_to_one_party_and_one_state()
    {
        var (buyer, seller, _, dispute) = await app.Disputed(amount: 5_000);
        var id = dispute.Id();
        var otherSeller = await app.NewUser("seller");
        var arbiter = await app.NewUser("arbiter");

        await Api.ExpectProblem(await Post(buyer, id, "accept"), HttpStatusCode.Forbidden, "action_not_allowed");
        var admin = new TestUser(Guid.Empty, "admin", SafeholdApp.AdminKey, app.Admin);
        await Api.ExpectProblem(await Post(admin, id, "accept"), HttpStatusCode.Forbidden, "action_not_allowed");
        await Api.ExpectProblem(await Post(otherSeller, id, "accept"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await otherSeller.Http.GetAsync($"/api/v1/disputes/{id}"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await Post(buyer, id, "decision", new { outcome = "full_refund", rationale = "Mine." }), HttpStatusCode.Forbidden, "action_not_allowed");
        await Api.ExpectProblem(await Post(arbiter, id, "decision", new { outcome = "full_refund", rationale = "Early." }), HttpStatusCode.Conflict, "invalid_state");
        await Api.ExpectProblem(await Post(buyer, id, "accept-offer"), HttpStatusCode.Conflict, "invalid_state");
        await Api.ExpectProblem(await Post(buyer, id, "return-shipment", new { carrier = "DHL", trackingNumber = "X" }), HttpStatusCode.Conflict, "invalid_state");
        await Api.ExpectProblem(await Post(seller, id, "appeal", new { reason = "Why" }), HttpStatusCode.Conflict, "invalid_state");
        await Api.ExpectProblem(await Post(seller, id, "counter-offer", new { outcome = "partial_refund", amount = Usd(5_001), message = "Too much" }),
            HttpStatusCode.UnprocessableEntity, "amount_out_of_range");
        await Api.ExpectProblem(await Post(seller, id, "counter-offer", new { outcome = "full_refund", message = "Not an offer" }),
            HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await Post(seller, id, "reject", new { reason = "" }), HttpStatusCode.BadRequest, "validation_failed");

        var unchanged = await Get(buyer, id);
        Assert.Equal("awaiting_seller_response", unchanged.Status());
        Assert.Empty(unchanged["offers"]!.AsArray());
        Assert.Single(unchanged.Timeline());

        await PostOk(seller, id, "reject", new { reason = "It was fine." });
        await Api.ExpectProblem(await Post(seller, id, "reject", new { reason = "Twice" }), HttpStatusCode.Conflict, "invalid_state");
        await Api.ExpectProblem(await Post(buyer, id, "accept-offer"), HttpStatusCode.Conflict, "invalid_state"); // a rejection is no offer
        await PostOk(buyer, id, "escalate");
        await Api.ExpectProblem(await Post(arbiter, id, "decision", new { outcome = "partial_refund", refundAmount = Usd(5_001), rationale = "Over" }),
            HttpStatusCode.UnprocessableEntity, "amount_out_of_range");
        await Api.ExpectProblem(await Post(arbiter, id, "decision", new { outcome = "partial_refund", refundAmount = Usd(1_000) }),
            HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("under_review", (await Get(buyer, id)).Status());
    }
}
