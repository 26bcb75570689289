using System.Text.Json;

namespace Safehold.Web.Features.Orders;

/// <summary>
/// The short order number people read and say ("Order 7C41-09AF"): the last 8 hex digits of the order's id, grouped by 4.
/// Derived, not stored: it is the same wherever the id is, so the pages, the lists and a support call agree.
/// </summary>
/// <remarks>The last digits, not the first: an order id is a UUIDv7, whose first 8 digits are the time (orders placed
/// within the same minute would share them); its last 12 are random.</remarks>
public static class OrderNumber
{
    public static string Of(Guid orderId)
    {
        var hex = orderId.ToString("N").ToUpperInvariant();
        return hex[24..28] + "-" + hex[28..32];
    }
}

/// <summary>A shipping address as lines to print on a parcel: the name, the street, the postcode with the city, the country.</summary>
public static class ShippingAddress
{
    public static IReadOnlyList<string> Lines(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return Lines(doc.RootElement);
    }

    /// <summary>The address the order was placed with: one line of text, or an object of the place-order fields.</summary>
    public static IReadOnlyList<string> Lines(JsonElement address)
    {
        if (address.ValueKind == JsonValueKind.String) return address.GetString()!.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (address.ValueKind != JsonValueKind.Object) return [];
        string? Field(string name) => address.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString())
            ? v.GetString()!.Trim()
            : null;
        var city = string.Join(" ", new[] { Field("postalCode"), Field("city") }.OfType<string>());
        return new[] { Field("fullName"), Field("line1"), Field("line2"), city.Length == 0 ? null : city, Field("region"), Field("country"), Field("phone") }
            .OfType<string>().ToList();
    }
}
