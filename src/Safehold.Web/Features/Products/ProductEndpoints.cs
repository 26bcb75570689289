using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Products;

public sealed record ProductResponse(Guid Id, Guid SellerId, string Title, string Description, MoneyDto Price, int HandlingDays,
    int? ProtectionDays, string? Category, IReadOnlyList<string> Images, DateTimeOffset CreatedAt,
    [property: ApiExternalId] string? ExternalId, [property: ApiMetadata] IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<ImageResponse> UploadedImages)
{
    public static ProductResponse From(Product p, IReadOnlyList<ImageResponse>? uploaded = null) =>
        new(p.Id, p.SellerId, p.Title, p.Description, MoneyDto.From(p.Price), p.HandlingDays, p.ProtectionDays, p.Category, p.Images, p.CreatedAt,
            p.ExternalId, ExternalIds.Read(p.Metadata), uploaded ?? []);
}

public sealed record ProductListResponse(IReadOnlyList<ProductResponse> Items, string? NextCursor);

/// <summary>Sellers list products; everyone signed in can browse them.</summary>
public static class ProductEndpoints
{
    public sealed record CreateRequest([property: StringLength(200)] string? Title, [property: StringLength(5000)] string? Description, MoneyDto? Price, [property: Range(1, 60)] int? HandlingDays = null, [property: Range(1, 365)] int? ProtectionDays = null,
        [property: StringLength(64)] string? Category = null, IReadOnlyList<string>? Images = null,
        [property: ApiExternalId] string? ExternalId = null, [property: ApiMetadata] IReadOnlyDictionary<string, string?>? Metadata = null);

    public static void MapProducts(this RouteGroupBuilder api)
    {
        var products = api.MapGroup("/products").WithTags("Products");
        products.MapPost("/", Create);
        products.MapGet("/", List);
        products.MapGet("/{id:guid}", Get);
        products.MapProductImages();
    }

    public static async Task<Created<ProductResponse>> Create(CreateRequest request, HttpContext http, SafeholdDb db, TimeProvider clock,
        Microsoft.Extensions.Options.IOptions<Domain.Policy.ProtectionPolicy> policy, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        caller.Require(UserRole.Seller, "list a product");
        var errors = new InputErrors();
        var title = errors.Text("title", request.Title, Limits.Length<CreateRequest>(nameof(CreateRequest.Title)));
        var description = errors.Text("description", request.Description, Limits.Length<CreateRequest>(nameof(CreateRequest.Description)));
        var price = errors.Money("price", request.Price);
        var handling = errors.Range("handlingDays", request.HandlingDays, Limits.Min<CreateRequest>(nameof(CreateRequest.HandlingDays)), Limits.Max<CreateRequest>(nameof(CreateRequest.HandlingDays)), required: false) ?? policy.Value.DefaultHandlingDays;
        var protection = errors.Range("protectionDays", request.ProtectionDays, Limits.Min<CreateRequest>(nameof(CreateRequest.ProtectionDays)), Limits.Max<CreateRequest>(nameof(CreateRequest.ProtectionDays)), required: false);
        var category = errors.Text("category", request.Category, Limits.Length<CreateRequest>(nameof(CreateRequest.Category)), required: false)?.ToLowerInvariant();
        var images = request.Images ?? [];
        if (images.Count > 10) errors.Add("images", "At most 10 images.");
        for (var i = 0; i < images.Count; i++)
        {
            if (!Uri.TryCreate(images[i], UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || images[i].Length > 500)
                errors.Add($"images[{i}]", "Must be an http(s) address of at most 500 characters.");
        }
        var externalId = errors.ExternalId(request.ExternalId);
        var metadata = errors.Metadata(request.Metadata);
        errors.ThrowIfAny();

        var now = clock.GetUtcNow();
        var product = new Product(Guid.CreateVersion7(now), caller.Id, title!, description!, price!.Value, handling, protection, category, images, now);
        product.SetExternalReference(externalId, metadata);
        db.Products.Add(product);
        await ExternalIds.SaveNewAsync(db, "Products", "product", ct);
        return TypedResults.Created($"/api/v1/products/{product.Id}", ProductResponse.From(product));
    }

    public static async Task<Ok<ProductListResponse>> List(Guid? sellerId, [ApiExternalId] string? externalId, string? cursor, int? limit, SafeholdDb db,
        CancellationToken ct)
    {
        var query = db.Products.AsNoTracking();
        if (sellerId is { } s) query = query.Where(p => p.SellerId == s);
        if (ExternalIds.Wanted(externalId) is { } wanted) query = query.Where(p => p.ExternalId == wanted);
        var page = await query.PageAsync(p => p.CreatedAt, p => p.Id, newestFirst: true, cursor, limit, ct);
        var uploaded = await ProductImages.OfProductsAsync(db, page.Items.Select(p => p.Id).ToList(), ct);
        return TypedResults.Ok(new ProductListResponse(page.Items.Select(p => ProductResponse.From(p, uploaded.GetValueOrDefault(p.Id))).ToList(), page.NextCursor));
    }

    public static async Task<Ok<ProductResponse>> Get(Guid id, SafeholdDb db, CancellationToken ct)
    {
        var product = await db.Products.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct) ?? throw Problems.NotFound("Product");
        var uploaded = await ProductImages.OfProductsAsync(db, [id], ct);
        return TypedResults.Ok(ProductResponse.From(product, uploaded.GetValueOrDefault(id)));
    }
}
