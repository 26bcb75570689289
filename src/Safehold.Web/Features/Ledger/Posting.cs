using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Ledger;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Ledger;

/// <summary>Writes a journal entry and moves the sellers' running balances with it, in the caller's transaction.</summary>
public static class Posting
{
    /// <summary>Sellers' balance rows moved by one statement (five parameters each).</summary>
    private const int BalanceRowsPerStatement = 20;

    public static Task PostAsync(this SafeholdDb db, JournalEntry entry, CancellationToken ct) => db.PostAllAsync([entry], ct);

    /// <summary>Posts several entries with one balance update per seller and currency, however many entries touch it.</summary>
    public static async Task PostAllAsync(this SafeholdDb db, IReadOnlyCollection<JournalEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return;
        db.JournalEntries.AddRange(entries);
        await MoveBalancesAsync(db, entries, ct);
    }

    /// <summary>
    /// Moves the sellers' running balances by what <paramref name="entries"/> move, one upserted row per seller and currency,
    /// for a caller that writes the entries itself (the sweeper's batches on SQLite) in the same transaction.
    /// </summary>
    public static async Task MoveBalancesAsync(this SafeholdDb db, IReadOnlyCollection<JournalEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return;
        // The balance moves at once and the entries when they are saved: only a transaction makes them one change.
        if (db.Database.CurrentTransaction is null)
            throw new InvalidOperationException($"Journal entry '{entries.First().DedupeKey}' must be posted inside a transaction.");
        // One atomic upsert per row in the database: two hosts crediting one seller never lose an update, and two first
        // credits of a new seller never collide on inserting the row (SQLite and PostgreSQL both speak ON CONFLICT). A
        // batch of many sellers (the sweeper's) goes in multi-row statements. The rows stay locked until the commit.
        foreach (var chunk in BalanceMoves(entries).Chunk(BalanceRowsPerStatement))
        {
            // Only parameter placeholders ({0}, {1} ...) are put into the text; the values are bound as parameters.
            await db.Database.ExecuteSqlRawAsync(BalanceUpsert(chunk.Length, i => $"{{{i}}}"), chunk.SelectMany(m => m), ct);
        }
    }

    /// <summary>
    /// Adds the sellers' balance moves of <paramref name="entries"/> to a batch's plan (the sweeper's, on SQLite): the same
    /// upserts as <see cref="MoveBalancesAsync"/>, their values read now and bound by position when the plan runs.
    /// </summary>
    public static void AddBalanceMoves(this PreparedSaver.SavePlan plan, IEnumerable<JournalEntry> entries) =>
        plan.AddRows("SellerBalances upsert", 5, rows => BalanceUpsert(rows, i => $"@p{i}"), BalanceMoves(entries));

    /// <summary>
    /// What <paramref name="entries"/> move per seller and currency, as (seller, currency, pending, available, paid out), in
    /// the order every writer locks the rows, so two hosts moving the same sellers never deadlock.
    /// </summary>
    private static List<object[]> BalanceMoves(IEnumerable<JournalEntry> entries) =>
        entries.SelectMany(e => e.Lines)
            .Where(l => l.SellerId is not null)
            .GroupBy(l => (Seller: l.SellerId!.Value, l.Currency))
            .Select(d => new object[]
            {
                d.Key.Seller, d.Key.Currency,
                d.Where(l => l.AccountType == AccountType.SellerPending).Sum(l => l.Amount),
                d.Where(l => l.AccountType == AccountType.SellerAvailable).Sum(l => l.Amount),
                d.Where(l => l.AccountType == AccountType.PayoutsOut).Sum(l => l.Amount),
            })
            .OrderBy(m => (Guid)m[0]).ThenBy(m => (string)m[1], StringComparer.Ordinal)
            .ToList();

    /// <summary>The upsert of <paramref name="rows"/> balance moves, the value at position i written as <paramref name="parameter"/>(i).</summary>
    private static string BalanceUpsert(int rows, Func<int, string> parameter)
    {
        var values = string.Join(", ", Enumerable.Range(0, rows)
            .Select(r => $"({parameter(5 * r)}, {parameter(5 * r + 1)}, {parameter(5 * r + 2)}, {parameter(5 * r + 3)}, {parameter(5 * r + 4)})"));
        return $"""
            INSERT INTO "SellerBalances" ("SellerId", "Currency", "Pending", "Available", "PaidOut")
            VALUES {values}
            ON CONFLICT ("SellerId", "Currency") DO UPDATE SET
                "Pending" = "SellerBalances"."Pending" + excluded."Pending",
                "Available" = "SellerBalances"."Available" + excluded."Available",
                "PaidOut" = "SellerBalances"."PaidOut" + excluded."PaidOut"
            """;
    }
}
