using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Payments;
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
public sealed class OrderChange(SafeholdDb db, DueTimers timers, IPaymentProvider payments, WriteGate gate, TimeProvider clock,
    IOptions<PaymentOptions> paymentOptions, ILogger<OrderChange> log)
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
    /// The buyer pays with <paramref name="paymentMethod"/>, and sees a refusal at once, with no transaction open while
    /// the provider is called (SPEC 4): (1) the intent is committed, a capture instruction claimed by this request (the
    /// pay row is checked first: a refused pay calls nobody); (2) the provider is called under the order's capture key;
    /// (3) its answer is committed in a transaction of its own: the capture succeeded and the order is paid, or it was
    /// declined and nothing else changed. A host that dies between (2) and (3) leaves the instruction claimed: when the
    /// claim runs out, any host's instruction worker asks the provider by the key and finishes it
    /// (<see cref="SettleFoundCaptureAsync"/>). An order that closed while its money was being taken (it expired, or the
    /// seller cancelled it) gets the money returned to the card under its own key.
    /// </summary>
    /// <remarks>Begins its own transactions: not to be called inside one (the API's pay runs outside the write-transaction filter's).</remarks>
    public async Task<OrderResponse> CaptureAndPayAsync(Caller caller, Guid id, string paymentMethod, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null)
            throw new InvalidOperationException("A capture commits its intent before it calls the provider: call it with no transaction open.");
        var lease = paymentOptions.Value.CaptureLease;
        // (1) The intent.
        PaymentInstruction? claimed = null;
        var total = await RunAsync(caller, id, async (order, actor, now, ct) =>
        {
            OrderProcess.Authorize(order, OrderTrigger.Pay, actor, now); // refuse before any money moves
            var key = CaptureReturns.CaptureKey(order.Id);
            claimed = await db.PaymentInstructions.FirstOrDefaultAsync(i => i.IdempotencyKey == key, ct);
            if (claimed is null) db.PaymentInstructions.Add(claimed = PaymentInstruction.Capture(order.Id, key, order.Total, now, lease));
            else claimed.ClaimCaptureAgain(now, lease);
            return null;
        }, (order, _) => Task.FromResult(order.Total), ct);
        var (instructionId, attempt) = (claimed!.Id, claimed.Attempts); // as committed: this request's claim

        // (2) The provider, with no transaction open; a client that hangs up does not stop it.
        PaymentResult answer;
        using (var call = new CancellationTokenSource(paymentOptions.Value.CallTimeout))
        {
            try
            {
                answer = await payments.CaptureAsync(CaptureReturns.CaptureKey(id), total, paymentMethod, call.Token).WaitAsync(call.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException or TimeoutException)
            {
                // The outcome is unknown: the claim stays, and when it runs out the worker asks the provider by the key.
                log.LogWarning(e, "Order {OrderId}: the capture's answer was not received; the instruction worker will ask the provider", id);
                throw new HttpProblemException(StatusCodes.Status503ServiceUnavailable, "payment_pending",
                    "The payment provider did not answer in time. The payment is being checked: look at the order again in a minute.");
            }
        }

        // (3) The answer, read afresh: the order may have changed while the provider was called.
        db.ChangeTracker.Clear();
        var returned = false;
        var response = await RunAsync(caller, id, async (order, actor, now, ct) =>
        {
            var capture = await LoadInstructionAsync(instructionId, ct);
            if (!capture.IsClaimedBy(attempt))
            {
                // Its claim ran out and a worker took it over: the order says how, once the worker has recorded it.
                if (order.Status == OrderStatus.AwaitingPayment)
                    throw new DomainException(RefusalKind.InProgress, "payment_in_progress",
                        "The payment is being checked with the payment provider: look at the order again in a moment.");
                // Another attempt (a pay racing this one) recorded the one capture: one winner, as the pay row answers a paid order.
                throw DomainException.InvalidState("The order has been paid by another payment attempt.");
            }
            if (!answer.Succeeded)
            {
                capture.Fail(answer.DeclineCode ?? "card_declined", now);
                return null;
            }
            if (order.Status != OrderStatus.AwaitingPayment)
            {
                returned = true; // left claimed until the money is back, so a worker finishes it if this host dies first
                return null;
            }
            capture.Succeed(answer.Reference!, now);
            return order.Pay(actor, now, answer.Reference!);
        }, ct);
        if (returned)
        {
            await payments.ReturnCaptureAsync(id, answer.Reference!, total, CancellationToken.None);
            log.LogWarning("Order {OrderId} closed while its payment was being taken; the payment was returned to the card", id);
            db.ChangeTracker.Clear();
            await RunAsync(caller, id, async (_, _, now, ct) =>
            {
                var capture = await LoadInstructionAsync(instructionId, ct);
                if (capture.IsClaimedBy(attempt)) capture.Fail("capture_returned", now);
                return null;
            }, ct);
            throw new DomainException(RefusalKind.WrongState, "invalid_state",
                "The order closed while the payment was being taken (it expired, or it was cancelled): the money was returned to the card.");
        }
        if (!answer.Succeeded)
            throw new DomainException(RefusalKind.PaymentRefused, answer.DeclineCode ?? "card_declined", answer.DeclineMessage ?? "The card was declined.");
        return response;
    }

    /// <summary>
    /// A capture the provider made and whose request never recorded it (its host died, or it timed out), found by the
    /// instruction worker under the order's key, in the worker's transaction: the order is paid (the buyer's act, recorded
    /// late) if it still waits for payment; otherwise false, and the caller returns the money (<see cref="CaptureReturns"/>).
    /// </summary>
    public async Task<bool> SettleFoundCaptureAsync(PaymentInstruction capture, string reference, DateTimeOffset now, CancellationToken ct)
    {
        var order = await timers.LoadForDisputeAsync(capture.OrderId!.Value, now, ct);
        if (order.Status != OrderStatus.AwaitingPayment) return false;
        capture.Succeed(reference, now);
        await db.PostAsync(order.Pay(new Actor(Party.Buyer, order.BuyerId), now, reference), ct);
        return true;
    }

    private async Task<PaymentInstruction> LoadInstructionAsync(Guid id, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "PaymentInstructions" WHERE "Id" = {id} FOR UPDATE""", ct);
        return await db.PaymentInstructions.FirstAsync(i => i.Id == id, ct);
    }
}
