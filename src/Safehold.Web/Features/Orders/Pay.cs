using Microsoft.Extensions.Options;
using Safehold.Domain;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.Orders;

/// <summary>
/// The buyer pays with a payment method (a token from the provider's own front end); in sandbox mode also with a test
/// card, which becomes its sandbox payment method here, so no card number goes further (not to the provider, the
/// database, a log or an error). The total moves into the order's escrow; a declined payment changes nothing.
/// </summary>
public sealed class Pay(OrderChange change, IOptions<SafeholdOptions> options)
{
    public sealed record Input(string? PaymentMethod = null, CardInput? Card = null);
    public sealed record CardInput(string? Number);

    /// <summary>The longest payment-method token accepted.</summary>
    public const int MaxMethodLength = 200;

    public Task<OrderResponse> RunAsync(Caller caller, Guid id, Input input, CancellationToken ct) =>
        change.RunAsync(caller, id, async (order, actor, now, ct) =>
        {
            OrderProcess.Authorize(order, OrderTrigger.Pay, actor, now); // refuse before any money moves
            var method = MethodOf(input, options.Value.Sandbox);
            return await change.CaptureAndPayAsync(order, actor, method, now, ct);
        }, ct);

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
            TypedResults.Ok(await pay.RunAsync(Caller.From(http.User), id, input, ct)));

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
