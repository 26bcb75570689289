using SkiaSharp;
using Safehold.Web.Features.Products;

namespace Safehold.Web.Demo;

/// <summary>A simple coloured drawing of each kind of demo product, drawn here, so the portal shows images with no download.</summary>
public static class DemoImages
{
    public const int Width = 800;
    public const int Height = 600;

    public enum Kind
    {
        Watch,
        Headphones,
        Charger,
        Carpet,
        Pendant,
        Bowl,
    }

    public static ListingImage For(Guid id, Guid productId, Kind kind, DateTimeOffset now)
    {
        using var bitmap = new SKBitmap(Width, Height);
        using (var canvas = new SKCanvas(bitmap)) Draw(canvas, kind);
        using var encoded = bitmap.Encode(SKEncodedImageFormat.Jpeg, 85);
        return new ListingImage(id, productId, null, 0, "image/jpeg", Width, Height, encoded.ToArray(), now);
    }

    private static SKPaint Fill(uint argb) => new() { Color = new SKColor(argb), IsAntialias = true };

    private static SKPaint Stroke(uint argb, float width) => new() { Color = new SKColor(argb), IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = width, StrokeCap = SKStrokeCap.Round };

    private static void Draw(SKCanvas c, Kind kind)
    {
        const float cx = Width / 2f, cy = Height / 2f;
        switch (kind)
        {
            case Kind.Watch:
                c.Clear(new SKColor(0xFFE3ECF5));
                using (var strap = Fill(0xFF2F3A45)) c.DrawRoundRect(cx - 70, 40, 140, Height - 80, 30, 30, strap);
                using (var bezel = Fill(0xFF4A5561)) c.DrawCircle(cx, cy, 170, bezel);
                using (var face = Fill(0xFF0E1620)) c.DrawCircle(cx, cy, 145, face);
                using (var ring = Stroke(0xFF37C2A0, 14)) c.DrawArc(new SKRect(cx - 110, cy - 110, cx + 110, cy + 110), -90, 250, false, ring);
                using (var hand = Stroke(0xFFF4F6F8, 10))
                {
                    c.DrawLine(cx, cy, cx, cy - 80, hand);
                    c.DrawLine(cx, cy, cx + 55, cy + 20, hand);
                }
                using (var crown = Fill(0xFF4A5561)) c.DrawRoundRect(cx + 165, cy - 22, 30, 44, 8, 8, crown);
                break;
            case Kind.Headphones:
                c.Clear(new SKColor(0xFFF1E9F7));
                using (var band = Stroke(0xFF26222B, 34)) c.DrawArc(new SKRect(cx - 210, 80, cx + 210, 500), 180, 180, false, band);
                using (var cup = Fill(0xFF26222B))
                {
                    c.DrawRoundRect(cx - 265, cy - 20, 120, 200, 50, 50, cup);
                    c.DrawRoundRect(cx + 145, cy - 20, 120, 200, 50, 50, cup);
                }
                using (var cushion = Fill(0xFF6B4C8A))
                {
                    c.DrawRoundRect(cx - 165, cy + 5, 30, 150, 14, 14, cushion);
                    c.DrawRoundRect(cx + 135, cy + 5, 30, 150, 14, 14, cushion);
                }
                break;
            case Kind.Charger:
                c.Clear(new SKColor(0xFFE8F3EA));
                using (var prong = Fill(0xFF9AA3AD))
                {
                    c.DrawRoundRect(cx - 70, 60, 26, 110, 10, 10, prong);
                    c.DrawRoundRect(cx + 44, 60, 26, 110, 10, 10, prong);
                }
                using (var body = Fill(0xFFFAFAFA)) c.DrawRoundRect(cx - 150, 150, 300, 330, 40, 40, body);
                using (var edge = Stroke(0xFFC9D1D9, 6)) c.DrawRoundRect(cx - 150, 150, 300, 330, 40, 40, edge);
                using (var port = Fill(0xFF2B3137))
                {
                    c.DrawRoundRect(cx - 60, 330, 120, 26, 13, 13, port);
                    c.DrawRoundRect(cx - 60, 380, 120, 26, 13, 13, port);
                    c.DrawRect(cx - 70, 425, 140, 30, port);
                }
                using (var bolt = Fill(0xFF2E9E5B))
                using (var path = new SKPath())
                {
                    path.MoveTo(cx + 10, 190);
                    path.LineTo(cx - 40, 265);
                    path.LineTo(cx - 2, 265);
                    path.LineTo(cx - 15, 315);
                    path.LineTo(cx + 40, 240);
                    path.LineTo(cx + 2, 240);
                    path.Close();
                    c.DrawPath(path, bolt);
                }
                break;
            case Kind.Carpet:
                c.Clear(new SKColor(0xFFF5EEE4));
                using (var field = Fill(0xFFA3262A)) c.DrawRect(120, 70, Width - 240, Height - 140, field);
                using (var border = Stroke(0xFF27336B, 24)) c.DrawRect(140, 90, Width - 280, Height - 180, border);
                using (var diamond = Fill(0xFF27336B))
                using (var light = Fill(0xFFE9D8B4))
                {
                    foreach (var (x, s) in new[] { (cx - 150f, 60f), (cx, 95f), (cx + 150f, 60f) })
                    {
                        using var path = new SKPath();
                        path.MoveTo(x, cy - s);
                        path.LineTo(x + s * 0.75f, cy);
                        path.LineTo(x, cy + s);
                        path.LineTo(x - s * 0.75f, cy);
                        path.Close();
                        c.DrawPath(path, diamond);
                        c.DrawCircle(x, cy, s / 3, light);
                    }
                }
                using (var fringe = Stroke(0xFFE9D8B4, 4))
                {
                    for (var y = 80f; y <= Height - 80; y += 14)
                    {
                        c.DrawLine(95, y, 120, y, fringe);
                        c.DrawLine(Width - 120, y, Width - 95, y, fringe);
                    }
                }
                break;
            case Kind.Bowl:
                c.Clear(new SKColor(0xFFF3F0E6));
                using (var body = Fill(0xFF2E6B8A)) c.DrawArc(new SKRect(cx - 220, cy - 200, cx + 220, cy + 200), 0, 180, true, body);
                using (var rim = Fill(0xFFE9E1CC)) c.DrawOval(cx, cy, 220, 40, rim);
                using (var inside = Fill(0xFFB9D3DF)) c.DrawOval(cx, cy, 196, 28, inside);
                using (var vine = Stroke(0xFFE8B93B, 8))
                {
                    for (var x = -150f; x <= 150f; x += 75f) c.DrawCircle(cx + x, cy + 95, 22, vine);
                }
                using (var foot = Fill(0xFF24546D)) c.DrawRect(cx - 70, cy + 196, 140, 24, foot);
                break;
            default:
                c.Clear(new SKColor(0xFFEAF2F8));
                using (var chain = Stroke(0xFFB8BEC6, 6)) c.DrawArc(new SKRect(cx - 230, -260, cx + 230, 330), 20, 140, false, chain);
                using (var silver = Fill(0xFFC7CDD4)) c.DrawCircle(cx, 380, 130, silver);
                using (var enamel = Fill(0xFF1F5FAE)) c.DrawCircle(cx, 380, 110, enamel);
                using (var petal = Fill(0xFFE8B93B))
                {
                    for (var a = 0; a < 360; a += 60)
                    {
                        var r = a * MathF.PI / 180;
                        c.DrawCircle(cx + 55 * MathF.Cos(r), 380 + 55 * MathF.Sin(r), 30, petal);
                    }
                }
                using (var heart = Fill(0xFFC2303A)) c.DrawCircle(cx, 380, 28, heart);
                using (var loop = Stroke(0xFFB8BEC6, 10)) c.DrawCircle(cx, 235, 18, loop);
                break;
        }
    }
}
