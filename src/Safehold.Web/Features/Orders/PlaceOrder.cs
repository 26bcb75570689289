using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain.Orders;
using Safehold.Domain.Policy;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Orders;

/// <summary>A buyer places an order for products of one seller; the listing of each is copied onto the order.</summary>
public sealed class PlaceOrder(SafeholdDb db, WriteSession session, TimeProvider clock, IOptions<ProtectionPolicy> policy)
{
    public sealed record Item(Guid? ProductId, [property: Range(1, MaxQuantity)] int? Quantity);

    /// <summary><c>shippingAddress</c> is either one line of text or an object of address fields.</summary>
    /// <param name="ExternalId">Optional: the marketplace's own id for the order, unique among orders.</param>
    /// <param name="Metadata">Optional: the marketplace's notes on the order (string pairs).</param>
    public sealed record Request(IReadOnlyList<Item>? Items, JsonElement? ShippingAddress,
        [property: ApiExternalId] string? ExternalId = null, [property: ApiMetadata] IReadOnlyDictionary<string, string?>? Metadata = null);

    public const int MaxItems = 50;
    public const int MaxQuantity = 1000;

    public static void Map(RouteGroupBuilder orders) =>
        orders.MapPost("/", async (Request request, HttpContext http, PlaceOrder place, CancellationToken ct) =>
        {
            var order = await place.RunAsync(Caller.From(http.User), request, ct);
            return TypedResults.Created($"/api/v1/orders/{order.Id}", order);
        })
        // The order is made from what was read (the listings, their images), snapshotted as they were then: nothing read
        // needs checking again once the write lock is held.
        .WithMetadata(new PreparedAhead());

    public async Task<OrderResponse> RunAsync(Caller caller, Request request, CancellationToken ct)
    {
        caller.Require(UserRole.Buyer, "place an order");

        var errors = new InputErrors();
        ValidateItems(request.Items, errors);
        var address = ValidateAddress(request.ShippingAddress, errors);
        var externalId = errors.ExternalId(request.ExternalId);
        var metadata = errors.Metadata(request.Metadata);
        errors.ThrowIfAny();

        var listings = await ListingsOfAsync(request.Items!, ct);
        var now = clock.GetUtcNow();
        var (order, images) = NewOrder(caller, request.Items!, listings, address!, now);
        order.SetExternalReference(externalId, metadata);
        images.AddTo(db, order.Id);
        if (session.Deferred)
        {
            // Read and built ahead of the write lock down to the statements, the order not tracked, and staged (an
            // externalId taken meanwhile refuses it, and the request is done again under the lock, which answers 409).
            session.Stage(PreparedWrite.Stage(db, [], check: null, [AggregateChanges.New(db.Model, order)]));
            return OrderResponse.From(order, caller, now);
        }
        db.Orders.Add(order);
        await ExternalIds.SaveNewAsync(db, "Orders", "order", ct);
        return OrderResponse.From(order, caller, now);
    }

    /// <summary>Records what is wrong with a request's items: none, more than <see cref="MaxItems"/>, a line without its product or quantity, a product twice.</summary>
    public static void ValidateItems(IReadOnlyList<Item>? items, InputErrors errors)
    {
        if (items is null || items.Count == 0) errors.Add("items", "At least one item is required.");
        else if (items.Count > MaxItems) errors.Add("items", $"At most {MaxItems} items.");
        else
        {
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                if (item is null) { errors.Add($"items[{i}]", "Required."); continue; }
                if (item.ProductId is null || item.ProductId == Guid.Empty) errors.Add($"items[{i}].productId", "Required.");
                errors.Range($"items[{i}].quantity", item.Quantity, Limits.Min<Item>(nameof(Item.Quantity)), Limits.Max<Item>(nameof(Item.Quantity)), required: true);
            }
            if (items.Where(i => i?.ProductId is not null).GroupBy(i => i.ProductId).Any(g => g.Count() > 1))
                errors.Add("items", "List each product once, with its quantity.");
        }
    }

    /// <summary>The products of an order's or a checkout's items, by id, and the images of each, first to last.</summary>
    public sealed record Listings(IReadOnlyDictionary<Guid, Products.Product> Products, ILookup<Guid, Products.ListingImage> Images);

    /// <summary>
    /// The listings of checked <paramref name="items"/>, products and images read in one statement (one round trip, the two
    /// as of one moment); 400 naming each line whose product does not exist.
    /// </summary>
    public async Task<Listings> ListingsOfAsync(IReadOnlyList<Item> items, CancellationToken ct)
    {
        var ids = items.Select(i => i.ProductId!.Value).ToList();
        var rows = await db.Products.AsNoTracking().Where(p => ids.Contains(p.Id))
            .Select(p => new { Product = p, Images = db.ListingImages.Where(i => i.ProductId == p.Id).OrderBy(i => i.Position).ToList() })
            .ToListAsync(ct);
        var products = rows.ToDictionary(r => r.Product.Id, r => r.Product);
        var errors = new InputErrors();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
            if (!products.ContainsKey(id)) errors.Add($"items[{i}].productId", "No such product.");
        errors.ThrowIfAny();
        return new(products, rows.SelectMany(r => r.Images).ToLookup(i => i.ProductId!.Value));
    }

    /// <summary>
    /// Places one order for <paramref name="items"/> (all of one seller) and adds it to the database with the copies of its
    /// products' images: the listing of each product as it is now, under the policy in force.
    /// </summary>
    public Order AddOrder(Caller caller, IReadOnlyList<Item> items, Listings listings, string address, DateTimeOffset now)
    {
        var (order, images) = NewOrder(caller, items, listings, address, now);
        db.Orders.Add(order);
        images.AddTo(db, order.Id);
        return order;
    }

    /// <summary>The order <see cref="AddOrder"/> places, and the copies of its images, not yet added to the database.</summary>
    private (Order Order, Products.ProductImages.SnapshotCopies Images) NewOrder(Caller caller, IReadOnlyList<Item> items, Listings listings,
        string address, DateTimeOffset now)
    {
        var images = Products.ProductImages.CopiesOf(items.SelectMany(i => listings.Images[i.ProductId!.Value]), now); // the snapshot keeps its own copies
        var order = Order.Place(Guid.CreateVersion7(now), caller.Id,
            items.Select(i => (listings.Products[i.ProductId!.Value].Snapshot() with { UploadedImageIds = images.IdsOf(i.ProductId!.Value) }, i.Quantity!.Value)).ToList(),
            address, policy.Value, now, OrderAccess.ViaOf(caller));
        return (order, images);
    }

    /// <summary>Stored as written: Georgian or any other script is kept as characters, not six-character escapes.</summary>
    private static readonly JsonSerializerOptions StoredJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The fields of an address given field by field, each with its longest length; the OpenAPI document says the same.</summary>
    public static readonly IReadOnlyDictionary<string, int> AddressFieldLimits = new Dictionary<string, int>
    {
        ["fullName"] = 200,
        ["line1"] = 200,
        ["line2"] = 200,
        ["city"] = 200,
        ["region"] = 200,
        ["postalCode"] = 200,
        ["country"] = 56,
        ["phone"] = 200,
    };

    public static readonly string[] RequiredAddressFields = ["line1", "city", "country"];

    /// <summary>The longest address given as one line of text.</summary>
    public const int MaxAddressLine = 500;

    /// <summary>Returns the address as compact JSON (a string or an object of known text fields), or records why not.</summary>
    public static string? ValidateAddress(JsonElement? value, InputErrors errors)
    {
        switch (value?.ValueKind)
        {
            case JsonValueKind.String:
                var text = errors.Text("shippingAddress", value.Value, MaxAddressLine);
                return text is null ? null : JsonSerializer.Serialize(text, StoredJson);
            case JsonValueKind.Object:
                var fields = new Dictionary<string, string>();
                foreach (var p in value.Value.EnumerateObject())
                {
                    if (!errors.TryRead("shippingAddress", () => p.Name, out _)) continue;
                    if (!AddressFieldLimits.TryGetValue(p.Name, out var limit)) { errors.Add($"shippingAddress.{p.Name}", "Unknown address field."); continue; }
                    if (p.Value.ValueKind is JsonValueKind.Null) continue;
                    if (p.Value.ValueKind is not JsonValueKind.String) { errors.Add($"shippingAddress.{p.Name}", "Must be text."); continue; }
                    var v = errors.Text($"shippingAddress.{p.Name}", p.Value, limit, required: false);
                    if (v is not null) fields[p.Name] = v;
                }
                foreach (var required in RequiredAddressFields)
                    if (!fields.ContainsKey(required)) errors.Add($"shippingAddress.{required}", "Required.");
                return JsonSerializer.Serialize(fields, StoredJson);
            default:
                errors.Add("shippingAddress", "Required: one line of text, or an object with line1, city and country.");
                return null;
        }
    }
}
