using Safehold.Domain;
using Safehold.Domain.Disputes;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features.Disputes;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Orders;
using Safehold.Web.Payments;

namespace Safehold.Web.Features;

/// <summary>
/// Fires a dispute's due timers, oldest first, and carries each step out on its order, inside the caller's
/// transaction: every request that touches the dispute or its order does it first (<see cref="DueTimers"/>), so a passed
/// deadline wins over a late answer whether or not the sweeper has run; the sweeper fires the rest the same way.
/// </summary>
public sealed class DueDisputeTimers(SafeholdDb db, DisputeNotices notices, ILogger<DueDisputeTimers> log)
{
    /// <summary>
    /// Fires what is due at <paramref name="now"/> on <paramref name="dispute"/>; returns how many timers fired. Their journal
    /// entries are added to <paramref name="toPost"/> (a refund's payment instruction is added to the context).
    /// </summary>
    /// <param name="withoutProvider">As for an order (<see cref="DueTimers.FireAsync(Order, DateTimeOffset, ICollection{JournalEntry}, bool, CancellationToken)"/>).</param>
    public async Task<int> FireAsync(Dispute dispute, Order order, DateTimeOffset now, ICollection<JournalEntry> toPost, bool withoutProvider,
        CancellationToken ct)
    {
        var fired = 0;
        while (dispute.Timers.Where(t => t.DueAt <= now).OrderBy(t => t.DueAt).ThenBy(t => t.Kind).FirstOrDefault() is { } timer)
        {
            var kind = timer.Kind;
            var at = timer.DueAt; // the step happens at the deadline's own instant, even when processed late
            DisputeStep step;
            try
            {
                step = dispute.FireTimer(kind, at);
            }
            catch (DomainException refused)
            {
                log.LogWarning("Discarding {Kind} timer of dispute {DisputeId}: {Reason}", kind, dispute.Id, refused.Message);
                dispute.DiscardTimer(kind, at, refused.Message);
                continue;
            }
            fired++;
            bool settled;
            try
            {
                settled = await SettleAsync(db, order, step, at, toPost, withoutProvider, ct);
            }
            catch (DomainException refused)
            {
                throw new TimerFailedException(TimerFailedException.Dispute, dispute.Id, kind, refused);
            }
            if (!settled) throw new NeedsProviderException(TimerFailedException.Dispute, dispute.Id, kind);
            if (step.Reminded != DisputeParty.None) await notices.RemindAsync(dispute, kind, at, ct);
            else await notices.StepAsync(dispute, actorUserId: null, at, ct);
        }
        return fired;
    }

    /// <summary>
    /// Carries out what a dispute's step asks of its order: resume it, or settle an outcome, posting its journal entry
    /// and writing a refund's payment instruction (keyed by the settlement).
    /// </summary>
    public static async Task SettleAsync(SafeholdDb db, Order order, DisputeStep step, DateTimeOffset at, CancellationToken ct)
    {
        var toPost = new List<JournalEntry>();
        await SettleAsync(db, order, step, at, toPost, ct);
        await db.PostAllAsync(toPost, ct);
    }

    /// <summary>As <see cref="SettleAsync(SafeholdDb, Order, DisputeStep, DateTimeOffset, CancellationToken)"/>, adding the journal entries to <paramref name="toPost"/> for the caller to post.</summary>
    public static Task SettleAsync(SafeholdDb db, Order order, DisputeStep step, DateTimeOffset at, ICollection<JournalEntry> toPost, CancellationToken ct) =>
        SettleAsync(db, order, step, at, toPost, withoutProvider: false, ct);

    /// <returns>False when the step needs the provider and <paramref name="withoutProvider"/>: nothing was refunded.</returns>
    private static async Task<bool> SettleAsync(SafeholdDb db, Order order, DisputeStep step, DateTimeOffset at,
        ICollection<JournalEntry> toPost, bool withoutProvider, CancellationToken ct)
    {
        if (step.ApplyTo(order, at) is not { } entry) return true;
        // The order's settling row names its provider call: a refund is owed with its entry, anything else is posted.
        if (order.LastTransition!.Calls != ProviderCall.Refund) toPost.Add(entry);
        else if (withoutProvider) return false;
        else Refunds.Owe(db, order, entry, toPost);
        return true;
    }
}
