using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>Evidence (SPEC 3): types checked by content, 10 MB each, 20 per party, kept outside the database with its hash.</summary>
public sealed class DisputeEvidenceTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static byte[] Png(int size = 2_000) => TestFiles.Png(size: size);

    private static byte[] Pdf() => TestFiles.Pdf();

    private string Folder => Path.Combine(app.Directory, "evidence");

    private int FilesKept => Directory.Exists(Folder) ? Directory.GetFiles(Folder).Length : 0;

    private static Task<HttpResponseMessage> Upload(TestUser user, Guid disputeId, byte[] content, string fileName, string? contentType = null,
        string? description = null)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        if (contentType is not null) file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(file, "file", fileName);
        if (description is not null) form.Add(new StringContent(description), "description");
        return user.Http.PostAsync($"/api/v1/disputes/{disputeId}/evidence", form);
    }

    [Fact]
    public async Task A_photo_is_stored_outside_the_database_with_its_hash_and_the_parties_and_arbiter_download_it()
    {
        var (buyer, seller, _, dispute) = await app.Disputed();
        var id = dispute.Id();
        var photo = Png();

        var response = await Upload(buyer, id, photo, "crack.png", "image/png", "The screen on arrival");

        await Api.ExpectStatus(response, HttpStatusCode.Created);
        var evidence = await Api.Json(response);
        Assert.Equal("image/png", evidence["contentType"]!.GetValue<string>());
        Assert.Equal(photo.Length, evidence["size"]!.GetValue<long>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(photo)), evidence["sha256"]!.GetValue<string>());
        Assert.Equal("buyer", evidence["party"]!.GetValue<string>());
        Assert.Equal(photo, await File.ReadAllBytesAsync(Path.Combine(Folder, evidence.Id().ToString("N"))));
        var url = evidence["url"]!.GetValue<string>();

        var download = await seller.Http.GetAsync(url);
        await Api.ExpectStatus(download, HttpStatusCode.OK);
        Assert.Equal("image/png", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(photo, await download.Content.ReadAsByteArrayAsync());
        Assert.Single((await Get(seller, id))["evidence"]!.AsArray());

        var arbiter = await app.NewUser("arbiter");
        await Api.ExpectStatus(await arbiter.Http.GetAsync(url), HttpStatusCode.NotFound); // not escalated: not theirs to see
        await PostOk(seller, id, "reject", new { reason = "Intact when shipped." });
        await PostOk(seller, id, "escalate");
        Assert.Equal(photo, await (await arbiter.Http.GetAsync(url)).Content.ReadAsByteArrayAsync());
        await Api.ExpectStatus(await Upload(arbiter, id, Pdf(), "note.pdf", "application/pdf"), HttpStatusCode.Created);

        var stranger = await app.NewUser("buyer");
        await Api.ExpectProblem(await stranger.Http.GetAsync(url), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await app.Admin.GetAsync(url), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await Upload(stranger, id, Png(), "x.png"), HttpStatusCode.NotFound, "not_found");
    }

    [Theory]
    [InlineData("multipart/form-data", "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nabc\r\n--x--\r\n")] // no boundary (FuzzTests seed 20261204, #294)
    [InlineData("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nabc")] // cut short
    [InlineData("multipart/form-data; boundary=x", "not a form at all")]
    public async Task A_malformed_multipart_form_is_refused_as_malformed_and_keeps_nothing(string contentType, string body)
    {
        var (buyer, _, _, dispute) = await app.Disputed();
        var content = new ByteArrayContent(System.Text.Encoding.ASCII.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var response = await buyer.Http.PostAsync($"/api/v1/disputes/{dispute.Id()}/evidence", content);

        await Api.ExpectProblem(response, HttpStatusCode.BadRequest, "malformed_request");
        Assert.Empty((await Get(buyer, dispute.Id()))["evidence"]!.AsArray());
    }

    [Fact]
    public async Task A_file_too_large_of_the_wrong_type_or_lying_about_its_type_is_refused_and_leaves_no_file()
    {
        var (buyer, _, _, dispute) = await app.Disputed();
        var id = dispute.Id();
        var kept = FilesKept;

        await Api.ExpectProblem(await Upload(buyer, id, new byte[10 * 1024 * 1024 + 1], "big.png", "image/png"), HttpStatusCode.RequestEntityTooLarge, "file_too_large");
        await Api.ExpectProblem(await Upload(buyer, id, "just some text"u8.ToArray(), "notes.txt", "text/plain"),
            HttpStatusCode.UnsupportedMediaType, "unsupported_file_type");
        await Api.ExpectProblem(await Upload(buyer, id, "MZ\x90\0 pretending"u8.ToArray(), "photo.jpg", "image/jpeg"),
            HttpStatusCode.UnsupportedMediaType, "unsupported_file_type");
        await Api.ExpectProblem(await Upload(buyer, id, Png(), "invoice.pdf", "application/pdf"), HttpStatusCode.UnsupportedMediaType, "file_type_mismatch");
        await Api.ExpectProblem(await Upload(buyer, id, Pdf(), "photo.jpg"), HttpStatusCode.UnsupportedMediaType, "file_type_mismatch");
        await Api.ExpectProblem(await Upload(buyer, id, [], "empty.png", "image/png"), HttpStatusCode.BadRequest, "validation_failed");

        Assert.Equal(kept, FilesKept);
        Assert.Empty((await Get(buyer, id))["evidence"]!.AsArray());
        // Exactly the limit is kept: a video whose media data box fills it (cheap to check, unlike a padded photo).
        var video = TestFiles.IsoMedia("mp42");
        var padding = 10 * 1024 * 1024 - video.Length - 8;
        var size = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(size, padding + 8);
        byte[] exactly10 = [.. video, .. size, .. "mdat"u8, .. new byte[padding]];
        Assert.Equal(10 * 1024 * 1024, (await Api.Json(await Upload(buyer, id, exactly10, "exactly10.mp4")))["size"]!.GetValue<long>());
    }

    private static byte[] IsoMedia(string brand) => TestFiles.IsoMedia(brand);

    [Fact]
    public async Task An_mp4_video_is_kept_but_heic_photos_and_quicktime_films_in_the_same_container_are_not()
    {
        var (buyer, _, _, dispute) = await app.Disputed();
        var id = dispute.Id();

        var video = await Api.Json(await Upload(buyer, id, IsoMedia("mp42"), "unboxing.mp4", "video/mp4"));
        Assert.Equal("video/mp4", video["contentType"]!.GetValue<string>());
        await Api.ExpectProblem(await Upload(buyer, id, IsoMedia("heic"), "photo.mp4", "video/mp4"), HttpStatusCode.UnsupportedMediaType, "unsupported_file_type");
        await Api.ExpectProblem(await Upload(buyer, id, IsoMedia("qt  "), "film.mp4"), HttpStatusCode.UnsupportedMediaType, "unsupported_file_type");
    }

    [Fact]
    public async Task A_retried_upload_with_the_same_idempotency_key_keeps_one_file()
    {
        var (buyer, _, _, dispute) = await app.Disputed();
        var id = dispute.Id();
        var kept = FilesKept;
        var photo = Png();
        HttpRequestMessage Request()
        {
            // A retry sends the same bytes, boundary included.
            var form = new MultipartFormDataContent("retry-boundary") { { new ByteArrayContent(photo), "file", "photo.png" } };
            return new HttpRequestMessage(HttpMethod.Post, $"/api/v1/disputes/{id}/evidence") { Content = form, Headers = { { "Idempotency-Key", $"evidence-{id}" } } };
        }

        var first = await buyer.Http.SendAsync(Request());
        var second = await buyer.Http.SendAsync(Request());

        await Api.ExpectStatus(first, HttpStatusCode.Created);
        await Api.ExpectStatus(second, HttpStatusCode.Created);
        Assert.Equal((await Api.Json(first))["id"]!.GetValue<string>(), (await Api.Json(second))["id"]!.GetValue<string>());
        Assert.Equal(kept + 1, FilesKept);
        Assert.Single((await Get(buyer, id))["evidence"]!.AsArray());
    }

    [Fact]
    public async Task Each_party_adds_at_most_20_files_and_none_once_the_dispute_is_over()
    {
        var (buyer, seller, _, dispute) = await app.Disputed();
        var id = dispute.Id();
        for (var i = 0; i < 20; i++)
            await Api.ExpectStatus(await Upload(buyer, id, Png(200), $"photo{i}.png"), HttpStatusCode.Created);
        var kept = FilesKept;

        await Api.ExpectProblem(await Upload(buyer, id, Png(200), "one-more.png"), HttpStatusCode.UnprocessableEntity, "evidence_limit_reached");

        Assert.Equal(kept, FilesKept);
        await Api.ExpectStatus(await Upload(seller, id, Pdf(), "tracking.pdf"), HttpStatusCode.Created);
        await PostOk(buyer, id, "withdraw");
        await Api.ExpectProblem(await Upload(seller, id, Pdf(), "late.pdf"), HttpStatusCode.Conflict, "invalid_state");
        Assert.Equal(21, (await Get(buyer, id))["evidence"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_png_header_followed_by_html_or_a_real_png_with_html_after_its_end_is_refused_as_damaged()
    {
        var (buyer, _, _, dispute) = await app.Disputed();
        var id = dispute.Id();
        var kept = FilesKept;
        var html = "<html><script>alert(document.cookie)</script></html>"u8.ToArray();

        await Api.ExpectProblem(await Upload(buyer, id, [.. TestFiles.PngSignature, .. html], "x.png", "image/png"),
            HttpStatusCode.UnsupportedMediaType, "file_damaged");
        await Api.ExpectProblem(await Upload(buyer, id, [.. TestFiles.Png(), .. html], "x.png", "image/png"), HttpStatusCode.UnsupportedMediaType, "file_damaged");
        await Api.ExpectProblem(await Upload(buyer, id, [0xFF, 0xD8, 0xFF, 0xE0, .. html], "x.jpg", "image/jpeg"), HttpStatusCode.UnsupportedMediaType, "file_damaged");

        Assert.Equal(kept, FilesKept);
    }

    [Fact]
    public async Task A_photo_of_more_than_40_megapixels_is_refused_however_small_its_file()
    {
        var (buyer, _, _, dispute) = await app.Disputed();
        var huge = TestFiles.PngClaiming(100_000, 100_000);
        Assert.True(huge.Length < 20_000);

        await Api.ExpectProblem(await Upload(buyer, dispute.Id(), huge, "huge.png", "image/png"), HttpStatusCode.RequestEntityTooLarge, "image_too_large");
    }

    [Theory]
    [InlineData("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")]
    [InlineData("/OpenAction 4 0 R")]
    [InlineData("/Names << /JavaScript 4 0 R >>")]
    [InlineData("/Names << /EmbeddedFiles 4 0 R >>")]
    [InlineData("/AA << /O 4 0 R >>")]
    [InlineData("/J#61vaScript 4 0 R")]
    public async Task A_pdf_with_active_content_is_refused(string catalogExtra)
    {
        var (buyer, _, _, dispute) = await app.Disputed();
        var pdf = TestFiles.Pdf(catalogExtra, "<< /S /Launch /F (calc.exe) >>");

        await Api.ExpectProblem(await Upload(buyer, dispute.Id(), pdf, "invoice.pdf", "application/pdf"), HttpStatusCode.UnsupportedMediaType, "file_unsafe");
    }

    [Fact]
    public async Task A_pdf_that_is_only_a_header_is_refused_as_damaged()
    {
        var (buyer, _, _, dispute) = await app.Disputed();
        await Api.ExpectProblem(await Upload(buyer, dispute.Id(), "%PDF-1.7\n<html><script>alert(1)</script>"u8.ToArray(), "x.pdf"),
            HttpStatusCode.UnsupportedMediaType, "file_damaged");
    }

    [Fact]
    public async Task An_mp4_whose_boxes_do_not_add_up_or_that_has_no_movie_box_is_refused_as_damaged()
    {
        var (buyer, _, _, dispute) = await app.Disputed();
        byte[] overrun = [.. TestFiles.IsoMedia("mp42", "free"), 0, 0, 1, 0, .. "mdat"u8, 1, 2, 3];
        await Api.ExpectProblem(await Upload(buyer, dispute.Id(), overrun, "a.mp4"), HttpStatusCode.UnsupportedMediaType, "file_damaged");
        await Api.ExpectProblem(await Upload(buyer, dispute.Id(), TestFiles.IsoMedia("mp42", "free"), "b.mp4"), HttpStatusCode.UnsupportedMediaType, "file_damaged");
        byte[] html = [.. TestFiles.IsoMedia("mp42"), .. "<html><script>alert(1)</script>"u8];
        await Api.ExpectProblem(await Upload(buyer, dispute.Id(), html, "c.mp4"), HttpStatusCode.UnsupportedMediaType, "file_damaged");
    }

    [Fact]
    public async Task The_portal_previews_a_photo_re_encoded_without_what_the_upload_carried_besides_its_pixels()
    {
        var (buyer, _, _, dispute) = await app.Disputed();
        var photo = TestFiles.Png(text: "<script>alert(1)</script>");
        var evidence = await Api.Json(await Upload(buyer, dispute.Id(), photo, "crack.png", "image/png"));
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var user = db.Users.Single(u => u.Id == buyer.Id);
            user.SetPasswordHash(new Microsoft.AspNetCore.Identity.PasswordHasher<Safehold.Web.Features.Users.User>().HashPassword(user, "buyer-password"));
            db.SaveChanges();
        }
        var portal = await Portal.PortalClient.SignedIn(app, buyer.Email, "buyer-password");

        var preview = await portal.Http.GetAsync($"/disputes/{dispute.Id()}?handler=Evidence&evidenceId={evidence.Id()}");

        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        Assert.Equal("image/png", preview.Content.Headers.ContentType?.MediaType);
        var bytes = await preview.Content.ReadAsByteArrayAsync();
        Assert.NotEqual(photo, bytes);
        Assert.DoesNotContain("<script>", System.Text.Encoding.Latin1.GetString(bytes), StringComparison.Ordinal);
        using var decoded = SkiaSharp.SKBitmap.Decode(bytes);
        Assert.Equal((48, 32), (decoded.Width, decoded.Height));
    }
}
