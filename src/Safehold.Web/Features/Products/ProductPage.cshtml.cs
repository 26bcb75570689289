using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain.Policy;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Products;

/// <summary>One product, public, with buyer protection explained and the way to checkout for a buyer.</summary>
public sealed class ProductPageModel(SafeholdDb db, IOptions<ProtectionPolicy> policy) : PortalPage
{
    public Product Product { get; private set; } = null!;
    public string SellerName { get; private set; } = "";
    public bool CanBuy { get; private set; }
    public int DefaultProtectionDays => policy.Value.DefaultProtectionDays;

    public async Task OnGetAsync(Guid id, CancellationToken ct)
    {
        Product = await db.Products.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, ct) ?? throw Problems.NotFound("Product");
        SellerName = await db.Users.Where(u => u.Id == Product.SellerId).Select(u => u.DisplayName).FirstAsync(ct);
        CanBuy = User.Identity?.IsAuthenticated == true && Me.Role == UserRole.Buyer;
    }
}
