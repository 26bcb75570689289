using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features.Checkouts;
using Safehold.Web.Features.Products;

namespace Safehold.Web.Features.Orders;

/// <summary>
/// The buyer's cart: products of any sellers, added from their pages, kept in a cookie of this browser until bought.
/// Buying it is one checkout (the API's <c>POST /api/v1/checkouts</c> and its pay): one order per seller, paid with one
/// payment. A refused card leaves the checkout placed and unpaid, and paying again pays that same checkout.
/// </summary>
[Authorize(Roles = nameof(Users.UserRole.Buyer))]
public sealed class CartModel(SafeholdDb db) : PaymentFormPage
{
    public const string CookieName = "safehold_cart";

    /// <summary>The cart's lines with their products, grouped by seller (each group becomes one order), in the order added.</summary>
    public IReadOnlyList<IGrouping<Guid, (Product Product, int Quantity)>> BySeller { get; private set; } = [];

    /// <summary>The checkout an earlier attempt placed, whose payment was refused: paying again pays it, not another.</summary>
    [BindProperty]
    public Guid? CheckoutId { get; set; }

    /// <summary>The sellers' names, by id.</summary>
    public IReadOnlyDictionary<Guid, string> SellerNames { get; private set; } = new Dictionary<Guid, string>();

    /// <summary>The cart's total by currency (one, unless products of several currencies were added).</summary>
    public IReadOnlyList<Domain.Money> Totals { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    /// <summary>Adds <paramref name="quantity"/> of a product (from its page) and shows the cart.</summary>
    public async Task<IActionResult> OnPostAddAsync(Guid productId, int? quantity, CancellationToken ct)
    {
        if (!await db.Products.AnyAsync(p => p.Id == productId, ct)) return NotFound();
        var lines = Read(Request).ToList();
        var at = lines.FindIndex(l => l.ProductId == productId);
        var add = Math.Clamp(quantity ?? 1, 1, PlaceOrder.MaxQuantity);
        if (at >= 0) lines[at] = (productId, Math.Min(PlaceOrder.MaxQuantity, lines[at].Quantity + add));
        else if (lines.Count < Checkout.MaxLines) lines.Add((productId, add));
        else
        {
            Done = "Your cart is full: buy what is in it first.";
            return Redirect("/cart");
        }
        Write(Response, lines);
        Done = "Added to your cart.";
        return Redirect("/cart");
    }

    /// <summary>Sets a line's quantity; 0 removes it.</summary>
    public IActionResult OnPostUpdate(Guid productId, int? quantity)
    {
        var lines = Read(Request).ToList();
        var at = lines.FindIndex(l => l.ProductId == productId);
        if (at >= 0)
        {
            if (quantity is null or <= 0) lines.RemoveAt(at);
            else lines[at] = (productId, Math.Min(PlaceOrder.MaxQuantity, quantity.Value));
        }
        Write(Response, lines);
        return Redirect("/cart");
    }

    /// <summary>Places the cart as one checkout (or takes the one a refused payment left) and pays it; the cart is then emptied.</summary>
    public async Task<IActionResult> OnPostBuyAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        if (BySeller.Count == 0) return Redirect("/cart");
        if (Invalid()) return Page();
        var checkoutId = CheckoutId ?? default;
        var items = BySeller.SelectMany(g => g).Select(l => new PlaceOrder.Item(l.Product.Id, l.Quantity)).ToList();
        var ok = await Attempt(async ct =>
        {
            var pay = CheckedPayment();
            var checkouts = Service<Checkouts.Checkouts>();
            if (checkoutId == default)
            {
                checkoutId = (await Service<WriteGate>().InTransactionAsync(db, () => checkouts.PlaceAsync(Me, new(items, Address()), ct), ct)).Id;
                CheckoutId = checkoutId;
            }
            await checkouts.PayAsync(Me, checkoutId, pay, ct);
        }, PaymentFields, ownTransactions: true);
        if (!ok)
        {
            ShowRefusedCard();
            return Page();
        }
        Write(Response, []);
        Done = "Paid. Your money is held safely until you confirm each order arrived.";
        return Redirect("/orders");
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var lines = Read(Request);
        var ids = lines.Select(l => l.ProductId).ToList();
        var products = await db.Products.AsNoTracking().Where(p => ids.Contains(p.Id)).ToDictionaryAsync(p => p.Id, ct);
        var known = lines.Where(l => products.ContainsKey(l.ProductId)).Select(l => (products[l.ProductId], l.Quantity)).ToList();
        BySeller = known.GroupBy(l => l.Item1.SellerId).ToList();
        var sellers = BySeller.Select(g => g.Key).ToList();
        SellerNames = await db.Users.AsNoTracking().Where(u => sellers.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        Totals = known.GroupBy(l => l.Item1.Price.Currency).Select(g => g.Skip(1).Aggregate(g.First().Item1.Price * g.First().Quantity,
            (sum, l) => sum + l.Item1.Price * l.Quantity)).ToList();
    }

    /// <summary>The cart's lines as the cookie keeps them (<c>{productId}:{quantity}</c>, joined by <c>|</c>); anything unreadable is dropped.</summary>
    public static IReadOnlyList<(Guid ProductId, int Quantity)> Read(HttpRequest request)
    {
        var value = request.Cookies[CookieName];
        if (string.IsNullOrEmpty(value)) return [];
        var lines = new List<(Guid, int)>();
        foreach (var part in value.Split('|', StringSplitOptions.RemoveEmptyEntries).Take(Checkout.MaxLines))
        {
            var pair = part.Split(':');
            if (pair.Length == 2 && Guid.TryParse(pair[0], out var id) && int.TryParse(pair[1], out var quantity)
                && quantity is > 0 and <= PlaceOrder.MaxQuantity && lines.All(l => l.Item1 != id))
                lines.Add((id, quantity));
        }
        return lines;
    }

    private static void Write(HttpResponse response, IReadOnlyList<(Guid ProductId, int Quantity)> lines)
    {
        if (lines.Count == 0)
        {
            response.Cookies.Delete(CookieName);
            return;
        }
        response.Cookies.Append(CookieName, string.Join('|', lines.Select(l => $"{l.ProductId}:{l.Quantity}")), new CookieOptions
        {
            HttpOnly = true,
            IsEssential = true,
            SameSite = SameSiteMode.Lax,
            Secure = response.HttpContext.Request.IsHttps,
            MaxAge = TimeSpan.FromDays(30),
            Path = "/",
        });
    }
}
