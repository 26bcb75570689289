using System.Globalization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain.Policy;
using Safehold.Web.Data;

namespace Safehold.Web.Pages;

/// <summary>The public catalog, with the plain explanation of buyer protection.</summary>
public sealed class IndexModel(SafeholdDb db, IOptions<ProtectionPolicy> policy) : PageModel
{
    public sealed record Item(string Title, string Description, string Price, int HandlingDays, int ProtectionDays);

    public IReadOnlyList<Item> Products { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        var products = await db.Products.AsNoTracking().OrderByDescending(p => p.CreatedAt).Take(100).ToListAsync(ct);
        Products = products.Select(p => new Item(p.Title, p.Description, Format(p.Price),
            p.HandlingDays, p.ProtectionDays ?? policy.Value.DefaultProtectionDays)).ToList();
    }

    private static string Format(Domain.Money m) =>
        (m.Amount / (decimal)Math.Pow(10, m.Currency.MinorUnits)).ToString("N" + m.Currency.MinorUnits, CultureInfo.InvariantCulture) + " " + m.Currency.Code;
}
