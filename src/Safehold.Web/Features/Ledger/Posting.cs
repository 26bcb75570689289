using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Ledger;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Ledger;

/// <summary>Writes a journal entry and moves the sellers' running balances with it, in the caller's transaction.</summary>
public static class Posting
{
    public static async Task PostAsync(this SafeholdDb db, JournalEntry entry, CancellationToken ct)
    {
        db.JournalEntries.Add(entry);
        var deltas = entry.Lines
            .Where(l => l.SellerId is not null)
            .GroupBy(l => (Seller: l.SellerId!.Value, l.Currency));
        foreach (var d in deltas)
        {
            long pending = d.Where(l => l.AccountType == AccountType.SellerPending).Sum(l => l.Amount);
            long available = d.Where(l => l.AccountType == AccountType.SellerAvailable).Sum(l => l.Amount);
            long paidOut = d.Where(l => l.AccountType == AccountType.PayoutsOut).Sum(l => l.Amount);
            // An atomic increment in the database, so two hosts crediting one seller never lose an update.
            var updated = await db.SellerBalances
                .Where(b => b.SellerId == d.Key.Seller && b.Currency == d.Key.Currency)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(b => b.Pending, b => b.Pending + pending)
                    .SetProperty(b => b.Available, b => b.Available + available)
                    .SetProperty(b => b.PaidOut, b => b.PaidOut + paidOut), ct);
            if (updated == 0)
            {
                var balance = new SellerBalance(d.Key.Seller, d.Key.Currency);
                balance.Add(pending, available, paidOut);
                db.SellerBalances.Add(balance);
            }
        }
    }
}
