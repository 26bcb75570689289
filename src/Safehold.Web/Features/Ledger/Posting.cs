using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Ledger;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Ledger;

/// <summary>Writes a journal entry and moves the sellers' running balances with it, in the caller's transaction.</summary>
public static class Posting
{
    public static Task PostAsync(this SafeholdDb db, JournalEntry entry, CancellationToken ct) => db.PostAllAsync([entry], ct);

    /// <summary>Posts several entries with one balance update per seller and currency, however many entries touch it.</summary>
    public static async Task PostAllAsync(this SafeholdDb db, IReadOnlyCollection<JournalEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return;
        db.JournalEntries.AddRange(entries);
        await MoveBalancesAsync(db, entries, ct);
    }

    /// <summary>
    /// Moves the sellers' running balances by what <paramref name="entries"/> move, one upsert per seller and currency,
    /// for a caller that writes the entries itself (the sweeper's batches on SQLite) in the same transaction.
    /// </summary>
    public static async Task MoveBalancesAsync(this SafeholdDb db, IReadOnlyCollection<JournalEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return;
        // The balance moves at once and the entries when they are saved: only a transaction makes them one change.
        if (db.Database.CurrentTransaction is null)
            throw new InvalidOperationException($"Journal entry '{entries.First().DedupeKey}' must be posted inside a transaction.");
        var deltas = entries.SelectMany(e => e.Lines)
            .Where(l => l.SellerId is not null)
            .GroupBy(l => (Seller: l.SellerId!.Value, l.Currency));
        foreach (var d in deltas)
        {
            long pending = d.Where(l => l.AccountType == AccountType.SellerPending).Sum(l => l.Amount);
            long available = d.Where(l => l.AccountType == AccountType.SellerAvailable).Sum(l => l.Amount);
            long paidOut = d.Where(l => l.AccountType == AccountType.PayoutsOut).Sum(l => l.Amount);
            // One atomic upsert in the database: two hosts crediting one seller never lose an update, and two
            // first credits of a new seller never collide on inserting the row (both SQLite and PostgreSQL
            // speak ON CONFLICT). The row stays locked until the request commits.
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO "SellerBalances" ("SellerId", "Currency", "Pending", "Available", "PaidOut")
                VALUES ({d.Key.Seller}, {d.Key.Currency}, {pending}, {available}, {paidOut})
                ON CONFLICT ("SellerId", "Currency") DO UPDATE SET
                    "Pending" = "SellerBalances"."Pending" + excluded."Pending",
                    "Available" = "SellerBalances"."Available" + excluded."Available",
                    "PaidOut" = "SellerBalances"."PaidOut" + excluded."PaidOut"
                """, ct);
        }
    }
}
