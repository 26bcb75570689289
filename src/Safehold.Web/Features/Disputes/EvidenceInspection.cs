using System.Buffers.Binary;
using SkiaSharp;
using Safehold.Web.Api;
using UglyToad.PdfPig;
using UglyToad.PdfPig.Tokens;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// An upload whose first bytes named its type is then read as that type, whole: a photo is decoded by Skia (within
/// <see cref="MaxPixels"/>) and re-encoded for the portal's preview; a PNG ends at its IEND chunk (with at most 1 MB besides its pixels) and a WebP at its
/// RIFF length, so nothing rides behind the picture; a PDF is parsed by PdfPig and refused when any object (object
/// streams included) or any uncompressed byte names active content; an MP4's boxes must tile the file, starting with
/// ftyp and holding a moov. Refusals: 415 <c>file_damaged</c> (not a sound file of its type), 415 <c>file_unsafe</c>
/// (a PDF that can run or carry something), 413 <c>image_too_large</c>.
/// </summary>
public static class EvidenceInspection
{
    /// <summary>The largest photo decoded, in pixels: 40 megapixels (160 MB of RGBA while it is checked).</summary>
    public const long MaxPixels = 40_000_000;

    /// <summary>
    /// The most bytes a PNG may carry in chunks other than its pixels (IDAT): text, colour profiles, EXIF. Skia reads
    /// past unknown chunks slowly (a 10 MB one took 4 s, and minutes on a loaded host), and nothing shown needs more.
    /// </summary>
    public const long MaxPngMetadata = 1024 * 1024;

    /// <summary>The longest side of a preview.</summary>
    public const int PreviewSide = 1600;

    // Decoding a large photo takes memory: two at a time per host.
    private static readonly SemaphoreSlim Decoding = new(2, 2);

    /// <summary>PDF names that run something, open something or carry a file.</summary>
    private static readonly HashSet<string> ActiveNames = new(StringComparer.Ordinal)
    {
        "JavaScript", "JS", "OpenAction", "AA", "Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia", "XFA", "SubmitForm", "ImportData", "GoToE",
    };

    /// <summary>A checked file: the preview to serve instead of the photo (null for a video or a PDF) and its media type.</summary>
    public sealed record Preview(byte[] Bytes, string ContentType);

    public static async Task<Preview?> InspectAsync(EvidenceType type, string path, CancellationToken ct)
    {
        if (type == EvidenceType.Pdf)
        {
            CheckPdf(await File.ReadAllBytesAsync(path, ct));
            return null;
        }
        if (type == EvidenceType.Mp4)
        {
            CheckBoxes(path);
            return null;
        }
        await Decoding.WaitAsync(ct);
        try
        {
            return DecodeImage(type, path);
        }
        finally
        {
            Decoding.Release();
        }
    }

    private static Preview DecodeImage(EvidenceType type, string path)
    {
        if (type == EvidenceType.Png) CheckPngChunks(path);
        if (type == EvidenceType.WebP) CheckRiffLength(path);
        using var codec = SKCodec.Create(path) ?? throw Damaged("The photo cannot be decoded.");
        var expected = type == EvidenceType.Png ? SKEncodedImageFormat.Png : type == EvidenceType.Jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Webp;
        if (codec.EncodedFormat != expected) throw Damaged("The photo is not what its first bytes say.");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0) throw Damaged("The photo has no pixels.");
        if ((long)width * height > MaxPixels)
            throw new HttpProblemException(StatusCodes.Status413PayloadTooLarge, "image_too_large",
                $"A photo may have at most {MaxPixels / 1_000_000} megapixels; this one has {(long)width * height / 1_000_000}.");

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        if (codec.GetPixels(info, bitmap.GetPixels()) != SKCodecResult.Success) throw Damaged("The photo's pixels cannot be decoded.");

        var scale = Math.Min(1.0, PreviewSide / (double)Math.Max(width, height));
        using var scaled = scale < 1
            ? bitmap.Resize(new SKImageInfo(Math.Max(1, (int)(width * scale)), Math.Max(1, (int)(height * scale))), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))
            : null;
        using var image = SKImage.FromBitmap(scaled ?? bitmap);
        // A PNG keeps its transparency; photos become JPEG. Either way only pixels survive: no metadata, no trailing bytes.
        var png = type == EvidenceType.Png;
        using var data = image.Encode(png ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, png ? 100 : 85)
            ?? throw new InvalidOperationException("Skia could not encode a preview.");
        return new Preview(data.ToArray(), png ? "image/png" : "image/jpeg");
    }

    // Signature, then chunks (length, type, data, CRC) from IHDR to IEND, and the file ends there.
    private static void CheckPngChunks(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[8];
        var position = 8L;
        var first = true;
        var metadata = 0L;
        while (true)
        {
            if (file.Length - position < 12) throw Damaged("The PNG ends before its IEND chunk.");
            file.Position = position;
            file.ReadExactly(head);
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

    private static void CheckRiffLength(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[8];
        file.ReadExactly(head);
        if (BinaryPrimitives.ReadUInt32LittleEndian(head[4..]) + 8L != file.Length) throw Damaged("The WebP's length does not match the file.");
    }

    // ISO base media: boxes (size, type) that tile the file exactly, the first an ftyp, one of them a moov.
    private static void CheckBoxes(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[16];
        var (position, boxes, movie) = (0L, 0, false);
        while (position < file.Length)
        {
            if (++boxes > 100_000 || file.Length - position < 8) throw Damaged("The video's boxes are not sound.");
            file.Position = position;
            file.ReadExactly(head[..8]);
            var size = (long)BinaryPrimitives.ReadUInt32BigEndian(head);
            var box = head[4..8];
            var header = 8L;
            if (size == 1)
            {
                if (file.Length - position < 16) throw Damaged("The video's boxes are not sound.");
                file.ReadExactly(head[8..16]);
                size = BinaryPrimitives.ReadInt64BigEndian(head[8..16]);
                header = 16;
            }
            else if (size == 0) size = file.Length - position; // the last box runs to the end
            foreach (var c in box)
                if (c is < 0x20 or > 0x7E) throw Damaged("The video's boxes are not sound.");
            if (size < header || size > file.Length - position) throw Damaged("A box of the video runs past the end of the file.");
            if (boxes == 1 && !box.SequenceEqual("ftyp"u8)) throw Damaged("The video does not start with its ftyp box.");
            movie |= box.SequenceEqual("moov"u8);
            position += size;
        }
        if (!movie) throw Damaged("The video has no movie box.");
    }

    private static void CheckPdf(byte[] bytes)
    {
        if (NamesActiveContent(bytes)) throw Unsafe();
        try
        {
            using var document = PdfDocument.Open(bytes);
            if (document.IsEncrypted) throw Unsafe("An encrypted PDF cannot be checked; send it without a password.");
            if (document.NumberOfPages < 1) throw Damaged("The PDF has no pages.");
            var structure = document.Structure;
            if (IsActive(structure.Catalog.CatalogDictionary, 0)) throw Unsafe();
            foreach (var reference in structure.CrossReferenceTable.ObjectOffsets.Keys)
                if (IsActive(structure.GetObject(reference).Data, 0)) throw Unsafe();
        }
        catch (Exception e) when (e is not HttpProblemException)
        {
            throw Damaged("The PDF cannot be read.");
        }
    }

    private static bool IsActive(IToken token, int depth) => depth < 64 && token switch
    {
        NameToken name => ActiveNames.Contains(name.Data),
        DictionaryToken dictionary => dictionary.Data.Any(pair => ActiveNames.Contains(pair.Key) || IsActive(pair.Value, depth + 1)),
        ArrayToken array => array.Data.Any(item => IsActive(item, depth + 1)),
        StreamToken stream => IsActive(stream.StreamDictionary, depth + 1),
        _ => false,
    };

    /// <summary>Every name in the file's bytes as written (with #xx escapes decoded): catches what a lenient reader finds outside the cross-reference table.</summary>
    private static bool NamesActiveContent(byte[] bytes)
    {
        var name = new System.Text.StringBuilder();
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != '/') continue;
            name.Clear();
            var j = i + 1;
            while (j < bytes.Length && !IsDelimiter(bytes[j]) && name.Length <= 32)
            {
                if (bytes[j] == '#' && j + 2 < bytes.Length && IsHex(bytes[j + 1]) && IsHex(bytes[j + 2]))
                {
                    name.Append((char)Convert.ToByte(System.Text.Encoding.ASCII.GetString(bytes, j + 1, 2), 16));
                    j += 3;
                }
                else name.Append((char)bytes[j++]);
            }
            if (ActiveNames.Contains(name.ToString())) return true;
            i = j - 1;
        }
        return false;
    }

    private static bool IsDelimiter(byte b) => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)'\f' or 0
        or (byte)'(' or (byte)')' or (byte)'<' or (byte)'>' or (byte)'[' or (byte)']' or (byte)'{' or (byte)'}' or (byte)'/' or (byte)'%';

    private static bool IsHex(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private static HttpProblemException Damaged(string why) => new(StatusCodes.Status415UnsupportedMediaType, "file_damaged", why);

    private static HttpProblemException Unsafe(string why = "The PDF holds active content (JavaScript, an action run on opening, a launch or an embedded file).") =>
        new(StatusCodes.Status415UnsupportedMediaType, "file_unsafe", why);
}
