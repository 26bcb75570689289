using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Ledger;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Ledger;

/// <summary>What one owed account holds in one currency: refunds decided and not sent, or payouts started and not sent.</summary>
public sealed record OwedSum(AccountType AccountType, string Currency, long Sum);

/// <summary>The balances of the two owed accounts, for the ledger's check and a period's reconciliation.</summary>
public static class OwedMoney
{
    /// <summary>
    /// Each owed account's balance per currency, from its lines written before <paramref name="before"/> (all of them when
    /// null). Read from the owed lines' own partial index, whose condition is this one as EF Core sends it (SafeholdDb).
    /// </summary>
    public static Task<List<OwedSum>> SumsAsync(SafeholdDb db, DateTimeOffset? before, CancellationToken ct)
    {
        var lines = db.JournalLines.Where(l => l.AccountType == AccountType.RefundsOwed || l.AccountType == AccountType.PayoutsOwed);
        if (before is { } end) lines = lines.Where(l => l.At < end);
        return lines.GroupBy(l => new { l.AccountType, l.Currency })
            .Select(g => new OwedSum(g.Key.AccountType, g.Key.Currency, g.Sum(l => l.Amount))).ToListAsync(ct);
    }
}
