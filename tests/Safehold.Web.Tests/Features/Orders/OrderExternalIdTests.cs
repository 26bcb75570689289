using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;

namespace Safehold.Web.Tests.Features.Orders;

/// <summary>
/// SPEC 1: an order carries the marketplace's own <c>externalId</c> (unique among orders) and <c>metadata</c> (string
/// pairs, bounded), and <c>GET /orders?externalId=</c> finds it among the orders the caller may see.
/// </summary>
public sealed class OrderExternalIdTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static readonly object Address = new { fullName = "Test Buyer", line1 = "1 Test Street", city = "Tbilisi", country = "GE" };

    private static string NewExternalId() => $"mp-order-{Guid.NewGuid():N}";

    private static Task<HttpResponseMessage> Place(TestUser buyer, Guid productId, object? externalId, object? metadata, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = JsonContent.Create(new { items = new[] { new { productId, quantity = 1 } }, shippingAddress = Address, externalId, metadata }),
        };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return buyer.Http.SendAsync(request);
    }

    private async Task<int> OrdersOf(TestUser buyer)
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.Orders.CountAsync(o => o.BuyerId == buyer.Id);
    }

    [Fact]
    public async Task An_order_placed_with_an_externalId_and_metadata_carries_them_on_every_read()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var productId = await app.NewProduct(seller);
        var externalId = NewExternalId();

        var response = await Place(buyer, productId, externalId, new Dictionary<string, string> { ["cart"] = "c-1207", ["note"] = "ჩუქება: gift wrap" });

        await Api.ExpectStatus(response, HttpStatusCode.Created);
        var created = await Api.Json(response);
        Assert.Equal(externalId, created["externalId"]!.GetValue<string>());
        Assert.Equal(2, created["metadata"]!.AsObject().Count);
        Assert.Equal("c-1207", created["metadata"]!["cart"]!.GetValue<string>());
        Assert.Equal("ჩუქება: gift wrap", created["metadata"]!["note"]!.GetValue<string>());
        foreach (var party in new[] { buyer, seller })
        {
            var read = await Api.GetOrder(party, created.Id());
            Assert.Equal(externalId, read["externalId"]!.GetValue<string>());
            Assert.Equal(created["metadata"]!.ToJsonString(), read["metadata"]!.ToJsonString());
        }
        var listed = Assert.Single(await Api.ItemsOf(buyer, "/api/v1/orders"))!;
        Assert.Equal(created["metadata"]!.ToJsonString(), listed["metadata"]!.ToJsonString());
    }

    [Fact]
    public async Task An_order_placed_without_them_has_no_externalId_and_empty_metadata()
    {
        var (buyer, _, orderId) = await app.OrderIn("awaiting_payment");

        var order = await Api.GetOrder(buyer, orderId);

        Assert.Null(order["externalId"]);
        Assert.Equal("{}", order["metadata"]!.ToJsonString());
    }

    [Fact]
    public async Task Its_buyer_and_seller_find_the_order_by_externalId_and_no_one_else_does()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var productId = await app.NewProduct(seller);
        var externalId = NewExternalId();
        var orderId = (await Api.Json(await Place(buyer, productId, externalId, null))).Id();
        await app.PlaceOrder(buyer, productId); // another order of the same buyer, not this one

        var path = $"/api/v1/orders?externalId={Uri.EscapeDataString(externalId)}";
        foreach (var party in new[] { buyer, seller })
        {
            var page = await Api.Json(await party.Http.GetAsync(path));
            Assert.Equal(orderId, Assert.Single(page["items"]!.AsArray())!.Id());
            Assert.Null(page["nextCursor"]);
        }
        Assert.Equal(orderId, Assert.Single(await Api.ItemsOf(app.Admin, path))!.Id());
        Assert.Equal(orderId, Assert.Single(await Api.ItemsOf(buyer, $"{path}&status=awaiting_payment"))!.Id());
        Assert.Empty(await Api.ItemsOf(buyer, $"{path}&status=awaiting_shipment"));

        // Someone else's order is not found: an empty page, as for an id no order has.
        Assert.Empty(await Api.ItemsOf(await app.NewUser("buyer"), path));
        Assert.Empty(await Api.ItemsOf(await app.NewUser("seller"), path));
        Assert.Empty(await Api.ItemsOf(buyer, $"/api/v1/orders?externalId={NewExternalId()}"));
        Assert.Empty(await Api.ItemsOf(buyer, $"/api/v1/orders?externalId={Uri.EscapeDataString(externalId.ToUpperInvariant())}"));
    }

    [Fact]
    public async Task A_second_order_with_a_taken_externalId_is_refused_409_and_nothing_is_written()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var other = await app.NewUser("buyer");
        var productId = await app.NewProduct(seller);
        var externalId = NewExternalId();
        await Api.ExpectStatus(await Place(buyer, productId, externalId, null), HttpStatusCode.Created);

        // Unique among all orders: another buyer's order cannot take it either.
        foreach (var who in new[] { buyer, other })
        {
            var before = await OrdersOf(who);
            await Api.ExpectProblem(await Place(who, productId, externalId, new { note = "again" }), HttpStatusCode.Conflict, "external_id_taken");
            Assert.Equal(before, await OrdersOf(who));
        }
        var found = Assert.Single(await Api.ItemsOf(buyer, $"/api/v1/orders?externalId={externalId}"))!;
        Assert.Equal("{}", found["metadata"]!.ToJsonString());
    }

    [Fact]
    public async Task A_retry_with_the_same_Idempotency_Key_replays_the_order_instead_of_refusing_its_own_externalId()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var productId = await app.NewProduct(seller);
        var externalId = NewExternalId();

        var first = await Place(buyer, productId, externalId, null, idempotencyKey: "place-once");
        var retry = await Place(buyer, productId, externalId, null, idempotencyKey: "place-once");

        await Api.ExpectStatus(first, HttpStatusCode.Created);
        await Api.ExpectStatus(retry, HttpStatusCode.Created);
        Assert.Equal((await Api.Json(first)).Id(), (await Api.Json(retry)).Id());
        Assert.Equal(1, await OrdersOf(buyer));
        // Another key is another request: that one is refused, and a retry of it replays the refusal.
        await Api.ExpectProblem(await Place(buyer, productId, externalId, null, idempotencyKey: "place-twice"), HttpStatusCode.Conflict, "external_id_taken");
        var again = await Place(buyer, productId, externalId, null, idempotencyKey: "place-twice");
        await Api.ExpectProblem(again, HttpStatusCode.Conflict, "external_id_taken");
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, await OrdersOf(buyer));
    }

    [Fact]
    public async Task Orders_placed_at_once_with_one_externalId_leave_exactly_one_winner()
    {
        var seller = await app.NewUser("seller");
        var productId = await app.NewProduct(seller);
        var buyers = new List<TestUser>();
        for (var i = 0; i < 6; i++) buyers.Add(await app.NewUser("buyer"));
        var externalId = NewExternalId();

        var responses = await Task.WhenAll(buyers.Select(b => Place(b, productId, externalId, null)));

        var winner = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        foreach (var lost in responses.Where(r => r != winner))
            await Api.ExpectProblem(lost, HttpStatusCode.Conflict, "external_id_taken");
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var ids = buyers.Select(b => b.Id).ToList();
            Assert.Equal((await Api.Json(winner)).Id(), (await db.Orders.Where(o => ids.Contains(o.BuyerId)).SingleAsync()).Id);
        }
    }

    public static TheoryData<string, string> BadInput => new()
    {
        { """ "externalId": "" """, "externalId" },
        { $$""" "externalId": "{{new string('x', 101)}}" """, "externalId" },
        { """ "externalId": " padded" """, "externalId" },
        { """ "externalId": "tab\tinside" """, "externalId" },
        { $$""" "metadata": { {{string.Join(", ", Enumerable.Range(0, 51).Select(i => $"\"k{i}\": \"v\""))}} } """, "metadata" },
        { $$""" "metadata": { "{{new string('k', 41)}}": "v" } """, "metadata" },
        { """ "metadata": { "": "v" } """, "metadata" },
        { $$""" "metadata": { "note": "{{new string('v', 501)}}" } """, "metadata.note" },
        { """ "metadata": { "note": null } """, "metadata.note" },
        { """ "metadata": { "note": "bell\u0007" } """, "metadata.note" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task A_bad_externalId_or_metadata_is_refused_400_with_the_field_and_no_order_is_written(string field, string errorKey)
    {
        var (buyer, productId) = await BuyerAndProduct();

        var response = await PlaceRaw(buyer, productId, field);

        var problem = await Api.ExpectProblem(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]![errorKey]);
        Assert.Equal(0, await OrdersOf(buyer));
    }

    [Theory]
    [InlineData(""" "metadata": { "count": 3 } """)]
    [InlineData(""" "metadata": { "nested": { "a": "b" } } """)]
    [InlineData(""" "metadata": ["a", "b"] """)]
    [InlineData(""" "externalId": 42 """)]
    public async Task Metadata_that_is_not_string_pairs_is_refused_400_malformed_and_no_order_is_written(string field)
    {
        var (buyer, productId) = await BuyerAndProduct();

        await Api.ExpectProblem(await PlaceRaw(buyer, productId, field), HttpStatusCode.BadRequest, "malformed_request");
        Assert.Equal(0, await OrdersOf(buyer));
    }

    [Fact]
    public async Task Looking_up_an_externalId_no_order_could_have_is_refused_400()
    {
        var buyer = await app.NewUser("buyer");

        var problem = await Api.ExpectProblem(await buyer.Http.GetAsync($"/api/v1/orders?externalId={new string('x', 101)}"), HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]!["externalId"]);
        await Api.ExpectProblem(await buyer.Http.GetAsync("/api/v1/orders?externalId=%20x"), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await buyer.Http.GetAsync("/api/v1/orders?externalId="), HttpStatusCode.BadRequest, "validation_failed");
    }

    private async Task<(TestUser Buyer, Guid ProductId)> BuyerAndProduct() =>
        (await app.NewUser("buyer"), await app.NewProduct(await app.NewUser("seller")));

    private static Task<HttpResponseMessage> PlaceRaw(TestUser buyer, Guid productId, string field) =>
        buyer.Http.PostAsync("/api/v1/orders", new StringContent($$"""
            { "items": [{ "productId": "{{productId}}", "quantity": 1 }], "shippingAddress": "1 Test Street, Tbilisi, GE", {{field}} }
            """, Encoding.UTF8, "application/json"));
}
