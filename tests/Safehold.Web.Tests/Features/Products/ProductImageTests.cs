using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using SkiaSharp;
using Safehold.Web.Tests.Features.Disputes;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Products;

/// <summary>Images sellers upload (issue 15): checked by content, re-encoded, stored in the database; an order keeps its own copies.</summary>
public sealed class ProductImageTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    public static byte[] Picture(SKEncodedImageFormat format, int width = 300, int height = 200)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(30, 90, 160));
            using var paint = new SKPaint { Color = new SKColor(240, 180, 40) };
            canvas.DrawCircle(width / 2f, height / 2f, Math.Min(width, height) / 3f, paint);
        }
        using var encoded = bitmap.Encode(format, 90);
        return encoded.ToArray();
    }

    public static Task<HttpResponseMessage> Upload(TestUser seller, Guid productId, byte[] content, string fileName = "photo.png", string? contentType = null)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        if (contentType is not null) file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(file, "file", fileName);
        return seller.Http.PostAsync($"/api/v1/products/{productId}/images", form);
    }

    private async Task<int> ImagesOf(Guid productId)
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.ListingImages.CountAsync(i => i.ProductId == productId);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png, "front.png", "image/png")]
    [InlineData(SKEncodedImageFormat.Jpeg, "front.jpg", "image/jpeg")]
    [InlineData(SKEncodedImageFormat.Webp, "front.webp", "image/jpeg")]
    public async Task A_seller_uploads_an_image_and_anyone_signed_in_reads_it_back_re_encoded(SKEncodedImageFormat format, string fileName, string served)
    {
        var seller = await app.NewUser("seller");
        var productId = await app.NewProduct(seller);

        var response = await Upload(seller, productId, Picture(format), fileName);

        await Api.ExpectStatus(response, HttpStatusCode.Created);
        var image = await Api.Json(response);
        var url = image["url"]!.GetValue<string>();
        Assert.Equal($"/api/v1/products/{productId}/images/{image.Id()}", url);
        Assert.Equal(url, response.Headers.Location?.OriginalString);

        var buyer = await app.NewUser("buyer");
        var download = await buyer.Http.GetAsync(url);
        await Api.ExpectStatus(download, HttpStatusCode.OK);
        Assert.Equal(served, download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("immutable", download.Headers.CacheControl?.ToString());
        using (var decoded = SKBitmap.Decode(await download.Content.ReadAsByteArrayAsync()))
        {
            Assert.Equal((300, 200), (decoded.Width, decoded.Height));
            Assert.Equal(new SKColor(240, 180, 40).Red, decoded.GetPixel(150, 100).Red, tolerance: 12);
        }

        var again = new HttpRequestMessage(HttpMethod.Get, url);
        again.Headers.IfNoneMatch.Add(download.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await buyer.Http.SendAsync(again)).StatusCode);

        var product = await Api.Json(await buyer.Http.GetAsync($"/api/v1/products/{productId}"));
        Assert.Equal($$"""[{"id":"{{image.Id()}}","url":"{{url}}"}]""", product["uploadedImages"]!.ToJsonString());
        var listed = await Api.Json(await buyer.Http.GetAsync($"/api/v1/products?sellerId={seller.Id}"));
        Assert.Equal(product["uploadedImages"]!.ToJsonString(), listed["items"]![0]!["uploadedImages"]!.ToJsonString());
    }

    [Fact]
    public async Task A_large_image_is_stored_scaled_down_to_its_longest_side()
    {
        var seller = await app.NewUser("seller");
        var productId = await app.NewProduct(seller);

        var response = await Upload(seller, productId, Picture(SKEncodedImageFormat.Jpeg, 3000, 1500), "wide.jpg");

        await Api.ExpectStatus(response, HttpStatusCode.Created);
        using var decoded = SKBitmap.Decode(await seller.Http.GetByteArrayAsync((await Api.Json(response))["url"]!.GetValue<string>()));
        Assert.Equal((2000, 1000), (decoded.Width, decoded.Height));
    }

    public static TheoryData<string, byte[], HttpStatusCode, string> RefusedFiles => new()
    {
        { "page.png", Encoding.UTF8.GetBytes("<!doctype html><script>alert(1)</script>"), HttpStatusCode.UnsupportedMediaType, "unsupported_file_type" },
        { "polyglot.png", [.. TestFiles.PngSignature, .. Encoding.UTF8.GetBytes("<html><script>alert(1)</script></html>")], HttpStatusCode.UnsupportedMediaType, "file_damaged" },
        { "trailer.png", [.. TestFiles.Png(), .. Encoding.UTF8.GetBytes("<html><script>alert(1)</script></html>")], HttpStatusCode.UnsupportedMediaType, "file_damaged" },
        { "huge.png", TestFiles.PngClaiming(50_000, 50_000), HttpStatusCode.RequestEntityTooLarge, "image_too_large" },
        { "big.png", TestFiles.Png(size: 5 * 1024 * 1024 + 1), HttpStatusCode.RequestEntityTooLarge, "file_too_large" },
        { "empty.png", [], HttpStatusCode.BadRequest, "validation_failed" },
    };

    [Theory]
    [MemberData(nameof(RefusedFiles))]
    public async Task A_file_that_is_not_a_sound_small_image_is_refused_and_nothing_is_stored(string fileName, byte[] content, HttpStatusCode status, string code)
    {
        var seller = await app.NewUser("seller");
        var productId = await app.NewProduct(seller);

        await Api.ExpectProblem(await Upload(seller, productId, content, fileName, "image/png"), status, code);

        Assert.Equal(0, await ImagesOf(productId));
        Assert.Empty((await Api.Json(await seller.Http.GetAsync($"/api/v1/products/{productId}")))["uploadedImages"]!.AsArray());
    }

    [Fact]
    public async Task Someone_elses_product_answers_not_found_to_uploads_and_deletes()
    {
        var seller = await app.NewUser("seller");
        var productId = await app.NewProduct(seller);
        var image = await Api.Json(await Upload(seller, productId, Picture(SKEncodedImageFormat.Png)));

        foreach (var role in new[] { "seller", "buyer" })
        {
            var other = await app.NewUser(role);
            await Api.ExpectProblem(await Upload(other, productId, Picture(SKEncodedImageFormat.Png)), HttpStatusCode.NotFound, "not_found");
            await Api.ExpectProblem(await other.Http.DeleteAsync($"/api/v1/products/{productId}/images/{image.Id()}"), HttpStatusCode.NotFound, "not_found");
        }
        var stranger = await app.NewUser("seller");
        var theirs = await app.NewProduct(stranger);
        // An image id under another product of the caller's is not found either.
        await Api.ExpectProblem(await stranger.Http.DeleteAsync($"/api/v1/products/{theirs}/images/{image.Id()}"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await stranger.Http.GetAsync($"/api/v1/products/{theirs}/images/{image.Id()}"), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(1, await ImagesOf(productId));
    }

    [Fact]
    public async Task A_product_holds_at_most_eight_images_and_the_seller_deletes_one_to_make_room()
    {
        var seller = await app.NewUser("seller");
        var productId = await app.NewProduct(seller);
        var first = await Api.Json(await Upload(seller, productId, Picture(SKEncodedImageFormat.Png, 40, 30)));
        for (var i = 1; i < 8; i++) await Api.ExpectStatus(await Upload(seller, productId, Picture(SKEncodedImageFormat.Png, 40, 30)), HttpStatusCode.Created);

        await Api.ExpectProblem(await Upload(seller, productId, Picture(SKEncodedImageFormat.Png, 40, 30)), HttpStatusCode.UnprocessableEntity, "image_limit_reached");
        Assert.Equal(8, await ImagesOf(productId));

        await Api.ExpectStatus(await seller.Http.DeleteAsync(first["url"]!.GetValue<string>()), HttpStatusCode.NoContent);
        await Api.ExpectProblem(await seller.Http.GetAsync(first["url"]!.GetValue<string>()), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectStatus(await Upload(seller, productId, Picture(SKEncodedImageFormat.Png, 40, 30)), HttpStatusCode.Created);
        var images = (await Api.Json(await seller.Http.GetAsync($"/api/v1/products/{productId}")))["uploadedImages"]!.AsArray();
        Assert.Equal(8, images.Count);
        Assert.DoesNotContain(images, i => i!.Id() == first.Id());
    }

    [Fact]
    public async Task The_order_keeps_its_own_copy_of_the_images_after_the_seller_deletes_them()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var productId = await app.NewProduct(seller);
        var upload = await Api.Json(await Upload(seller, productId, Picture(SKEncodedImageFormat.Png)));
        var original = await seller.Http.GetByteArrayAsync(upload["url"]!.GetValue<string>());
        var order = await app.PlaceOrder(buyer, productId);

        await Api.ExpectStatus(await seller.Http.DeleteAsync(upload["url"]!.GetValue<string>()), HttpStatusCode.NoContent);

        Assert.Empty((await Api.Json(await buyer.Http.GetAsync($"/api/v1/products/{productId}")))["uploadedImages"]!.AsArray());
        var listed = (await Api.GetOrder(buyer, order.Id()))["items"]![0]!["listing"]!["uploadedImages"]!.AsArray();
        var copy = Assert.Single(listed)!;
        Assert.NotEqual(upload.Id(), copy.Id());
        var url = copy["url"]!.GetValue<string>();
        Assert.Equal($"/api/v1/orders/{order.Id()}/images/{copy.Id()}", url);
        Assert.Equal(order["items"]![0]!["listing"]!["uploadedImages"]!.ToJsonString(), new JsonArray(copy.DeepClone()).ToJsonString());
        foreach (var reader in new[] { buyer.Http, seller.Http, app.Admin })
        {
            var download = await reader.GetAsync(url);
            await Api.ExpectStatus(download, HttpStatusCode.OK);
            Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal(original, await download.Content.ReadAsByteArrayAsync());
        }
        foreach (var role in new[] { "buyer", "seller", "arbiter" })
        {
            var stranger = await app.NewUser(role);
            await Api.ExpectProblem(await stranger.Http.GetAsync(url), HttpStatusCode.NotFound, "not_found");
        }
        // The copy is the order's: not reachable as the product's image.
        await Api.ExpectProblem(await buyer.Http.GetAsync($"/api/v1/products/{productId}/images/{copy.Id()}"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task The_arbiter_of_an_escalated_dispute_sees_the_orders_image()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var productId = await app.NewProduct(seller);
        await Api.ExpectStatus(await Upload(seller, productId, Picture(SKEncodedImageFormat.Jpeg), "front.jpg"), HttpStatusCode.Created);
        var order = await app.PlaceOrder(buyer, productId);
        var url = order["items"]![0]!["listing"]!["uploadedImages"]![0]!["url"]!.GetValue<string>();
        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, order.Id()), HttpStatusCode.OK);
        await Api.ExpectStatus(await SafeholdApp.Ship(seller, order.Id()), HttpStatusCode.OK);
        var dispute = await OpenOk(buyer, order.Id(), "damaged", "full_refund", null);
        var arbiter = await app.NewUser("arbiter");
        await Api.ExpectProblem(await arbiter.Http.GetAsync(url), HttpStatusCode.NotFound, "not_found"); // not escalated: not theirs

        await PostOk(seller, dispute.Id(), "reject", new { reason = "Intact when shipped." });
        await PostOk(seller, dispute.Id(), "escalate");

        var download = await arbiter.Http.GetAsync(url);
        await Api.ExpectStatus(download, HttpStatusCode.OK);
        Assert.Equal("image/jpeg", download.Content.Headers.ContentType?.MediaType);
    }
}
