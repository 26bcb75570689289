using Safehold.Domain.Process;
using Safehold.Domain;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Orders;
using Safehold.Web.Jobs;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// The use cases of a dispute (SPEC 3): open it from an order, answer it, escalate, return the item, decide, appeal,
/// withdraw. Each loads the dispute and its order for a change (due timers fired first), lets <see cref="DisputeProcess"/>
/// decide, carries the step out on the order (the money, through the provider where it leaves), tells whoever must act
/// next, and saves, in one transaction: the request's (<see cref="WriteTransaction"/>) or, called from a page, its own.
/// </summary>
public sealed class DisputeActions(SafeholdDb db, DueTimers timers, IPaymentProvider payments, DisputeNotices notices, WriteGate gate, TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<Domain.Policy.ProtectionPolicy> policy)
{
    public sealed record OpenInput(string? Reason, string? RequestedOutcome, MoneyDto? RequestedAmount, string? Description);
    public sealed record CounterOfferInput(string? Outcome, MoneyDto? Amount, string? Message);
    public sealed record ReasonInput(string? Reason);
    public sealed record ReturnShipmentInput(string? Carrier, string? TrackingNumber);
    public sealed record DecisionInput(string? Outcome, MoneyDto? RefundAmount, string? Rationale);

    /// <summary>The buyer opens a dispute on their order; the order is frozen until it ends.</summary>
    public async Task<DisputeResponse> OpenAsync(Caller caller, Guid orderId, OpenInput input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var reason = Parse<DisputeReason>(errors, "reason", input.Reason);
        var outcome = Parse<DisputeOutcome>(errors, "requestedOutcome", input.RequestedOutcome);
        var description = errors.Text("description", input.Description, 5000);
        errors.ThrowIfAny();

        return await InTransactionAsync(async () =>
        {
            var now = clock.GetUtcNow();
            var order = await timers.LoadForChangeAsync(orderId, caller, now, ct);
            var amount = Amount(input.RequestedAmount, "requestedAmount", order.Currency);
            var dispute = order.OpenDispute(OrderAccess.ActorOf(order, caller), now, Guid.CreateVersion7(now), reason!.Value, outcome!.Value, amount, description!,
                policy.Value.Disputes);
            db.Disputes.Add(dispute);
            await notices.StepAsync(dispute, caller.Id, now, ct);
            await db.SaveChangesAsync(CancellationToken.None);
            return await DisputeResponse.LoadAsync(db, dispute, order, caller, now, ct);
        }, ct);
    }

    /// <summary>The seller accepts the buyer's request.</summary>
    public Task<DisputeResponse> AcceptAsync(Caller caller, Guid id, CancellationToken ct) =>
        StepAsync(caller, id, (d, actor, now) => d.Accept(actor, now), ct);

    /// <summary>The seller offers a partial refund or a return and refund instead.</summary>
    public Task<DisputeResponse> CounterOfferAsync(Caller caller, Guid id, CounterOfferInput input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var outcome = Parse<DisputeOutcome>(errors, "outcome", input.Outcome);
        var message = errors.Text("message", input.Message, 2000);
        errors.ThrowIfAny();
        return StepAsync(caller, id, (d, actor, now) => d.CounterOffer(actor, now, outcome!.Value, Amount(input.Amount, "amount", d.Currency), message!), ct);
    }

    /// <summary>The seller rejects the buyer's request, saying why.</summary>
    public Task<DisputeResponse> RejectAsync(Caller caller, Guid id, ReasonInput input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var reason = errors.Text("reason", input.Reason, 2000);
        errors.ThrowIfAny();
        return StepAsync(caller, id, (d, actor, now) => d.Reject(actor, now, reason!), ct);
    }

    /// <summary>The buyer accepts the seller's latest offer.</summary>
    public Task<DisputeResponse> AcceptOfferAsync(Caller caller, Guid id, CancellationToken ct) =>
        StepAsync(caller, id, (d, actor, now) => d.AcceptOffer(actor, now), ct);

    /// <summary>The buyer or the seller takes the dispute to the platform.</summary>
    public Task<DisputeResponse> EscalateAsync(Caller caller, Guid id, CancellationToken ct) =>
        StepAsync(caller, id, (d, actor, now) => d.Escalate(actor, now), ct);

    /// <summary>The buyer withdraws the dispute; the order continues where it was.</summary>
    public Task<DisputeResponse> WithdrawAsync(Caller caller, Guid id, CancellationToken ct) =>
        StepAsync(caller, id, (d, actor, now) => d.Withdraw(actor, now), ct);

    /// <summary>The buyer shipped the item back.</summary>
    public Task<DisputeResponse> ShipReturnAsync(Caller caller, Guid id, ReturnShipmentInput input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var carrier = errors.Text("carrier", input.Carrier, 100);
        var tracking = errors.Text("trackingNumber", input.TrackingNumber, 100);
        errors.ThrowIfAny();
        return StepAsync(caller, id, (d, actor, now) => d.ShipReturn(actor, now, carrier!, tracking!), ct);
    }

    /// <summary>The seller confirms the returned item arrived: the buyer is refunded in full.</summary>
    public Task<DisputeResponse> ConfirmReturnAsync(Caller caller, Guid id, CancellationToken ct) =>
        StepAsync(caller, id, (d, actor, now) => d.ConfirmReturn(actor, now), ct);

    /// <summary>An arbiter decides, with a rationale; never on an order they are a party to, nor the appeal of their own decision.</summary>
    public Task<DisputeResponse> DecideAsync(Caller caller, Guid id, DecisionInput input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var outcome = Parse<DisputeOutcome>(errors, "outcome", input.Outcome);
        var rationale = errors.Text("rationale", input.Rationale, 5000);
        errors.ThrowIfAny();
        return StepAsync(caller, id, (d, actor, now) => d.Decide(actor, now, outcome!.Value, Amount(input.RefundAmount, "refundAmount", d.Currency), rationale!), ct);
    }

    /// <summary>The buyer or the seller appeals the arbiter's decision, once, within its window.</summary>
    public Task<DisputeResponse> AppealAsync(Caller caller, Guid id, ReasonInput input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var reason = errors.Text("reason", input.Reason, 2000);
        errors.ThrowIfAny();
        return StepAsync(caller, id, (d, actor, now) => d.Appeal(actor, now, reason!), ct);
    }

    private Task<DisputeResponse> StepAsync(Caller caller, Guid id, Func<Dispute, DisputeActor, DateTimeOffset, DisputeStep> act, CancellationToken ct) =>
        InTransactionAsync(async () =>
        {
            var now = clock.GetUtcNow();
            var (dispute, order) = await DisputeAccess.LoadForChangeAsync(db, timers, id, caller, now, ct);
            var step = act(dispute, DisputeAccess.ActorOf(dispute, caller), now);
            await DueDisputeTimers.SettleAsync(db, payments, order, step, now, ct);
            // Money may have moved at the provider: from here on a client hanging up must not roll back its record.
            await notices.StepAsync(dispute, caller.Id, now, CancellationToken.None);
            await db.SaveChangesAsync(CancellationToken.None);
            return await DisputeResponse.LoadAsync(db, dispute, order, caller, now, CancellationToken.None);
        }, ct);

    /// <summary>Runs in the request's transaction, or (called from a page) in one of its own.</summary>
    internal Task<T> InTransactionAsync<T>(Func<Task<T>> work, CancellationToken ct) => gate.InTransactionAsync(db, work, ct);

    private static TEnum? Parse<TEnum>(InputErrors errors, string field, string? value)
        where TEnum : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(field, "Required.");
            return null;
        }
        if (DisputeProcess.TryParse<TEnum>(value, out var parsed)) return parsed;
        errors.Add(field, $"One of: {string.Join(", ", Enum.GetValues<TEnum>().Select(v => ProcessNames.Of(v)))}.");
        return null;
    }

    /// <summary>An amount in the dispute's currency, in minor units; whether it is in range is the process's rule.</summary>
    private static long? Amount(MoneyDto? value, string field, string currency)
    {
        if (value is null) return null;
        if (!string.Equals(value.Currency, currency, StringComparison.Ordinal))
            throw new InvalidInputException(new Dictionary<string, string[]> { [$"{field}.currency"] = [$"Must be the order's currency, {currency}."] });
        return value.Amount;
    }
}
