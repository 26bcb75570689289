using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Payments;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Notifications;
using Safehold.Web.Features.Orders;
using Safehold.Web.Payments;

// Every feature's use cases load what they change through here, so it sits above them (no using needed).
namespace Safehold.Web.Features;

/// <summary>
/// Fires an order's due timers, oldest first, inside the caller's transaction: every request that changes an order
/// loads it through here, so a deadline that has passed always wins over a late action, whether or not the sweeper
/// has run yet; the sweeper (<c>Jobs/TimedAggregates.cs</c>) fires the rest through <see cref="FireAsync(Order, DateTimeOffset, ICollection{JournalEntry}, bool, CancellationToken)"/>.
/// </summary>
public sealed class DueTimers(SafeholdDb db, TimeProvider clock, Notifier notifier, DueDisputeTimers disputes, ILogger<DueTimers> log)
{
    /// <summary>Loads an order the caller may see, for a change, with whatever fell due already fired.</summary>
    public async Task<Order> LoadForChangeAsync(Guid id, Api.Caller caller, DateTimeOffset now, CancellationToken ct)
    {
        var order = await OrderAccess.LoadVisibleAsync(db, id, caller, tracked: true, ct);
        await FireAllDueAsync(order, now, ct);
        return order;
    }

    /// <summary>
    /// Loads the order of a dispute the caller was let into (an arbiter sees no order of their own), locked for a change
    /// like <see cref="LoadForChangeAsync"/>, with whatever fell due on it and its open dispute already fired.
    /// </summary>
    public async Task<Order> LoadForDisputeAsync(Guid orderId, DateTimeOffset now, CancellationToken ct)
    {
        if (db.OnPostgres && db.Database.CurrentTransaction is not null)
            await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "Orders" WHERE "Id" = {orderId} FOR UPDATE""", ct);
        var order = await Orders.OrderReader.FindAsync(db, orderId, tracked: true, ct) ?? throw Api.Problems.NotFound("Order");
        await FireAllDueAsync(order, now, ct);
        return order;
    }

    /// <summary>The open dispute's due timers first (its outcome may settle or resume the order), then the order's own.</summary>
    private async Task FireAllDueAsync(Order order, DateTimeOffset now, CancellationToken ct)
    {
        var entries = new List<JournalEntry>();
        if (order.OpenDisputeId is { } disputeId)
        {
            var dispute = await db.Disputes.AsSplitQuery().FirstAsync(d => d.Id == disputeId, ct);
            await disputes.FireAsync(dispute, order, now, entries, withoutProvider: false, ct);
        }
        await FireAsync(order, now, entries, ct);
        await db.PostAllAsync(entries, ct);
    }

    /// <summary>
    /// Ahead of the write lock (a change prepared, see <c>WriteSession.RunAheadAsync</c>): fires what fell due by
    /// <paramref name="now"/> on <paramref name="orders"/> and their open disputes, as <see cref="FireAllDueAsync"/> does
    /// under it, the dispute first (its journal entries added to <paramref name="toPost"/>), and returns the check, made
    /// under the lock, that none of their timers has fallen due since; null when the change must be made under the lock: a
    /// due timer needs the payment provider (a refund owed by a timer, a lost capture looked for), or an order's open
    /// dispute was not read with it. Then what fired is half done in memory and the context must be cleared.
    /// </summary>
    /// <remarks>
    /// A change prepared ahead was decided at its own now. A request that took the lock meanwhile, at a later now, fired
    /// what fell due and then rolled back, refused, leaving every version as it was: past a due timer the change is done
    /// again under the lock, where what fell due fires first, as it would have had the change been made there from the start.
    /// </remarks>
    public async Task<StagedWrite.Check?> FireAheadAsync(IReadOnlyList<Order> orders, DateTimeOffset now, List<JournalEntry> toPost, CancellationToken ct)
    {
        var nextDue = DateTimeOffset.MaxValue;
        try
        {
            foreach (var order in orders)
            {
                if (order.OpenDisputeId is { } disputeId)
                {
                    // Only the one read with its order, in one snapshot (a dispute's change, DisputeAccess.LoadAheadAsync). One read
                    // now, apart from its order, could be torn from it (the order from before a step of the dispute, the dispute
                    // from after): an order's own change while a dispute is open is made under the lock.
                    if (db.Disputes.Local.FindEntry(disputeId)?.Entity is not { } dispute) return null;
                    await disputes.FireAsync(dispute, order, now, toPost, withoutProvider: true, ct);
                    nextDue = dispute.Timers.Select(t => t.DueAt).Append(nextDue).Min();
                }
                await FireAsync(order, now, toPost, withoutProvider: true, ct);
                nextDue = order.Timers.Select(t => t.DueAt).Append(nextDue).Min();
            }
        }
        catch (NeedsProviderException)
        {
            return null;
        }
        return StagedWrite.Check.Holds(() => clock.GetUtcNow() < nextDue);
    }

    /// <summary>
    /// Fires what is due at <paramref name="now"/>; returns how many timers fired. Their journal entries are added to
    /// <paramref name="toPost"/> for the caller to post together (a refund's payment instruction is added to the context).
    /// </summary>
    public Task<int> FireAsync(Order order, DateTimeOffset now, ICollection<JournalEntry> toPost, CancellationToken ct) =>
        FireAsync(order, now, toPost, withoutProvider: false, ct);

    /// <inheritdoc cref="FireAsync(Order, DateTimeOffset, ICollection{JournalEntry}, CancellationToken)"/>
    /// <param name="withoutProvider">
    /// The caller fires ahead of its transaction and saves later (the sweeper's prepared batches): a timer whose effect
    /// reaches beyond the order (a refund owed, a lost capture looked for) then throws <see cref="NeedsProviderException"/>
    /// before calling it, and the caller fires that batch again inside its transaction. The order is left half-fired
    /// in memory and must be thrown away.
    /// </param>
    public async Task<int> FireAsync(Order order, DateTimeOffset now, ICollection<JournalEntry> toPost, bool withoutProvider, CancellationToken ct)
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
            // What the fired row asks of the payment provider (OrderTransition.Calls) is carried out here.
            if (withoutProvider && outcome.Calls != ProviderCall.None)
                throw new NeedsProviderException(TimerFailedException.Order, order.Id, timer.Kind);
            try
            {
                await CarryOutAsync(order, outcome.Entry, outcome.Calls, toPost, ct);
            }
            catch (DomainException refused)
            {
                throw new TimerFailedException(TimerFailedException.Order, order.Id, timer.Kind, refused);
            }
            if (outcome.Reminded != Party.None)
                await notifier.RemindAsync(order, outcome.Reminded, timer.DueAt, ct);
        }
        return fired;
    }

    /// <summary>
    /// Carries out a transition's effects outside the order: its journal entry, added to <paramref name="toPost"/> (a
    /// refund's with the payment instruction it owes, <see cref="Refunds.Owe"/>), and the provider call its row names
    /// (<see cref="OrderTransition.Calls"/>; a refund's instruction is sent after the commit).
    /// </summary>
    public async Task CarryOutAsync(Order order, JournalEntry? entry, ProviderCall calls, ICollection<JournalEntry> toPost, CancellationToken ct)
    {
        // ProviderCall.Capture needs nothing here: the pay use case made it before the transition (a declined card changes nothing).
        if (calls == ProviderCall.Refund)
        {
            Refunds.Owe(db, order, entry!, toPost);
            return;
        }
        if (calls == ProviderCall.VoidLostCapture) await LookForLostCaptureAsync(order, ct);
        if (entry is not null) toPost.Add(entry);
    }

    /// <summary>
    /// A capture the provider made but whose commit was lost (the host died, the client hung up) leaves an unpaid order
    /// with money taken: when that order closes unpaid (it expires, or is cancelled), its capture instruction (its own, and
    /// its checkout's) is written with the close to be looked for again at once (<see cref="PaymentInstruction.LookAgain"/>),
    /// and the instruction worker returns what the provider took under its key, after the commit. The provider is never
    /// called before the close is committed: a close rolled back (its host killed, its transaction refused) has moved no
    /// money, and a capture found later may still pay the order. No instruction, no capture: every capture is made after
    /// its instruction is committed.
    /// </summary>
    public async Task LookForLostCaptureAsync(Order order, CancellationToken ct)
    {
        var keys = CaptureReturns.KeysPaying(order.Id, order.CheckoutId).ToList();
        var now = clock.GetUtcNow();
        foreach (var capture in await db.PaymentInstructions.Where(i => keys.Contains(i.IdempotencyKey)).ToListAsync(ct))
            if (capture.LookAgain(now))
                log.LogInformation("Order {OrderId} closed unpaid with its capture {Key} unsettled; the instruction worker will return what was taken",
                    order.Id, capture.IdempotencyKey);
    }
}

/// <summary>
/// A due timer of an order or a dispute whose effect outside the database (a refund) was refused: a request answers
/// the refusal; the sweeper postpones that one timer and goes on.
/// </summary>
public sealed class TimerFailedException(string aggregate, Guid id, Enum kind, DomainException refused)
    : Exception($"The {kind} timer of {aggregate} {id} failed: {refused.Message}", refused)
{
    public const string Order = "order";
    public const string Dispute = "dispute";

    /// <summary><see cref="Order"/> or <see cref="Dispute"/>.</summary>
    public string Aggregate { get; } = aggregate;

    public Guid Id { get; } = id;

    /// <summary>An <see cref="OrderTimerKind"/> or a <see cref="Domain.Disputes.DisputeTimerKind"/>.</summary>
    public Enum Kind { get; } = kind;
}

/// <summary>A timer fired ahead of the transaction needs the payment provider: its batch is fired again inside one.</summary>
public sealed class NeedsProviderException(string aggregate, Guid id, Enum kind)
    : Exception($"The {kind} timer of {aggregate} {id} needs the payment provider");
