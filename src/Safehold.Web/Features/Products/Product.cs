using Safehold.Domain;
using Safehold.Domain.Orders;

namespace Safehold.Web.Features.Products;

/// <summary>A seller's listing. Orders copy it as a <see cref="ListingSnapshot"/>; later edits never reach them.</summary>
public sealed class Product
{
    private Product()
    {
        Title = Description = Currency = "";
        Images = [];
    }

    public Product(Guid id, Guid sellerId, string title, string description, Money price, int handlingDays,
        int? protectionDays, string? category, IReadOnlyList<string> images, DateTimeOffset createdAt)
    {
        Id = id;
        SellerId = sellerId;
        Title = title;
        Description = description;
        PriceAmount = price.Amount;
        Currency = price.Currency.Code;
        HandlingDays = handlingDays;
        ProtectionDays = protectionDays;
        Category = category;
        Images = [.. images];
        CreatedAt = createdAt;
    }

    public Guid Id { get; private set; }
    public Guid SellerId { get; private set; }
    public string Title { get; private set; }
    public string Description { get; private set; }
    public long PriceAmount { get; private set; }
    public string Currency { get; private set; }
    public int HandlingDays { get; private set; }
    public int? ProtectionDays { get; private set; }
    public string? Category { get; private set; }
    public List<string> Images { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public Money Price => new(PriceAmount, Domain.Currency.Of(Currency));

    /// <summary>The marketplace's own id for the product, unique among products (see <see cref="Api.ExternalIds"/>).</summary>
    public string? ExternalId { get; private set; }

    /// <summary>The marketplace's notes on the product, as JSON text of string pairs (see <see cref="Api.ExternalIds"/>).</summary>
    public string? Metadata { get; private set; }

    /// <summary>Keeps the marketplace's id and notes, as checked by <see cref="Api.ExternalIds"/>.</summary>
    public void SetExternalReference(string? externalId, string? metadata) => (ExternalId, Metadata) = (externalId, metadata);

    public ListingSnapshot Snapshot() =>
        new(Id, SellerId, Title, Description, Price, Category, Images, HandlingDays, ProtectionDays);
}
