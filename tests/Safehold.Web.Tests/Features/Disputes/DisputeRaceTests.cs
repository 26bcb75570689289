using System.Net;
using Microsoft.Extensions.DependencyInjection;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>Racing changes to a dispute and its order leave exactly one winner, one settlement and a balanced ledger.</summary>
public sealed class DisputeRaceTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static bool Lost(HttpResponseMessage r) => r.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity;

    [Fact]
    public async Task Two_arbiters_deciding_at_once_leave_one_decision()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 10_000);
        var id = dispute.Id();
        await PostOk(seller, id, "reject", new { reason = "No." });
        await PostOk(buyer, id, "escalate");
        var a = await app.NewUser("arbiter");
        var b = await app.NewUser("arbiter");

        var results = await Task.WhenAll(
            Post(a, id, "decision", new { outcome = "full_refund", rationale = "A says refund." }),
            Post(b, id, "decision", new { outcome = "released_to_seller", rationale = "B says release." }));

        var winner = Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Single(results, r => r.StatusCode == HttpStatusCode.Conflict);
        var decided = await Get(buyer, id);
        Assert.Equal((await Api.Json(winner))["outcome"]!.GetValue<string>(), decided.Outcome());
        Assert.Single(decided.Timeline(), e => e.Event == "decided");
        await app.AdvanceAndSweep(TimeSpan.FromDays(30));
        var settlements = (await app.Entries(orderId, "dispute_refund")).Count + (await app.Entries(orderId, "release")).Count;
        Assert.Equal(1, settlements);
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_seller_accepting_as_the_5_day_timer_fires_leaves_one_settlement_and_one_refund()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(amount: 6_000);
        var id = dispute.Id();
        var refunds = app.Payments.CountSucceeded("refund");
        app.Clock.Advance(TimeSpan.FromDays(5));
        var sweeper = app.Services.GetRequiredService<Safehold.Web.Jobs.DeadlineSweeper>();

        var accept = Post(seller, id, "accept");
        var sweep = sweeper.RunDueAsync(CancellationToken.None);
        await Task.WhenAll(accept, sweep);

        Assert.True((await accept).StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, (await accept).StatusCode.ToString());
        // A sweep that found the order held by the request skipped it; a refused request rolled its own firing back: the
        // next sweep carries the deadline out, once.
        await app.AdvanceAndSweep(TimeSpan.Zero);
        var resolved = await Get(buyer, id);
        Assert.Equal("full_refund", resolved.Outcome());
        Assert.Single(resolved.Timeline(), e => e.Event is "request_accepted" or "seller_response_missed");
        Assert.Single(await app.Entries(orderId, "dispute_refund"));
        Assert.Equal(refunds + 1, app.Payments.CountSucceeded("refund"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task Confirming_receipt_against_opening_a_dispute_leaves_one_winner()
    {
        for (var i = 0; i < 3; i++)
        {
            var (buyer, _, orderId) = await app.OrderIn("awaiting_delivery", amount: 3_000);

            var results = await Task.WhenAll(
                buyer.Http.PostAsync($"/api/v1/orders/{orderId}/confirm-receipt", null),
                Open(buyer, orderId, reason: "not_received"));

            var order = await Api.GetOrder(buyer, orderId);
            if (results[0].StatusCode == HttpStatusCode.OK)
            {
                Assert.True(Lost(results[1]), results[1].StatusCode.ToString());
                Assert.Equal("completed", order.Status());
                Assert.Null(order["dispute"]);
                Assert.Single(await app.Entries(orderId, "release"));
            }
            else
            {
                Assert.Equal(HttpStatusCode.Created, results[1].StatusCode);
                Assert.Equal(HttpStatusCode.Conflict, results[0].StatusCode);
                Assert.Equal("awaiting_seller_response", order["dispute"]!["status"]!.GetValue<string>());
                Assert.Empty(await app.Entries(orderId, "release"));
            }
        }
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task Two_disputes_opened_at_once_leave_one()
    {
        var (buyer, _, orderId) = await app.OrderIn("awaiting_delivery");

        var results = await Task.WhenAll(Open(buyer, orderId), Open(buyer, orderId, reason: "wrong_item"));

        Assert.Single(results, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Single(results, Lost);
        Assert.Single(await Api.ItemsOf(buyer, "/api/v1/disputes"));
    }
}
