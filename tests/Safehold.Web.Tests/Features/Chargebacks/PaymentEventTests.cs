using System.Net;
using System.Net.Http.Json;
using static Safehold.Web.Tests.Features.Chargebacks.ChargebackApi;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Chargebacks;

/// <summary><c>POST /payment-events</c>: idempotent by the event's id, safe out of order, refusing what it cannot apply and changing nothing.</summary>
public sealed class PaymentEventTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task The_same_event_twice_answers_the_first_result_and_changes_nothing()
    {
        var (_, _, orderId) = await app.OrderIn("completed");
        var id = $"evt_{Guid.NewGuid():N}";
        var first = await Event(app.Admin, "chargeback.opened", orderId, id);
        await Api.ExpectStatus(first, HttpStatusCode.OK);

        var again = await Event(app.Admin, "chargeback.opened", orderId, id);

        await Api.ExpectStatus(again, HttpStatusCode.OK);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal((await Api.Json(first)).ToJsonString(), (await Api.Json(again)).ToJsonString());
        Assert.Single(await app.Entries(orderId, "chargeback_hold"));
        await app.AssertLedgerOk();
        await Api.ExpectProblem(await Event(app.Admin, "chargeback.opened", orderId, id, reason: "credit_not_processed"), HttpStatusCode.Conflict,
            "payment_event_reused");

        var lostId = $"evt_{Guid.NewGuid():N}";
        await EventOk(app, "chargeback.lost", orderId, lostId);
        await EventOk(app, "chargeback.lost", orderId, lostId);
        Assert.Single(await app.Entries(orderId, "chargeback_lost"));
        await Api.ExpectProblem(await Event(app.Admin, "chargeback.won", orderId), HttpStatusCode.Conflict, "chargeback_not_open"); // decided already
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_decision_before_its_chargeback_is_refused_unrecorded_and_applied_when_the_provider_sends_it_again()
    {
        var (buyer, _, orderId) = await app.OrderIn("awaiting_delivery");
        var wonId = $"evt_{Guid.NewGuid():N}";

        await Api.ExpectProblem(await Event(app.Admin, "chargeback.won", orderId, wonId), HttpStatusCode.Conflict, "chargeback_not_open");

        Assert.Null((await Api.GetOrder(buyer, orderId))["dispute"]);
        await EventOk(app, "chargeback.opened", orderId);
        var won = await EventOk(app, "chargeback.won", orderId, wonId);
        Assert.Equal("resolved", won["disputeStatus"]!.GetValue<string>());
        await Api.ExpectProblem(await Event(app.Admin, "chargeback.opened", orderId), HttpStatusCode.Conflict, "chargeback_exists");
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task The_platforms_own_key_reports_events_for_any_order_and_one_acting_for_a_user_only_for_theirs()
    {
        var platform = await app.NewUser("platform");
        var (_, seller, orderId) = await app.OrderIn("awaiting_delivery");
        var (_, _, othersOrder) = await app.OrderIn("awaiting_delivery");
        var actingForSeller = app.ActingFor(platform, seller);

        await Api.ExpectProblem(await Event(actingForSeller.Http, "chargeback.opened", othersOrder), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectStatus(await Event(actingForSeller.Http, "chargeback.opened", orderId), HttpStatusCode.OK);
        await Api.ExpectStatus(await Event(platform.Http, "chargeback.opened", othersOrder), HttpStatusCode.OK);
        await Api.ExpectProblem(await Event(platform.Http, "chargeback.opened", Guid.NewGuid()), HttpStatusCode.NotFound, "not_found");
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_buyer_or_seller_with_their_own_key_cannot_report_payment_events()
    {
        var (buyer, seller, orderId) = await app.OrderIn("awaiting_delivery");
        await Api.ExpectProblem(await Event(seller.Http, "chargeback.opened", orderId), HttpStatusCode.Forbidden, "action_not_allowed");
        await Api.ExpectProblem(await Event(buyer.Http, "chargeback.opened", orderId), HttpStatusCode.Forbidden, "action_not_allowed");
        Assert.Null((await Api.GetOrder(buyer, orderId))["dispute"]);
    }

    [Fact]
    public async Task Bad_events_are_refused_with_their_fields_and_change_nothing()
    {
        var (buyer, _, orderId) = await app.OrderIn("awaiting_delivery");
        var problem = await Api.ExpectProblem(await app.Admin.PostAsJsonAsync("/api/v1/payment-events", new { type = "charge.refunded", orderId }),
            HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]!["id"]);
        Assert.NotNull(problem["errors"]!["type"]);
        problem = await Api.ExpectProblem(await app.Admin.PostAsJsonAsync("/api/v1/payment-events", new { id = "evt_1", type = "chargeback.opened", orderId }),
            HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]!["reason"]);
        Assert.NotNull(problem["errors"]!["respondBy"]);
        await Api.ExpectProblem(await Event(app.Admin, "chargeback.opened", orderId, amount: Usd(9_999)), HttpStatusCode.UnprocessableEntity,
            "chargeback_amount_mismatch");
        await Api.ExpectProblem(await Event(app.Admin, "chargeback.opened", orderId, amount: new { amount = 10_000, currency = "EUR" }),
            HttpStatusCode.BadRequest, "validation_failed");
        var (_, _, unpaid) = await app.OrderIn("awaiting_payment");
        await Api.ExpectProblem(await Event(app.Admin, "chargeback.opened", unpaid), HttpStatusCode.Conflict, "invalid_state");
        Assert.Null((await Api.GetOrder(buyer, orderId))["dispute"]);
        await EventOk(app, "chargeback.opened", orderId, "evt_1"); // refused events were not recorded: the id is free
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_buyer_cannot_open_a_dispute_with_the_chargeback_reason()
    {
        var (buyer, _, orderId) = await app.OrderIn("awaiting_delivery");
        await Api.ExpectProblem(await Open(buyer, orderId, reason: "chargeback"), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task A_chargeback_racing_the_buyers_confirmation_leaves_one_consistent_result()
    {
        for (var round = 0; round < 4; round++)
        {
            var (buyer, seller, orderId) = await app.OrderIn("awaiting_delivery");
            var confirm = buyer.Http.PostAsync($"/api/v1/orders/{orderId}/confirm-receipt", null);
            var chargeback = Event(app.Admin, "chargeback.opened", orderId);
            var (confirmed, opened) = (await confirm, await chargeback);

            await Api.ExpectStatus(opened, HttpStatusCode.OK);
            var holds = await app.Entries(orderId, "chargeback_hold");
            if (confirmed.StatusCode == HttpStatusCode.OK)
                Assert.Single(holds); // confirmed first: the released credit was taken back
            else
            {
                await Api.ExpectProblem(confirmed, HttpStatusCode.Conflict, "invalid_state"); // the chargeback first: nothing was released
                Assert.Empty(holds);
                Assert.Empty(await app.Entries(orderId, "release"));
            }
            Assert.Equal((0, 0, 0), await Balance(seller));
            await app.AssertLedgerOk();
            await EventOk(app, "chargeback.lost", orderId);
            await app.AssertLedgerOk();
        }
    }
}
