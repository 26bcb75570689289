using System.Net;
using System.Net.Http.Json;

namespace Safehold.Web.Tests.Features.Orders;

public sealed class OrderLifecycleTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task A_buyer_creates_pays_the_seller_ships_the_buyer_confirms_and_the_seller_has_the_total_less_5_percent_pending()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller, amount: 12_999);
        await app.AssertLedgerOk();

        var order = await app.PlaceOrder(buyer, product);
        Assert.Equal("awaiting_payment", order.Status());
        Assert.Equal(12_999, order["total"]!["amount"]!.GetValue<long>());
        Assert.Equal(["pay", "cancel"], order.Actions());
        Assert.Null(order["dispute"]);
        var id = order.Id();
        await app.AssertLedgerOk();

        var paid = await Api.Json(await SafeholdApp.Pay(buyer, id));
        Assert.Equal("awaiting_shipment", paid.Status());
        Assert.Equal(["cancel"], paid.Actions());
        Assert.NotNull(paid["deadlines"]!["shipBy"]);
        await app.AssertLedgerOk();

        var asSeller = await Api.GetOrder(seller, id);
        Assert.Equal(["cancel", "ship"], asSeller.Actions().Order());

        var shipped = await Api.Json(await SafeholdApp.Ship(seller, id));
        Assert.Equal("awaiting_delivery", shipped.Status());
        Assert.Equal(["mark_delivered"], shipped.Actions());
        Assert.Equal(app.Clock.GetUtcNow().AddDays(40), shipped["deadlines"]!["protectionEndsAt"]!.GetValue<DateTimeOffset>());
        await app.AssertLedgerOk();

        var asBuyer = await Api.GetOrder(buyer, id);
        Assert.Equal(["confirm_receipt", "extend_protection", "open_dispute"], asBuyer.Actions());

        var confirmed = await Api.Json(await buyer.Http.PostAsync($"/api/v1/orders/{id}/confirm-receipt", null));
        Assert.Equal("completed", confirmed.Status());
        Assert.Equal(["open_dispute"], confirmed.Actions()); // for the days after completion
        await app.AssertLedgerOk();

        var balance = await buyer.Http.GetAsync("/api/v1/balance");
        await Api.ExpectProblem(balance, HttpStatusCode.Forbidden, "action_not_allowed");
        var sellerBalance = await Api.Json(await seller.Http.GetAsync("/api/v1/balance"));
        var usd = Assert.Single(sellerBalance["balances"]!.AsArray())!;
        Assert.Equal("USD", usd["currency"]!.GetValue<string>());
        Assert.Equal(12_999 - 650, usd["pending"]!.GetValue<long>()); // 5% of 129.99 is 6.4995, rounded to 6.50
        Assert.Equal(0, usd["available"]!.GetValue<long>());
        Assert.Equal(0, usd["paidOut"]!.GetValue<long>());

        var timeline = confirmed["timeline"]!.AsArray().Select(e => e!["event"]!.GetValue<string>()).ToList();
        Assert.Equal(["placed", "paid", "shipped", "receipt_confirmed"], timeline);
    }

    [Fact]
    public async Task The_order_ledger_shows_the_capture_and_the_release_with_commission()
    {
        var (buyer, _, id) = await app.OrderIn("completed", amount: 10_000);
        var ledger = await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}/ledger"));
        var entries = ledger["entries"]!.AsArray();
        Assert.Equal(["capture", "release"], entries.Select(e => e!["kind"]!.GetValue<string>()));
        var release = entries[1]!["lines"]!.AsArray()
            .ToDictionary(l => l!["account"]!.GetValue<string>().Split(':')[0], l => l!["amount"]!["amount"]!.GetValue<long>());
        Assert.Equal(-10_000, release["escrow"]);
        Assert.Equal(9_500, release["seller_pending"]);
        Assert.Equal(500, release["platform_commission"]);
    }

    [Fact]
    public async Task Cancelling_a_paid_order_refunds_the_buyer_in_full_through_the_provider()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_shipment", amount: 4_321);
        var refundsBefore = app.Payments.CountSucceeded("refund");
        var cancelled = await Api.Json(await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{id}/cancel", new { reason = "Changed my mind" }));
        Assert.Equal("closed", cancelled.Status());
        // The cancel owes the refund and writes its instruction; the worker sends it after the commit.
        Assert.Equal(refundsBefore, app.Payments.CountSucceeded("refund"));
        var owed = await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}/ledger"));
        Assert.Equal(["capture", "refund"], owed["entries"]!.AsArray().Select(e => e!["kind"]!.GetValue<string>()));
        await app.AssertLedgerOk();

        Assert.Equal(1, await app.SendPayments());

        Assert.Equal(refundsBefore + 1, app.Payments.CountSucceeded("refund"));
        var sent = await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}/ledger"));
        Assert.Equal(["capture", "refund", "refund_sent"], sent["entries"]!.AsArray().Select(e => e!["kind"]!.GetValue<string>()));
        Assert.Equal(0, await app.SendPayments()); // settled once: nothing is sent again
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_seller_may_cancel_before_shipment_but_nobody_may_cancel_after()
    {
        var (_, seller, id) = await app.OrderIn("awaiting_payment");
        Assert.Equal("closed", (await Api.Json(await seller.Http.PostAsync($"/api/v1/orders/{id}/cancel", null))).Status());

        var (buyer, _, shipped) = await app.OrderIn("awaiting_delivery");
        await Api.ExpectProblem(await buyer.Http.PostAsync($"/api/v1/orders/{shipped}/cancel", null), HttpStatusCode.Conflict, "invalid_state");
        Assert.Equal("awaiting_delivery", (await Api.GetOrder(buyer, shipped)).Status());
    }

    [Fact]
    public async Task Reported_delivery_sets_the_auto_complete_date_and_is_reported_once()
    {
        var (buyer, seller, id) = await app.OrderIn("delivered");
        var order = await Api.GetOrder(buyer, id);
        Assert.Equal(app.Clock.GetUtcNow().AddDays(15), order["deadlines"]!["autoCompleteAt"]!.GetValue<DateTimeOffset>());
        Assert.NotNull(order["deliveredAt"]);
        await Api.ExpectProblem(await seller.Http.PostAsync($"/api/v1/orders/{id}/mark-delivered", null), HttpStatusCode.Conflict, "invalid_state");
        Assert.Equal(["confirm_receipt", "extend_protection", "open_dispute"], order.Actions());
    }

    [Fact]
    public async Task An_admin_may_report_delivery_and_sees_every_order()
    {
        var (_, _, id) = await app.OrderIn("awaiting_delivery");
        var delivered = await Api.Json(await app.Admin.PostAsync($"/api/v1/orders/{id}/mark-delivered", null));
        Assert.NotNull(delivered["deliveredAt"]);
        Assert.Equal("admin", delivered["timeline"]!.AsArray().Last()!["actor"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_long_address_in_georgian_is_kept_as_written()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller);
        var address = string.Concat(Enumerable.Repeat("რუსთაველის გამზირი 12, თბილისი; ", 15))[..480];

        var response = await buyer.Http.PostAsJsonAsync("/api/v1/orders", new { items = new[] { new { productId = product, quantity = 1 } }, shippingAddress = address });

        await Api.ExpectStatus(response, HttpStatusCode.Created);
        Assert.Equal(address.Trim(), (await Api.Json(response))["shippingAddress"]!.GetValue<string>());
    }
}
