using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain.Policy;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Products;

/// <summary>
/// One product, public, with its images, buyer protection explained and the way to checkout for a buyer; its seller
/// adds and deletes its images here.
/// </summary>
public sealed class ProductPageModel(SafeholdDb db, IOptions<ProtectionPolicy> policy) : PortalPage
{
    public Product Product { get; private set; } = null!;
    public string SellerName { get; private set; } = "";
    public bool CanBuy { get; private set; }
    public bool IsSeller { get; private set; }
    public IReadOnlyList<Guid> Images { get; private set; } = [];
    public int DefaultProtectionDays => policy.Value.DefaultProtectionDays;
    public int MaxImages => ProductImages.MaxPerProduct;

    /// <summary>The portal's address of a product image (the API's needs a key; this one is public, as the catalog is).</summary>
    public static string ImageUrl(Guid productId, Guid imageId) => $"/products/{productId}?handler=image&imageId={imageId}";

    public Task OnGetAsync(Guid id, CancellationToken ct) => Load(id, ct);

    public async Task<IActionResult> OnGetImageAsync(Guid id, Guid imageId, CancellationToken ct)
    {
        var image = await Service<ProductImages>().ProductImageAsync(id, imageId, ct);
        return ProductImages.ServeFile(this, image);
    }

    public async Task<IActionResult> OnPostAddImageAsync(Guid id, IFormFile? image, CancellationToken ct)
    {
        if (User.Identity?.IsAuthenticated != true) return Challenge();
        var images = Service<ProductImages>();
        await images.OwnProductAsync(Me, id, ct); // someone else's product: 404
        var photo = await CheckedImageAsync(image, "image", ct);
        if (photo is not null && await Attempt(ct => images.StoreAsync(id, photo, ct), new Dictionary<string, string> { ["file"] = "image" }))
        {
            Done = L["The image is added."];
            return Redirect($"/products/{id}");
        }
        if (RefusedCode == "image_limit_reached") ModelState.AddModelError("image", Refusal!);
        await Load(id, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostDeleteImageAsync(Guid id, Guid imageId, CancellationToken ct)
    {
        if (User.Identity?.IsAuthenticated != true) return Challenge();
        await Service<ProductImages>().DeleteAsync(Me, id, imageId, ct);
        Done = L["The image is deleted. Orders already placed keep their copy."];
        return Redirect($"/products/{id}");
    }

    private async Task Load(Guid id, CancellationToken ct)
    {
        Product = await db.Products.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct) ?? throw Problems.NotFound("Product");
        SellerName = await db.Users.Where(u => u.Id == Product.SellerId).Select(u => u.DisplayName).FirstAsync(ct);
        var signedIn = User.Identity?.IsAuthenticated == true;
        CanBuy = signedIn && Me.Role == UserRole.Buyer;
        IsSeller = signedIn && Me.Id == Product.SellerId;
        Images = (await ProductImages.OfProductsAsync(db, [id], ct)).GetValueOrDefault(id)?.Select(i => i.Id).ToList() ?? [];
    }
}
