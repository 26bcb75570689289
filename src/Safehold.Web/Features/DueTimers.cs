using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
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
public sealed class DueTimers(SafeholdDb db, IPaymentProvider payments, Notifier notifier, DueDisputeTimers disputes, ILogger<DueTimers> log)
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
        if (db.Database.IsNpgsql() && db.Database.CurrentTransaction is not null)
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
    /// Fires what is due at <paramref name="now"/>; returns how many timers fired. Their journal entries are added to
    /// <paramref name="toPost"/> for the caller to post together (a refund's payment instruction is added to the context).
    /// </summary>
    public Task<int> FireAsync(Order order, DateTimeOffset now, ICollection<JournalEntry> toPost, CancellationToken ct) =>
        FireAsync(order, now, toPost, withoutProvider: false, ct);

    /// <inheritdoc cref="FireAsync(Order, DateTimeOffset, ICollection{JournalEntry}, CancellationToken)"/>
    /// <param name="withoutProvider">
    /// The caller fires ahead of its transaction and saves later (the sweeper's prepared batches): a timer whose effect
    /// needs the payment provider (a refund, a lost capture to return) then throws <see cref="NeedsProviderException"/>
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
        if (calls == ProviderCall.VoidLostCapture) await VoidLostCaptureAsync(order, ct);
        if (entry is not null) toPost.Add(entry);
    }

    /// <summary>
    /// A capture the provider made but whose commit was lost (the host died, the client hung up) leaves an unpaid
    /// order with money taken: when that order expires or is cancelled, the capture is found by its key and returned.
    /// </summary>
    public async Task VoidLostCaptureAsync(Order order, CancellationToken ct)
    {
        // Its own key, and its checkout's: a checkout's capture pays all its orders or none, so one of them closing
        // unpaid means the whole capture goes back (whichever of its orders finds it first; the return's key is one).
        foreach (var key in CaptureReturns.KeysPaying(order.Id, order.CheckoutId))
        {
            if (await payments.FindCaptureAsync(key, ct) is not { Reference: { } reference }) continue;
            var amount = order.CheckoutId is { } checkoutId && key == CaptureReturns.CheckoutCaptureKey(checkoutId)
                ? (await db.Checkouts.AsNoTracking().FirstAsync(c => c.Id == checkoutId, ct)).Total
                : order.Total;
            await payments.ReturnCaptureAsync(key, reference, amount, ct);
            log.LogWarning("Order {OrderId} expired with a capture ({Key}) that was never recorded; it was returned to the card", order.Id, key);
        }
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
