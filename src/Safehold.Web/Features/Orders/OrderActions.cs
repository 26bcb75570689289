using Microsoft.AspNetCore.Http.HttpResults;
using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Jobs;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.Orders;

/// <summary>
/// What the parties do to an order: pay, cancel, ship, report delivery, confirm receipt. Each loads the
/// order, lets <see cref="OrderProcess"/> decide, talks to the payment provider where money leaves or
/// enters, and posts the journal entry, all inside the request's one transaction (<see cref="WriteTransaction"/>).
/// </summary>
public static class OrderActions
{
    public sealed record PayRequest(CardInput? Card);
    public sealed record CardInput(string? Number);
    public sealed record CancelRequest(string? Reason);
    public sealed record ShipRequest(string? Carrier, string? TrackingNumber);

    public static async Task<Ok<OrderResponse>> Pay(Guid id, PayRequest request, HttpContext http, SafeholdDb db, TimeProvider clock,
        IPaymentProvider payments, DueTimers timers, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow();
        var order = await timers.LoadForChangeAsync(id, caller, now, ct);
        var actor = OrderAccess.ActorOf(order, caller);
        OrderProcess.Authorize(order, OrderTrigger.Pay, actor, now); // refuse before any money moves

        var errors = new InputErrors();
        var number = new string((request.Card?.Number ?? "").Where(c => c is not ' ' and not '-').ToArray());
        if (number.Length == 0) errors.Add("card.number", "Required.");
        else if (number.Length is < 12 or > 19 || !number.All(char.IsAsciiDigit) || !PassesLuhn(number))
            errors.Add("card.number", "Not a valid card number.");
        errors.ThrowIfAny();

        await PayAsync(db, payments, order, actor, number, now, ct);
        // Money has moved at the provider: a client hanging up must not roll back its record.
        await db.SaveChangesAsync(CancellationToken.None);
        return TypedResults.Ok(await OrderResponse.ForAsync(db, order, caller, now, CancellationToken.None));
    }

    /// <summary>Charges the buyer's card (idempotently, keyed by the order) and moves the total into escrow.</summary>
    internal static async Task PayAsync(SafeholdDb db, IPaymentProvider payments, Order order, Actor actor, string cardNumber,
        DateTimeOffset now, CancellationToken ct)
    {
        var result = await payments.CaptureAsync($"order:{order.Id}:capture", order.Total, cardNumber, ct);
        if (!result.Succeeded)
            throw new DomainException(RefusalKind.PaymentRefused, result.DeclineCode ?? "card_declined", result.DeclineMessage ?? "The card was declined.");
        // Money has moved at the provider: from here on a client hanging up must not cancel (and so roll back) its record.
        await db.PostAsync(order.Pay(actor, now, result.Reference!), CancellationToken.None);
    }

    public static async Task<Ok<OrderResponse>> Cancel(Guid id, CancelRequest? request, HttpContext http, SafeholdDb db, TimeProvider clock,
        IPaymentProvider payments, DueTimers timers, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var errors = new InputErrors();
        var reason = errors.Text("reason", request?.Reason, 500, required: false);
        errors.ThrowIfAny();

        var now = clock.GetUtcNow();
        var order = await timers.LoadForChangeAsync(id, caller, now, ct);
        var entry = order.Cancel(OrderAccess.ActorOf(order, caller), now, reason);
        // A paid order is refunded; an unpaid one returns a capture whose commit was lost (its host died), if any.
        var toPost = new List<JournalEntry>();
        await timers.CarryOutAsync(order, entry, order.LastTransition!.Calls, toPost, ct);
        await db.PostAllAsync(toPost, ct);
        // Money has moved at the provider: a client hanging up must not roll back its record.
        await db.SaveChangesAsync(CancellationToken.None);
        return TypedResults.Ok(await OrderResponse.ForAsync(db, order, caller, now, CancellationToken.None));
    }

    public static async Task<Ok<OrderResponse>> Ship(Guid id, ShipRequest request, HttpContext http, SafeholdDb db, TimeProvider clock, DueTimers timers, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var errors = new InputErrors();
        var carrier = errors.Text("carrier", request.Carrier, 100);
        var tracking = errors.Text("trackingNumber", request.TrackingNumber, 100);
        errors.ThrowIfAny();

        var now = clock.GetUtcNow();
        var order = await timers.LoadForChangeAsync(id, caller, now, ct);
        order.Ship(OrderAccess.ActorOf(order, caller), now, carrier!, tracking!);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(await OrderResponse.ForAsync(db, order, caller, now, ct));
    }

    public static async Task<Ok<OrderResponse>> MarkDelivered(Guid id, HttpContext http, SafeholdDb db, TimeProvider clock, DueTimers timers, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow();
        var order = await timers.LoadForChangeAsync(id, caller, now, ct);
        order.MarkDelivered(OrderAccess.ActorOf(order, caller), now);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(await OrderResponse.ForAsync(db, order, caller, now, ct));
    }

    public static async Task<Ok<OrderResponse>> ConfirmReceipt(Guid id, HttpContext http, SafeholdDb db, TimeProvider clock, DueTimers timers, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow();
        var order = await timers.LoadForChangeAsync(id, caller, now, ct);
        var entry = order.ConfirmReceipt(OrderAccess.ActorOf(order, caller), now);
        await db.PostAsync(entry, ct);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(await OrderResponse.ForAsync(db, order, caller, now, ct));
    }

    /// <summary>Returns the refunded money to the buyer's card, then posts the refund entry; a failed refund changes nothing.</summary>
    internal static async Task RefundAsync(SafeholdDb db, IPaymentProvider payments, Order order, Domain.Ledger.JournalEntry entry, CancellationToken ct)
    {
        var refunded = entry.Lines.Where(l => l.AccountType == Domain.Ledger.AccountType.RefundsOut).Sum(l => l.Amount);
        var result = await payments.RefundAsync(entry.DedupeKey, order.PaymentReference!, new Money(refunded, order.Total.Currency), ct);
        if (!result.Succeeded)
            throw new DomainException(RefusalKind.RuleRefused, "refund_failed", $"The payment provider refused the refund: {result.DeclineMessage}");
        await db.PostAsync(entry, CancellationToken.None); // the money has moved: a client hanging up must not roll this back
    }

    private static bool PassesLuhn(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            sum += d;
        }
        return sum % 10 == 0;
    }
}

public static class OrderEndpoints
{
    public static void MapOrders(this RouteGroupBuilder api)
    {
        var orders = api.MapGroup("/orders").WithTags("Orders");
        orders.MapPost("/", PlaceOrder.Handle);
        orders.MapGet("/", OrderQueries.List);
        orders.MapGet("/{id:guid}", OrderQueries.Get);
        orders.MapPost("/{id:guid}/pay", OrderActions.Pay);
        orders.MapPost("/{id:guid}/cancel", OrderActions.Cancel);
        orders.MapPost("/{id:guid}/ship", OrderActions.Ship);
        orders.MapPost("/{id:guid}/mark-delivered", OrderActions.MarkDelivered);
        orders.MapPost("/{id:guid}/confirm-receipt", OrderActions.ConfirmReceipt);
        orders.MapPost("/{id:guid}/protection-extensions", ProtectionExtensions.Request);
        orders.MapPost("/{id:guid}/protection-extensions/{extensionId:guid}/approve", ProtectionExtensions.Approve);
        orders.MapPost("/{id:guid}/protection-extensions/{extensionId:guid}/decline", ProtectionExtensions.Decline);
    }
}
