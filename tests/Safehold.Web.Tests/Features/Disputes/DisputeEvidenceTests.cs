using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>Evidence (SPEC 3): types checked by content, 10 MB each, 20 per party, kept outside the database with its hash.</summary>
public sealed class DisputeEvidenceTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static readonly byte[] PngHead = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static byte[] Png(int size = 2_000)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        PngHead.CopyTo(bytes, 0);
        return bytes;
    }

    private static byte[] Pdf() => "%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"u8.ToArray();

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

    [Fact]
    public async Task A_file_too_large_of_the_wrong_type_or_lying_about_its_type_is_refused_and_leaves_no_file()
    {
        var (buyer, _, _, dispute) = await app.Disputed();
        var id = dispute.Id();
        var kept = FilesKept;

        await Api.ExpectProblem(await Upload(buyer, id, Png(10 * 1024 * 1024 + 1), "big.png", "image/png"), HttpStatusCode.RequestEntityTooLarge, "file_too_large");
        await Api.ExpectProblem(await Upload(buyer, id, "just some text"u8.ToArray(), "notes.txt", "text/plain"),
            HttpStatusCode.UnsupportedMediaType, "unsupported_file_type");
        await Api.ExpectProblem(await Upload(buyer, id, "MZ\x90\0 pretending"u8.ToArray(), "photo.jpg", "image/jpeg"),
            HttpStatusCode.UnsupportedMediaType, "unsupported_file_type");
        await Api.ExpectProblem(await Upload(buyer, id, Png(), "invoice.pdf", "application/pdf"), HttpStatusCode.UnsupportedMediaType, "file_type_mismatch");
        await Api.ExpectProblem(await Upload(buyer, id, Pdf(), "photo.jpg"), HttpStatusCode.UnsupportedMediaType, "file_type_mismatch");
        await Api.ExpectProblem(await Upload(buyer, id, [], "empty.png", "image/png"), HttpStatusCode.BadRequest, "validation_failed");

        Assert.Equal(kept, FilesKept);
        Assert.Empty((await Get(buyer, id))["evidence"]!.AsArray());
        Assert.Equal(10 * 1024 * 1024, (await Api.Json(await Upload(buyer, id, Png(10 * 1024 * 1024), "exactly10.png")))["size"]!.GetValue<long>());
    }

    private static byte[] IsoMedia(string brand) =>
        [0, 0, 0, 24, .. "ftyp"u8, .. System.Text.Encoding.ASCII.GetBytes(brand), 0, 0, 2, 0, .. "isommp41"u8, 0, 0, 0, 8, .. "free"u8];

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
            await Api.ExpectStatus(await Upload(buyer, id, Png(100), $"photo{i}.png"), HttpStatusCode.Created);
        var kept = FilesKept;

        await Api.ExpectProblem(await Upload(buyer, id, Png(100), "one-more.png"), HttpStatusCode.UnprocessableEntity, "evidence_limit_reached");

        Assert.Equal(kept, FilesKept);
        await Api.ExpectStatus(await Upload(seller, id, Pdf(), "tracking.pdf"), HttpStatusCode.Created);
        await PostOk(buyer, id, "withdraw");
        await Api.ExpectProblem(await Upload(seller, id, Pdf(), "late.pdf"), HttpStatusCode.Conflict, "invalid_state");
        Assert.Equal(21, (await Get(buyer, id))["evidence"]!.AsArray().Count);
    }
}
