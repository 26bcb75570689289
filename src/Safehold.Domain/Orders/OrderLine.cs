
namespace Safehold.Domain.Orders;

/// <summary>
/// A product exactly as it was listed when the order was placed: the baseline of any
/// "not as described" claim. It is copied onto the order and never changes afterwards.
/// </summary>
public sealed record ListingSnapshot(
    Guid ProductId,
    Guid SellerId,
    string Title,
    string Description,
    Money Price,
    string? Category,
    IReadOnlyList<string> Images,
    int? HandlingDays,
    int? ProtectionDays)
{
    /// <summary>The order's own copies of the images the seller uploaded, by id: they outlive the product's.</summary>
    public IReadOnlyList<Guid> UploadedImageIds { get; init; } = [];

    internal bool BuyerCannotBuy(Guid buyerId) => buyerId == SellerId;
}

/// <summary>One line of an order: a quantity of a product, with the listing as it was.</summary>
public sealed class OrderLine
{
    private OrderLine()
    {
        Title = Description = Currency = "";
        Images = [];
        UploadedImageIds = [];
    }

    internal OrderLine(Guid orderId, int lineNumber, ListingSnapshot listing, int quantity)
    {
        OrderId = orderId;
        LineNumber = lineNumber;
        ProductId = listing.ProductId;
        Title = listing.Title;
        Description = listing.Description;
        Category = listing.Category;
        Images = [.. listing.Images];
        UploadedImageIds = [.. listing.UploadedImageIds];
        Currency = listing.Price.Currency.Code;
        UnitPriceAmount = listing.Price.Amount;
        Quantity = quantity;
    }

    public Guid OrderId { get; private set; }
    public int LineNumber { get; private set; }
    public Guid ProductId { get; private set; }
    public string Title { get; private set; }
    public string Description { get; private set; }
    public string? Category { get; private set; }
    public List<string> Images { get; private set; }
    public List<Guid> UploadedImageIds { get; private set; }
    public string Currency { get; private set; }
    public long UnitPriceAmount { get; private set; }
    public int Quantity { get; private set; }

    /// <summary>
    /// The line's id in the API (<c>itemId</c>): derived from the order's id and the line number (a name-based UUID, version
    /// 5 layout), so it is stable, needs no column, and names a line of this order only.
    /// </summary>
    public Guid ItemId => ItemIdOf(OrderId, LineNumber);

    public static Guid ItemIdOf(Guid orderId, int lineNumber)
    {
        Span<byte> name = stackalloc byte[20];
        orderId.TryWriteBytes(name, bigEndian: true, out _);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(name[16..], lineNumber);
        Span<byte> hash = stackalloc byte[20];
        System.Security.Cryptography.SHA1.HashData(name, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }

    public Money UnitPrice => new(UnitPriceAmount, Safehold.Domain.Currency.Of(Currency));
    public Money LineTotal => UnitPrice * Quantity;
}
