using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Jobs;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.Orders;

/// <summary>
/// How every use case changes an order, called alike by its API endpoint and its portal page: in one transaction (the
/// request's, or its own for a page), load the order for a change (what fell due fired first), let the domain take its
/// row, carry out what the row asks outside the order (its journal entry, its provider call), save, and answer with
/// the order as the caller now sees it.
/// </summary>
public sealed class OrderChange(SafeholdDb db, DueTimers timers, IPaymentProvider payments, WriteGate gate, TimeProvider clock)
{
    /// <summary>What a use case does to the loaded order: the domain step, returning the journal entry it posts (if any).</summary>
    public delegate Task<JournalEntry?> Step(Order order, Actor actor, DateTimeOffset now, CancellationToken ct);

    /// <summary>Runs <paramref name="step"/> on the order and answers with the order as the caller now sees it.</summary>
    public Task<OrderResponse> RunAsync(Caller caller, Guid id, Step step, CancellationToken ct) =>
        RunAsync(caller, id, step, (order, now) => OrderResponse.ForAsync(db, order, caller, now, CancellationToken.None), ct);

    /// <summary>Runs <paramref name="step"/> on the order and answers with what <paramref name="answer"/> makes of it.</summary>
    public Task<T> RunAsync<T>(Caller caller, Guid id, Step step, Func<Order, DateTimeOffset, Task<T>> answer, CancellationToken ct) =>
        gate.InTransactionAsync(db, async () =>
        {
            var now = clock.GetUtcNow();
            var order = await timers.LoadForChangeAsync(id, caller, now, ct);
            var entry = await step(order, OrderAccess.ActorOf(order, caller), now, ct);
            var toPost = new List<JournalEntry>();
            await timers.CarryOutAsync(order, entry, order.LastTransition?.Calls ?? ProviderCall.None, toPost, ct);
            // Money may have moved at the provider: from here on a client hanging up must not roll back its record.
            await db.PostAllAsync(toPost, CancellationToken.None);
            await db.SaveChangesAsync(CancellationToken.None);
            return await answer(order, now);
        }, ct);

    /// <summary>
    /// Charges the buyer's payment method (idempotently, keyed by the order) and takes the <c>pay</c> row: the capture is
    /// made before the transition, since a declined card must change nothing.
    /// </summary>
    public async Task<JournalEntry> CaptureAndPayAsync(Order order, Actor actor, string paymentMethod, DateTimeOffset now, CancellationToken ct)
    {
        var result = await payments.CaptureAsync($"order:{order.Id}:capture", order.Total, paymentMethod, ct);
        if (!result.Succeeded)
            throw new DomainException(RefusalKind.PaymentRefused, result.DeclineCode ?? "card_declined", result.DeclineMessage ?? "The card was declined.");
        return order.Pay(actor, now, result.Reference!);
    }
}
