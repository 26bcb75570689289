using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;

namespace Safehold.Web.Tests.Http;

/// <summary>
/// SPEC 1's platform role: one key for the marketplace's back end that acts for any buyer or seller with the
/// <c>Safehold-Acting-For</c> header, with exactly that user's rights, and an audit trail that records both.
/// </summary>
public sealed class PlatformTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task A_platform_key_acting_for_a_buyer_and_a_seller_takes_an_order_through_and_every_step_records_the_platform()
    {
        var platform = await app.NewUser("platform");
        var buyer = app.ActingFor(platform, await app.NewUser("buyer"));
        var seller = app.ActingFor(platform, await app.NewUser("seller"));
        var productId = await app.NewProduct(seller);

        var orderId = (await app.PlaceOrder(buyer, productId)).Id();
        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, orderId), HttpStatusCode.OK);
        await Api.ExpectStatus(await SafeholdApp.Ship(seller, orderId), HttpStatusCode.OK);
        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/confirm-receipt", null), HttpStatusCode.OK);

        var order = await Api.GetOrder(buyer, orderId);
        Assert.Equal("completed", order.Status());
        var timeline = order["timeline"]!.AsArray();
        var byPeople = timeline.Where(e => e!["actor"]!.GetValue<string>() is "buyer" or "seller").ToList();
        Assert.Equal(4, byPeople.Count);
        Assert.All(byPeople, e => Assert.Equal(platform.Id, Guid.Parse(e!["platformUserId"]!.GetValue<string>())));

        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var keyId = await db.ApiKeys.Where(k => k.UserId == platform.Id).Select(k => k.Id).SingleAsync();
            var events = await db.Set<Domain.Orders.OrderEvent>().Where(e => e.OrderId == orderId && e.ActorUserId != null).ToListAsync();
            Assert.Equal(4, events.Count);
            Assert.All(events, e => Assert.Equal((platform.Id, keyId), (e.PlatformUserId, e.PlatformKeyId)));
        }
        // On PostgreSQL the log shows a transaction once every older one has ended (EventLog): another test's running
        // transaction may hold it back for a moment, so read until the order's four steps are there.
        List<System.Text.Json.Nodes.JsonNode?> logged = [];
        for (var attempt = 0; attempt < 50 && logged.Count < 4; attempt++)
        {
            if (attempt > 0) await Task.Delay(200);
            var log = await Api.Json(await app.Admin.GetAsync("/api/v1/events?limit=1000"));
            logged = log["items"]!.AsArray().Where(e => e!["orderId"]!.GetValue<string>() == orderId.ToString() && e["actorUserId"] is not null).ToList();
        }
        Assert.Equal(4, logged.Count);
        Assert.All(logged, e => Assert.Equal(platform.Id.ToString(), e!["platformUserId"]!.GetValue<string>()));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task Acting_for_a_seller_and_a_buyer_the_platform_sets_its_own_ids_and_finds_the_product_and_order_by_them()
    {
        var platform = await app.NewUser("platform");
        var buyer = app.ActingFor(platform, await app.NewUser("buyer"));
        var seller = app.ActingFor(platform, await app.NewUser("seller"));
        var (sku, cart) = ($"sku-{Guid.NewGuid():N}", $"cart-{Guid.NewGuid():N}");

        var product = await seller.Http.PostAsJsonAsync("/api/v1/products", new
        {
            title = "Headphones",
            description = "Over-ear.",
            price = new { amount = 4_500, currency = "USD" },
            externalId = sku,
            metadata = new { listing = "L-77" },
        });
        await Api.ExpectStatus(product, HttpStatusCode.Created);
        var productId = (await Api.Json(product)).Id();
        var order = await buyer.Http.PostAsJsonAsync("/api/v1/orders", new
        {
            items = new[] { new { productId, quantity = 1 } },
            shippingAddress = "1 Test Street, Tbilisi, GE",
            externalId = cart,
            metadata = new { checkout = "web" },
        });
        await Api.ExpectStatus(order, HttpStatusCode.Created);

        Assert.Equal(productId, Assert.Single(await Api.ItemsOf(seller, $"/api/v1/products?externalId={sku}"))!.Id());
        var found = Assert.Single(await Api.ItemsOf(buyer, $"/api/v1/orders?externalId={cart}"))!;
        Assert.Equal((await Api.Json(order)).Id(), found.Id());
        Assert.Equal("web", found["metadata"]!["checkout"]!.GetValue<string>());
        Assert.Single(await Api.ItemsOf(seller, $"/api/v1/orders?externalId={cart}"));
        // Acting for another buyer, the order is not there; without the header the platform has no orders at all.
        Assert.Empty(await Api.ItemsOf(app.ActingFor(platform, await app.NewUser("buyer")), $"/api/v1/orders?externalId={cart}"));
        Assert.Empty(await Api.ItemsOf(platform, $"/api/v1/orders?externalId={cart}"));
    }

    [Fact]
    public async Task A_step_the_user_takes_with_their_own_key_records_no_platform()
    {
        var (buyer, _, orderId) = await app.OrderIn("awaiting_delivery");
        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/confirm-receipt", null), HttpStatusCode.OK);

        var timeline = (await Api.GetOrder(buyer, orderId))["timeline"]!.AsArray();
        Assert.All(timeline, e => Assert.Null(e!["platformUserId"]));
    }

    [Fact]
    public async Task Acting_for_a_buyer_has_exactly_that_buyers_rights_and_another_buyers_order_answers_404()
    {
        var platform = await app.NewUser("platform");
        var (owner, seller, orderId) = await app.OrderIn("awaiting_shipment");
        var other = app.ActingFor(platform, await app.NewUser("buyer"));
        var asOwner = app.ActingFor(platform, owner);

        await Api.ExpectProblem(await other.Http.GetAsync($"/api/v1/orders/{orderId}"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await other.Http.PostAsync($"/api/v1/orders/{orderId}/cancel", null), HttpStatusCode.NotFound, "not_found");
        // The owner's own rights, no more: a buyer may not ship.
        var ship = await SafeholdApp.Ship(asOwner, orderId);
        Assert.True(ship.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.UnprocessableEntity, $"ship as the buyer answered {ship.StatusCode}");
        Assert.Equal("awaiting_shipment", (await Api.GetOrder(owner, orderId)).Status());
        Assert.Equal(orderId, Assert.Single(await Api.ItemsOf(asOwner, "/api/v1/orders"))!.Id());
        Assert.Empty(await Api.ItemsOf(other, "/api/v1/orders"));
        _ = seller;
    }

    [Fact]
    public async Task A_platform_key_without_the_header_sees_no_one_s_orders_and_cannot_place_one()
    {
        var platform = await app.NewUser("platform");
        var (_, _, orderId) = await app.OrderIn("awaiting_shipment");
        var productId = await app.NewProduct(await app.NewUser("seller"));

        Assert.Empty(await Api.ItemsOf(platform, "/api/v1/orders"));
        await Api.ExpectProblem(await platform.Http.GetAsync($"/api/v1/orders/{orderId}"), HttpStatusCode.NotFound, "not_found");
        var place = await platform.Http.PostAsJsonAsync("/api/v1/orders", new
        {
            items = new[] { new { productId, quantity = 1 } },
            shippingAddress = new { fullName = "Nobody", line1 = "1 Test Street", city = "Tbilisi", country = "GE" },
        });
        Assert.False(place.IsSuccessStatusCode, $"a platform key placed an order for itself: {place.StatusCode}");
        await Api.ExpectProblem(await platform.Http.GetAsync("/api/v1/ledger/check"), HttpStatusCode.Forbidden, "action_not_allowed");
    }

    [Fact]
    public async Task A_key_that_is_not_a_platform_s_may_not_act_for_anyone()
    {
        var buyer = await app.NewUser("buyer");
        var (owner, _, orderId) = await app.OrderIn("awaiting_shipment");

        foreach (var key in new[] { buyer.ApiKey, SafeholdApp.AdminKey })
        {
            var client = app.As(key);
            client.DefaultRequestHeaders.Add("Safehold-Acting-For", owner.Id.ToString());
            await Api.ExpectProblem(await client.PostAsync($"/api/v1/orders/{orderId}/cancel", null), HttpStatusCode.Forbidden, "acting_for_not_allowed");
        }
        Assert.Equal("awaiting_shipment", (await Api.GetOrder(owner, orderId)).Status());
    }

    [Fact]
    public async Task A_platform_may_act_only_for_an_active_buyer_or_seller()
    {
        var platform = await app.NewUser("platform");
        var arbiter = await app.NewUser("arbiter");
        var otherPlatform = await app.NewUser("platform");
        var disabled = await app.NewUser("buyer");
        await Api.ExpectStatus(await app.Admin.PostAsync($"/api/v1/users/{disabled.Id}/disable", null), HttpStatusCode.OK);

        foreach (var target in new[] { arbiter.Id, otherPlatform.Id, disabled.Id, Guid.NewGuid(), SafeholdAppAdminId() })
        {
            var client = app.As(platform.ApiKey);
            client.DefaultRequestHeaders.Add("Safehold-Acting-For", target.ToString());
            await Api.ExpectProblem(await client.GetAsync("/api/v1/orders"), HttpStatusCode.NotFound, "acting_for_unknown");
        }
        var malformed = app.As(platform.ApiKey);
        malformed.DefaultRequestHeaders.Add("Safehold-Acting-For", "buyer@test.example");
        await Api.ExpectProblem(await malformed.GetAsync("/api/v1/orders"), HttpStatusCode.BadRequest, "acting_for_invalid");
    }

    [Fact]
    public async Task Disabling_a_user_stops_the_platform_acting_for_them_at_once()
    {
        var platform = await app.NewUser("platform");
        var buyer = await app.NewUser("buyer");
        var acting = app.ActingFor(platform, buyer);
        await Api.ExpectStatus(await acting.Http.GetAsync("/api/v1/orders"), HttpStatusCode.OK);

        await Api.ExpectStatus(await app.Admin.PostAsync($"/api/v1/users/{buyer.Id}/disable", null), HttpStatusCode.OK);
        await Api.ExpectProblem(await acting.Http.GetAsync("/api/v1/orders"), HttpStatusCode.NotFound, "acting_for_unknown");

        await Api.ExpectStatus(await app.Admin.PostAsync($"/api/v1/users/{buyer.Id}/enable", null), HttpStatusCode.OK);
        await Api.ExpectStatus(await acting.Http.GetAsync("/api/v1/orders"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_platform_user_gets_no_password_and_cannot_sign_in_to_the_portal()
    {
        var users = await UserCount();
        var response = await app.Admin.PostAsJsonAsync("/api/v1/users",
            new { email = $"platform-{Guid.NewGuid():N}@test.example", displayName = "Marketplace", role = "platform", password = "correct horse battery" });

        var problem = await Api.ExpectProblem(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]?["password"]);
        Assert.Equal(users, await UserCount());
    }

    private Guid SafeholdAppAdminId()
    {
        var (scope, db) = app.OpenDb();
        using (scope) return db.Users.Where(u => u.Role == Safehold.Web.Features.Users.UserRole.Admin).Select(u => u.Id).First();
    }

    private async Task<int> UserCount()
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.Users.CountAsync();
    }
}
