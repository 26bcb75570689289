using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SkiaSharp;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>Real evidence files, made here: PNGs (optionally padded or with extra chunks), PDFs with a sound cross-reference table, MP4 boxes.</summary>
public static class TestFiles
{
    public static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>A real PNG, padded to <paramref name="size"/> bytes with a private ancillary chunk when given.</summary>
    public static byte[] Png(int width = 48, int height = 32, int? size = null, string? text = null)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(new SKColor(40, 48, 60));
        using var encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        var png = encoded.ToArray();
        var iend = png.Length - 12;
        var extra = new MemoryStream();
        if (text is not null) Chunk(extra, "tEXt", Encoding.Latin1.GetBytes("Comment\0" + text));
        if (size is { } wanted)
        {
            var padding = wanted - png.Length - (int)extra.Length - 12;
            if (padding < 0) throw new ArgumentOutOfRangeException(nameof(size));
            Chunk(extra, "prVt", new byte[padding]);
        }
        return [.. png[..iend], .. extra.ToArray(), .. png[iend..]];
    }

    /// <summary>A PNG whose header claims <paramref name="width"/> x <paramref name="height"/> with almost no pixel data.</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        var png = new MemoryStream();
        png.Write(PngSignature);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 2;
        Chunk(png, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) z.Write(new byte[1000]);
            Chunk(png, "IDAT", compressed.ToArray());
        }
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A one-page PDF; <paramref name="catalogExtra"/> goes into the catalog, <paramref name="objects"/> are added as objects 4, 5...</summary>
    public static byte[] Pdf(string catalogExtra = "", params string[] objects)
    {
        string[] all =
        [
            $"<< /Type /Catalog /Pages 2 0 R {catalogExtra} >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
            .. objects,
        ];
        var pdf = new StringBuilder("%PDF-1.7\n");
        var offsets = new List<int>();
        for (var i = 0; i < all.Length; i++)
        {
            offsets.Add(Encoding.Latin1.GetByteCount(pdf.ToString()));
            pdf.Append($"{i + 1} 0 obj\n{all[i]}\nendobj\n");
        }
        var xref = Encoding.Latin1.GetByteCount(pdf.ToString());
        pdf.Append($"xref\n0 {all.Length + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets) pdf.Append($"{offset:D10} 00000 n \n");
        pdf.Append($"trailer\n<< /Size {all.Length + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return Encoding.Latin1.GetBytes(pdf.ToString());
    }

    /// <summary>An ISO media file: an ftyp box of <paramref name="brand"/>, then the given boxes (by default an empty moov).</summary>
    public static byte[] IsoMedia(string brand, params string[] boxes)
    {
        var file = new List<byte>([0, 0, 0, 24, .. "ftyp"u8, .. Encoding.ASCII.GetBytes(brand), 0, 0, 2, 0, .. "isommp41"u8]);
        foreach (var box in boxes.Length == 0 ? ["moov"] : boxes) file.AddRange([0, 0, 0, 8, .. Encoding.ASCII.GetBytes(box)]);
        return [.. file];
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        png.Write(number);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typed));
        png.Write(number);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
