using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Payments;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Orders;

/// <summary>A refund a row of the order's process asks for (<see cref="ProviderCall.Refund"/>): an instruction to the payment provider.</summary>
public static class Refunds
{
    /// <summary>
    /// Owes the refund: adds its payment instruction to <paramref name="db"/> and its entry (its money owed to the buyer)
    /// to <paramref name="toPost"/>, for the caller to write together, in one transaction or one staged write. Nothing
    /// is sent here: the instruction worker sends the instruction to the provider after the commit, under the entry's key.
    /// </summary>
    public static void Owe(SafeholdDb db, Order order, JournalEntry entry, ICollection<JournalEntry> toPost)
    {
        var owed = entry.Lines.Where(l => l.AccountType == AccountType.RefundsOwed).Sum(l => l.Amount);
        if (owed > 0)
            db.PaymentInstructions.Add(PaymentInstruction.Refund(order.Id, entry.DedupeKey, new Money(owed, order.Total.Currency), order.PaymentReference!, entry.At));
        toPost.Add(entry);
    }
}
