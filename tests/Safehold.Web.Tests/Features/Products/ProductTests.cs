using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Safehold.Web.Tests.Features.Products;

public sealed class ProductTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task A_seller_lists_a_product_and_everyone_signed_in_reads_it_as_listed()
    {
        var seller = await app.NewUser("seller");

        var response = await seller.Http.PostAsJsonAsync("/api/v1/products", new
        {
            title = "  Mobvoi Ticwatch 2  ",
            description = "Smartwatch, 44 mm, black.\nBarely worn.",
            price = new { amount = 12_999, currency = "usd" },
            handlingDays = 3,
            protectionDays = 60,
            category = "Wearables",
            images = new[] { "https://images.example/ticwatch-front.jpg", "https://images.example/ticwatch-back.jpg" },
        });

        await Api.ExpectStatus(response, HttpStatusCode.Created);
        var created = await Api.Json(response);
        var id = created.Id();
        Assert.Equal($"/api/v1/products/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(seller.Id, Guid.Parse(created["sellerId"]!.GetValue<string>()));
        Assert.Equal("Mobvoi Ticwatch 2", created["title"]!.GetValue<string>());
        Assert.Equal("Smartwatch, 44 mm, black.\nBarely worn.", created["description"]!.GetValue<string>());
        Assert.Equal(12_999, created["price"]!["amount"]!.GetValue<long>());
        Assert.Equal("USD", created["price"]!["currency"]!.GetValue<string>());
        Assert.Equal(3, created["handlingDays"]!.GetValue<int>());
        Assert.Equal(60, created["protectionDays"]!.GetValue<int>());
        Assert.Equal("wearables", created["category"]!.GetValue<string>());
        Assert.Equal(["https://images.example/ticwatch-front.jpg", "https://images.example/ticwatch-back.jpg"],
            created["images"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal(app.Clock.GetUtcNow(), created["createdAt"]!.GetValue<DateTimeOffset>());

        foreach (var role in new[] { "buyer", "seller", "arbiter" })
        {
            var reader = await app.NewUser(role);
            var read = await reader.Http.GetAsync($"/api/v1/products/{id}");
            await Api.ExpectStatus(read, HttpStatusCode.OK);
            Assert.Equal(created.ToJsonString(), (await Api.Json(read)).ToJsonString());
        }
        Assert.Equal(created.ToJsonString(), (await Api.Json(await app.Admin.GetAsync($"/api/v1/products/{id}"))).ToJsonString());
    }

    [Fact]
    public async Task A_product_listed_with_only_the_required_fields_takes_the_policy_defaults()
    {
        var seller = await app.NewUser("seller");

        var response = await seller.Http.PostAsJsonAsync("/api/v1/products", new
        {
            title = "Headphones",
            description = "Over-ear.",
            price = new { amount = 4_500, currency = "EUR" },
        });

        await Api.ExpectStatus(response, HttpStatusCode.Created);
        var created = await Api.Json(response);
        Assert.Equal(7, created["handlingDays"]!.GetValue<int>());
        Assert.Null(created["protectionDays"]);
        Assert.Null(created["category"]);
        Assert.Empty(created["images"]!.AsArray());
        Assert.Equal("EUR", created["price"]!["currency"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_catalog_lists_products_newest_first_and_filters_by_seller()
    {
        var seller = await app.NewUser("seller");
        var other = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var mine = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            mine.Add(await app.NewProduct(seller, amount: 1_000 + i));
            app.Clock.Advance(TimeSpan.FromMinutes(1));
            await app.NewProduct(other);
            app.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        var bySeller = await Api.ItemsOf(buyer, $"/api/v1/products?sellerId={seller.Id}");
        Assert.Equal(Enumerable.Reverse(mine), bySeller.Select(p => p!.Id()));
        Assert.All(bySeller, p => Assert.Equal(seller.Id, Guid.Parse(p!["sellerId"]!.GetValue<string>())));

        var everything = await Api.ItemsOf(buyer, "/api/v1/products?limit=100");
        var created = everything.Select(p => p!["createdAt"]!.GetValue<DateTimeOffset>()).ToList();
        Assert.Equal(created.OrderDescending(), created);
        Assert.Subset(everything.Select(p => p!.Id()).ToHashSet(), mine.ToHashSet());

        Assert.Empty(await Api.ItemsOf(buyer, $"/api/v1/products?sellerId={Guid.NewGuid()}"));
    }

    [Fact]
    public async Task The_catalog_pages_with_a_cursor_without_duplicates_or_gaps()
    {
        var seller = await app.NewUser("seller");
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await app.NewProduct(seller));
            app.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        var pages = await Api.AllPages(seller, $"/api/v1/products?sellerId={seller.Id}&limit=2");

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(Enumerable.Reverse(ids), pages.SelectMany(p => p));
    }

    [Fact]
    public async Task Products_listed_at_the_same_instant_page_without_duplicates_or_gaps()
    {
        var seller = await app.NewUser("seller");
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++) ids.Add(await app.NewProduct(seller));

        var all = (await Api.ItemsOf(seller, $"/api/v1/products?sellerId={seller.Id}")).Select(p => p!.Id()).ToList();
        var pages = await Api.AllPages(seller, $"/api/v1/products?sellerId={seller.Id}&limit=2");

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(all, pages.SelectMany(p => p));
        Assert.Equal(ids.Order(), all.Order());
    }

    [Fact]
    public async Task An_unknown_product_answers_404_not_found()
    {
        var buyer = await app.NewUser("buyer");

        await Api.ExpectProblem(await buyer.Http.GetAsync($"/api/v1/products/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await buyer.Http.GetAsync($"/api/v1/products/{Guid.Empty}"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await buyer.Http.GetAsync("/api/v1/products/ticwatch"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task An_order_carries_the_listing_exactly_as_it_was_when_the_order_was_placed()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var watch = await List(seller, "Mobvoi Ticwatch 2", "Smartwatch, 44 mm.", 12_999, "wearables", ["https://images.example/watch.jpg"]);
        var cable = await List(seller, "Charging cable", "USB, 1 m.", 1_250, null, []);

        var response = await buyer.Http.PostAsJsonAsync("/api/v1/orders", new
        {
            items = new[] { new { productId = watch.Id(), quantity = 1 }, new { productId = cable.Id(), quantity = 3 } },
            shippingAddress = "1 Test Street, Tbilisi, GE",
        });
        await Api.ExpectStatus(response, HttpStatusCode.Created);
        var order = await Api.Json(response);

        var lines = order["items"]!.AsArray();
        Assert.Equal(2, lines.Count);
        AssertLine(lines[0]!, watch, 1);
        AssertLine(lines[1]!, cable, 3);
        Assert.Equal(12_999 + 3 * 1_250, order["total"]!["amount"]!.GetValue<long>());
        Assert.Equal("USD", order["total"]!["currency"]!.GetValue<string>());

        // Later, the seller lists more and time passes; the order still shows what was bought, to both parties.
        app.Clock.Advance(TimeSpan.FromDays(1));
        await List(seller, "Mobvoi Ticwatch 2 (v2)", "Newer.", 15_999, "wearables", []);
        foreach (var party in new[] { buyer, seller })
        {
            var later = await Api.GetOrder(party, order.Id());
            Assert.Equal(lines.ToJsonString(), later["items"]!.ToJsonString());
        }
        Assert.Equal(watch.ToJsonString(), (await Api.Json(await buyer.Http.GetAsync($"/api/v1/products/{watch.Id()}"))).ToJsonString());
    }

    private static void AssertLine(JsonNode line, JsonNode product, int quantity)
    {
        var price = product["price"]!["amount"]!.GetValue<long>();
        Assert.Equal(product.Id(), Guid.Parse(line["productId"]!.GetValue<string>()));
        Assert.Equal(quantity, line["quantity"]!.GetValue<int>());
        Assert.Equal(price, line["unitPrice"]!["amount"]!.GetValue<long>());
        Assert.Equal(price * quantity, line["lineTotal"]!["amount"]!.GetValue<long>());
        var listing = line["listing"]!;
        Assert.Equal(product["title"]!.GetValue<string>(), listing["title"]!.GetValue<string>());
        Assert.Equal(product["description"]!.GetValue<string>(), listing["description"]!.GetValue<string>());
        Assert.Equal(product["price"]!.ToJsonString(), listing["price"]!.ToJsonString());
        Assert.Equal(product["category"]?.GetValue<string>(), listing["category"]?.GetValue<string>());
        Assert.Equal(product["images"]!.ToJsonString(), listing["images"]!.ToJsonString());
    }

    private static async Task<JsonNode> List(TestUser seller, string title, string description, long amount, string? category, string[] images)
    {
        var response = await seller.Http.PostAsJsonAsync("/api/v1/products",
            new { title, description, price = new { amount, currency = "USD" }, category, images });
        await Api.ExpectStatus(response, HttpStatusCode.Created);
        return await Api.Json(response);
    }
}
