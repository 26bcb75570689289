using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;

namespace Safehold.Web.Tests.Features.Products;

/// <summary>SPEC 1: a product carries the marketplace's own <c>externalId</c> (unique among products) and <c>metadata</c>.</summary>
public sealed class ProductExternalIdTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static string NewExternalId() => $"sku-{Guid.NewGuid():N}";

    private static Task<HttpResponseMessage> List(TestUser seller, object? externalId, object? metadata) =>
        seller.Http.PostAsJsonAsync("/api/v1/products", new
        {
            title = "Mobvoi Ticwatch 2",
            description = "Smartwatch, 44 mm.",
            price = new { amount = 12_999, currency = "USD" },
            externalId,
            metadata,
        });

    private async Task<int> ProductsOf(TestUser seller)
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.Products.CountAsync(p => p.SellerId == seller.Id);
    }

    [Fact]
    public async Task A_product_listed_with_an_externalId_and_metadata_is_read_and_found_by_everyone_with_them()
    {
        var seller = await app.NewUser("seller");
        var externalId = NewExternalId();

        var response = await List(seller, externalId, new Dictionary<string, string> { ["warehouse"] = "TBS-2" });

        await Api.ExpectStatus(response, HttpStatusCode.Created);
        var created = await Api.Json(response);
        Assert.Equal(externalId, created["externalId"]!.GetValue<string>());
        Assert.Equal("TBS-2", created["metadata"]!["warehouse"]!.GetValue<string>());
        var buyer = await app.NewUser("buyer");
        Assert.Equal(created.ToJsonString(), (await Api.Json(await buyer.Http.GetAsync($"/api/v1/products/{created.Id()}"))).ToJsonString());
        var found = Assert.Single(await Api.ItemsOf(buyer, $"/api/v1/products?externalId={externalId}"))!;
        Assert.Equal(created.ToJsonString(), found.ToJsonString());
        Assert.Single(await Api.ItemsOf(buyer, $"/api/v1/products?externalId={externalId}&sellerId={seller.Id}"));
        Assert.Empty(await Api.ItemsOf(buyer, $"/api/v1/products?externalId={externalId}&sellerId={Guid.NewGuid()}"));
        Assert.Empty(await Api.ItemsOf(buyer, $"/api/v1/products?externalId={NewExternalId()}"));
    }

    [Fact]
    public async Task A_product_listed_without_them_has_no_externalId_and_empty_metadata()
    {
        var seller = await app.NewUser("seller");

        var created = await Api.Json(await List(seller, null, null));

        Assert.Null(created["externalId"]);
        Assert.Equal("{}", created["metadata"]!.ToJsonString());
    }

    [Fact]
    public async Task A_second_product_with_a_taken_externalId_is_refused_409_even_for_another_seller_and_nothing_is_written()
    {
        var seller = await app.NewUser("seller");
        var other = await app.NewUser("seller");
        var externalId = NewExternalId();
        await Api.ExpectStatus(await List(seller, externalId, null), HttpStatusCode.Created);

        foreach (var who in new[] { seller, other })
        {
            var before = await ProductsOf(who);
            await Api.ExpectProblem(await List(who, externalId, null), HttpStatusCode.Conflict, "external_id_taken");
            Assert.Equal(before, await ProductsOf(who));
        }
    }

    [Fact]
    public async Task Products_listed_at_once_with_one_externalId_leave_exactly_one_winner()
    {
        var sellers = new List<TestUser>();
        for (var i = 0; i < 5; i++) sellers.Add(await app.NewUser("seller"));
        var externalId = NewExternalId();

        var responses = await Task.WhenAll(sellers.Select(s => List(s, externalId, null)));

        var winner = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        foreach (var lost in responses.Where(r => r != winner))
            await Api.ExpectProblem(lost, HttpStatusCode.Conflict, "external_id_taken");
        var (scope, db) = app.OpenDb();
        using (scope) Assert.Equal((await Api.Json(winner)).Id(), (await db.Products.SingleAsync(p => p.ExternalId == externalId)).Id);
    }

    [Fact]
    public async Task Bad_metadata_is_refused_400_and_no_product_is_written()
    {
        var seller = await app.NewUser("seller");

        var tooMany = Enumerable.Range(0, 51).ToDictionary(i => $"k{i}", _ => "v");
        var problem = await Api.ExpectProblem(await List(seller, NewExternalId(), tooMany), HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]!["metadata"]);
        problem = await Api.ExpectProblem(await List(seller, "trailing ", null), HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]!["externalId"]);
        await Api.ExpectProblem(await List(seller, null, new { count = 3 }), HttpStatusCode.BadRequest, "malformed_request");
        Assert.Equal(0, await ProductsOf(seller));
    }
}
