using Safehold.Domain.Orders;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Orders;

/// <summary>The buyer pays: the card is charged and the total moves into the order's escrow; a declined card changes nothing.</summary>
public sealed class Pay(OrderChange change)
{
    public sealed record Input(CardInput? Card);
    public sealed record CardInput(string? Number);

    public Task<OrderResponse> RunAsync(Caller caller, Guid id, Input input, CancellationToken ct) =>
        change.RunAsync(caller, id, async (order, actor, now, ct) =>
        {
            OrderProcess.Authorize(order, OrderTrigger.Pay, actor, now); // refuse before any money moves
            var errors = new InputErrors();
            var number = new string((input.Card?.Number ?? "").Where(c => c is not ' ' and not '-').ToArray());
            if (number.Length == 0) errors.Add("card.number", "Required.");
            else if (number.Length is < 12 or > 19 || !number.All(char.IsAsciiDigit) || !PassesLuhn(number))
                errors.Add("card.number", "Not a valid card number.");
            errors.ThrowIfAny();
            return await change.CaptureAndPayAsync(order, actor, number, now, ct);
        }, ct);

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
