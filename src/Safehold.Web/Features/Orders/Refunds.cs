using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Payments;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;

namespace Safehold.Web.Features.Orders;

/// <summary>A refund a row of the order's process asks for (<see cref="ProviderCall.Refund"/>): an instruction to the payment provider.</summary>
public static class Refunds
{
    /// <summary>
    /// Posts the refund's entry (its money owed to the buyer) and writes its payment instruction, in the caller's
    /// transaction; the instruction worker sends it to the provider afterwards, under the entry's key.
    /// </summary>
    public static async Task OweAsync(SafeholdDb db, Order order, JournalEntry entry, CancellationToken ct)
    {
        var owed = entry.Lines.Where(l => l.AccountType == AccountType.RefundsOwed).Sum(l => l.Amount);
        if (owed > 0)
            db.PaymentInstructions.Add(PaymentInstruction.Refund(order.Id, entry.DedupeKey, new Money(owed, order.Total.Currency), order.PaymentReference!, entry.At));
        await db.PostAsync(entry, ct);
    }
}
