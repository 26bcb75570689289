using Safehold.Domain;
using Safehold.Domain.Disputes;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features.Disputes;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Orders;
using Safehold.Web.Payments;

namespace Safehold.Web.Jobs;

/// <summary>
/// Fires a dispute's due timers, oldest first, and carries each step out on its order, inside the caller's
/// transaction: the dispute pass of the sweeper uses it, and so does every request that touches the dispute or
/// its order (<see cref="DueTimers"/>), so a passed deadline wins over a late answer whether or not the sweeper has run.
/// </summary>
public sealed class DueDisputeTimers(SafeholdDb db, IPaymentProvider payments, DisputeNotices notices, ILogger<DueDisputeTimers> log)
{
    /// <summary>Fires what is due at <paramref name="now"/> on <paramref name="dispute"/>; returns how many timers fired.</summary>
    public async Task<int> FireAsync(Dispute dispute, Order order, DateTimeOffset now, CancellationToken ct)
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
            try
            {
                await SettleAsync(db, payments, order, step, at, ct);
            }
            catch (DomainException refused)
            {
                throw new DisputeTimerFailedException(dispute.Id, kind, refused.Message, refused);
            }
            if (step.Reminded != DisputeParty.None) await notices.RemindAsync(dispute, kind, at, ct);
            else await notices.StepAsync(dispute, actorUserId: null, at, ct);
        }
        return fired;
    }

    /// <summary>
    /// Carries out what a dispute's step asks of its order: resume it, or settle an outcome, posting its journal entry
    /// and returning a refund to the buyer's card through the provider (idempotently, keyed by the settlement).
    /// </summary>
    public static async Task SettleAsync(SafeholdDb db, IPaymentProvider payments, Order order, DisputeStep step, DateTimeOffset at, CancellationToken ct)
    {
        if (step.ApplyTo(order, at) is not { } entry) return;
        // The order's settling row names its provider call: a refund goes out with its entry, anything else is posted.
        if (order.LastTransition!.Calls == ProviderCall.Refund)
            await Refunds.RefundAsync(db, payments, order, entry, ct);
        else
            await db.PostAsync(entry, ct);
    }
}

/// <summary>A due dispute timer whose effect outside the database (a refund) was refused; the sweeper postpones it and goes on.</summary>
public sealed class DisputeTimerFailedException(Guid disputeId, DisputeTimerKind kind, string reason, Exception inner)
    : Exception($"The {kind} timer of dispute {disputeId} failed: {reason}", inner)
{
    public Guid DisputeId { get; } = disputeId;
    public DisputeTimerKind Kind { get; } = kind;
}
