using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;

namespace Safehold.Web.Tests.Jobs;

/// <summary>Every timed rule of SPEC 2, driven by the fake clock and the sweeper.</summary>
public sealed class ProtectionClockTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private async Task<int> Entries(Guid orderId, string kind)
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.JournalEntries.CountAsync(e => e.OrderId == orderId && e.Kind == kind);
    }

    private static string LastEvent(System.Text.Json.Nodes.JsonNode order, out string actor)
    {
        var last = order["timeline"]!.AsArray().Last()!;
        actor = last["actor"]!.GetValue<string>();
        return last["event"]!.GetValue<string>();
    }

    [Fact]
    public async Task An_unpaid_order_closes_24_hours_after_it_was_placed_and_not_a_minute_earlier()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");
        Assert.Equal(app.Now.AddHours(24), (await Api.GetOrder(buyer, id))["deadlines"]!["payBy"]!.GetValue<DateTimeOffset>());

        await app.AdvanceAndSweep(TimeSpan.FromHours(24) - TimeSpan.FromMinutes(1));
        Assert.Equal("awaiting_payment", (await Api.GetOrder(buyer, id)).Status());

        await app.AdvanceAndSweep(TimeSpan.FromMinutes(1));
        var order = await Api.GetOrder(buyer, id);
        Assert.Equal("closed", order.Status());
        Assert.Equal("expire_unpaid", LastEvent(order, out var actor));
        Assert.Equal("system", actor);
        Assert.Empty(order["deadlines"]!.AsObject());
        Assert.Empty(order.Actions());
    }

    [Fact]
    public async Task An_order_not_shipped_within_the_handling_days_is_cancelled_and_refunded_in_full()
    {
        var (buyer, seller, id) = await app.OrderIn("awaiting_shipment");
        var refunds = app.Payments.CountSucceeded("refund");
        Assert.Equal(app.Now.AddDays(7), (await Api.GetOrder(buyer, id))["deadlines"]!["shipBy"]!.GetValue<DateTimeOffset>());

        await app.AdvanceAndSweep(TimeSpan.FromDays(7));

        var order = await Api.GetOrder(buyer, id);
        Assert.Equal("closed", order.Status());
        Assert.Equal("ship_by_missed", LastEvent(order, out var actor));
        Assert.Equal("system", actor);
        Assert.Equal(1, await Entries(id, "refund"));
        Assert.Equal(refunds + 1, app.Payments.CountSucceeded("refund"));
        await Api.ExpectProblem(await SafeholdApp.Ship(seller, id), HttpStatusCode.Conflict, "invalid_state");
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task When_protection_ends_with_no_dispute_the_order_completes_and_the_seller_is_credited()
    {
        var (buyer, seller, id) = await app.OrderIn("awaiting_delivery", amount: 10_000);

        await app.AdvanceAndSweep(TimeSpan.FromDays(40) - TimeSpan.FromSeconds(1));
        Assert.Equal("awaiting_delivery", (await Api.GetOrder(buyer, id)).Status());
        await app.AdvanceAndSweep(TimeSpan.FromSeconds(1));

        var order = await Api.GetOrder(buyer, id);
        Assert.Equal("completed", order.Status());
        Assert.Equal("protection_ended", LastEvent(order, out var actor));
        Assert.Equal("system", actor);
        Assert.Equal(1, await Entries(id, "release"));
        var balance = await Api.Json(await seller.Http.GetAsync("/api/v1/balance"));
        Assert.Equal(9_500, balance["balances"]![0]!["pending"]!.GetValue<long>());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_reported_delivery_completes_the_order_15_days_later()
    {
        var (buyer, _, id) = await app.OrderIn("delivered");
        await app.AdvanceAndSweep(TimeSpan.FromDays(15));
        var order = await Api.GetOrder(buyer, id);
        Assert.Equal("completed", order.Status());
        Assert.Equal("delivery_auto_complete", LastEvent(order, out _));
    }

    [Fact]
    public async Task The_sellers_credit_becomes_available_when_the_post_completion_window_closes()
    {
        var (buyer, seller, id) = await app.OrderIn("completed", amount: 20_000);
        var completed = await Api.GetOrder(buyer, id);
        Assert.Equal(app.Now.AddDays(15), completed["deadlines"]!["availableAt"]!.GetValue<DateTimeOffset>());

        await app.AdvanceAndSweep(TimeSpan.FromDays(15));

        var balance = (await Api.Json(await seller.Http.GetAsync("/api/v1/balance")))["balances"]![0]!;
        Assert.Equal(0, balance["pending"]!.GetValue<long>());
        Assert.Equal(19_000, balance["available"]!.GetValue<long>());
        Assert.Equal(1, await Entries(id, "credit_available"));
        Assert.Empty((await Api.GetOrder(buyer, id))["deadlines"]!.AsObject());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_40_day_protection_runs_out_and_its_credit_becomes_available_in_one_long_sweep()
    {
        var (buyer, seller, id) = await app.OrderIn("awaiting_delivery", amount: 1_000);
        await app.AdvanceAndSweep(TimeSpan.FromDays(60));
        var order = await Api.GetOrder(buyer, id);
        var events = order["timeline"]!.AsArray().Select(e => e!["event"]!.GetValue<string>()).ToList();
        Assert.Equal(["buyer_reminded", "protection_ended", "dispute_window_closed"], events.TakeLast(3));
        // Each fired at its own deadline, not at the moment of the sweep.
        var shippedAt = order["shipment"]!["shippedAt"]!.GetValue<DateTimeOffset>();
        Assert.Equal(shippedAt.AddDays(40), order["completedAt"]!.GetValue<DateTimeOffset>());
        var balance = (await Api.Json(await seller.Http.GetAsync("/api/v1/balance")))["balances"]![0]!;
        Assert.Equal(950, balance["available"]!.GetValue<long>());
    }

    [Fact]
    public async Task The_buyer_is_reminded_3_days_before_protection_ends_and_the_seller_1_day_before_ship_by()
    {
        var (buyer, seller, id) = await app.OrderIn("awaiting_delivery");
        var (_, seller2, toShip) = await app.OrderIn("awaiting_shipment");

        await app.AdvanceAndSweep(TimeSpan.FromDays(6) - TimeSpan.FromMinutes(1));
        Assert.Empty((await Api.Json(await seller2.Http.GetAsync("/api/v1/notifications")))["items"]!.AsArray());
        await app.AdvanceAndSweep(TimeSpan.FromMinutes(1));
        var sellerInbox = (await Api.Json(await seller2.Http.GetAsync("/api/v1/notifications")))["items"]!.AsArray();
        var shipReminder = Assert.Single(sellerInbox)!;
        Assert.Equal("ship_by_reminder", shipReminder["kind"]!.GetValue<string>());
        Assert.Equal(toShip, Guid.Parse(shipReminder["orderId"]!.GetValue<string>()));

        await app.AdvanceAndSweep(TimeSpan.FromDays(30));
        Assert.Empty((await Api.Json(await buyer.Http.GetAsync("/api/v1/notifications")))["items"]!.AsArray());
        await app.AdvanceAndSweep(TimeSpan.FromDays(1));
        var buyerInbox = (await Api.Json(await buyer.Http.GetAsync("/api/v1/notifications")))["items"]!.AsArray();
        var reminder = Assert.Single(buyerInbox)!;
        Assert.Equal("protection_ending", reminder["kind"]!.GetValue<string>());
        Assert.Contains("ends in 3 days", reminder["subject"]!.GetValue<string>());
        Assert.Empty((await Api.Json(await seller.Http.GetAsync("/api/v1/notifications")))["items"]!.AsArray());
        _ = id;
    }

    [Fact]
    public async Task A_shipped_order_no_longer_has_a_ship_by_deadline()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery");
        var deadlines = (await Api.GetOrder(buyer, id))["deadlines"]!.AsObject().Select(d => d.Key).ToList();
        Assert.Equal(["protectionEndsAt"], deadlines);
        await app.AdvanceAndSweep(TimeSpan.FromDays(8));
        Assert.Equal("awaiting_delivery", (await Api.GetOrder(buyer, id)).Status());
    }

    [Fact]
    public async Task A_products_own_protection_days_replace_the_policys_40()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await Api.Json(await seller.Http.PostAsJsonAsync("/api/v1/products", new
        {
            title = "Short protection",
            description = "Ten days.",
            price = new { amount = 500, currency = "USD" },
            handlingDays = 2,
            protectionDays = 10,
        }));
        var id = (await app.PlaceOrder(buyer, product.Id())).Id();
        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, id), HttpStatusCode.OK);
        var shipped = await Api.Json(await SafeholdApp.Ship(seller, id));
        Assert.Equal(app.Now.AddDays(10), shipped["deadlines"]!["protectionEndsAt"]!.GetValue<DateTimeOffset>());
        await app.AdvanceAndSweep(TimeSpan.FromDays(10));
        Assert.Equal("completed", (await Api.GetOrder(buyer, id)).Status());
    }

    [Fact]
    public async Task A_confirmation_after_protection_ended_loses_to_the_deadline_even_before_the_sweeper_runs()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery");
        app.Clock.Advance(TimeSpan.FromDays(40)); // no sweep

        var late = await buyer.Http.PostAsync($"/api/v1/orders/{id}/confirm-receipt", null);

        await Api.ExpectProblem(late, HttpStatusCode.Conflict, "invalid_state");
        // The refused request rolled back, so the sweeper completes the order by itself.
        Assert.Equal("awaiting_delivery", (await Api.GetOrder(buyer, id)).Status());
        await app.AdvanceAndSweep(TimeSpan.Zero);
        Assert.Equal("completed", (await Api.GetOrder(buyer, id)).Status());
        Assert.Equal(1, await Entries(id, "release"));
    }

    [Fact]
    public async Task Confirm_receipt_racing_the_sweeper_at_the_end_of_protection_leaves_one_release()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery");
        app.Clock.Advance(TimeSpan.FromDays(40) - TimeSpan.FromTicks(1));

        var confirm = buyer.Http.PostAsync($"/api/v1/orders/{id}/confirm-receipt", null);
        var sweep = app.AdvanceAndSweep(TimeSpan.FromTicks(1));
        var response = await confirm;
        await sweep;

        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict });
        var order = await Api.GetOrder(buyer, id);
        Assert.Equal("completed", order.Status());
        Assert.Equal(1, await Entries(id, "release"));
        var events = order["timeline"]!.AsArray().Select(e => e!["event"]!.GetValue<string>()).ToList();
        Assert.Single(events, e => e is "receipt_confirmed" or "protection_ended");
        await app.AssertLedgerOk();
    }
}
