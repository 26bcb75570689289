using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain.Policy;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Products;

/// <summary>The public catalog, with the plain explanation of buyer protection.</summary>
public sealed class CatalogModel(SafeholdDb db, IOptions<ProtectionPolicy> policy) : PortalPage
{
    public IReadOnlyList<Product> Products { get; private set; } = [];

    public int DefaultProtectionDays => policy.Value.DefaultProtectionDays;

    /// <summary>Each product's first image, where it has one: its thumbnail.</summary>
    public IReadOnlyDictionary<Guid, Guid> Thumbnails { get; private set; } = new Dictionary<Guid, Guid>();

    public async Task OnGetAsync(CancellationToken ct)
    {
        Products = await db.Products.AsNoTracking().OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id).Take(100).ToListAsync(ct);
        Thumbnails = (await ProductImages.OfProductsAsync(db, Products.Select(p => p.Id).ToList(), ct)).ToDictionary(e => e.Key, e => e.Value[0].Id);
    }
}
