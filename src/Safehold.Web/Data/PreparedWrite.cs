using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Ledger;
using Safehold.Web.Features.Ledger;

namespace Safehold.Web.Data;

/// <summary>
/// How a request that worked its change out ahead of the write lock (<c>PreparedAhead</c>) writes it under the lock. On
/// SQLite, whose one write lock is what bounds the rate of writes, the statements are worked out ahead of it as well
/// (<see cref="PreparedSaver.Plan"/>: changes detected, values read), so the lock is held only to bind and run them; on
/// PostgreSQL, where many writers run at once and each holds only its rows' locks, EF Core's <c>SaveChanges</c> writes it.
/// </summary>
/// <remarks>
/// Both write the same rows (the prepared saver's tests compare it with EF Core's own save). Nothing may change the
/// tracked entities between <see cref="Plan"/> and <see cref="SaveAsync"/>.
/// </remarks>
public static class PreparedWrite
{
    /// <summary>
    /// On SQLite, the statements that write what the context tracks, and the journal entries <paramref name="toPost"/> (with
    /// the sellers' balances they move); null on PostgreSQL. Called before the write transaction begins.
    /// </summary>
    public static PreparedSaver.SavePlan? Plan(SafeholdDb db, IReadOnlyCollection<JournalEntry> toPost)
    {
        if (!db.Database.IsSqlite()) return null;
        var plan = PreparedSaver.Plan(db, inserts: toPost.Concat<object>(toPost.SelectMany(e => e.Lines)));
        plan.AddBalanceMoves(toPost);
        return plan;
    }

    /// <summary>
    /// Inside the write transaction: runs <paramref name="plan"/> and marks what the context tracks as saved, or, with no
    /// plan (PostgreSQL), posts <paramref name="toPost"/> and saves the context. A client that hangs up by now does not
    /// stop it: the request's answer is made.
    /// </summary>
    public static async Task SaveAsync(SafeholdDb db, PreparedSaver.SavePlan? plan, IReadOnlyCollection<JournalEntry> toPost)
    {
        if (plan is null)
        {
            await db.PostAllAsync(toPost, CancellationToken.None);
            await db.SaveChangesAsync(CancellationToken.None);
            return;
        }
        await plan.ExecuteAsync(db, CancellationToken.None);
        db.ChangeTracker.AcceptAllChanges();
    }

    /// <summary>
    /// Inside the write transaction: inserts one new row (a request's Idempotency-Key record, once its change is written).
    /// On SQLite, when nothing else is left to save, by one prepared statement without tracking it; otherwise EF Core
    /// saves it with whatever else is left.
    /// </summary>
    public static async Task InsertAsync(SafeholdDb db, object row)
    {
        if (db.Database.IsSqlite() && !db.ChangeTracker.HasChanges())
        {
            await PreparedSaver.Plan(db, inserts: [row]).ExecuteAsync(db, CancellationToken.None);
            return;
        }
        db.Add(row);
        await db.SaveChangesAsync(CancellationToken.None);
    }
}
