using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Notifications;
using Safehold.Web.Features.Orders;
using Safehold.Web.Payments;

namespace Safehold.Web.Jobs;

/// <summary>
/// Fires an order's due timers, oldest first, inside the caller's transaction: the sweeper uses it for
/// every order with something due, and every request that changes an order uses it first, so a deadline
/// that has passed always wins over a late action, whether or not the sweeper has run yet.
/// </summary>
public sealed class DueTimers(SafeholdDb db, IPaymentProvider payments, Notifier notifier, ILogger<DueTimers> log)
{
    /// <summary>Loads an order the caller may see, for a change, with whatever fell due already fired.</summary>
    public async Task<Order> LoadForChangeAsync(Guid id, Api.Caller caller, DateTimeOffset now, CancellationToken ct)
    {
        var order = await OrderAccess.LoadVisibleAsync(db, id, caller, tracked: true, ct);
        var entries = new List<JournalEntry>();
        await FireAsync(order, now, entries, ct);
        await db.PostAllAsync(entries, ct);
        return order;
    }

    /// <summary>
    /// Fires what is due at <paramref name="now"/>; returns how many timers fired. Refunds go to the provider and are
    /// posted at once; other journal entries are added to <paramref name="toPost"/> for the caller to post together.
    /// </summary>
    public async Task<int> FireAsync(Order order, DateTimeOffset now, ICollection<JournalEntry> toPost, CancellationToken ct)
    {
        var fired = 0;
        while (order.Timers.Where(t => t.DueAt <= now).OrderBy(t => t.DueAt).ThenBy(t => t.Kind).FirstOrDefault() is { } timer)
        {
            TimerOutcome outcome;
            try
            {
                // The transition happens at the deadline's own instant, so cascades (completion, then the
                // dispute window) land at the right times even when processed late.
                outcome = order.FireTimer(timer.Kind, timer.DueAt);
            }
            catch (DomainException refused)
            {
                log.LogWarning("Discarding {Kind} timer of order {OrderId}: {Reason}", timer.Kind, order.Id, refused.Message);
                order.DiscardTimer(timer.Kind, timer.DueAt, refused.Message);
                continue;
            }
            fired++;
            if (outcome.Entry is { } entry)
            {
                if (entry.Lines.Any(l => l.AccountType == AccountType.RefundsOut))
                    await OrderActions.RefundAsync(db, payments, order, entry, ct);
                else
                    toPost.Add(entry);
            }
            if (outcome.Reminded != Party.None)
                await notifier.RemindAsync(order, outcome.Reminded, timer.DueAt, ct);
        }
        return fired;
    }
}
