using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Orders;

/// <summary>
/// A page where the buyer gives a shipping address and pays with a (test) card: buying one product (<see cref="CheckoutModel"/>)
/// or a cart of several sellers' (<see cref="CartModel"/>). Its fields are <c>_PaymentFields</c>.
/// </summary>
public abstract class PaymentFormPage : PortalPage
{
    [BindProperty, StringLength(200, ErrorMessage = "Too long.")]
    public string? FullName { get; set; }

    [BindProperty, Required(ErrorMessage = "Required."), StringLength(200, ErrorMessage = "Too long.")]
    public string? Line1 { get; set; }

    [BindProperty, Required(ErrorMessage = "Required."), StringLength(200, ErrorMessage = "Too long.")]
    public string? City { get; set; }

    [BindProperty, StringLength(200, ErrorMessage = "Too long.")]
    public string? PostalCode { get; set; }

    [BindProperty, Required(ErrorMessage = "Required."), StringLength(56, ErrorMessage = "Too long.")]
    public string? Country { get; set; }

    [BindProperty, Required(ErrorMessage = "Required.")]
    public string? Card { get; set; }

    /// <summary>The API's input fields, by the form field each is shown beside.</summary>
    protected static readonly IReadOnlyDictionary<string, string> PaymentFields = new Dictionary<string, string>
    {
        ["shippingAddress.fullName"] = nameof(FullName),
        ["shippingAddress.line1"] = nameof(Line1),
        ["shippingAddress.city"] = nameof(City),
        ["shippingAddress.postalCode"] = nameof(PostalCode),
        ["shippingAddress.country"] = nameof(Country),
        ["card.number"] = nameof(Card),
    };

    /// <summary>The address as the API takes it.</summary>
    protected JsonElement Address() => JsonSerializer.SerializeToElement(new Dictionary<string, string?>
    {
        ["fullName"] = FullName,
        ["line1"] = Line1,
        ["city"] = City,
        ["postalCode"] = PostalCode,
        ["country"] = Country,
    });

    /// <summary>The payment as the API takes it, checked before anything is placed (a mistyped card places nothing).</summary>
    protected Pay.Input CheckedPayment()
    {
        var pay = new Pay.Input(Card: new Pay.CardInput(Card));
        Pay.MethodOf(pay, Service<IOptions<SafeholdOptions>>().Value.Sandbox);
        return pay;
    }

    /// <summary>A card the provider refused is said beside the card field.</summary>
    protected void ShowRefusedCard()
    {
        if (Refusal is not null && Response.StatusCode == 402 && ModelState[nameof(Card)] is not { Errors.Count: > 0 }) ModelState.AddModelError(nameof(Card), Refusal);
    }
}
