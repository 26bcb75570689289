using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Jobs;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.Orders;

/// <summary>
/// The buyer pays with a payment method (a token from the provider's own front end); in sandbox mode also with a test
/// card, which becomes its sandbox payment method here, so no card number goes further (not to the provider, the
/// database, a log or an error). The total moves into the order's escrow; a declined payment changes nothing.
/// On <c>external</c> rails the marketplace has charged the buyer itself and reports the capture instead
/// (<c>externalPayment</c>: its reference and the amount, which must be the order's total), with the platform's key
/// acting for the buyer; a payment method or card is then refused, and <c>externalPayment</c> is refused on any other rails.
/// </summary>
public sealed class Pay(OrderChange change, SafeholdDb db, IOptions<SafeholdOptions> options, IOptions<PaymentOptions> payments)
{
    public sealed record Input([property: StringLength(MaxMethodLength)] string? PaymentMethod = null, CardInput? Card = null, ExternalPaymentInput? ExternalPayment = null);
    public sealed record CardInput([property: StringLength(MaxCardLength)] string? Number);

    /// <summary>A capture the marketplace made with its own payment provider: the provider's reference and the amount charged.</summary>
    public sealed record ExternalPaymentInput([property: StringLength(MaxReferenceLength)] string? Reference, MoneyDto? Amount);

    /// <summary>The longest payment-method token accepted.</summary>
    public const int MaxMethodLength = 200;

    /// <summary>The longest card number accepted as typed, with its spaces or dashes (sandbox only).</summary>
    public const int MaxCardLength = 40;

    /// <summary>The longest reference of an external capture accepted.</summary>
    public const int MaxReferenceLength = 100;

    public Task<OrderResponse> RunAsync(Caller caller, Guid id, Input input, CancellationToken ct) =>
        RunAsync(caller, OrderChange.Payment.OfOrder(id), input, (paid, now) => OrderResponse.ForAsync(db, paid.Orders[0], caller, now, CancellationToken.None), ct);

    /// <summary>
    /// Pays what <paramref name="payment"/> pays (an order, or a checkout's orders) as <paramref name="input"/> says: a
    /// capture with the payment method, or on external rails the marketplace's own capture, recorded.
    /// </summary>
    public Task<T> RunAsync<T>(Caller caller, OrderChange.Payment payment, Input input, Func<OrderChange.Payees, DateTimeOffset, Task<T>> answer,
        CancellationToken ct)
    {
        var external = payments.Value.External;
        var reference = ExternalReferenceOf(input, external, caller);
        if (!external) return change.CaptureAndPayAsync(caller, payment, MethodOf(input, options.Value.Sandbox), answer, ct);
        var amount = input.ExternalPayment!.Amount!;
        return change.RecordExternalPaymentAsync(caller, payment, reference!, amount, answer, ct);
    }

    /// <summary>
    /// On external rails, the reported capture's reference, checked before the order is touched: only a platform key acting
    /// for a user reports one, and only <c>externalPayment</c> is taken. On other rails, <c>externalPayment</c> is refused.
    /// </summary>
    public static string? ExternalReferenceOf(Input input, bool external, Caller caller)
    {
        if (!external)
        {
            if (input.ExternalPayment is not null)
                throw new DomainException(RefusalKind.RuleRefused, "external_payment_not_accepted",
                    "externalPayment is accepted on external payment rails only (Safehold:Payments:Provider=external): send a paymentMethod.");
            return null;
        }
        if (input.PaymentMethod is not null || input.Card is not null)
            throw new DomainException(RefusalKind.RuleRefused, "external_payment_required",
                "Payments are made by the marketplace (external payment rails): its platform key reports the capture as externalPayment {reference, amount}.");
        var errors = new InputErrors();
        if (input.ExternalPayment is null) errors.Add("externalPayment", "Required: {reference, amount} of the capture the marketplace made.");
        else
        {
            var reference = errors.Text("externalPayment.reference", input.ExternalPayment.Reference, MaxReferenceLength);
            if (reference is not null && !reference.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '/'))
                errors.Add("externalPayment.reference", "Letters, digits, '_', '-', '.', ':' or '/'.");
            else if (reference is not null && reference.Length >= 12 && reference.All(char.IsAsciiDigit))
                errors.Add("externalPayment.reference", "Send the provider's reference of the capture, not a card number.");
            if (input.ExternalPayment.Amount is null) errors.Add("externalPayment.amount", "Required: the amount captured, in minor units with its currency.");
            else if (input.ExternalPayment.Amount.Amount <= 0) errors.Add("externalPayment.amount", "Must be positive.");
        }
        errors.ThrowIfAny();
        if (caller.Platform is null)
            throw new DomainException(RefusalKind.NotAllowed, "action_not_allowed",
                "On external payment rails the marketplace reports the capture: its platform key, acting for the buyer (Safehold-Acting-For).");
        return input.ExternalPayment!.Reference!.Trim();
    }

    /// <summary>The payment method to charge: the one given, or in sandbox mode the test card's; refuses anything else.</summary>
    public static string MethodOf(Input input, bool sandbox)
    {
        var errors = new InputErrors();
        if (input.PaymentMethod is not null && input.Card is not null) errors.Add("paymentMethod", "Give a payment method or a card, not both.");
        else if (input.PaymentMethod is { } token)
        {
            if (token.Length is 0 or > MaxMethodLength || !token.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                errors.Add("paymentMethod", $"A payment-method token from the payment provider: 1 to {MaxMethodLength} letters, digits, '_', '-' or '.'.");
            else if (token.All(char.IsAsciiDigit)) errors.Add("paymentMethod", "Send a payment method, not a card number.");
        }
        else if (input.Card is null) errors.Add("paymentMethod", "Required.");
        else
        {
            var number = new string((input.Card.Number ?? "").Where(c => c is not ' ' and not '-').ToArray());
            if (number.Length == 0) errors.Add("card.number", "Required.");
            else if (input.Card.Number!.Length > MaxCardLength) errors.Add("card.number", "Not a valid card number.");
            else if (number.Length is < 12 or > 19 || !number.All(char.IsAsciiDigit) || !PassesLuhn(number))
                errors.Add("card.number", "Not a valid card number.");
        }
        errors.ThrowIfAny();
        if (input.PaymentMethod is { } method) return method;
        if (!sandbox)
            throw new DomainException(RefusalKind.RuleRefused, "card_not_accepted",
                "Card numbers are accepted in sandbox mode only: send a paymentMethod token from the payment provider's own form.");
        return SandboxPaymentProvider.MethodForCard(new string(input.Card!.Number!.Where(char.IsAsciiDigit).ToArray()));
    }

    public static void Map(RouteGroupBuilder orders) =>
        orders.MapPost("/{id:guid}/pay", async (Guid id, Input input, HttpContext http, Pay pay, CancellationToken ct) =>
            TypedResults.Ok(await pay.RunAsync(Caller.From(http.User), id, input, ct)))
            .WithMetadata(new OwnTransactions()); // the capture's intent commits before the provider is called

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
