using System.Net;
using System.Text.RegularExpressions;
using SkiaSharp;
using Safehold.Web.Tests.Features.Portal;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Products;

/// <summary>Product images in the portal's pages: the catalog's thumbnail for anyone, the order's copy for its parties and the dispute's arbiter.</summary>
public sealed partial class ProductImagePagesTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [GeneratedRegex("""<img class="(?:thumb|photo|listing-thumb|preview)" src="([^"]+)" alt="([^"]*)""")]
    private static partial Regex Image();

    private static IEnumerable<(string Url, string Alt)> ImagesIn(string html) =>
        Image().Matches(html).Select(m => (WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value)));

    [Fact]
    public async Task The_catalog_the_product_the_order_and_the_arbiters_case_show_the_image_named_by_the_title()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var productId = await app.NewProduct(seller);
        var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(ProductImageTests.Picture(SKEncodedImageFormat.Webp)), "file", "front.webp");
        await Api.ExpectStatus(await seller.Http.PostAsync($"/api/v1/products/{productId}/images", form), HttpStatusCode.Created);

        // Anyone, signed in or not: the catalog's thumbnail and the product page's image, served by the portal.
        var visitor = app.CreateClient();
        var thumbnail = Assert.Single(ImagesIn(await visitor.GetStringAsync("/")), i => i.Url.StartsWith($"/products/{productId}?", StringComparison.Ordinal));
        Assert.Equal("Test product", thumbnail.Alt);
        Assert.Contains(thumbnail, ImagesIn(await visitor.GetStringAsync($"/products/{productId}")));
        var served = await visitor.GetAsync(thumbnail.Url);
        await Api.ExpectStatus(served, HttpStatusCode.OK);
        Assert.Equal("image/jpeg", served.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", served.Headers.GetValues("X-Content-Type-Options").Single());

        // The order's own copy: on the order page for its parties, on the case page for the arbiter once escalated.
        var order = await app.PlaceOrder(buyer, productId);
        var buyerPortal = await PortalClient.As(app, buyer);
        var copy = Assert.Single(ImagesIn(await buyerPortal.Page($"/orders/{order.Id()}")), i => i.Url.StartsWith($"/orders/{order.Id()}?", StringComparison.Ordinal));
        Assert.Equal("Test product", copy.Alt);
        Assert.Equal("image/jpeg", (await buyerPortal.Http.GetAsync(copy.Url)).Content.Headers.ContentType?.MediaType);
        var stranger = await PortalClient.As(app, await app.NewUser("buyer"));
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.Http.GetAsync(copy.Url)).StatusCode);

        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, order.Id()), HttpStatusCode.OK);
        await Api.ExpectStatus(await SafeholdApp.Ship(seller, order.Id()), HttpStatusCode.OK);
        var dispute = await OpenOk(buyer, order.Id());
        await PostOk(seller, dispute.Id(), "reject", new { reason = "Intact when shipped." });
        await PostOk(seller, dispute.Id(), "escalate");
        var arbiter = await PortalClient.As(app, await app.NewUser("arbiter"));
        Assert.Contains(copy, ImagesIn(await arbiter.Page($"/disputes/{dispute.Id()}")));
        Assert.Equal(HttpStatusCode.OK, (await arbiter.Http.GetAsync(copy.Url)).StatusCode);
    }
}
