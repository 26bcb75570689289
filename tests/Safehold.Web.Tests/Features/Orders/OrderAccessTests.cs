using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;

namespace Safehold.Web.Tests.Features.Orders;

/// <summary>Who may see and act on an order, what a wrong state answers, and "My orders".</summary>
public sealed class OrderAccessTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Theory]
    [InlineData("awaiting_payment", "pay")]
    [InlineData("awaiting_payment", "cancel")]
    [InlineData("awaiting_shipment", "cancel")]
    [InlineData("awaiting_shipment", "ship")]
    [InlineData("awaiting_delivery", "mark-delivered")]
    [InlineData("awaiting_delivery", "confirm-receipt")]
    [InlineData("delivered", "confirm-receipt")]
    public async Task A_buyer_acting_on_another_buyers_order_is_told_it_does_not_exist(string status, string action)
    {
        var (buyer, _, id) = await app.OrderIn(status);
        var stranger = await app.NewUser("buyer");
        var before = await Api.GetOrder(buyer, id);
        var (captures, refunds) = (app.Payments.CountSucceeded("capture"), app.Payments.CountSucceeded("refund"));

        await Api.ExpectProblem(await Act(stranger, id, action), HttpStatusCode.NotFound, "not_found");

        Assert.Equal(before.ToJsonString(), (await Api.GetOrder(buyer, id)).ToJsonString());
        Assert.Equal((captures, refunds), (app.Payments.CountSucceeded("capture"), app.Payments.CountSucceeded("refund")));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_buyer_cannot_read_another_buyers_order_or_its_ledger_or_find_it_in_their_list()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_shipment");
        var stranger = await app.NewUser("buyer");

        var read = await Api.ExpectProblem(await stranger.Http.GetAsync($"/api/v1/orders/{id}"), HttpStatusCode.NotFound, "not_found");
        var ledger = await Api.ExpectProblem(await stranger.Http.GetAsync($"/api/v1/orders/{id}/ledger"), HttpStatusCode.NotFound, "not_found");
        var unknown = await Api.ExpectProblem(await stranger.Http.GetAsync($"/api/v1/orders/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "not_found");

        // Someone else's order and an order that does not exist answer alike: nothing tells them apart.
        Assert.Equal(unknown["detail"]!.GetValue<string>(), read["detail"]!.GetValue<string>());
        Assert.Equal(unknown["title"]!.GetValue<string>(), ledger["title"]!.GetValue<string>());
        Assert.Empty(await Api.ItemsOf(stranger, "/api/v1/orders"));
        Assert.Single(await Api.ItemsOf(buyer, "/api/v1/orders"));
    }

    [Theory]
    [InlineData("awaiting_payment", "cancel")]
    [InlineData("awaiting_shipment", "ship")]
    [InlineData("awaiting_shipment", "cancel")]
    [InlineData("awaiting_delivery", "mark-delivered")]
    public async Task A_seller_acting_on_another_sellers_order_is_told_it_does_not_exist(string status, string action)
    {
        var (buyer, _, id) = await app.OrderIn(status);
        var stranger = await app.NewUser("seller");
        var before = await Api.GetOrder(buyer, id);

        await Api.ExpectProblem(await stranger.Http.GetAsync($"/api/v1/orders/{id}"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await stranger.Http.GetAsync($"/api/v1/orders/{id}/ledger"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await Act(stranger, id, action), HttpStatusCode.NotFound, "not_found");

        Assert.Equal(before.ToJsonString(), (await Api.GetOrder(buyer, id)).ToJsonString());
        Assert.Empty(await Api.ItemsOf(stranger, "/api/v1/orders"));
    }

    [Theory]
    [InlineData("awaiting_payment", "pay")]
    [InlineData("awaiting_delivery", "confirm-receipt")]
    [InlineData("delivered", "confirm-receipt")]
    public async Task A_seller_may_not_act_as_the_buyer_of_their_own_order(string status, string action)
    {
        var (buyer, seller, id) = await app.OrderIn(status);
        var before = await Api.GetOrder(buyer, id);
        var captures = app.Payments.CountSucceeded("capture");

        await Api.ExpectProblem(await Act(seller, id, action), HttpStatusCode.Forbidden, "action_not_allowed");

        Assert.Equal(before.ToJsonString(), (await Api.GetOrder(buyer, id)).ToJsonString());
        Assert.Equal(captures, app.Payments.CountSucceeded("capture"));
        Assert.DoesNotContain(action.Replace('-', '_'), (await Api.GetOrder(seller, id)).Actions());
        await app.AssertLedgerOk();
    }

    [Theory]
    [InlineData("awaiting_shipment", "ship")]
    [InlineData("awaiting_delivery", "mark-delivered")]
    public async Task A_buyer_may_not_act_as_the_seller_of_their_order(string status, string action)
    {
        var (buyer, seller, id) = await app.OrderIn(status);
        var before = await Api.GetOrder(seller, id);

        await Api.ExpectProblem(await Act(buyer, id, action), HttpStatusCode.Forbidden, "action_not_allowed");

        Assert.Equal(before.ToJsonString(), (await Api.GetOrder(seller, id)).ToJsonString());
        Assert.DoesNotContain(action.Replace('-', '_'), (await Api.GetOrder(buyer, id)).Actions());
    }

    [Theory]
    [InlineData("seller")]
    [InlineData("arbiter")]
    [InlineData("admin")]
    public async Task Only_a_buyer_may_place_an_order(string role)
    {
        var seller = await app.NewUser("seller");
        var product = await app.NewProduct(seller);
        var caller = await app.NewUser(role);

        var response = await caller.Http.PostAsJsonAsync("/api/v1/orders", new
        {
            items = new[] { new { productId = product, quantity = 1 } },
            shippingAddress = "1 Test Street, Tbilisi, GE",
        });

        await Api.ExpectProblem(response, HttpStatusCode.Forbidden, "action_not_allowed");
        Assert.Empty(await Api.ItemsOf(seller, "/api/v1/orders"));
        Assert.Equal(0, await OrdersPlacedBy(caller));
    }

    [Fact]
    public async Task A_seller_may_not_buy_even_their_own_product()
    {
        var seller = await app.NewUser("seller");
        var product = await app.NewProduct(seller);

        var response = await seller.Http.PostAsJsonAsync("/api/v1/orders", new
        {
            items = new[] { new { productId = product, quantity = 1 } },
            shippingAddress = "1 Test Street, Tbilisi, GE",
        });

        await Api.ExpectProblem(response, HttpStatusCode.Forbidden, "action_not_allowed");
        Assert.Empty(await Api.ItemsOf(seller, "/api/v1/orders"));
    }

    [Theory]
    [InlineData("buyer")]
    [InlineData("arbiter")]
    [InlineData("admin")]
    public async Task Only_a_seller_may_list_a_product(string role)
    {
        var caller = await app.NewUser(role);

        var response = await caller.Http.PostAsJsonAsync("/api/v1/products", new
        {
            title = "Not mine to sell",
            description = "A product.",
            price = new { amount = 1_000, currency = "USD" },
        });

        await Api.ExpectProblem(response, HttpStatusCode.Forbidden, "action_not_allowed");
        Assert.Empty(await Api.ItemsOf(caller, $"/api/v1/products?sellerId={caller.Id}"));
    }

    [Fact]
    public async Task An_arbiter_sees_no_orders_and_is_told_an_order_does_not_exist()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery");
        var arbiter = await app.NewUser("arbiter");
        var before = await Api.GetOrder(buyer, id);

        Assert.Empty(await Api.ItemsOf(arbiter, "/api/v1/orders"));
        Assert.Empty(await Api.ItemsOf(arbiter, "/api/v1/orders?status=awaiting_delivery"));
        await Api.ExpectProblem(await arbiter.Http.GetAsync($"/api/v1/orders/{id}"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await arbiter.Http.GetAsync($"/api/v1/orders/{id}/ledger"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await Act(arbiter, id, "confirm-receipt"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await Act(arbiter, id, "mark-delivered"), HttpStatusCode.NotFound, "not_found");

        Assert.Equal(before.ToJsonString(), (await Api.GetOrder(buyer, id)).ToJsonString());
    }

    [Fact]
    public async Task Shipping_twice_is_refused_as_an_invalid_state()
    {
        var (_, seller, id) = await app.OrderIn("awaiting_delivery");
        var before = await Api.GetOrder(seller, id);

        var response = await seller.Http.PostAsJsonAsync($"/api/v1/orders/{id}/ship", new { carrier = "UPS", trackingNumber = "1Z999" });

        await Api.ExpectProblem(response, HttpStatusCode.Conflict, "invalid_state");
        var after = await Api.GetOrder(seller, id);
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
        Assert.Equal("DHL", after["shipment"]!["carrier"]!.GetValue<string>());
    }

    [Fact]
    public async Task Paying_twice_is_refused_as_an_invalid_state_and_charges_once()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_shipment");
        var before = await Api.GetOrder(buyer, id);
        var captures = app.Payments.CountSucceeded("capture");

        await Api.ExpectProblem(await SafeholdApp.Pay(buyer, id), HttpStatusCode.Conflict, "invalid_state");

        Assert.Equal(before.ToJsonString(), (await Api.GetOrder(buyer, id)).ToJsonString());
        Assert.Equal(captures, app.Payments.CountSucceeded("capture"));
        var ledger = await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}/ledger"));
        Assert.Equal(["capture"], ledger["entries"]!.AsArray().Select(e => e!["kind"]!.GetValue<string>()));
        await app.AssertLedgerOk();
    }

    [Theory]
    [InlineData("awaiting_payment", "buyer", "confirm-receipt")]
    [InlineData("awaiting_shipment", "buyer", "confirm-receipt")]
    [InlineData("awaiting_payment", "seller", "ship")]
    [InlineData("awaiting_payment", "seller", "mark-delivered")]
    [InlineData("awaiting_shipment", "seller", "mark-delivered")]
    [InlineData("awaiting_delivery", "buyer", "pay")]
    [InlineData("awaiting_delivery", "buyer", "cancel")]
    [InlineData("awaiting_delivery", "seller", "cancel")]
    [InlineData("completed", "buyer", "confirm-receipt")]
    [InlineData("completed", "buyer", "cancel")]
    [InlineData("completed", "seller", "mark-delivered")]
    [InlineData("closed", "buyer", "pay")]
    [InlineData("closed", "buyer", "cancel")]
    [InlineData("closed", "seller", "ship")]
    public async Task An_action_in_the_wrong_state_is_refused_as_invalid_state_and_changes_nothing(string status, string who, string action)
    {
        var (buyer, seller, id) = await OrderIn(status);
        var actor = who == "buyer" ? buyer : seller;
        var before = await Api.GetOrder(buyer, id);
        var (captures, refunds) = (app.Payments.CountSucceeded("capture"), app.Payments.CountSucceeded("refund"));

        await Api.ExpectProblem(await Act(actor, id, action), HttpStatusCode.Conflict, "invalid_state");

        Assert.Equal(before.ToJsonString(), (await Api.GetOrder(buyer, id)).ToJsonString());
        Assert.Equal((captures, refunds), (app.Payments.CountSucceeded("capture"), app.Payments.CountSucceeded("refund")));
        Assert.DoesNotContain(action.Replace('-', '_'), (await Api.GetOrder(actor, id)).Actions());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task My_orders_are_only_the_callers_own_newest_first()
    {
        var seller = await app.NewUser("seller");
        var otherSeller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var otherBuyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller);
        var otherProduct = await app.NewProduct(otherSeller);

        var mine = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            mine.Add((await app.PlaceOrder(buyer, product)).Id());
            app.Clock.Advance(TimeSpan.FromMinutes(1));
            await app.PlaceOrder(otherBuyer, product);
            app.Clock.Advance(TimeSpan.FromMinutes(1));
        }
        var fromOtherSeller = (await app.PlaceOrder(buyer, otherProduct)).Id();
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        mine.Add(fromOtherSeller);

        var buyerOrders = await Api.ItemsOf(buyer, "/api/v1/orders");
        Assert.Equal(Enumerable.Reverse(mine), buyerOrders.Select(o => o!.Id()));
        Assert.All(buyerOrders, o => Assert.Equal(buyer.Id, Guid.Parse(o!["buyerId"]!.GetValue<string>())));
        var created = buyerOrders.Select(o => o!["createdAt"]!.GetValue<DateTimeOffset>()).ToList();
        Assert.Equal(created.OrderDescending(), created);

        var sellerOrders = await Api.ItemsOf(seller, "/api/v1/orders");
        Assert.Equal(6, sellerOrders.Count);
        Assert.All(sellerOrders, o => Assert.Equal(seller.Id, Guid.Parse(o!["sellerId"]!.GetValue<string>())));
        Assert.DoesNotContain(fromOtherSeller, sellerOrders.Select(o => o!.Id()));

        Assert.Equal([fromOtherSeller], (await Api.ItemsOf(otherSeller, "/api/v1/orders")).Select(o => o!.Id()));
        Assert.Equal(3, (await Api.ItemsOf(otherBuyer, "/api/v1/orders")).Count);
    }

    [Fact]
    public async Task My_orders_filter_by_status()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller);
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await app.PlaceOrder(buyer, product)).Id());
            app.Clock.Advance(TimeSpan.FromMinutes(1));
        }
        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, ids[0]), HttpStatusCode.OK);
        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, ids[3]), HttpStatusCode.OK);
        await Api.ExpectStatus(await SafeholdApp.Ship(seller, ids[3]), HttpStatusCode.OK);
        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{ids[4]}/cancel", null), HttpStatusCode.OK);

        async Task<List<Guid>> With(TestUser user, string status)
        {
            var items = await Api.ItemsOf(user, $"/api/v1/orders?status={status}");
            Assert.All(items, o => Assert.Equal(status, o!.Status()));
            return items.Select(o => o!.Id()).ToList();
        }

        Assert.Equal([ids[2], ids[1]], await With(buyer, "awaiting_payment"));
        Assert.Equal([ids[0]], await With(buyer, "awaiting_shipment"));
        Assert.Equal([ids[3]], await With(buyer, "awaiting_delivery"));
        Assert.Equal([ids[4]], await With(buyer, "closed"));
        Assert.Empty(await With(buyer, "completed"));
        Assert.Equal([ids[0]], await With(seller, "awaiting_shipment"));
        Assert.Equal([ids[2], ids[1]], await With(seller, "awaiting_payment"));
    }

    [Fact]
    public async Task My_orders_page_with_a_cursor_without_duplicates_or_gaps()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller);
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await app.PlaceOrder(buyer, product)).Id());
            app.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        var pages = await Api.AllPages(buyer, "/api/v1/orders?limit=2");

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(Enumerable.Reverse(ids), pages.SelectMany(p => p));
        Assert.Equal(Enumerable.Reverse(ids), pages.SelectMany(p => p).Distinct());

        var exact = await Api.AllPages(buyer, "/api/v1/orders?limit=5");
        Assert.Equal([5], exact.Select(p => p.Count));
    }

    [Fact]
    public async Task Orders_placed_at_the_same_instant_page_without_duplicates_or_gaps()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller);
        var ids = new List<Guid>();
        for (var i = 0; i < 7; i++) ids.Add((await app.PlaceOrder(buyer, product)).Id());

        var all = (await Api.ItemsOf(buyer, "/api/v1/orders")).Select(o => o!.Id()).ToList();
        var pages = await Api.AllPages(buyer, "/api/v1/orders?limit=2");

        Assert.Equal([2, 2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(all, pages.SelectMany(p => p));
        Assert.Equal(ids.Order(), all.Order());
    }

    [Fact]
    public async Task The_status_filter_and_the_cursor_work_together()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller);
        var paid = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            var id = (await app.PlaceOrder(buyer, product)).Id();
            app.Clock.Advance(TimeSpan.FromMinutes(1));
            if (i % 2 == 0)
            {
                await Api.ExpectStatus(await SafeholdApp.Pay(buyer, id), HttpStatusCode.OK);
                paid.Add(id);
            }
        }

        var pages = await Api.AllPages(buyer, "/api/v1/orders?status=awaiting_shipment&limit=2");

        Assert.Equal([2, 1], pages.Select(p => p.Count));
        Assert.Equal(Enumerable.Reverse(paid), pages.SelectMany(p => p));
    }

    /// <summary>The fixture's <see cref="SafeholdApp.OrderIn"/>, with "closed" reached the way it can be: cancelled after payment.</summary>
    private async Task<(TestUser Buyer, TestUser Seller, Guid OrderId)> OrderIn(string status)
    {
        if (status != "closed") return await app.OrderIn(status);
        var (buyer, seller, id) = await app.OrderIn("awaiting_shipment");
        Assert.Equal("closed", (await Api.Json(await buyer.Http.PostAsync($"/api/v1/orders/{id}/cancel", null))).Status());
        return (buyer, seller, id);
    }

    private async Task<int> OrdersPlacedBy(TestUser user)
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.Orders.CountAsync(o => o.BuyerId == user.Id);
    }

    private static Task<HttpResponseMessage> Act(TestUser user, Guid id, string action) => action switch
    {
        "pay" => SafeholdApp.Pay(user, id),
        "ship" => SafeholdApp.Ship(user, id),
        _ => user.Http.PostAsync($"/api/v1/orders/{id}/{action}", null),
    };
}
