using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>
/// Disputes naming some of an order's items through the API (SPEC 3): only their value stays in escrow, the rest is
/// released by confirm receipt or protection's end on its own clock, and the outcome posts against the claimed part only;
/// bad items are refused with a code and nothing written.
/// </summary>
public sealed class PerItemDisputeTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    /// <summary>A watch (100.00) and two straps (15.00 each) of one seller, paid and shipped.</summary>
    private async Task<(TestUser Buyer, TestUser Seller, Guid OrderId, Guid Watch, Guid Strap)> WatchAndStraps()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var watch = await app.NewProduct(seller, 10_000);
        var strap = await app.NewProduct(seller, 1_500);
        var placed = await buyer.Http.PostAsJsonAsync("/api/v1/orders", new
        {
            items = new object[] { new { productId = watch, quantity = 1 }, new { productId = strap, quantity = 2 } },
            shippingAddress = new { fullName = "Test Buyer", line1 = "1 Test Street", city = "Tbilisi", country = "GE" },
        });
        await Api.ExpectStatus(placed, HttpStatusCode.Created);
        var order = await Api.Json(placed);
        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, order.Id()), HttpStatusCode.OK);
        await Api.ExpectStatus(await SafeholdApp.Ship(seller, order.Id()), HttpStatusCode.OK);
        var items = order["items"]!.AsArray();
        return (buyer, seller, order.Id(), Guid.Parse(items[0]!["itemId"]!.GetValue<string>()), Guid.Parse(items[1]!["itemId"]!.GetValue<string>()));
    }

    private static Task<HttpResponseMessage> OpenOn(TestUser buyer, Guid orderId, object[] items, string outcome = "full_refund", long? amount = null) =>
        buyer.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/disputes", new
        {
            reason = "damaged",
            requestedOutcome = outcome,
            requestedAmount = amount is { } a ? Usd(a) : null,
            description = "One strap arrived torn.",
            items,
        });

    private async Task<long> Escrow(Guid orderId)
    {
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            return await db.JournalLines.Where(l => l.OrderId == orderId && l.AccountType == Domain.Ledger.AccountType.Escrow).SumAsync(l => l.Amount);
        }
    }

    private static async Task<List<string>> JournalKinds(TestUser party, Guid orderId)
    {
        var ledger = await Api.Json(await party.Http.GetAsync($"/api/v1/orders/{orderId}/ledger"));
        return ledger["entries"]!.AsArray().Select(e => e!["kind"]!.GetValue<string>()).ToList();
    }

    [Fact]
    public async Task A_dispute_on_one_strap_holds_its_value_confirm_receipt_releases_the_rest_and_the_refund_is_the_straps_only()
    {
        var (buyer, seller, orderId, _, strap) = await WatchAndStraps();

        var opened = await OpenOn(buyer, orderId, [new { itemId = strap, quantity = 1 }]);
        await Api.ExpectStatus(opened, HttpStatusCode.Created);
        var dispute = await Api.Json(opened);

        Assert.Equal(1_500, dispute.Amount("claimedAmount"));
        Assert.Equal(1_500, dispute.Amount("heldAmount"));
        var item = Assert.Single(dispute["items"]!.AsArray());
        Assert.Equal((strap.ToString(), 1), (item!["itemId"]!.GetValue<string>(), item["quantity"]!.GetValue<int>()));
        var order = await Api.GetOrder(buyer, orderId);
        Assert.Contains("confirm_receipt", order.Actions());
        Assert.Equal(1_500, order["dispute"]!.Amount("heldAmount"));
        Assert.Single(order["dispute"]!["items"]!.AsArray());

        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/confirm-receipt", null), HttpStatusCode.OK);
        Assert.Equal(1_500, await Escrow(orderId));
        var release = Assert.Single(await app.Entries(orderId, "release"));
        Assert.Equal(-11_500, release["Escrow"]);
        Assert.Equal(11_500, release["SellerPending"] + release["PlatformCommission"]);
        Assert.Contains("release", await JournalKinds(buyer, orderId));
        await app.AssertLedgerOk();

        var settled = await PostOk(seller, dispute.Id(), "accept");
        Assert.Equal(("resolved", 1_500L), (settled.Status(), settled.Amount("refundAmount")!.Value));
        var refund = Assert.Single(await app.Entries(orderId, "dispute_refund"));
        Assert.Equal((-1_500L, 1_500L), (refund["Escrow"], refund["RefundsOwed"]));
        Assert.False(refund.ContainsKey("PlatformCommission"));
        Assert.Equal(0, await Escrow(orderId));
        Assert.Equal("completed", (await Api.GetOrder(buyer, orderId)).Status());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task Protections_end_releases_the_rest_while_the_per_item_dispute_is_under_review_and_the_decision_posts_against_the_part()
    {
        var (buyer, seller, orderId, watch, _) = await WatchAndStraps();
        var opened = await OpenOn(buyer, orderId, [new { itemId = watch, quantity = 1 }], "partial_refund", 4_000);
        await Api.ExpectStatus(opened, HttpStatusCode.Created);
        var id = (await Api.Json(opened)).Id();
        await PostOk(seller, id, "reject", new { reason = "It left here working." });
        await PostOk(buyer, id, "escalate");

        await app.AdvanceAndSweep(TimeSpan.FromDays(41)); // protection's 40 days, and a day
        var order = await Api.GetOrder(buyer, orderId);
        Assert.Equal("completed", order.Status());
        Assert.Equal("under_review", (await Get(buyer, id)).Status());
        Assert.Equal(-3_000, Assert.Single(await app.Entries(orderId, "release"))["Escrow"]);
        Assert.Equal(10_000, await Escrow(orderId));
        await app.AssertLedgerOk();

        var arbiter = await app.NewUser("arbiter");
        await PostOk(arbiter, id, "decision", new { outcome = "partial_refund", refundAmount = Usd(2_500), rationale = "The crown is loose." });
        await app.AdvanceAndSweep(TimeSpan.FromDays(31)); // the appeal window closes and the decision settles
        var split = Assert.Single(await app.Entries(orderId, "dispute_partial_refund"));
        Assert.Equal((-10_000L, 2_500L), (split["Escrow"], split["RefundsOwed"]));
        Assert.Equal(7_500, split.Where(l => l.Key is "SellerPending" or "SellerAvailable" or "PlatformCommission").Sum(l => l.Value));
        Assert.Equal(0, await Escrow(orderId));
        Assert.Contains("dispute_partial_refund", await JournalKinds(seller, orderId));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task After_completion_a_per_item_dispute_takes_its_part_back_into_escrow_while_the_rest_becomes_available()
    {
        var (buyer, seller, orderId, _, strap) = await WatchAndStraps();
        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/confirm-receipt", null), HttpStatusCode.OK);
        var opened = await OpenOn(buyer, orderId, [new { itemId = strap, quantity = 1 }]);
        await Api.ExpectStatus(opened, HttpStatusCode.Created);
        var dispute = await Api.Json(opened);
        Assert.Equal(1_500, dispute.Amount("heldAmount"));
        Assert.Equal(1_500, await Escrow(orderId));
        Assert.Contains("dispute_hold", await JournalKinds(seller, orderId));
        await app.AssertLedgerOk();

        await PostOk(seller, dispute.Id(), "reject", new { reason = "It left here whole." });
        await PostOk(buyer, dispute.Id(), "escalate");
        await app.AdvanceAndSweep(TimeSpan.FromDays(16)); // past the 15-day window: the rest's credit becomes available
        var available = Assert.Single(await app.Entries(orderId, "credit_available"));
        Assert.Equal(11_500, available["SellerAvailable"] + Assert.Single(await app.Entries(orderId, "release"))["PlatformCommission"]
            + Assert.Single(await app.Entries(orderId, "dispute_hold"))["PlatformCommission"]); // commission on the rest only
        Assert.Equal(1_500, await Escrow(orderId));
        await app.AssertLedgerOk();

        var arbiter = await app.NewUser("arbiter");
        await PostOk(arbiter, dispute.Id(), "decision", new { outcome = "full_refund", rationale = "Torn in the photos." });
        await app.AdvanceAndSweep(TimeSpan.FromDays(31));
        Assert.Equal(1_500, Assert.Single(await app.Entries(orderId, "dispute_refund"))["RefundsOwed"]);
        Assert.Equal(0, await Escrow(orderId));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_requested_amount_above_the_claimed_items_value_is_refused()
    {
        var (buyer, _, orderId, _, strap) = await WatchAndStraps();

        await Api.ExpectProblem(await OpenOn(buyer, orderId, [new { itemId = strap, quantity = 2 }], "partial_refund", 3_001),
            HttpStatusCode.UnprocessableEntity, "amount_out_of_range");

        Assert.Null((await Api.GetOrder(buyer, orderId))["dispute"]);
    }

    [Fact]
    public async Task Bad_items_are_refused_with_a_code_and_nothing_is_written()
    {
        var (buyer, _, orderId, watch, strap) = await WatchAndStraps();
        var (_, _, otherOrder, otherWatch, _) = await WatchAndStraps();

        await Api.ExpectProblem(await OpenOn(buyer, orderId, [new { itemId = strap, quantity = 1 }, new { itemId = strap, quantity = 1 }]),
            HttpStatusCode.BadRequest, "duplicate_item");
        await Api.ExpectProblem(await OpenOn(buyer, orderId, [new { itemId = strap, quantity = 0 }]), HttpStatusCode.BadRequest, "quantity_out_of_range");
        await Api.ExpectProblem(await OpenOn(buyer, orderId, [new { itemId = strap, quantity = 3 }]), HttpStatusCode.BadRequest, "quantity_out_of_range");
        await Api.ExpectProblem(await OpenOn(buyer, orderId, [new { itemId = otherWatch, quantity = 1 }]), HttpStatusCode.BadRequest, "unknown_item");
        await Api.ExpectProblem(await OpenOn(buyer, orderId, [new { quantity = 1 }]), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await OpenOn(buyer, orderId, [new { itemId = watch }]), HttpStatusCode.BadRequest, "validation_failed");

        var order = await Api.GetOrder(buyer, orderId);
        Assert.Null(order["dispute"]);
        Assert.DoesNotContain(order["timeline"]!.AsArray(), e => e!["event"]!.GetValue<string>() == "dispute_opened");
        Assert.Empty(await Api.ItemsOf(buyer, "/api/v1/disputes?limit=100"));
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            Assert.Equal(0, await db.Disputes.CountAsync(d => d.OrderId == orderId || d.OrderId == otherOrder));
        }
    }

    [Fact]
    public async Task Confirm_receipt_racing_the_sellers_acceptance_releases_the_rest_once_and_refunds_the_part_once()
    {
        var (buyer, seller, orderId, _, strap) = await WatchAndStraps();
        var opened = await OpenOn(buyer, orderId, [new { itemId = strap, quantity = 2 }]);
        await Api.ExpectStatus(opened, HttpStatusCode.Created);
        var id = (await Api.Json(opened)).Id();

        var confirm = buyer.Http.PostAsync($"/api/v1/orders/{orderId}/confirm-receipt", null);
        var accept = Post(seller, id, "accept");
        await Task.WhenAll(confirm, accept);

        // Each is one change of the order under its version: a loser answers 409 and, tried again, goes through.
        if ((await confirm).StatusCode == HttpStatusCode.Conflict)
            await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/confirm-receipt", null), HttpStatusCode.OK);
        else await Api.ExpectStatus(await confirm, HttpStatusCode.OK);
        if ((await accept).StatusCode == HttpStatusCode.Conflict) await PostOk(seller, id, "accept");
        else await Api.ExpectStatus(await accept, HttpStatusCode.OK);
        Assert.Equal(-10_000, Assert.Single(await app.Entries(orderId, "release"))["Escrow"]);
        Assert.Equal(3_000, Assert.Single(await app.Entries(orderId, "dispute_refund"))["RefundsOwed"]);
        Assert.Equal(0, await Escrow(orderId));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task The_sweepers_protection_end_racing_the_buyers_withdrawal_releases_everything_once_either_way()
    {
        var (buyer, seller, orderId, _, strap) = await WatchAndStraps();
        var opened = await OpenOn(buyer, orderId, [new { itemId = strap, quantity = 1 }], "partial_refund", 1_000);
        await Api.ExpectStatus(opened, HttpStatusCode.Created);
        var id = (await Api.Json(opened)).Id();
        await PostOk(seller, id, "reject", new { reason = "It left here whole." });
        await PostOk(buyer, id, "escalate");
        app.Clock.Advance(TimeSpan.FromDays(40) + TimeSpan.FromMinutes(1)); // protection has ended; the dispute waits for an arbiter
        var sweeper = app.Services.GetRequiredService<Safehold.Web.Jobs.DeadlineSweeper>();

        var withdraw = Post(buyer, id, "withdraw");
        var sweep = sweeper.RunDueAsync(CancellationToken.None);
        await Task.WhenAll(withdraw, sweep);

        Assert.True((await withdraw).StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, (await withdraw).StatusCode.ToString());
        if ((await withdraw).StatusCode == HttpStatusCode.Conflict) await PostOk(buyer, id, "withdraw");
        await app.AdvanceAndSweep(TimeSpan.Zero);
        Assert.Equal("completed", (await Api.GetOrder(buyer, orderId)).Status());
        // Withdrawn first, the strap rejoined the order and all of it was released at once; released first, the rest went
        // and the withdrawal released the strap after it. Either way once, and nothing stays in escrow.
        var release = Assert.Single(await app.Entries(orderId, "release"))["Escrow"];
        var part = await app.Entries(orderId, "dispute_release");
        Assert.True(release == -13_000 ? part.Count == 0 : release == -11_500 && Assert.Single(part)["Escrow"] == -1_500, $"release {release}");
        Assert.Equal(0, await Escrow(orderId));
        await app.AssertLedgerOk();
    }
}
