using Safehold.Web.Api;
using Safehold.Web.Features.Disputes;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>The inspection itself, on files written here: what passes and what it refuses, without the HTTP around it.</summary>
public sealed class EvidenceInspectionTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"safehold-inspection-{Guid.NewGuid():N}");

    public void Dispose() => File.Delete(_path);

    private async Task<EvidenceInspection.Preview?> Inspect(byte[] content)
    {
        await File.WriteAllBytesAsync(_path, content);
        var type = EvidenceType.Detect(content.AsSpan(0, Math.Min(16, content.Length)))!;
        return await EvidenceInspection.InspectAsync(type, _path, CancellationToken.None);
    }

    [Fact]
    public async Task A_photo_is_previewed_and_a_png_carrying_more_than_a_megabyte_besides_its_pixels_is_refused()
    {
        var preview = await Inspect(TestFiles.Png(size: 1024 * 1024));
        Assert.Equal("image/png", preview!.ContentType);
        Assert.True(preview.Bytes.Length < 10_000);
        var problem = await Assert.ThrowsAsync<HttpProblemException>(() => Inspect(TestFiles.Png(size: 1024 * 1024 + 200)));
        Assert.Equal("file_damaged", problem.Code);
    }

    [Fact]
    public async Task A_plain_pdf_passes_and_one_naming_javascript_in_a_stream_dictionary_does_not()
    {
        Assert.Null(await Inspect(TestFiles.Pdf()));
        var problem = await Assert.ThrowsAsync<HttpProblemException>(() => Inspect(TestFiles.Pdf("", "<< /Length 0 /Type /EmbeddedFile >>\nstream\n\nendstream")));
        Assert.Equal("file_unsafe", problem.Code);
    }
}
