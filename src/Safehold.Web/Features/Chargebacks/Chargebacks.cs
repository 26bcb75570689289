using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Domain.Policy;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Disputes;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Users;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.Chargebacks;

/// <summary>
/// What a provider's chargeback events do (SPEC 4), inside the caller's transaction: <c>chargeback.opened</c> opens a
/// dispute of kind <c>chargeback</c> on the order (taking over from a dispute open on it), freezing escrow or taking
/// released money back; <c>chargeback.won</c> and <c>chargeback.lost</c> settle it. The order and dispute tables
/// (<see cref="OrderProcess"/>, <see cref="DisputeProcess"/>) say what each does; here they are loaded, posted and told.
/// </summary>
public sealed class Chargebacks(SafeholdDb db, DueTimers timers, DisputeNotices notices, TimeProvider clock,
    IOptions<ProtectionPolicy> policy)
{
    /// <summary>Opens the chargeback the provider reported on <paramref name="orderId"/>; returns its dispute.</summary>
    public async Task<Dispute> OpenAsync(Caller caller, Guid orderId, string networkReason, DateTimeOffset respondBy, MoneyDto? amount, string? reference,
        CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var order = await LoadAsync(caller, orderId, now, ct);
        var reported = DisputeChange.Amount(amount, "amount", order.Currency);
        var open = order.OpenDisputeId is { } openId ? await db.Disputes.AsSplitQuery().FirstAsync(d => d.Id == openId, ct) : null;
        // Safehold's own arbiter told the seller to keep the money: by default the platform bears a loss then.
        var decidedForSeller = await db.Disputes.AnyAsync(d => d.OrderId == order.Id && d.DecidedBy != null && d.SettledAt != null
            && d.Outcome == DisputeOutcome.ReleasedToSeller, ct);
        var (chargeback, entry) = order.OpenChargeback(now, Guid.CreateVersion7(now), open, networkReason, respondBy, reported,
            policy.Value.BearerOfChargeback(decidedForSeller), reference, policy.Value.Disputes);
        db.Disputes.Add(chargeback);
        if (entry is not null) await db.PostAsync(entry, ct);
        if (open is not null) await notices.StepAsync(open, actorUserId: null, now, ct);
        await notices.StepAsync(chargeback, actorUserId: null, now, ct);
        return chargeback;
    }

    /// <summary>The card network decided the chargeback open on <paramref name="orderId"/>; returns its dispute.</summary>
    public async Task<Dispute> DecideAsync(Caller caller, Guid orderId, ChargebackOutcome outcome, string? reference, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var order = await LoadAsync(caller, orderId, now, ct);
        if (!order.ChargebackIsOpen)
            throw new DomainException(RefusalKind.WrongState, "chargeback_not_open", order.ChargebackId is null
                ? "No chargeback has been opened on this order: send chargeback.opened first, then this event again."
                : "The chargeback on this order has already been decided.");
        var dispute = await db.Disputes.AsSplitQuery().FirstAsync(d => d.Id == order.ChargebackId, ct);
        var step = dispute.DecideChargeback(outcome, now, reference);
        await DueDisputeTimers.SettleAsync(db, order, step, now, ct);
        await notices.StepAsync(dispute, actorUserId: null, now, ct);
        return dispute;
    }

    /// <summary>Who may report provider events: the platform's key (or a key acting for a user), and admins.</summary>
    public static void RequireReporter(Caller caller)
    {
        if (caller.Role != UserRole.Admin && !caller.IsPlatform)
            throw new DomainException(RefusalKind.NotAllowed, "action_not_allowed", "Only the platform's key or an administrator reports payment events.");
    }

    /// <summary>
    /// The order for a change, locked, with what fell due fired: any order for an admin or the platform's own key; for a
    /// platform key acting for a user, only an order that user may see (anyone else's answers 404).
    /// </summary>
    private Task<Order> LoadAsync(Caller caller, Guid orderId, DateTimeOffset now, CancellationToken ct) =>
        caller.Role is UserRole.Admin or UserRole.Platform
            ? timers.LoadForDisputeAsync(orderId, now, ct)
            : timers.LoadForChangeAsync(orderId, caller, now, ct);
}
