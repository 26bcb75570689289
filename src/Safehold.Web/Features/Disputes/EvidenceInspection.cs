using System.Buffers.Binary;
using Safehold.Web.Api;
using Safehold.Web.Features.Photos;
using UglyToad.PdfPig;
using UglyToad.PdfPig.Tokens;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// An upload whose first bytes named its type is then read as that type, whole: a photo goes through
/// <see cref="PhotoInspection"/> (within <see cref="MaxPixels"/>) and is re-encoded for the portal's preview; a PDF is parsed by PdfPig and refused when any object (object
/// streams included) or any uncompressed byte names active content; an MP4's boxes must tile the file, starting with
/// ftyp and holding a moov. Refusals: 415 <c>file_damaged</c> (not a sound file of its type), 415 <c>file_unsafe</c>
/// (a PDF that can run or carry something), 413 <c>image_too_large</c>.
/// </summary>
public static class EvidenceInspection
{
    /// <summary>The largest photo decoded, in pixels: 40 megapixels (160 MB of RGBA while it is checked).</summary>
    public const long MaxPixels = 40_000_000;

    /// <summary>The longest side of a preview.</summary>
    public const int PreviewSide = 1600;

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
        // Photos: the one check shared with product images (Features/Photos), which re-encodes them for the preview.
        var format = type == EvidenceType.Png ? PhotoFormat.Png : type == EvidenceType.Jpeg ? PhotoFormat.Jpeg : PhotoFormat.WebP;
        var photo = await PhotoInspection.ReencodeAsync(await File.ReadAllBytesAsync(path, ct), format, MaxPixels, PreviewSide, ct);
        return new Preview(photo.Bytes, photo.ContentType);
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

    private static HttpProblemException Damaged(string why) => PhotoInspection.Damaged(why);

    private static HttpProblemException Unsafe(string why = "The PDF holds active content (JavaScript, an action run on opening, a launch or an embedded file).") =>
        new(StatusCodes.Status415UnsupportedMediaType, "file_unsafe", why);
}
