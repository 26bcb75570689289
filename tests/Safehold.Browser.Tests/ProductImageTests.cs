using Microsoft.Playwright;

namespace Safehold.Browser.Tests;

/// <summary>A seller's product images in the portal: uploaded with the listing, refused beside the field when not a picture, shown in the catalog and on the product page.</summary>
[Collection(PortalCollection.Name)]
public sealed class ProductImageTests(Portal portal)
{
    private const string Title = "Felt slippers from Tusheti";

    [Fact]
    public async Task A_seller_lists_a_product_with_an_image_and_the_catalog_shows_it()
    {
        var seller = await portal.InSession("seller2@demo.test", "demo-seller2");
        await seller.GotoAsync("/seller/products");
        await seller.GetByLabel("Title").FillAsync(Title);
        await seller.GetByLabel("Description").FillAsync("Hand-felted sheep's wool, size 38.");
        await seller.GetByLabel("Price").FillAsync("45.00");
        await seller.GetByLabel("Currency").SelectOptionAsync("GEL");
        var image = seller.GetByLabel("Image (optional: JPEG, PNG or WebP, at most 5 MB)");

        // A page of HTML named .png is refused beside the field, and nothing is listed.
        await image.SetInputFilesAsync(new FilePayload { Name = "slippers.png", MimeType = "image/png", Buffer = "<!doctype html><script>alert(1)</script>"u8.ToArray() });
        await seller.GetByRole(AriaRole.Button, new() { Name = "List the product" }).ClickAsync();
        await Assertions.Expect(seller.Locator("#Image-error")).ToContainTextAsync("Only JPEG, PNG and WebP images are accepted");
        await Assertions.Expect(seller.Locator("#Image")).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(seller.GetByRole(AriaRole.Link, new() { Name = Title, Exact = true })).ToHaveCountAsync(0);
        await Portal.Screenshot(seller, "seller-products-image-refused");

        await seller.GetByLabel("Price").FillAsync("45.00");
        await image.SetInputFilesAsync(new FilePayload { Name = "slippers.png", MimeType = "image/png", Buffer = TestPng.Make(200, 150) });
        await seller.GetByRole(AriaRole.Button, new() { Name = "List the product" }).ClickAsync();
        await Assertions.Expect(seller.GetByText("The product is listed at")).ToBeVisibleAsync();

        // The catalog, to anyone: the first image as the product's thumbnail, named by the product's title.
        var visitor = await portal.NewPage();
        await visitor.GotoAsync("/");
        var thumbnail = visitor.GetByRole(AriaRole.Img, new() { Name = Title, Exact = true });
        await Assertions.Expect(thumbnail).ToBeVisibleAsync();
        Assert.Equal(200, await thumbnail.EvaluateAsync<int>("img => img.complete ? img.naturalWidth : new Promise(r => img.onload = () => r(img.naturalWidth))"));
        await Portal.AssertAccessible(visitor);
        await visitor.GetByRole(AriaRole.Link, new() { Name = Title, Exact = true }).ClickAsync();
        await Assertions.Expect(visitor.GetByRole(AriaRole.Img, new() { Name = Title, Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(visitor.GetByRole(AriaRole.Button, new() { Name = "Delete image 1" })).ToHaveCountAsync(0); // only its seller manages it

        // On the product's page the seller deletes it; the catalog shows none.
        await seller.GetByRole(AriaRole.Link, new() { Name = Title, Exact = true }).ClickAsync();
        await Portal.AssertAccessible(seller);
        await Portal.Screenshot(seller, "product-seller");
        await seller.GetByRole(AriaRole.Button, new() { Name = "Delete image 1" }).ClickAsync();
        await Assertions.Expect(seller.GetByText("The image is deleted.")).ToBeVisibleAsync();
        await Assertions.Expect(seller.GetByRole(AriaRole.Img, new() { Name = Title, Exact = true })).ToHaveCountAsync(0);
        await visitor.GotoAsync("/");
        await Assertions.Expect(visitor.GetByRole(AriaRole.Img, new() { Name = Title, Exact = true })).ToHaveCountAsync(0);
        await seller.Context.CloseAsync();
        await visitor.Context.CloseAsync();
    }
}
