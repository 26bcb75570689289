using Safehold.Domain;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.Orders;

/// <summary>A refund a row of the order's process asks for (<see cref="ProviderCall.Refund"/>), at the payment provider.</summary>
public static class Refunds
{
    /// <summary>Returns the refunded money to the buyer's card, then posts the refund entry; a failed refund changes nothing.</summary>
    public static async Task RefundAsync(SafeholdDb db, IPaymentProvider payments, Order order, Domain.Ledger.JournalEntry entry, CancellationToken ct)
    {
        var refunded = entry.Lines.Where(l => l.AccountType == Domain.Ledger.AccountType.RefundsOut).Sum(l => l.Amount);
        var result = await payments.RefundAsync(entry.DedupeKey, order.PaymentReference!, new Money(refunded, order.Total.Currency), ct);
        if (!result.Succeeded)
            throw new DomainException(RefusalKind.RuleRefused, "refund_failed", $"The payment provider refused the refund: {result.DeclineMessage}");
        await db.PostAsync(entry, CancellationToken.None); // the money has moved: a client hanging up must not roll this back
    }
}
