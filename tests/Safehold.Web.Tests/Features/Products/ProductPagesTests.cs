using System.Net;
using Safehold.Web.Tests.Features.Portal;

namespace Safehold.Web.Tests.Features.Products;

/// <summary>The seller's product form in the portal: the price is read as the page's language writes it, and said back.</summary>
public sealed class ProductPagesTests : IDisposable
{
    private readonly SafeholdApp _app = new();

    public void Dispose() => _app.Dispose();

    private static Dictionary<string, string> Form(string price) => new()
    {
        ["Title"] = "Enamel pendant",
        ["Description"] = "Silver.",
        ["Price"] = price,
        ["Currency"] = "USD",
        ["HandlingDays"] = "5",
    };

    [Fact]
    public async Task A_price_typed_with_a_comma_on_an_English_page_is_refused_beside_the_field_and_nothing_is_listed()
    {
        var seller = await _app.NewUser("seller");
        var portal = await PortalClient.As(_app, seller);
        var response = await portal.Post("/seller/products", Form("19,50"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Write the amount with a point before the cents, like 19.50.", PortalClient.Text(await response.Content.ReadAsStringAsync()),
            StringComparison.Ordinal);
        Assert.Empty(await Api.ItemsOf(seller, "/api/v1/products?sellerId=" + seller.Id));
    }

    [Fact]
    public async Task A_price_typed_as_a_Georgian_writes_it_is_listed_at_that_price_and_said_back()
    {
        var seller = await _app.NewUser("seller");
        var portal = await PortalClient.As(_app, seller, language: "ka-GE");
        var response = await portal.Post("/seller/products", Form("19,50"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("პროდუქტი განთავსდა, ფასი: 19,50 USD.", PortalClient.Text(await portal.Page("/seller/products")), StringComparison.Ordinal);
        var listed = await Api.ItemsOf(seller, "/api/v1/products?sellerId=" + seller.Id);
        Assert.Equal(1950, Assert.Single(listed)!["price"]!["amount"]!.GetValue<long>());
    }
}
