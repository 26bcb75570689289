using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Photos;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Products;

/// <summary>
/// A picture of a listing, stored in the database as re-encoded pixels (see <see cref="PhotoInspection"/>). It belongs
/// either to a product (the seller's, while it is listed) or to an order (the listing snapshot's own copy, made when the
/// order was placed, so the seller deleting the product's picture never takes it from a past order). Never changed:
/// its id names its bytes for good.
/// </summary>
public sealed class ListingImage
{
    private ListingImage()
    {
        ContentType = "";
        Bytes = [];
    }

    public ListingImage(Guid id, Guid? productId, Guid? orderId, int position, string contentType, int width, int height, byte[] bytes, DateTimeOffset createdAt)
    {
        Id = id;
        ProductId = productId;
        OrderId = orderId;
        Position = position;
        ContentType = contentType;
        Width = width;
        Height = height;
        Bytes = bytes;
        CreatedAt = createdAt;
    }

    public Guid Id { get; private set; }
    public Guid? ProductId { get; private set; }
    public Guid? OrderId { get; private set; }

    /// <summary>The order the seller added them in; the first is the listing's thumbnail.</summary>
    public int Position { get; private set; }

    public string ContentType { get; private set; }
    public int Width { get; private set; }
    public int Height { get; private set; }
    public byte[] Bytes { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>The order's own copy of this product image.</summary>
    public ListingImage CopyFor(Guid id, Guid orderId, DateTimeOffset now) => new(id, null, orderId, Position, ContentType, Width, Height, Bytes, now);
}

/// <summary>An uploaded image of a listing: where to fetch it.</summary>
public sealed record ImageResponse(Guid Id, string Url)
{
    public static string ProductUrl(Guid productId, Guid imageId) => $"/api/v1/products/{productId}/images/{imageId}";

    public static string OrderUrl(Guid orderId, Guid imageId) => $"/api/v1/orders/{orderId}/images/{imageId}";
}

/// <summary>
/// Sellers upload images of their products (JPEG, PNG or WebP, read from the content, at most <see cref="MaxBytes"/>
/// and <see cref="MaxPerProduct"/> a product); anyone signed in sees them; an order placed copies them into its
/// listing snapshot (<see cref="PrepareCopiesAsync"/>). A refused upload stores nothing.
/// </summary>
public sealed class ProductImages(SafeholdDb db, WriteGate gate, TimeProvider clock)
{
    public const long MaxBytes = 5L * 1024 * 1024;
    public const int MaxPerProduct = 8;

    /// <summary>The largest image decoded: 40 megapixels.</summary>
    public const long MaxPixels = 40_000_000;

    /// <summary>The longest side an image is stored with; larger ones are scaled down.</summary>
    public const int MaxSide = 2000;

    public sealed record Upload(long Length, Stream Content);

    /// <summary>
    /// Reads, checks and re-encodes the upload first, outside any transaction, so a slow client never holds the write
    /// lock; then, in one transaction, counts the product's images and adds the new one.
    /// </summary>
    public async Task<ImageResponse> AddAsync(Caller caller, Guid productId, Upload upload, CancellationToken ct)
    {
        await OwnProductAsync(caller, productId, ct); // someone else's product: 404 before reading a byte
        var photo = await InspectAsync(upload, ct);
        return await gate.InTransactionAsync(db, () => StoreAsync(productId, photo, ct), ct);
    }

    /// <summary>Reads the upload (at most <see cref="MaxBytes"/>) and checks and re-encodes it; refusals are 400, 413 and 415 problems.</summary>
    public static async Task<PhotoInspection.Photo> InspectAsync(Upload upload, CancellationToken ct)
    {
        if (upload.Length > MaxBytes) throw TooLarge();
        var content = upload.Length == 0 ? [] : await ReadAsync(upload.Content, ct);
        if (content.Length == 0) throw new InvalidInputException(new Dictionary<string, string[]> { ["file"] = ["The file is empty."] });
        var format = PhotoInspection.Detect(content)
            ?? throw new HttpProblemException(StatusCodes.Status415UnsupportedMediaType, "unsupported_file_type",
                "A product image must be a JPEG, PNG or WebP picture; the content of this file is none of them.");
        return await PhotoInspection.ReencodeAsync(content, format, MaxPixels, MaxSide, ct);
    }

    /// <summary>
    /// Adds a checked photo to a product, in the caller's transaction (the caller checked the product is the seller's):
    /// the product's row is locked on PostgreSQL so two uploads racing for the last place are counted one after the other.
    /// </summary>
    public async Task<ImageResponse> StoreAsync(Guid productId, PhotoInspection.Photo photo, CancellationToken ct)
    {
        if (db.OnPostgres)
            await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "Products" WHERE "Id" = {productId} FOR UPDATE""", ct);
        var positions = await db.ListingImages.Where(i => i.ProductId == productId).Select(i => i.Position).ToListAsync(ct);
        if (positions.Count >= MaxPerProduct)
            throw new Domain.DomainException(Domain.RefusalKind.RuleRefused, "image_limit_reached", $"A product may have at most {MaxPerProduct} images.");
        var now = clock.GetUtcNow();
        var image = new ListingImage(Guid.CreateVersion7(now), productId, null, positions.Count == 0 ? 0 : positions.Max() + 1,
            photo.ContentType, photo.Width, photo.Height, photo.Bytes, now);
        db.ListingImages.Add(image);
        await db.SaveChangesAsync(ct);
        return new ImageResponse(image.Id, ImageResponse.ProductUrl(productId, image.Id));
    }

    /// <summary>Removes an image from the seller's product; orders placed before keep their copies.</summary>
    public async Task DeleteAsync(Caller caller, Guid productId, Guid imageId, CancellationToken ct)
    {
        await OwnProductAsync(caller, productId, ct);
        var deleted = await gate.InTransactionAsync(db, () =>
            db.ListingImages.Where(i => i.Id == imageId && i.ProductId == productId).ExecuteDeleteAsync(ct), ct);
        if (deleted == 0) throw Problems.NotFound("Image");
    }

    /// <summary>A product's image, for anyone who may see the product (everyone: the catalog is public).</summary>
    public async Task<StoredImage> ProductImageAsync(Guid productId, Guid imageId, CancellationToken ct) =>
        await db.ListingImages.AsNoTracking().Where(i => i.Id == imageId && i.ProductId == productId)
            .Select(i => new StoredImage(i.Id, i.ContentType, i.Bytes)).FirstOrDefaultAsync(ct)
        ?? throw Problems.NotFound("Image");

    /// <summary>An order's copy of an image, for those who may see the order (the caller checked that).</summary>
    public async Task<StoredImage> OrderImageAsync(Guid orderId, Guid imageId, CancellationToken ct) =>
        await db.ListingImages.AsNoTracking().Where(i => i.Id == imageId && i.OrderId == orderId)
            .Select(i => new StoredImage(i.Id, i.ContentType, i.Bytes)).FirstOrDefaultAsync(ct)
        ?? throw Problems.NotFound("Image");

    /// <summary>The images of each of these products, first to last, without their bytes.</summary>
    public static async Task<Dictionary<Guid, List<ImageResponse>>> OfProductsAsync(SafeholdDb db, IReadOnlyCollection<Guid> productIds, CancellationToken ct)
    {
        if (productIds.Count == 0) return [];
        var rows = await db.ListingImages.AsNoTracking().Where(i => i.ProductId != null && productIds.Contains(i.ProductId.Value))
            .OrderBy(i => i.Position).Select(i => new { i.Id, ProductId = i.ProductId!.Value }).ToListAsync(ct);
        return rows.GroupBy(r => r.ProductId).ToDictionary(g => g.Key, g => g.Select(r => new ImageResponse(r.Id, ImageResponse.ProductUrl(r.ProductId, r.Id))).ToList());
    }

    /// <summary>
    /// The copies an order will keep of these products' images, with their ids chosen now so the listing snapshot can
    /// name them; <see cref="SnapshotCopies.AddTo"/> adds them once the order is placed, saved with it.
    /// </summary>
    public static async Task<SnapshotCopies> PrepareCopiesAsync(SafeholdDb db, IReadOnlyCollection<Guid> productIds, DateTimeOffset now, CancellationToken ct)
    {
        var images = productIds.Count == 0
            ? []
            : await db.ListingImages.AsNoTracking().Where(i => i.ProductId != null && productIds.Contains(i.ProductId.Value))
                .OrderBy(i => i.Position).ToListAsync(ct);
        return CopiesOf(images, now);
    }

    /// <summary>The copies an order will keep of product images already read (each product's first to last).</summary>
    public static SnapshotCopies CopiesOf(IEnumerable<ListingImage> images, DateTimeOffset now) =>
        new(images.Select(i => (Guid.CreateVersion7(now), i)).ToList(), now);

    /// <summary>The copies of product images an order is about to keep (see <see cref="PrepareCopiesAsync"/>).</summary>
    public sealed class SnapshotCopies(IReadOnlyList<(Guid CopyId, ListingImage Image)> copies, DateTimeOffset now)
    {
        /// <summary>The ids of the copies of one product's images, first to last.</summary>
        public IReadOnlyList<Guid> IdsOf(Guid productId) => copies.Where(c => c.Image.ProductId == productId).Select(c => c.CopyId).ToList();

        public void AddTo(SafeholdDb db, Guid orderId)
        {
            foreach (var (copyId, image) in copies) db.ListingImages.Add(image.CopyFor(copyId, orderId, now));
        }
    }

    /// <summary>The bytes of a stored image as an answer: immutable, so cached for a year; never sniffed.</summary>
    public static IResult Serve(HttpContext http, StoredImage image)
    {
        SetHeaders(http.Response);
        return TypedResults.Bytes(image.Bytes, image.ContentType, entityTag: ETagOf(image));
    }

    /// <summary>The same answer from a portal page.</summary>
    public static FileContentResult ServeFile(PageModel page, StoredImage image)
    {
        SetHeaders(page.Response);
        return new FileContentResult(image.Bytes, image.ContentType) { EntityTag = ETagOf(image) };
    }

    private static void SetHeaders(HttpResponse response)
    {
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        response.Headers.CacheControl = "private, max-age=31536000, immutable";
    }

    private static EntityTagHeaderValue ETagOf(StoredImage image) => new($"\"{image.Id:N}\"");

    /// <summary>404 unless the product is the calling seller's.</summary>
    public async Task OwnProductAsync(Caller caller, Guid productId, CancellationToken ct)
    {
        if (caller.Role != UserRole.Seller || !await db.Products.AnyAsync(p => p.Id == productId && p.SellerId == caller.Id, ct))
            throw Problems.NotFound("Product");
    }

    private static async Task<byte[]> ReadAsync(Stream content, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await content.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBytes) throw TooLarge();
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static HttpProblemException TooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, "file_too_large", $"A product image may be at most {MaxBytes / (1024 * 1024)} MB.");
}

/// <summary>An image's bytes and media type, as served.</summary>
public sealed record StoredImage(Guid Id, string ContentType, byte[] Bytes);

/// <summary>The image paths of products and of the orders' listing snapshots.</summary>
public static class ProductImageEndpoints
{
    /// <summary>
    /// Runs its own transactions (<see cref="OwnTransactions"/>): the upload is read and checked before any transaction
    /// begins (see <see cref="ProductImages.AddAsync"/>).
    /// </summary>
    public static void MapProductImageUpload(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/v1/products/{id:guid}/images", Add)
            .RequireAuthorization()
            .AddEndpointFilter<WriteTransaction>().WithMetadata(new OwnTransactions())
            .WithTags("Products")
            .DisableAntiforgery()
            .WithMetadata(new AcceptsFile(), new RequestSizeLimitAttribute(ProductImages.MaxBytes + 1_000_000))
            .Produces<ImageResponse>(StatusCodes.Status201Created)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // The form is read by hand (outside the write transaction), so the document is told what it holds.
                operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
                {
                    Required = true,
                    Description = "One image: JPEG, PNG or WebP, read from its content.",
                    Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                    {
                        ["multipart/form-data"] = new()
                        {
                            Schema = new Microsoft.OpenApi.OpenApiSchema
                            {
                                Type = Microsoft.OpenApi.JsonSchemaType.Object,
                                Required = new HashSet<string> { "file" },
                                Properties = new Dictionary<string, Microsoft.OpenApi.IOpenApiSchema>
                                {
                                    ["file"] = new Microsoft.OpenApi.OpenApiSchema
                                    {
                                        Type = Microsoft.OpenApi.JsonSchemaType.String,
                                        Format = "binary",
                                        Description = $"At most {ProductImages.MaxBytes / 1024 / 1024} MB and {ProductImages.MaxPixels / 1_000_000} megapixels.",
                                    },
                                },
                            },
                        },
                    },
                };
                return Task.CompletedTask;
            });

    /// <summary>The reads and the delete, in the API's group.</summary>
    public static void MapProductImages(this RouteGroupBuilder products)
    {
        products.MapGet("/{id:guid}/images/{imageId:guid}", GetProductImage).AddOpenApiOperationTransformer(DescribeImage);
        products.MapDelete("/{id:guid}/images/{imageId:guid}", Delete);
    }

    public static void MapOrderImages(this RouteGroupBuilder orders) =>
        orders.MapGet("/{id:guid}/images/{imageId:guid}", GetOrderImage).AddOpenApiOperationTransformer(DescribeImage);

    /// <summary><c>multipart/form-data</c> with a <c>file</c>.</summary>
    public static async Task<IResult> Add(Guid id, HttpContext http, ProductImages images, CancellationToken ct)
    {
        if (!http.Request.HasFormContentType)
            throw new InvalidInputException(new Dictionary<string, string[]> { ["file"] = ["Send multipart/form-data with the image in a field named file."] });
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(ct);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new BadHttpRequestException("The multipart form could not be read.", StatusCodes.Status400BadRequest, e);
        }
        var file = form.Files.GetFile("file");
        if (file is null || form.Files.Count != 1)
            throw new InvalidInputException(new Dictionary<string, string[]> { ["file"] = ["Exactly one file, in a field named file."] });
        await using var content = file.OpenReadStream();
        var added = await images.AddAsync(Caller.From(http.User), id, new ProductImages.Upload(file.Length, content), ct);
        return TypedResults.Created(added.Url, added);
    }

    public static async Task<Microsoft.AspNetCore.Http.HttpResults.NoContent> Delete(Guid id, Guid imageId, HttpContext http, ProductImages images, CancellationToken ct)
    {
        await images.DeleteAsync(Caller.From(http.User), id, imageId, ct);
        return TypedResults.NoContent();
    }

    public static async Task<IResult> GetProductImage(Guid id, Guid imageId, HttpContext http, ProductImages images, CancellationToken ct) =>
        ProductImages.Serve(http, await images.ProductImageAsync(id, imageId, ct));

    /// <summary>The order's own copy: for those who may see the order, and arbiters of a dispute about it.</summary>
    public static async Task<IResult> GetOrderImage(Guid id, Guid imageId, HttpContext http, ProductImages images, SafeholdDb db, CancellationToken ct)
    {
        await Orders.OrderAccess.RequireVisibleAsync(db, id, Caller.From(http.User), ct);
        return ProductImages.Serve(http, await images.OrderImageAsync(id, imageId, ct));
    }

    private static Task DescribeImage(Microsoft.OpenApi.OpenApiOperation operation, Microsoft.AspNetCore.OpenApi.OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        operation.Responses ??= [];
        operation.Responses["200"] = new Microsoft.OpenApi.OpenApiResponse
        {
            Description = "The image's pixels, re-encoded when it was uploaded: PNG or JPEG. Never changes, so it may be cached.",
            Content = new[] { "image/png", "image/jpeg" }.ToDictionary(type => type, _ => new Microsoft.OpenApi.OpenApiMediaType
            {
                Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, Format = "binary" },
            }),
        };
        return Task.CompletedTask;
    }
}
