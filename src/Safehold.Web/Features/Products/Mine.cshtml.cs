using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain.Policy;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Products;

/// <summary>The seller's products and the form to list one: the API's create-product, with the price typed as the culture writes it.</summary>
[Authorize(Roles = nameof(Users.UserRole.Seller))]
public sealed class MineModel(SafeholdDb db, TimeProvider clock, IOptions<ProtectionPolicy> policy) : PortalPage
{
    public static readonly string[] Currencies = ["USD", "EUR", "GEL", "GBP", "JPY"];

    [BindProperty, Required(ErrorMessage = "Required."), StringLength(200, ErrorMessage = "Too long.")]
    public string? Title { get; set; }

    [BindProperty, Required(ErrorMessage = "Required."), StringLength(5000, ErrorMessage = "Too long.")]
    public string? Description { get; set; }

    [BindProperty, Required(ErrorMessage = "Required.")]
    public string? Price { get; set; }

    [BindProperty, Required(ErrorMessage = "Required.")]
    public string? Currency { get; set; } = "USD";

    [BindProperty, Range(1, 60, ErrorMessage = "Must be from {1} to {2}.")]
    public int? HandlingDays { get; set; } = 7;

    [BindProperty, Range(1, 365, ErrorMessage = "Must be from {1} to {2}.")]
    public int? ProtectionDays { get; set; }

    [BindProperty, StringLength(64, ErrorMessage = "Too long.")]
    public string? Category { get; set; }

    /// <summary>An optional first image, checked before the product is listed so a refused file lists nothing.</summary>
    [BindProperty]
    public IFormFile? Image { get; set; }

    public IReadOnlyList<Product> Products { get; private set; } = [];

    /// <summary>How many images each product has.</summary>
    public IReadOnlyDictionary<Guid, int> ImageCounts { get; private set; } = new Dictionary<Guid, int>();
    public DateTimeOffset Now { get; private set; }
    public int DefaultProtectionDays => policy.Value.DefaultProtectionDays;

    private static readonly Dictionary<string, string> Fields = new()
    {
        ["title"] = nameof(Title),
        ["description"] = nameof(Description),
        ["price"] = nameof(Price),
        ["price.amount"] = nameof(Price),
        ["price.currency"] = nameof(Currency),
        ["handlingDays"] = nameof(HandlingDays),
        ["protectionDays"] = nameof(ProtectionDays),
        ["category"] = nameof(Category),
    };

    public Task OnGetAsync(CancellationToken ct) => Load(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        long? minor = null;
        if (Price is not null && Safehold.Domain.Currency.TryParse(Currency, out var currency))
        {
            var read = Words.ReadAmount(Price, currency.MinorUnits);
            minor = read.Minor;
            if (minor is null) ModelState.AddModelError(nameof(Price), Words.AmountProblem(L, read.Problem!, currency.MinorUnits));
        }
        var photo = Image is null ? null : await CheckedImageAsync(Image, nameof(Image), ct);
        if (!Invalid() && (Image is null || photo is not null))
        {
            var request = new ProductEndpoints.CreateRequest(Title, Description, new MoneyDto(minor!.Value, Currency!), HandlingDays, ProtectionDays,
                Category, null);
            if (await Attempt(async ct =>
                {
                    var created = await ProductEndpoints.Create(request, HttpContext, db, clock, policy, ct);
                    if (photo is not null) await Service<ProductImages>().StoreAsync(created.Value!.Id, photo, ct);
                }, Fields))
            {
                // What the price was read as, said back ("listed at 19.50 USD"): a misread price is seen at once.
                Done = L["The product is listed at {0}.", Words.Money(minor!.Value, Currency!)];
                return Redirect("/seller/products");
            }
        }
        await Load(ct);
        return Page();
    }

    private async Task Load(CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        var me = Me.Id;
        Products = await db.Products.AsNoTracking().Where(p => p.SellerId == me).OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id)
            .Take(200).ToListAsync(ct);
        ImageCounts = (await ProductImages.OfProductsAsync(db, Products.Select(p => p.Id).ToList(), ct)).ToDictionary(e => e.Key, e => e.Value.Count);
    }
}
