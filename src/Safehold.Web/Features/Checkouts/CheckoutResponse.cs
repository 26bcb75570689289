using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Domain.Process;
using Safehold.Web.Features.Orders;

namespace Safehold.Web.Features.Checkouts;

/// <summary>Where a checkout is.</summary>
public enum CheckoutStatus
{
    /// <summary>Placed and not paid: <c>pay</c> pays all its orders with one payment.</summary>
    AwaitingPayment,

    /// <summary>Paid with one payment: each order now lives on its own (see <c>orders</c>).</summary>
    Paid,

    /// <summary>Not paid, and no longer payable: one of its orders was cancelled or expired unpaid.</summary>
    Closed,
}

/// <summary>
/// A checkout: its orders (one per seller, each in full as <c>GET /api/v1/orders/{id}</c> shows it), the total the one
/// payment captures, and <c>actions</c> (<c>pay</c> while it may be paid).
/// </summary>
/// <param name="PayBy">When its orders expire unpaid.</param>
public sealed record CheckoutResponse(
    Guid Id,
    [property: ApiEnum<CheckoutStatus>] string Status,
    Guid BuyerId,
    MoneyDto Total,
    DateTimeOffset CreatedAt,
    DateTimeOffset PayBy,
    DateTimeOffset? PaidAt,
    IReadOnlyList<OrderResponse> Orders,
    IReadOnlyList<string> Actions)
{
    public static CheckoutStatus StatusOf(Checkout checkout, IReadOnlyCollection<Order> orders) =>
        checkout.PaidAt is not null ? CheckoutStatus.Paid
        : orders.All(o => o.Status == OrderStatus.AwaitingPayment) ? CheckoutStatus.AwaitingPayment
        : CheckoutStatus.Closed;

    /// <summary>The response for <paramref name="checkout"/> with its orders as loaded (read afresh if none are given).</summary>
    public static async Task<CheckoutResponse> ForAsync(SafeholdDb db, Checkout checkout, IReadOnlyList<Order>? orders, Caller caller, DateTimeOffset now,
        CancellationToken ct)
    {
        orders ??= await db.Orders.AsNoTracking().Where(o => o.CheckoutId == checkout.Id).AsSingleQuery().ToListAsync(ct);
        var responses = new List<OrderResponse>(orders.Count);
        foreach (var order in orders.OrderBy(o => o.CreatedAt).ThenBy(o => o.Id))
            responses.Add(await OrderResponse.ForAsync(db, order, caller, now, ct));
        var status = StatusOf(checkout, orders);
        // Pay while every order's own pay row lets the caller pay it now, with the checkout.
        var payable = status == CheckoutStatus.AwaitingPayment && checkout.MayBePaid(orders, OrderAccess.PartyOf(orders[0], caller), now);
        IReadOnlyList<string> actions = payable ? [ProcessNames.Of(OrderTrigger.Pay)] : [];
        return new(checkout.Id, ProcessNames.Of(status), checkout.BuyerId, MoneyDto.From(checkout.Total), checkout.CreatedAt,
            orders.Min(o => o.PayBy), checkout.PaidAt, responses, actions);
    }
}
