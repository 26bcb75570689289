using Safehold.Domain.Process;
using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Orders;
using Safehold.Web.Jobs;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// How every use case of a dispute (SPEC 3) changes it, called alike by its API endpoint and its portal page: load the
/// dispute and its order for a change (due timers fired first), let the domain take its row, carry the step out on the
/// order (the money: its journal entry, a refund owed as its payment instruction), tell whoever the row tells, save, and
/// answer with the dispute as the caller now sees it. In a request whose transaction is deferred (<see cref="PreparedAhead"/>)
/// all of it is worked out ahead of the write lock, and written under it if the dispute and its order are as they were
/// read and no timer of theirs has fallen due (<see cref="WriteSession.RunAheadAsync"/>, as an order's change is);
/// otherwise, and from a page, it is done in one transaction (the request's, or its own) with the lock held.
/// </summary>
public sealed class DisputeChange(SafeholdDb db, DueTimers timers, DisputeNotices notices, WriteGate gate, WriteSession session, TimeProvider clock)
{
    /// <summary>Runs <paramref name="act"/>, one step of the dispute, and answers with the dispute as the caller now sees it.</summary>
    public Task<DisputeResponse> RunAsync(Caller caller, Guid id, Func<Dispute, DisputeActor, DateTimeOffset, DisputeStep> act, CancellationToken ct) =>
        session.RunAheadAsync(() => PrepareAsync(caller, id, act, ct), () => InTransactionAsync(async () =>
        {
            var now = clock.GetUtcNow();
            var (dispute, order) = await DisputeAccess.LoadForChangeAsync(db, timers, id, caller, now, ct);
            var step = act(dispute, DisputeAccess.ActorOf(dispute, caller), now);
            await DueDisputeTimers.SettleAsync(db, order, step, now, ct);
            // Money may have moved at the provider: from here on a client hanging up must not roll back its record.
            await notices.StepAsync(dispute, caller.Id, now, CancellationToken.None);
            await db.SaveChangesAsync(CancellationToken.None);
            return await DisputeResponse.LoadAsync(db, dispute, order, caller, now, CancellationToken.None);
        }, ct), ct);

    /// <summary>The step worked out ahead of the write lock, in memory; null when it must be made under the lock.</summary>
    private async Task<WriteSession.Ahead<DisputeResponse>?> PrepareAsync(Caller caller, Guid id, Func<Dispute, DisputeActor, DateTimeOffset, DisputeStep> act,
        CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        // The order is read without tracking; the dispute is tracked, as the due timers find it.
        var (dispute, order) = await DisputeAccess.LoadAheadAsync(db, id, caller, orderTracked: false, ct);
        AggregateChanges[] aggregates = [AggregateChanges.Take(db.Model, order)];
        var toPost = new List<JournalEntry>();
        if (await timers.FireAheadAsync([order], now, toPost, ct) is not { } noneFallenDue) return null;
        var step = act(dispute, DisputeAccess.ActorOf(dispute, caller), now);
        // A refund the step settles is owed as its payment instruction, written with the change and sent after the commit.
        await DueDisputeTimers.SettleAsync(db, order, step, now, toPost, ct);
        await notices.StepAsync(dispute, caller.Id, now, ct);
        var answer = await DisputeResponse.LoadAsync(db, dispute, order, caller, now, ct);
        return new(toPost, StagedWrite.Check.All(PreparedWrite.UnchangedSinceRead(db, aggregates), noneFallenDue), answer, aggregates);
    }

    /// <summary>Runs in the request's transaction, or (called from a page) in one of its own.</summary>
    internal Task<T> InTransactionAsync<T>(Func<Task<T>> work, CancellationToken ct) => gate.InTransactionAsync(db, work, ct);

    /// <summary>An API name of <typeparamref name="TEnum"/>, or an error on <paramref name="field"/>.</summary>
    public static TEnum? Parse<TEnum>(InputErrors errors, string field, string? value)
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
    public static long? Amount(MoneyDto? value, string field, string currency)
    {
        if (value is null) return null;
        if (!string.Equals(value.Currency, currency, StringComparison.Ordinal))
            throw new InvalidInputException(new Dictionary<string, string[]> { [$"{field}.currency"] = [$"Must be the order's currency, {currency}."] });
        return value.Amount;
    }
}
