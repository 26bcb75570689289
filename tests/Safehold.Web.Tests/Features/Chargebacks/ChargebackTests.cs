using System.Net;
using System.Net.Http.Json;
using static Safehold.Web.Tests.Features.Chargebacks.ChargebackApi;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Chargebacks;

/// <summary>
/// Chargebacks (SPEC 4) through <c>POST /payment-events</c>: money in escrow frozen, released money taken back from the
/// seller (pending, or available even below zero, netted from the next payout), won and lost, who bears a loss, and a
/// chargeback taking over from a dispute. The ledger check holds after every step.
/// </summary>
public sealed class ChargebackTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task A_chargeback_on_money_in_escrow_freezes_the_order_on_the_arbiters_desk_and_winning_it_lets_the_order_go_on()
    {
        var (buyer, seller, orderId) = await app.OrderIn("awaiting_delivery");
        var respondBy = app.Now.AddDays(10);

        var opened = await Event(app.Admin, "chargeback.opened", orderId, reason: "product_not_received", respondBy: respondBy);

        await Api.ExpectStatus(opened, HttpStatusCode.OK);
        var chargeback = await DisputeOf(app, Guid.Parse((await Api.Json(opened))["disputeId"]!.GetValue<string>()));
        Assert.Equal("under_review", chargeback.Status());
        Assert.Equal("chargeback", chargeback["reason"]!.GetValue<string>());
        Assert.Equal("chargeback", chargeback["kind"]!.GetValue<string>());
        Assert.Equal(respondBy, chargeback["deadlines"]!["respondBy"]!.GetValue<DateTimeOffset>());
        Assert.Empty(await app.Entries(orderId, "chargeback_hold")); // nothing was released: the money stays in escrow, frozen
        var order = await Api.GetOrder(buyer, orderId);
        Assert.Equal(chargeback.Id(), order["dispute"]!.Id());
        Assert.DoesNotContain("confirm_receipt", order.Actions());
        Assert.DoesNotContain("open_dispute", order.Actions());
        await Api.ExpectProblem(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/confirm-receipt", null), HttpStatusCode.Conflict, "invalid_state");
        Assert.DoesNotContain("withdraw", (await Get(buyer, chargeback.Id())).Actions()); // the buyer cannot withdraw a chargeback
        Assert.DoesNotContain("decision", (await Get(await app.NewUser("arbiter"), chargeback.Id())).Actions()); // nor an arbiter decide it
        Assert.Equal(1, await app.Notifications(seller.Id, "chargeback_opened"));
        await app.AssertLedgerOk();

        var won = await EventOk(app, "chargeback.won", orderId);

        Assert.Equal("resolved", won["disputeStatus"]!.GetValue<string>());
        Assert.Equal("released_to_seller", (await DisputeOf(app, chargeback.Id())).Outcome());
        order = await Api.GetOrder(buyer, orderId);
        Assert.Equal("awaiting_delivery", order.Status());
        Assert.Contains("confirm_receipt", order.Actions());
        Assert.DoesNotContain("open_dispute", order.Actions()); // the bank has decided the buyer's claim
        await app.AssertLedgerOk();
        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/confirm-receipt", null), HttpStatusCode.OK);
        Assert.Equal((9_500, 0, 0), await Balance(seller));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_lost_chargeback_on_money_in_escrow_sends_the_total_out_to_the_card_and_closes_the_order()
    {
        var (buyer, seller, orderId) = await app.OrderIn("awaiting_shipment", amount: 12_345);
        await app.OpenChargeback(orderId);
        await Api.ExpectProblem(await SafeholdApp.Ship(seller, orderId), HttpStatusCode.Conflict, "invalid_state"); // nothing ships while the money is frozen
        await Api.ExpectProblem(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/cancel", null), HttpStatusCode.Conflict, "invalid_state");
        await app.AssertLedgerOk();

        await EventOk(app, "chargeback.lost", orderId);

        Assert.Equal(new Dictionary<string, long> { ["Escrow"] = -12_345, ["ChargebacksOut"] = 12_345 }, await app.SingleEntry(orderId, "chargeback_lost"));
        var order = await Api.GetOrder(buyer, orderId);
        Assert.Equal("closed", order.Status());
        Assert.Equal("full_refund", order["dispute"]!["outcome"]!.GetValue<string>());
        Assert.Equal((0, 0, 0), await Balance(seller));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_chargeback_after_release_takes_the_pending_credit_back_and_winning_returns_it_with_the_clock_paused_meanwhile()
    {
        var (_, seller, orderId) = await app.OrderIn("completed");
        Assert.Equal((9_500, 0, 0), await Balance(seller));
        await app.AdvanceAndSweep(TimeSpan.FromDays(10));

        await app.OpenChargeback(orderId);

        Assert.Equal(new Dictionary<string, long> { ["SellerPending"] = -9_500, ["PlatformCommission"] = -500, ["Escrow"] = 10_000 },
            await app.SingleEntry(orderId, "chargeback_hold"));
        Assert.Equal((0, 0, 0), await Balance(seller));
        await app.AssertLedgerOk();
        await app.AdvanceAndSweep(TimeSpan.FromDays(20)); // past the dispute window: frozen, nothing becomes available
        Assert.Equal((0, 0, 0), await Balance(seller));
        await app.AssertLedgerOk();

        await EventOk(app, "chargeback.won", orderId);

        Assert.Equal(new Dictionary<string, long> { ["Escrow"] = -10_000, ["SellerPending"] = 9_500, ["PlatformCommission"] = 500 },
            await app.SingleEntry(orderId, "chargeback_returned"));
        Assert.Equal((9_500, 0, 0), await Balance(seller));
        await app.AssertLedgerOk();
        await app.AdvanceAndSweep(TimeSpan.FromDays(5) + TimeSpan.FromMinutes(1)); // the 5 days the window had left
        Assert.Equal((0, 9_500, 0), await Balance(seller));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_lost_chargeback_after_payout_leaves_the_seller_negative_and_the_next_payout_nets_it()
    {
        var (_, seller, orderId) = await app.OrderInCompletedPastWindow(10_000);
        await Api.ExpectStatus(await app.Admin.PostAsync("/api/v1/payouts/run", null), HttpStatusCode.OK);
        Assert.Equal((0, 0, 9_500), await Balance(seller));

        await app.OpenChargeback(orderId);

        Assert.Equal(new Dictionary<string, long> { ["SellerAvailable"] = -9_500, ["PlatformCommission"] = -500, ["Escrow"] = 10_000 },
            await app.SingleEntry(orderId, "chargeback_hold"));
        Assert.Equal((0, -9_500, 9_500), await Balance(seller));
        await app.AssertLedgerOk();

        await EventOk(app, "chargeback.lost", orderId);

        Assert.Equal(new Dictionary<string, long> { ["Escrow"] = -10_000, ["ChargebacksOut"] = 10_000 }, await app.SingleEntry(orderId, "chargeback_lost"));
        Assert.Equal((0, -9_500, 9_500), await Balance(seller)); // the seller bears it: nothing is paid until it is made up
        await app.AssertLedgerOk();
        var run = await Api.Json(await app.Admin.PostAsync("/api/v1/payouts/run", null));
        Assert.DoesNotContain(run["payouts"]!.AsArray(), p => p!["sellerId"]!.GetValue<string>() == seller.Id.ToString());

        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller, 30_000);
        var second = (await app.PlaceOrder(buyer, product)).Id();
        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, second), HttpStatusCode.OK);
        await Api.ExpectStatus(await SafeholdApp.Ship(seller, second), HttpStatusCode.OK);
        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{second}/confirm-receipt", null), HttpStatusCode.OK);
        await app.AdvanceAndSweep(TimeSpan.FromDays(15) + TimeSpan.FromMinutes(1));
        Assert.Equal((0, 28_500 - 9_500, 9_500), await Balance(seller));
        run = await Api.Json(await app.Admin.PostAsync("/api/v1/payouts/run", null));

        var payout = run["payouts"]!.AsArray().Single(p => p!["sellerId"]!.GetValue<string>() == seller.Id.ToString())!;
        Assert.Equal(19_000, payout.Amount("amount"));
        Assert.Equal((0, 0, 28_500), await Balance(seller));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_chargeback_takes_over_from_an_open_dispute_which_closes_superseded()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed();
        await PostOk(seller, dispute.Id(), "reject", new { reason = "It left here intact." });

        var chargeback = await app.OpenChargeback(orderId);

        var superseded = await Get(buyer, dispute.Id());
        Assert.Equal("superseded", superseded.Status());
        Assert.Empty(superseded.Actions());
        Assert.Empty(superseded["deadlines"]!.AsObject());
        Assert.Equal(chargeback.Id(), (await Api.GetOrder(buyer, orderId))["dispute"]!.Id());
        Assert.Equal(1, await app.Notifications(buyer.Id, "dispute_superseded"));
        await Api.ExpectProblem(await Post(buyer, dispute.Id(), "escalate"), HttpStatusCode.Conflict, "invalid_state");
        await app.AssertLedgerOk();
        await app.AdvanceAndSweep(TimeSpan.FromDays(30)); // the superseded dispute's timers are gone
        Assert.Equal("superseded", (await Get(buyer, dispute.Id())).Status());

        await EventOk(app, "chargeback.lost", orderId);

        Assert.Equal("closed", (await Api.GetOrder(buyer, orderId)).Status());
        Assert.Single(await app.Entries(orderId, "chargeback_lost"));
        Assert.Empty(await app.Entries(orderId, "dispute_refund")); // the card network refunded the buyer, not Safehold
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task The_platform_bears_a_lost_chargeback_when_its_own_arbiter_had_decided_the_order_for_the_seller()
    {
        var (_, seller, orderId, dispute) = await app.Disputed();
        await PostOk(seller, dispute.Id(), "reject", new { reason = "It left here intact." });
        await PostOk(seller, dispute.Id(), "escalate");
        await PostOk(await app.NewUser("arbiter"), dispute.Id(), "decision", new { outcome = "released_to_seller", rationale = "Tracking shows delivery." });
        await app.AdvanceAndSweep(TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1)); // the appeal window closes: released
        Assert.Equal((9_500, 0, 0), await Balance(seller));

        var chargeback = await app.OpenChargeback(orderId);
        Assert.Equal("platform", (await Api.Json(await seller.Http.GetAsync($"/api/v1/disputes/{chargeback.Id()}/evidence-pack")))["case"]!["bearer"]!.GetValue<string>());
        await EventOk(app, "chargeback.lost", orderId);

        Assert.Equal(new Dictionary<string, long>
        {
            ["Escrow"] = -10_000,
            ["ChargebacksOut"] = 10_000,
            ["ChargebackLosses"] = -9_500,
            ["SellerAvailable"] = 9_500,
        }, await app.SingleEntry(orderId, "chargeback_lost"));
        Assert.Equal((0, 9_500, 0), await Balance(seller)); // made good, and payable: the order is closed
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task The_seller_bears_a_lost_chargeback_on_money_released_by_the_buyers_own_confirmation()
    {
        var (_, seller, orderId) = await app.OrderIn("completed");
        var chargeback = await app.OpenChargeback(orderId);
        Assert.Equal("seller", (await Api.Json(await seller.Http.GetAsync($"/api/v1/disputes/{chargeback.Id()}/evidence-pack")))["case"]!["bearer"]!.GetValue<string>());

        await EventOk(app, "chargeback.lost", orderId);

        Assert.Equal(new Dictionary<string, long> { ["Escrow"] = -10_000, ["ChargebacksOut"] = 10_000 }, await app.SingleEntry(orderId, "chargeback_lost"));
        Assert.Equal((0, 0, 0), await Balance(seller));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_policy_of_platform_liability_makes_good_every_released_loss()
    {
        using var platformPays = new SafeholdApp { Settings = { ["Safehold:Policy:ChargebackLiability"] = "Platform" } };
        var (_, seller, orderId) = await platformPays.OrderIn("completed");
        await platformPays.OpenChargeback(orderId);

        await EventOk(platformPays, "chargeback.lost", orderId);

        Assert.Equal(-9_500, (await platformPays.SingleEntry(orderId, "chargeback_lost"))["ChargebackLosses"]);
        Assert.Equal((0, 9_500, 0), await Balance(seller));
        await platformPays.AssertLedgerOk();
    }
}
