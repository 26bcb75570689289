using System.Globalization;
using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;

namespace Safehold.Web.Features.Chargebacks;

/// <summary>
/// The evidence pack as a PDF, written with PDFsharp in DejaVu Sans (shipped in the assembly, Fonts/LICENSE), whose
/// Georgian glyphs let a listing, an address or a message written in Georgian read as written. Text is embedded as
/// Unicode, so the PDF can be searched and its text extracted.
/// </summary>
public static class EvidencePackPdf
{
    private const double Margin = 50, PageWidth = 595, PageHeight = 842; // A4, in points

    static EvidencePackPdf()
    {
        // PDFsharp resolves fonts through one process-wide resolver; only this writer uses it.
        GlobalFontSettings.FontResolver ??= new EmbeddedFonts();
    }

    public static byte[] Render(EvidencePackResponse pack)
    {
        using var document = new PdfDocument();
        document.Info.Title = $"Evidence pack, order {pack.Order.Number}";
        document.Info.Creator = "Safehold";
        var w = new Writer(document);
        var inv = CultureInfo.InvariantCulture;
        string When(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", inv) ?? "-";
        string Money(Api.MoneyDto m) => Domain.Currency.Of(m.Currency) is var c && c.MinorUnits > 0
            ? $"{decimal.Divide(m.Amount, (decimal)Math.Pow(10, c.MinorUnits)).ToString("N" + c.MinorUnits, inv)} {m.Currency}"
            : $"{m.Amount.ToString("N0", inv)} {m.Currency}";

        w.Title($"Evidence pack: order {pack.Order.Number}");
        w.Line($"Generated {When(pack.GeneratedAt)} by Safehold from its own records.");
        var c = pack.Case;
        w.Heading(c.Kind == "chargeback" ? "The chargeback" : "The dispute");
        w.Field("Case", c.DisputeId.ToString());
        w.Field("Kind", c.Kind);
        w.Field("Status", c.Status);
        w.Field("Reason", c.Kind == "chargeback" ? c.Description : c.Reason);
        if (c.Kind != "chargeback") w.Field("Buyer's claim", c.Description);
        w.Field("Amount disputed", Money(c.Disputed));
        w.Field("Opened", When(c.OpenedAt));
        if (c.RespondBy is { } respondBy) w.Field("Respond by", When(respondBy));
        if (c.ProviderReference is { } reference) w.Field("Provider reference", reference);
        if (c.Outcome is { } outcome) w.Field("Outcome", outcome);

        var o = pack.Order;
        w.Heading("The order");
        w.Field("Order", $"{o.Number} ({o.Id})");
        w.Field("Status", o.Status);
        w.Field("Total", Money(o.Total));
        w.Field("Placed", When(o.PlacedAt));
        w.Field("Paid", $"{When(o.PaidAt)}{(o.PaymentReference is { } p ? $", payment {p}" : "")}");
        w.Field("Ship to", string.Join(", ", o.ShippingAddress));
        if (o.CompletedAt is { } completed) w.Field("Completed", When(completed));

        w.Heading("The listing as bought");
        foreach (var item in pack.Items)
        {
            w.Bold($"{item.Quantity} × {item.Listing.Title}: {Money(item.LineTotal)}");
            w.Line(item.Listing.Description);
            if (item.Listing.Images.Count > 0) w.Line("Images: " + string.Join(", ", item.Listing.Images));
        }

        w.Heading("Shipment and delivery");
        if (pack.Shipment is { } s)
        {
            w.Field("Carrier", s.Carrier);
            w.Field("Tracking number", s.TrackingNumber);
            w.Field("Shipped", When(s.ShippedAt));
            w.Field("Delivered", s.DeliveredAt is { } d ? $"{When(d)}, reported by {s.DeliveryReportedBy}" : "not reported");
        }
        else
        {
            w.Line("Not shipped.");
        }
        w.Field("Buyer confirmed receipt", pack.BuyerConfirmation is { } confirmation ? When(confirmation.At) : "no");

        w.Heading("Order history");
        foreach (var e in pack.OrderHistory) w.Line($"{When(e.At)}  {e.Actor}: {e.Event}{(e.Detail is { } detail ? $" ({detail})" : "")}");

        w.Heading("Messages");
        if (pack.Messages.Count == 0) w.Line("None.");
        foreach (var m in pack.Messages) w.Line($"{When(m.SentAt)}  {m.Party} ({m.Thread}): {m.Body}");

        w.Heading("Evidence files");
        if (pack.Evidence.Count == 0) w.Line("None.");
        foreach (var e in pack.Evidence)
            w.Line($"{When(e.UploadedAt)}  {e.Party}: {e.FileName} ({e.ContentType}, {e.Size.ToString("N0", inv)} bytes, SHA-256 {e.Sha256})"
                + (e.Description is { } description ? $": {description}" : ""));

        w.Heading("Disputes and their history");
        foreach (var d in pack.Disputes)
        {
            w.Bold($"{d.Kind} {d.Id}: {d.Reason}, {d.Status}{(d.Outcome is { } x ? $", {x}" : "")}");
            foreach (var e in d.History) w.Line($"{When(e.At)}  {e.Actor}: {e.Event}{(e.Detail is { } detail ? $" ({detail})" : "")}");
        }

        using var stream = new MemoryStream();
        document.Save(stream, closeStream: false);
        return stream.ToArray();
    }

    /// <summary>Writes lines down the page, wrapping words to the width and starting a new page when one is full.</summary>
    private sealed class Writer(PdfDocument document)
    {
        private static readonly XPdfFontOptions Unicode = new(PdfFontEncoding.Unicode);
        private readonly XFont _text = new(EmbeddedFonts.Family, 9.5, XFontStyleEx.Regular, Unicode);
        private readonly XFont _bold = new(EmbeddedFonts.Family, 9.5, XFontStyleEx.Bold, Unicode);
        private readonly XFont _heading = new(EmbeddedFonts.Family, 13, XFontStyleEx.Bold, Unicode);
        private readonly XFont _title = new(EmbeddedFonts.Family, 17, XFontStyleEx.Bold, Unicode);
        private XGraphics? _gfx;
        private double _y;

        public void Title(string text) => Write(text, _title, 0, 8);

        public void Heading(string text) => Write(text, _heading, 0, 4, before: 10);

        public void Bold(string text) => Write(text, _bold, 0, 1, before: 3);

        public void Line(string text) => Write(text, _text, 0, 1);

        public void Field(string label, string value)
        {
            var labelWidth = 130;
            Page(_text.GetHeight());
            _gfx!.DrawString(label, _bold, XBrushes.DimGray, new XRect(Margin, _y, labelWidth, _text.GetHeight()), XStringFormats.TopLeft);
            Write(value, _text, labelWidth, 1, sameLine: true);
        }

        private void Write(string text, XFont font, double indent, double after, double before = 0, bool sameLine = false)
        {
            if (!sameLine) _y += before;
            var width = PageWidth - 2 * Margin - indent;
            var first = true;
            foreach (var paragraph in text.Replace("\r", "").Split('\n'))
            {
                foreach (var line in Wrap(paragraph, font, width))
                {
                    if (!(first && sameLine)) Page(font.GetHeight());
                    _gfx!.DrawString(line, font, XBrushes.Black, new XRect(Margin + indent, _y, width, font.GetHeight()), XStringFormats.TopLeft);
                    _y += font.GetHeight();
                    first = false;
                }
            }
            _y += after;
        }

        private IEnumerable<string> Wrap(string paragraph, XFont font, double width)
        {
            var line = "";
            foreach (var word in paragraph.Split(' '))
            {
                var candidate = line.Length == 0 ? word : line + " " + word;
                if (Measure(candidate, font) <= width)
                {
                    line = candidate;
                    continue;
                }
                if (line.Length > 0) yield return line;
                line = word;
                // A word longer than the line (a hash, a URL) is cut where it must be.
                while (Measure(line, font) > width && line.Length > 1)
                {
                    var cut = line.Length - 1;
                    while (cut > 1 && Measure(line[..cut], font) > width) cut--;
                    yield return line[..cut];
                    line = line[cut..];
                }
            }
            yield return line;
        }

        private double Measure(string text, XFont font)
        {
            Page(0);
            return _gfx!.MeasureString(text, font).Width;
        }

        /// <summary>Makes sure there is a page with room for a line of <paramref name="height"/>.</summary>
        private void Page(double height)
        {
            if (_gfx is not null && _y + height <= PageHeight - Margin) return;
            _gfx?.Dispose();
            var page = document.AddPage();
            page.Width = XUnit.FromPoint(PageWidth);
            page.Height = XUnit.FromPoint(PageHeight);
            _gfx = XGraphics.FromPdfPage(page);
            _y = Margin;
        }
    }

    /// <summary>DejaVu Sans, regular and bold, from the assembly's resources.</summary>
    private sealed class EmbeddedFonts : IFontResolver
    {
        public const string Family = "DejaVu Sans";

        public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
            new(bold ? "DejaVuSans-Bold" : "DejaVuSans");

        public byte[]? GetFont(string faceName)
        {
            using var stream = typeof(EvidencePackPdf).Assembly.GetManifestResourceStream($"Safehold.Fonts.{faceName}.ttf")
                ?? throw new InvalidOperationException($"The font {faceName} is not in the assembly.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }
}
