using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain.Policy;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;
using Safehold.Web.Features.Products;
using Safehold.Web.Jobs;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.Orders;

/// <summary>
/// A buyer orders a product and pays with a (test) card in one step: the API's place-order and pay, run together in
/// one transaction, so a declined card leaves no order behind.
/// </summary>
[Authorize(Roles = nameof(Users.UserRole.Buyer))]
public sealed class CheckoutModel(SafeholdDb db) : PaymentFormPage
{
    public Product Product { get; private set; } = null!;

    [BindProperty, Required(ErrorMessage = "Required."), Range(1, PlaceOrder.MaxQuantity, ErrorMessage = "Must be from {1} to {2}.")]
    public int? Quantity { get; set; } = 1;

    /// <summary>The order an earlier attempt of this checkout placed, whose payment was refused: paying again pays it, not another.</summary>
    [BindProperty]
    public Guid? OrderId { get; set; }

    private static readonly Dictionary<string, string> Fields = new(PaymentFields) { ["items[0].quantity"] = nameof(Quantity) };

    public async Task OnGetAsync(Guid productId, CancellationToken ct) => await Load(productId, ct);

    public async Task<IActionResult> OnPostAsync(Guid productId, CancellationToken ct)
    {
        await Load(productId, ct);
        if (Invalid()) return Page();
        var orderId = OrderId ?? default;
        // The order and its payment commit apart (the payment's intent commits before the provider is called): the card is
        // checked first, and an order placed by an attempt whose payment was refused is the one paid on the next.
        var ok = await Attempt(async ct =>
        {
            var pay = CheckedPayment();
            if (orderId == default)
            {
                var placed = await Service<PlaceOrder>().RunAsync(Me, new PlaceOrder.Request([new PlaceOrder.Item(productId, Quantity)], Address()), ct);
                orderId = placed.Id;
                OrderId = orderId;
            }
            await Service<Pay>().RunAsync(Me, orderId, pay, ct);
        }, Fields, ownTransactions: true);
        if (!ok)
        {
            ShowRefusedCard();
            return Page();
        }
        Done = "Paid. Your money is held safely until you confirm the order arrived.";
        return Redirect($"/orders/{orderId}");
    }

    private async Task Load(Guid productId, CancellationToken ct) =>
        Product = await db.Products.AsNoTracking().FirstOrDefaultAsync(p => p.Id == productId, ct) ?? throw Problems.NotFound("Product");
}
