using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Orders;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Checkouts;

/// <summary>
/// A cart of several sellers' products (SPEC 5, <c>/checkouts</c>): placing it makes one order per seller, each with its
/// own listing snapshot, ship-by and protection; paying it pays them all with one payment. Afterwards each order lives
/// on its own: cancelling, refunding or disputing one returns that order's share of the payment, never another's.
/// </summary>
public sealed class Checkouts(SafeholdDb db, PlaceOrder place, Pay pay, TimeProvider clock)
{
    /// <summary><c>items</c> may name products of several sellers (at most 50 lines); <c>shippingAddress</c> as for an order.</summary>
    public sealed record Request(IReadOnlyList<PlaceOrder.Item>? Items, JsonElement? ShippingAddress);

    public static void MapCheckouts(RouteGroupBuilder api)
    {
        var checkouts = api.MapGroup("/checkouts").WithTags("Checkouts");
        checkouts.MapPost("/", async (Request request, HttpContext http, Checkouts use, CancellationToken ct) =>
        {
            var checkout = await use.PlaceAsync(Caller.From(http.User), request, ct);
            return TypedResults.Created($"/api/v1/checkouts/{checkout.Id}", checkout);
        });
        checkouts.MapGet("/{id:guid}", async Task<Ok<CheckoutResponse>> (Guid id, HttpContext http, Checkouts use, CancellationToken ct) =>
            TypedResults.Ok(await use.GetAsync(Caller.From(http.User), id, ct)));
        checkouts.MapPost("/{id:guid}/pay", async Task<Ok<CheckoutResponse>> (Guid id, Pay.Input input, HttpContext http, Checkouts use, CancellationToken ct) =>
            TypedResults.Ok(await use.PayAsync(Caller.From(http.User), id, input, ct)))
            .WithMetadata(new OwnTransactions()); // the capture's intent commits before the provider is called
    }

    /// <summary>Places the checkout: one order per seller, in the order the sellers' first items come, all or nothing.</summary>
    public async Task<CheckoutResponse> PlaceAsync(Caller caller, Request request, CancellationToken ct)
    {
        caller.Require(UserRole.Buyer, "place a checkout");
        var errors = new InputErrors();
        PlaceOrder.ValidateItems(request.Items, errors);
        var address = PlaceOrder.ValidateAddress(request.ShippingAddress, errors);
        errors.ThrowIfAny();

        var listings = await place.ListingsOfAsync(request.Items!, ct);
        var now = clock.GetUtcNow();
        var orders = new List<Order>();
        foreach (var seller in request.Items!.GroupBy(i => listings.Products[i.ProductId!.Value].SellerId))
            orders.Add(place.AddOrder(caller, seller.ToList(), listings, address!, now));
        var checkout = Checkout.Place(Guid.CreateVersion7(now), caller.Id, orders, now);
        db.Checkouts.Add(checkout);
        await db.SaveChangesAsync(ct);
        return await CheckoutResponse.ForAsync(db, checkout, orders, caller, now, ct);
    }

    public async Task<CheckoutResponse> GetAsync(Caller caller, Guid id, CancellationToken ct)
    {
        var checkout = await CheckoutAccess.LoadAsync(db, id, caller, tracked: false, ct);
        return await CheckoutResponse.ForAsync(db, checkout, null, caller, clock.GetUtcNow(), ct);
    }

    /// <summary>Pays every order of the checkout with one payment (see <see cref="OrderChange.CaptureAndPayAsync{T}"/>), or none.</summary>
    public Task<CheckoutResponse> PayAsync(Caller caller, Guid id, Pay.Input input, CancellationToken ct) =>
        pay.RunAsync(caller, OrderChange.Payment.OfCheckout(id), input,
            (paid, now) => CheckoutResponse.ForAsync(db, paid.Checkout!, paid.Orders, caller, now, CancellationToken.None), ct);
}
