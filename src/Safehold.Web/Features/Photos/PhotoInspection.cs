using System.Buffers.Binary;
using SkiaSharp;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Photos;

/// <summary>The photo formats accepted from users, as their first bytes show them.</summary>
public enum PhotoFormat
{
    Jpeg,
    Png,
    WebP,
}

/// <summary>
/// One check for every photo a user sends (dispute evidence, product images): the first bytes name the format, then
/// the whole file is read as that format. A PNG must end at its IEND chunk (with at most 1 MB besides its pixels) and
/// a WebP at its RIFF length, so nothing rides behind the picture; Skia decodes it (within a pixel budget) and it is
/// re-encoded, so only pixels survive: no metadata, no trailing bytes, no polyglot. Refusals: 415
/// <c>file_damaged</c> (not a sound file of its format), 413 <c>image_too_large</c> (too many pixels).
/// </summary>
public static class PhotoInspection
{
    /// <summary>
    /// The most bytes a PNG may carry in chunks other than its pixels (IDAT): text, colour profiles, EXIF. Skia reads
    /// past unknown chunks slowly (a 10 MB one took 4 s, and minutes on a loaded host), and nothing shown needs more.
    /// </summary>
    public const long MaxPngMetadata = 1024 * 1024;

    // Decoding a large photo takes memory: two at a time per host.
    private static readonly SemaphoreSlim Decoding = new(2, 2);

    /// <summary>A re-encoded photo: PNG stays PNG (it may be transparent), JPEG and WebP become JPEG.</summary>
    public sealed record Photo(byte[] Bytes, string ContentType, int Width, int Height);

    /// <summary>The format the first bytes show, or null for anything else.</summary>
    public static PhotoFormat? Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) return PhotoFormat.Jpeg;
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return PhotoFormat.Png;
        if (head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)) return PhotoFormat.WebP;
        return null;
    }

    /// <summary>
    /// Checks <paramref name="content"/> as a <paramref name="format"/> file of at most <paramref name="maxPixels"/>
    /// pixels and re-encodes it, scaled down to at most <paramref name="maxSide"/> pixels on its longer side.
    /// </summary>
    public static async Task<Photo> ReencodeAsync(byte[] content, PhotoFormat format, long maxPixels, int maxSide, CancellationToken ct)
    {
        await Decoding.WaitAsync(ct);
        try
        {
            return Reencode(content, format, maxPixels, maxSide);
        }
        finally
        {
            Decoding.Release();
        }
    }

    private static Photo Reencode(byte[] content, PhotoFormat format, long maxPixels, int maxSide)
    {
        if (format == PhotoFormat.Png) CheckPngChunks(content);
        if (format == PhotoFormat.WebP) CheckRiffLength(content);
        using var data = SKData.CreateCopy(content);
        using var codec = SKCodec.Create(data) ?? throw Damaged("The photo cannot be decoded.");
        var expected = format switch
        {
            PhotoFormat.Png => SKEncodedImageFormat.Png,
            PhotoFormat.Jpeg => SKEncodedImageFormat.Jpeg,
            _ => SKEncodedImageFormat.Webp,
        };
        if (codec.EncodedFormat != expected) throw Damaged("The photo is not what its first bytes say.");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0) throw Damaged("The photo has no pixels.");
        if ((long)width * height > maxPixels)
            throw new HttpProblemException(StatusCodes.Status413PayloadTooLarge, "image_too_large",
                $"A photo may have at most {maxPixels / 1_000_000} megapixels; this one has {(long)width * height / 1_000_000}.");

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        if (codec.GetPixels(info, bitmap.GetPixels()) != SKCodecResult.Success) throw Damaged("The photo's pixels cannot be decoded.");

        var scale = Math.Min(1.0, maxSide / (double)Math.Max(width, height));
        using var scaled = scale < 1
            ? bitmap.Resize(new SKImageInfo(Math.Max(1, (int)(width * scale)), Math.Max(1, (int)(height * scale))), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))
            : null;
        var shown = scaled ?? bitmap;
        using var image = SKImage.FromBitmap(shown);
        var png = format == PhotoFormat.Png;
        using var encoded = image.Encode(png ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, png ? 100 : 85)
            ?? throw new InvalidOperationException("Skia could not encode a photo.");
        return new Photo(encoded.ToArray(), png ? "image/png" : "image/jpeg", shown.Width, shown.Height);
    }

    // Signature, then chunks (length, type, data, CRC) from IHDR to IEND, and the file ends there.
    private static void CheckPngChunks(ReadOnlySpan<byte> file)
    {
        var position = 8L;
        var first = true;
        var metadata = 0L;
        while (true)
        {
            if (file.Length - position < 12) throw Damaged("The PNG ends before its IEND chunk.");
            var head = file.Slice((int)position, 8);
            var length = BinaryPrimitives.ReadUInt32BigEndian(head);
            var chunk = System.Text.Encoding.ASCII.GetString(head[4..8]);
            if (length > int.MaxValue || !chunk.All(char.IsAsciiLetter)) throw Damaged("The PNG's chunks are not sound.");
            if (first && chunk != "IHDR") throw Damaged("The PNG does not start with its header chunk.");
            first = false;
            if (chunk != "IDAT" && (metadata += length) > MaxPngMetadata) throw Damaged("The PNG carries more than 1 MB besides its pixels.");
            position += 12 + length;
            if (position > file.Length) throw Damaged("A PNG chunk runs past the end of the file.");
            if (chunk == "IEND")
            {
                if (position != file.Length) throw Damaged("The PNG has bytes after its end.");
                return;
            }
        }
    }

    private static void CheckRiffLength(ReadOnlySpan<byte> file)
    {
        if (file.Length < 12 || BinaryPrimitives.ReadUInt32LittleEndian(file[4..8]) + 8L != file.Length)
            throw Damaged("The WebP's length does not match the file.");
    }

    public static HttpProblemException Damaged(string why) => new(StatusCodes.Status415UnsupportedMediaType, "file_damaged", why);
}
