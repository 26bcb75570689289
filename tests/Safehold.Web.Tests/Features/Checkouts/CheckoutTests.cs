using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Ledger;
using Safehold.Web.Payments;

namespace Safehold.Web.Tests.Features.Checkouts;

/// <summary>
/// Checkouts (SPEC 5, <c>/checkouts</c>): a cart of several sellers' products makes one order per seller, paid with one
/// payment (one capture at the provider, one journal entry per order into its own escrow); afterwards each order lives
/// on its own, and what refunds one returns that order's share of the capture only.
/// </summary>
public sealed class CheckoutTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    internal static readonly object Address = new { fullName = "Test Buyer", line1 = "1 Test Street", city = "Tbilisi", country = "GE" };

    [Fact]
    public async Task A_cart_of_three_sellers_makes_one_order_per_seller_and_one_payment_pays_them_all_each_into_its_own_escrow()
    {
        var (buyer, sellers, products) = await Cart(1_999, 2_500, 10_001);
        var capturesBefore = app.Payments.CountSucceeded("capture");

        var placed = await Place(buyer, products.Select((p, i) => (p, i + 1)).ToArray());
        Assert.Equal("awaiting_payment", placed.Status());
        Assert.Equal(["pay"], placed.Actions());
        var orders = placed["orders"]!.AsArray();
        Assert.Equal(3, orders.Count);
        Assert.Equal(sellers.Select(s => s.Id).Order(), orders.Select(o => Guid.Parse(o!["sellerId"]!.GetValue<string>())).Order());
        Assert.All(orders, o => Assert.Equal(placed.Id(), Guid.Parse(o!["checkoutId"]!.GetValue<string>())));
        Assert.All(orders, o => Assert.DoesNotContain("pay", o!.Actions())); // paid on the checkout's path only
        Assert.Equal(1_999 + 2 * 2_500 + 3 * 10_001, placed["total"]!["amount"]!.GetValue<long>());

        var paid = await Api.Json(await PayCheckout(buyer, placed.Id()));
        Assert.Equal("paid", paid.Status());
        Assert.Empty(paid.Actions());
        Assert.All(paid["orders"]!.AsArray(), o => Assert.Equal("awaiting_shipment", o!.Status()));
        Assert.Equal(capturesBefore + 1, app.Payments.CountSucceeded("capture"));

        var (scope, db) = app.OpenDb();
        using (scope)
        {
            foreach (var order in orders)
            {
                var id = order!.Id();
                var escrow = await db.JournalLines.Where(l => l.AccountType == AccountType.Escrow && l.OrderId == id).SumAsync(l => l.Amount);
                Assert.Equal(order!["total"]!["amount"]!.GetValue<long>(), escrow);
            }
            Assert.Single(await db.PaymentInstructions.Where(i => i.CheckoutId == placed.Id()).ToListAsync());
        }
        await AssertReconciled();
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task Cancelling_one_order_of_a_paid_checkout_refunds_that_orders_share_of_the_one_capture_and_no_other()
    {
        var (buyer, _, products) = await Cart(3_000, 4_000);
        var placed = await Place(buyer, (products[0], 1), (products[1], 1));
        await Api.ExpectStatus(await PayCheckout(buyer, placed.Id()), HttpStatusCode.OK);
        var orders = placed["orders"]!.AsArray();
        var cancelled = orders.Single(o => o!["total"]!["amount"]!.GetValue<long>() == 4_000)!.Id();
        var kept = orders.Single(o => o!.Id() != cancelled)!.Id();

        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{cancelled}/cancel", null), HttpStatusCode.OK);
        await app.SendPayments();

        var records = await app.Payments.FindAsync([$"order:{cancelled}:refund", $"order:{kept}:refund"], CancellationToken.None);
        var refund = Assert.Single(records);
        Assert.Equal(($"order:{cancelled}:refund", 4_000L, true), (refund.IdempotencyKey, refund.Amount, refund.Succeeded));
        Assert.Equal("closed", (await Api.GetOrder(buyer, cancelled)).Status());
        Assert.Equal("awaiting_shipment", (await Api.GetOrder(buyer, kept)).Status());
        Assert.Equal("paid", (await Api.Json(await buyer.Http.GetAsync($"/api/v1/checkouts/{placed.Id()}"))).Status());
        await AssertReconciled();
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_declined_card_pays_none_of_the_orders_and_another_card_then_pays_them_all()
    {
        var (buyer, _, products) = await Cart(1_000, 2_000);
        var placed = await Place(buyer, (products[0], 1), (products[1], 1));

        await Api.ExpectProblem(await PayCheckout(buyer, placed.Id(), SandboxPaymentProvider.DeclinedCard), HttpStatusCode.PaymentRequired, "card_declined");
        var declined = await Api.Json(await buyer.Http.GetAsync($"/api/v1/checkouts/{placed.Id()}"));
        Assert.Equal("awaiting_payment", declined.Status());
        Assert.All(declined["orders"]!.AsArray(), o => Assert.Equal("awaiting_payment", o!.Status()));
        Assert.Equal(0, await EntriesOf(placed, "capture"));

        Assert.Equal("paid", (await Api.Json(await PayCheckout(buyer, placed.Id()))).Status());
        Assert.Equal(2, await EntriesOf(placed, "capture"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_checkout_whose_order_was_cancelled_before_payment_cannot_be_paid_and_nothing_is_captured()
    {
        var (buyer, _, products) = await Cart(1_000, 2_000);
        var placed = await Place(buyer, (products[0], 1), (products[1], 1));
        var captures = app.Payments.CountSucceeded("capture");
        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{placed["orders"]![0]!.Id()}/cancel", null), HttpStatusCode.OK);

        await Api.ExpectProblem(await PayCheckout(buyer, placed.Id()), HttpStatusCode.Conflict, "invalid_state");

        var checkout = await Api.Json(await buyer.Http.GetAsync($"/api/v1/checkouts/{placed.Id()}"));
        Assert.Equal("closed", checkout.Status());
        Assert.Empty(checkout.Actions());
        Assert.Equal("awaiting_payment", checkout["orders"]!.AsArray().Single(o => o!.Status() != "closed")!.Status());
        Assert.Equal(captures, app.Payments.CountSucceeded("capture"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task An_order_of_a_checkout_is_not_paid_alone()
    {
        var (buyer, _, products) = await Cart(1_000, 2_000);
        var placed = await Place(buyer, (products[0], 1), (products[1], 1));

        await Api.ExpectProblem(await SafeholdApp.Pay(buyer, placed["orders"]![0]!.Id()), HttpStatusCode.Conflict, "checkout_payment_required");
        Assert.Equal(0, await EntriesOf(placed, "capture"));
    }

    [Fact]
    public async Task Another_buyers_checkout_answers_404_and_is_not_paid()
    {
        var (buyer, _, products) = await Cart(1_000);
        var placed = await Place(buyer, (products[0], 1));
        var stranger = await app.NewUser("buyer");
        var seller = await app.NewUser("seller");

        await Api.ExpectProblem(await stranger.Http.GetAsync($"/api/v1/checkouts/{placed.Id()}"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await PayCheckout(stranger, placed.Id()), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await seller.Http.GetAsync($"/api/v1/checkouts/{placed.Id()}"), HttpStatusCode.NotFound, "not_found");
        Assert.Equal("awaiting_payment", (await Api.Json(await buyer.Http.GetAsync($"/api/v1/checkouts/{placed.Id()}"))).Status());
    }

    [Fact]
    public async Task A_checkout_with_an_unknown_product_no_items_too_many_lines_or_a_product_twice_is_refused_and_writes_nothing()
    {
        var (buyer, _, products) = await Cart(1_000, 2_000);
        var before = await Counts();

        await Api.ExpectProblem(await PlaceRaw(buyer, new[] { new { productId = products[0], quantity = 1 }, new { productId = Guid.NewGuid(), quantity = 1 } }),
            HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await PlaceRaw(buyer, Array.Empty<object>()), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await PlaceRaw(buyer, Enumerable.Range(0, 51).Select(_ => new { productId = Guid.NewGuid(), quantity = 1 }).ToArray()),
            HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await PlaceRaw(buyer, new[] { new { productId = products[1], quantity = 1 }, new { productId = products[1], quantity = 2 } }),
            HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await PlaceRaw(buyer, new[] { new { productId = products[0], quantity = 0 } }), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await buyer.Http.PostAsJsonAsync("/api/v1/checkouts", new { items = new[] { new { productId = products[0], quantity = 1 } } }),
            HttpStatusCode.BadRequest, "validation_failed");

        Assert.Equal(before, await Counts());
    }

    [Fact]
    public async Task A_cart_priced_in_two_currencies_is_refused_and_writes_nothing()
    {
        var buyer = await app.NewUser("buyer");
        var (usd, gel) = (await app.NewUser("seller"), await app.NewUser("seller"));
        var products = new[] { await app.NewProduct(usd, 1_000, "USD"), await app.NewProduct(gel, 1_000, "GEL") };
        var before = await Counts();

        var refused = await Api.ExpectProblem(await PlaceRaw(buyer, products.Select(p => new { productId = p, quantity = 1 }).ToArray()),
            HttpStatusCode.UnprocessableEntity, "mixed_currencies");

        Assert.Contains("one currency", refused["detail"]!.GetValue<string>());
        Assert.Equal(before, await Counts());
    }

    [Fact]
    public async Task Only_a_buyer_places_a_checkout()
    {
        var (_, sellers, products) = await Cart(1_000);
        await Api.ExpectProblem(await PlaceRaw(sellers[0], new[] { new { productId = products[0], quantity = 1 } }), HttpStatusCode.Forbidden, "action_not_allowed");
    }

    [Fact]
    public async Task Two_payments_of_one_checkout_at_once_capture_the_card_once_and_pay_each_order_once()
    {
        var (buyer, _, products) = await Cart(1_500, 2_500, 3_500);
        var placed = await Place(buyer, (products[0], 1), (products[1], 1), (products[2], 1));
        var captures = app.Payments.CountSucceeded("capture");

        var results = await Task.WhenAll(PayCheckout(buyer, placed.Id()), PayCheckout(buyer, placed.Id()));

        Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(captures + 1, app.Payments.CountSucceeded("capture"));
        Assert.Equal(3, await EntriesOf(placed, "capture"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_payment_racing_the_cancel_of_one_of_its_orders_pays_all_or_returns_the_whole_capture()
    {
        var (buyer, seller, products) = await Cart(1_200, 3_400);
        var placed = await Place(buyer, (products[0], 1), (products[1], 1));
        var first = placed["orders"]!.AsArray().Single(o => o!["sellerId"]!.GetValue<string>() == seller[0].Id.ToString())!.Id();

        var results = await Task.WhenAll(PayCheckout(buyer, placed.Id()), buyer.Http.PostAsync($"/api/v1/orders/{first}/cancel", null));
        await app.SendPayments();

        var checkout = await Api.Json(await buyer.Http.GetAsync($"/api/v1/checkouts/{placed.Id()}"));
        var statuses = checkout["orders"]!.AsArray().Select(o => o!.Status()).Order().ToList();
        if (results[0].StatusCode == HttpStatusCode.OK)
        {
            // The payment won: both were paid, and then the cancel refunded its order's share.
            Assert.Equal(["awaiting_shipment", "closed"], statuses);
            Assert.Equal(2, await EntriesOf(placed, "capture"));
        }
        else
        {
            // The cancel won: nothing was paid, and any money taken went back whole.
            Assert.Equal(HttpStatusCode.Conflict, results[0].StatusCode);
            Assert.Equal(["awaiting_payment", "closed"], statuses);
            Assert.Equal(0, await EntriesOf(placed, "capture"));
        }
        await AssertReconciled();
        await app.AssertLedgerOk();
    }

    private async Task<(TestUser Buyer, TestUser[] Sellers, Guid[] Products)> Cart(params long[] prices)
    {
        var buyer = await app.NewUser("buyer");
        var sellers = new List<TestUser>();
        var products = new List<Guid>();
        foreach (var price in prices)
        {
            var seller = await app.NewUser("seller");
            sellers.Add(seller);
            products.Add(await app.NewProduct(seller, price));
        }
        return (buyer, sellers.ToArray(), products.ToArray());
    }

    internal static async Task<JsonNode> Place(TestUser buyer, params (Guid Product, int Quantity)[] items)
    {
        var response = await PlaceRaw(buyer, items.Select(i => new { productId = i.Product, quantity = i.Quantity }).ToArray());
        await Api.ExpectStatus(response, HttpStatusCode.Created);
        return await Api.Json(response);
    }

    internal static Task<HttpResponseMessage> PlaceRaw<T>(TestUser buyer, T[] items) =>
        buyer.Http.PostAsJsonAsync("/api/v1/checkouts", new { items, shippingAddress = Address });

    internal static Task<HttpResponseMessage> PayCheckout(TestUser buyer, Guid id, string card = SandboxPaymentProvider.SuccessCard) =>
        buyer.Http.PostAsJsonAsync($"/api/v1/checkouts/{id}/pay", new { card = new { number = card } });

    private async Task<int> EntriesOf(JsonNode checkout, string kind)
    {
        var ids = checkout["orders"]!.AsArray().Select(o => o!.Id()).ToList();
        var (scope, db) = app.OpenDb();
        using (scope) return await db.JournalEntries.CountAsync(e => e.Kind == kind && ids.Contains(e.OrderId!.Value));
    }

    private async Task<(int Orders, int Checkouts)> Counts()
    {
        var (scope, db) = app.OpenDb();
        using (scope) return (await db.Orders.CountAsync(), await db.Checkouts.CountAsync());
    }

    /// <summary>Reconciliation over the whole test so far: the one capture matched to the orders' entries, refunds to their instructions.</summary>
    private async Task AssertReconciled()
    {
        var from = Uri.EscapeDataString(SafeholdApp.Start.AddDays(-1).ToString("O"));
        var to = Uri.EscapeDataString(app.Now.AddDays(1).ToString("O"));
        var response = await app.Admin.GetAsync($"/api/v1/reconciliation?from={from}&to={to}");
        await Api.ExpectStatus(response, HttpStatusCode.OK);
        var json = await Api.Json(response);
        Assert.True(json["ok"]!.GetValue<bool>(), json.ToJsonString());
    }
}

/// <summary>
/// A checkout's one capture whose answer never reached its request: the instruction worker finds it by the checkout's key
/// and pays every order, or, when one of them closed meanwhile, returns the whole capture under the checkout's own key.
/// </summary>
public sealed class CheckoutCaptureTests
{
    [Fact]
    public async Task A_lost_checkout_capture_found_by_the_worker_pays_every_order_of_the_checkout_once()
    {
        var provider = new Orders.CaptureTests.Provider();
        using var app = new SafeholdApp { TestServices = provider.Install };
        var (buyer, placed) = await TwoSellerCheckout(app);
        var captures = app.Payments.CountSucceeded("capture");
        provider.LoseNextAnswer = true;

        await Api.ExpectProblem(await CheckoutTests.PayCheckout(buyer, placed.Id()), HttpStatusCode.ServiceUnavailable, "payment_pending");
        await app.AdvanceAndSweep(TimeSpan.FromMinutes(3)); // the claim runs out: the worker asks the provider by the checkout's key

        var checkout = await Api.Json(await buyer.Http.GetAsync($"/api/v1/checkouts/{placed.Id()}"));
        Assert.Equal("paid", checkout.Status());
        Assert.All(checkout["orders"]!.AsArray(), o => Assert.Equal("awaiting_shipment", o!.Status()));
        Assert.Equal(captures + 1, app.Payments.CountSucceeded("capture"));
        Assert.Equal(0, await app.SendPayments());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_lost_checkout_capture_whose_order_was_cancelled_meanwhile_is_returned_whole_once_and_pays_nothing()
    {
        var provider = new Orders.CaptureTests.Provider();
        using var app = new SafeholdApp { TestServices = provider.Install };
        var (buyer, placed) = await TwoSellerCheckout(app);
        var returned = app.Payments.CountSucceeded("refund", ":void");
        provider.LoseNextAnswer = true;

        await Api.ExpectProblem(await CheckoutTests.PayCheckout(buyer, placed.Id()), HttpStatusCode.ServiceUnavailable, "payment_pending");
        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{placed["orders"]![0]!.Id()}/cancel", null), HttpStatusCode.OK);
        await app.AdvanceAndSweep(TimeSpan.FromMinutes(3));
        await app.AdvanceAndSweep(TimeSpan.FromDays(2)); // the other order expires unpaid

        var checkout = await Api.Json(await buyer.Http.GetAsync($"/api/v1/checkouts/{placed.Id()}"));
        Assert.Equal("closed", checkout.Status());
        Assert.All(checkout["orders"]!.AsArray(), o => Assert.Equal("closed", o!.Status()));
        Assert.Equal(returned + 1, app.Payments.CountSucceeded("refund", ":void"));
        var records = await app.Payments.FindAsync([$"checkout:{placed.Id()}:void"], CancellationToken.None);
        Assert.Equal(placed["total"]!["amount"]!.GetValue<long>(), Assert.Single(records).Amount);
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var ids = placed["orders"]!.AsArray().Select(o => o!.Id()).ToList();
            Assert.Equal(0, await db.JournalEntries.CountAsync(e => ids.Contains(e.OrderId!.Value)));
        }
        await app.AssertLedgerOk();
    }

    private static async Task<(TestUser Buyer, JsonNode Checkout)> TwoSellerCheckout(SafeholdApp app)
    {
        var buyer = await app.NewUser("buyer");
        var first = await app.NewProduct(await app.NewUser("seller"), 2_100);
        var second = await app.NewProduct(await app.NewUser("seller"), 3_300);
        return (buyer, await CheckoutTests.Place(buyer, (first, 1), (second, 2)));
    }
}
