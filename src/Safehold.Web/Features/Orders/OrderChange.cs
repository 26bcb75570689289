using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
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
public sealed class OrderChange(SafeholdDb db, DueTimers timers, IPaymentProvider payments, WriteGate gate, WriteSession session,
    TimeProvider clock, IOptions<PaymentOptions> paymentOptions, ILogger<OrderChange> log)
{
    /// <summary>What a use case does to the loaded order: the domain step, returning the journal entry it posts (if any).</summary>
    public delegate Task<JournalEntry?> Step(Order order, Actor actor, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Under the write lock, on <paramref name="db"/> (the request's context, or the group commit's), whether what a prepared
    /// step read besides the order (whose version is checked for it) is as it was when the step ran.
    /// </summary>
    public delegate Task<bool> StillTrue(SafeholdDb db, Order order, CancellationToken ct);

    /// <summary>Runs <paramref name="step"/> on the order and answers with the order as the caller now sees it.</summary>
    public Task<OrderResponse> RunAsync(Caller caller, Guid id, Step step, CancellationToken ct, StillTrue? stillTrue = null) =>
        RunAsync(caller, id, step, (order, now) => OrderResponse.ForAsync(db, order, caller, now, CancellationToken.None), ct, stillTrue);

    /// <summary>
    /// Runs <paramref name="step"/> on the order and answers with what <paramref name="answer"/> makes of it. In a request
    /// whose transaction is deferred (<see cref="PreparedAhead"/>), the order is loaded, what fell due on it and its open
    /// dispute fired, the step taken and the answer made before the write lock is taken
    /// (<see cref="WriteSession.RunAheadAsync"/>). Under the lock, the versions of what was read (and
    /// <paramref name="stillTrue"/>, for what else the step read) are checked and the prepared change written, or, if
    /// anything changed meanwhile, it is all done again under the lock. A step whose row calls the payment provider (other
    /// than a refund, which is an instruction written with the change), and a due timer that would, are done under the lock.
    /// </summary>
    public Task<T> RunAsync<T>(Caller caller, Guid id, Step step, Func<Order, DateTimeOffset, Task<T>> answer, CancellationToken ct,
        StillTrue? stillTrue = null) =>
        session.RunAheadAsync(() => PrepareAsync(caller, id, step, answer, stillTrue, ct), () => InTransactionAsync(caller, id, step, answer, ct), ct);

    /// <summary>The change made ahead of the write lock, in memory; null when it must be made under the lock.</summary>
    private async Task<WriteSession.Ahead<T>?> PrepareAsync<T>(Caller caller, Guid id, Step step, Func<Order, DateTimeOffset, Task<T>> answer,
        StillTrue? stillTrue, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var order = await OrderAccess.LoadVisibleAsync(db, id, caller, tracked: false, ct);
        AggregateChanges[] aggregates = [AggregateChanges.Take(db.Model, order)];
        var toPost = new List<JournalEntry>();
        if (await timers.FireAheadAsync([order], now, toPost, ct) is not { } noneFallenDue) return null;
        var entry = await step(order, OrderAccess.ActorOf(order, caller), now, ct);
        // A refund (a cancel after payment) is an instruction written with the change and sent after it. An unpaid order's
        // close, which has its capture instruction looked for again (a lost capture returned), is made under the lock.
        var calls = order.LastTransition?.Calls ?? ProviderCall.None;
        if (calls is not (ProviderCall.None or ProviderCall.Refund)) return null;
        await timers.CarryOutAsync(order, entry, calls, toPost, ct);
        var other = stillTrue is null ? null : StagedWrite.Check.Reads((on, ct) => stillTrue(on, order, ct));
        return new(toPost, StagedWrite.Check.All(PreparedWrite.UnchangedSinceRead(db, aggregates), noneFallenDue, other), await answer(order, now), aggregates);
    }

    private Task<T> InTransactionAsync<T>(Caller caller, Guid id, Step step, Func<Order, DateTimeOffset, Task<T>> answer, CancellationToken ct) =>
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
    /// The buyer pays the order with <paramref name="paymentMethod"/> (<see cref="CaptureAndPayAsync{T}"/>) and sees the
    /// order as it now is.
    /// </summary>
    /// <remarks>Begins its own transactions: not to be called inside one (the API's pay runs outside the write-transaction filter's).</remarks>
    public Task<OrderResponse> CaptureAndPayAsync(Caller caller, Guid id, string paymentMethod, CancellationToken ct) =>
        CaptureAndPayAsync(caller, Payment.OfOrder(id), paymentMethod,
            (paid, now) => OrderResponse.ForAsync(db, paid.Orders[0], caller, now, CancellationToken.None), ct);

    /// <summary>
    /// The buyer pays what <paramref name="payment"/> pays (one order, or all of a checkout's orders) with
    /// <paramref name="paymentMethod"/> in one capture, and sees a refusal at once, with no transaction open while the
    /// provider is called (SPEC 4): (1) the intent is committed, a capture instruction under the payment's key claimed by
    /// this request (every order's pay row is checked first: a refused pay calls nobody); (2) the provider is called under
    /// that key; (3) its answer is committed in a transaction of its own: the capture succeeded and every order is paid,
    /// each into its own escrow, or it was declined and nothing else changed. A host that dies between (2) and (3)
    /// leaves the instruction claimed: when the claim runs out, any host's instruction worker asks the provider by the
    /// key and finishes it (<see cref="SettleFoundCaptureAsync"/>). If an order closed while the money was being taken (it
    /// expired, or was cancelled), the whole capture is returned to the card under its own key, and nothing is paid.
    /// </summary>
    /// <remarks>Begins its own transactions: not to be called inside one (the API's pay runs outside the write-transaction filter's).</remarks>
    public async Task<T> CaptureAndPayAsync<T>(Caller caller, Payment payment, string paymentMethod, Func<Payees, DateTimeOffset, Task<T>> answer,
        CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null)
            throw new InvalidOperationException("A capture commits its intent before it calls the provider: call it with no transaction open.");
        var lease = paymentOptions.Value.CaptureLease;
        // (1) The intent.
        PaymentInstruction? claimed = null;
        var total = await InPaymentAsync(caller, payment, async (payees, actor, now, ct) =>
        {
            payees.Authorize(actor, now); // refuse before any money moves
            claimed = await db.PaymentInstructions.FirstOrDefaultAsync(i => i.IdempotencyKey == payment.Key, ct);
            if (claimed is null) db.PaymentInstructions.Add(claimed = payment.NewCapture(payees.Total, now, lease));
            else claimed.ClaimCaptureAgain(now, lease);
            return [];
        }, (payees, _) => Task.FromResult(payees.Total), ct);
        var (instructionId, attempt) = (claimed!.Id, claimed.Attempts); // as committed: this request's claim

        // (2) The provider, with no transaction open; a client that hangs up does not stop it.
        PaymentResult result;
        using (var call = new CancellationTokenSource(paymentOptions.Value.CallTimeout))
        {
            try
            {
                result = await payments.CaptureAsync(payment.Key, total, paymentMethod, call.Token).WaitAsync(call.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException or TimeoutException)
            {
                // The outcome is unknown: the claim stays, and when it runs out the worker asks the provider by the key.
                log.LogWarning(e, "Payment {Key}: the capture's answer was not received; the instruction worker will ask the provider", payment.Key);
                throw new HttpProblemException(StatusCodes.Status503ServiceUnavailable, "payment_pending",
                    "The payment provider did not answer in time. The payment is being checked: look at the order again in a minute.");
            }
        }

        // (3) The answer, read afresh: the orders may have changed while the provider was called.
        db.ChangeTracker.Clear();
        var returned = false;
        var response = await InPaymentAsync(caller, payment, async (payees, actor, now, ct) =>
        {
            returned = false; // as this run finds it (a run ahead of the lock may be done again under it)
            var capture = await LoadInstructionAsync(instructionId, ct);
            if (!capture.IsClaimedBy(attempt))
            {
                // Its claim ran out and a worker took it over (and may have found nothing yet: the provider recorded this
                // capture after the worker asked). Money this attempt took for orders that closed meanwhile, and that no
                // order recorded, goes back to the card, as in the claimed case below.
                if (result.Succeeded && !payees.AwaitPayment && !payees.Orders.Any(o => o.PaymentReference == result.Reference))
                {
                    returned = true;
                    return [];
                }
                // Otherwise the orders say how, once the worker has recorded it.
                if (payees.AwaitPayment)
                    throw new DomainException(RefusalKind.InProgress, "payment_in_progress",
                        "The payment is being checked with the payment provider: look at the order again in a moment.");
                // Another attempt (a pay racing this one) recorded the one capture: one winner, as the pay row answers a paid order.
                throw DomainException.InvalidState("The order has been paid by another payment attempt.");
            }
            if (!result.Succeeded)
            {
                capture.Fail(result.DeclineCode ?? "card_declined", now);
                return [];
            }
            if (!payees.AwaitPayment)
            {
                returned = true; // left claimed until the money is back, so a worker finishes it if this host dies first
                return [];
            }
            capture.Succeed(result.Reference!, now);
            return payees.Pay(actor, now, result.Reference!);
        }, async (payees, now) =>
        {
            var value = await answer(payees, now);
            // Paid: the request's Idempotency-Key answer commits with the payment, not in a transaction of its own.
            if (!returned && result.Succeeded && value is not null) await session.KeepAnswerAsync(value);
            return value;
        }, ct);
        if (returned)
        {
            await payments.ReturnCaptureAsync(payment.Key, result.Reference!, total, CancellationToken.None);
            log.LogWarning("Payment {Key}: an order closed while its payment was being taken; the payment was returned to the card", payment.Key);
            db.ChangeTracker.Clear();
            await gate.InTransactionAsync(db, async () =>
            {
                var capture = await LoadInstructionAsync(instructionId, CancellationToken.None);
                if (capture.IsClaimedBy(attempt)) capture.Fail("capture_returned", clock.GetUtcNow());
                await db.SaveChangesAsync(CancellationToken.None);
                return 0;
            }, ct);
            throw new DomainException(RefusalKind.WrongState, "invalid_state",
                "The order closed while the payment was being taken (it expired, or it was cancelled): the money was returned to the card.");
        }
        if (!result.Succeeded)
            throw new DomainException(RefusalKind.PaymentRefused, result.DeclineCode ?? "card_declined", result.DeclineMessage ?? "The card was declined.");
        return response;
    }

    /// <summary>
    /// On external rails the marketplace charged the buyer itself and reports the capture: it pays what
    /// <paramref name="payment"/> pays, if every order may be paid now, <paramref name="amount"/> is their total, and the
    /// capture's reference paid no other order (one capture pays one order, or one checkout's orders).
    /// </summary>
    public Task<T> RecordExternalPaymentAsync<T>(Caller caller, Payment payment, string reference, MoneyDto amount,
        Func<Payees, DateTimeOffset, Task<T>> answer, CancellationToken ct)
    {
        List<Guid> ids = [];
        return InPaymentAsync(caller, payment, async (payees, actor, now, ct) =>
        {
            payees.Authorize(actor, now); // the marketplace's capture is recorded only for orders that may be paid
            if (amount.Amount != payees.Total.Amount || amount.Currency != payees.Total.Currency.Code)
                throw new DomainException(RefusalKind.RuleRefused, "external_payment_amount_mismatch",
                    $"The total to pay is {payees.Total.Amount} {payees.Total.Currency.Code}, not {amount.Amount} {amount.Currency}.");
            ids = payees.Orders.Select(o => o.Id).ToList();
            // Ahead of the write lock the staged write's check looks for it (a used reference fails the check, and the
            // request is done again under the lock, where it is refused here): one query fewer on the way that succeeds.
            if (db.Database.CurrentTransaction is not null && await ReferenceUsedAsync(db, ct))
                throw new DomainException(RefusalKind.RuleRefused, "external_payment_reference_used",
                    "This capture's reference paid another order: report each payment's own capture.");
            return payees.Pay(actor, now, reference);
        }, async (payees, now) =>
        {
            var value = await answer(payees, now);
            // Paid: the request's Idempotency-Key answer commits with the payment, as the card's does.
            if (value is not null) await session.KeepAnswerAsync(value);
            return value;
        }, ct, stillTrue: StagedWrite.Check.Reads(async (on, ct) => !await ReferenceUsedAsync(on, ct), // no other order paid by it (meanwhile)
            () => new NpgsqlBatchCommand(ReferenceUnusedOnPostgres) { Parameters = { new() { Value = reference }, new() { Value = ids.ToArray() } } }));

        Task<bool> ReferenceUsedAsync(SafeholdDb on, CancellationToken ct) => on.Orders.AnyAsync(o => o.PaymentReference == reference && !ids.Contains(o.Id), ct);
    }

    /// <summary>
    /// <c>ReferenceUsedAsync</c>'s check as a statement of a staged write's batch on PostgreSQL (reference, the payment's
    /// order ids): it divides by zero when another order was paid by the reference.
    /// </summary>
    internal const string ReferenceUnusedOnPostgres =
        """SELECT 1 / (NOT EXISTS (SELECT 1 FROM "Orders" WHERE "PaymentReference" = $1 AND NOT ("Id" = ANY ($2))))::int""";

    /// <summary>
    /// A capture the provider made and whose request never recorded it (its host died, or it timed out), found by the
    /// instruction worker under its key, in the worker's transaction: the orders it pays are paid (the buyer's act,
    /// recorded late) if they all still wait for payment; otherwise false, and the caller returns the money
    /// (<see cref="CaptureReturns"/>).
    /// </summary>
    public async Task<bool> SettleFoundCaptureAsync(PaymentInstruction capture, string reference, DateTimeOffset now, CancellationToken ct)
    {
        var payees = await LoadPayeesAsync(Payment.Of(capture), id => timers.LoadForDisputeAsync(id, now, ct), ct);
        if (!payees.AwaitPayment) return false;
        capture.Succeed(reference, now);
        await db.PostAllAsync(payees.Pay(new Actor(Party.Buyer, payees.Orders[0].BuyerId), now, reference), ct);
        return true;
    }

    /// <summary>
    /// Whether the money a capture took (<paramref name="reference"/>) belongs to no order, so that it goes back to the card:
    /// its orders cannot all be paid by it any more (one of a checkout's orders closing is enough), and none was paid by it.
    /// Read by the worker before it returns a capture found by its key: a pay that took the worker's claim over may have
    /// recorded the same capture meanwhile, and orders that all wait for payment are paid by it.
    /// </summary>
    public async Task<bool> BelongsToNoOrderAsync(PaymentInstruction capture, string reference, CancellationToken ct)
    {
        var payment = Payment.Of(capture);
        var orders = await db.Orders.AsNoTracking().Where(o => payment.CheckoutId == null ? o.Id == payment.OrderId : o.CheckoutId == payment.CheckoutId)
            .Select(o => new { o.Status, o.PaymentReference }).ToListAsync(ct);
        return orders.Count > 0 && !orders.All(o => o.Status == OrderStatus.AwaitingPayment) && orders.All(o => o.PaymentReference != reference);
    }

    /// <summary>What one capture pays: an order alone, or every order of a checkout; <see cref="Key"/> is the capture's key at the provider.</summary>
    public sealed record Payment(string Key, Guid? OrderId, Guid? CheckoutId)
    {
        public static Payment OfOrder(Guid orderId) => new(CaptureReturns.CaptureKey(orderId), orderId, null);

        public static Payment OfCheckout(Guid checkoutId) => new(CaptureReturns.CheckoutCaptureKey(checkoutId), null, checkoutId);

        public static Payment Of(PaymentInstruction capture) =>
            capture.CheckoutId is { } checkoutId ? OfCheckout(checkoutId) : OfOrder(capture.OrderId!.Value);

        public PaymentInstruction NewCapture(Money total, DateTimeOffset now, TimeSpan lease) => CheckoutId is { } checkoutId
            ? PaymentInstruction.CheckoutCapture(checkoutId, Key, total, now, lease)
            : PaymentInstruction.Capture(OrderId!.Value, Key, total, now, lease);
    }

    /// <summary>The orders one payment pays, loaded for a change, with their checkout if they are one's.</summary>
    public sealed record Payees(Checkout? Checkout, IReadOnlyList<Order> Orders)
    {
        public Money Total => Checkout?.Total ?? Orders[0].Total;

        /// <summary>Whether every order may still be paid by this payment (none paid or closed since).</summary>
        public bool AwaitPayment => Checkout?.PaidAt is null && Orders.All(o => o.Status == OrderStatus.AwaitingPayment);

        /// <summary>Refuses, changing nothing, unless every order may be paid by <paramref name="actor"/> now.</summary>
        public void Authorize(Actor actor, DateTimeOffset now)
        {
            if (Checkout is { } checkout) checkout.Authorize(Orders, actor, now);
            else OrderProcess.Authorize(Orders[0], OrderTrigger.Pay, actor, now); // an order of a checkout refuses: checkout_payment_required
        }

        /// <summary>Pays every order, each into its own escrow: one journal entry per order.</summary>
        public IReadOnlyList<JournalEntry> Pay(Actor actor, DateTimeOffset now, string reference) =>
            Checkout is { } checkout ? checkout.Pay(Orders, actor, now, reference) : [Orders[0].Pay(actor, now, reference)];
    }

    private delegate Task<IReadOnlyList<JournalEntry>> PaymentStep(Payees payees, Actor actor, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Runs <paramref name="step"/> on the payment's orders in one write transaction, posts what it returns, and saves it with
    /// what <paramref name="answer"/> adds (the request's Idempotency-Key answer); returns the answer. On SQLite the step
    /// runs ahead of the write lock, on the orders as last committed, and the change is staged for the group commit
    /// (<see cref="GroupCommit"/>), which writes it if every versioned row it read (the orders, the checkout, the capture
    /// instruction) is unchanged; otherwise, or if a due timer needs the provider, it is all done again under the lock.
    /// </summary>
    private async Task<T> InPaymentAsync<T>(Caller caller, Payment payment, PaymentStep step, Func<Payees, DateTimeOffset, Task<T>> answer,
        CancellationToken ct, StagedWrite.Check? stillTrue = null)
    {
        if (db.Database.CurrentTransaction is null) // inside a caller's transaction, in it
        {
            var prepared = await PreparePaymentAsync(caller, payment, step, answer, stillTrue, ct);
            if (prepared is { } p && await session.WriteStagedAsync(p.Write)) return p.Answer;
            session.Unstage(); // nothing of it was written: all again, under the lock
        }
        return await gate.InTransactionAsync(db, async () =>
        {
            await session.LockAnswerKeyAsync(ct); // before the orders' rows, as a staged write of the same key takes it
            var now = clock.GetUtcNow();
            var payees = await LoadPayeesAsync(payment, id => timers.LoadForChangeAsync(id, caller, now, ct), ct, caller);
            var entries = await step(payees, OrderAccess.ActorOf(payees.Orders[0], caller), now, ct);
            // Money may have moved at the provider: from here on a client hanging up must not roll back its record.
            await db.PostAllAsync(entries, CancellationToken.None);
            var value = await answer(payees, now);
            await db.SaveChangesAsync(CancellationToken.None);
            return value;
        }, ct);
    }

    /// <summary>
    /// The payment's change made ahead of the write lock, in memory, staged with its check; null when it must be made under
    /// the lock.
    /// </summary>
    private async Task<(StagedWrite Write, T Answer)?> PreparePaymentAsync<T>(Caller caller, Payment payment, PaymentStep step,
        Func<Payees, DateTimeOffset, Task<T>> answer, StagedWrite.Check? stillTrue, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var payees = await LoadPayeesAsync(payment, id => OrderAccess.LoadVisibleAsync(db, id, caller, tracked: false, ct), ct, caller);
        var aggregates = payees.Orders.Select(o => AggregateChanges.Take(db.Model, o)).ToList();
        var toPost = new List<JournalEntry>();
        if (await timers.FireAheadAsync(payees.Orders, now, toPost, ct) is not { } noneFallenDue) return null;
        toPost.AddRange(await step(payees, OrderAccess.ActorOf(payees.Orders[0], caller), now, ct));
        var value = await answer(payees, now);
        // Every versioned row read: the orders, and what the context tracks and did not add (the checkout, the capture instruction).
        var staged = PreparedWrite.Stage(db, toPost, StagedWrite.Check.All(PreparedWrite.UnchangedSinceRead(db, aggregates), noneFallenDue, stillTrue),
            aggregates);
        db.ChangeTracker.AcceptAllChanges(); // staged: counts as saved, unless the group commit refuses it (then cleared)
        return (staged, value);
    }

    /// <summary>
    /// The payment's orders, each loaded (and locked, on PostgreSQL) by <paramref name="load"/> in the order of their ids,
    /// so that two payments of one checkout wait for each other rather than deadlock; a checkout the caller may not see is 404.
    /// </summary>
    private async Task<Payees> LoadPayeesAsync(Payment payment, Func<Guid, Task<Order>> load, CancellationToken ct, Caller? caller = null)
    {
        if (payment.CheckoutId is not { } checkoutId) return new(null, [await load(payment.OrderId!.Value)]);
        var checkout = await Checkouts.CheckoutAccess.LoadAsync(db, checkoutId, caller, tracked: true, ct);
        var ids = await db.Orders.Where(o => o.CheckoutId == checkoutId).Select(o => o.Id).OrderBy(id => id).ToListAsync(ct);
        var orders = new List<Order>(ids.Count);
        foreach (var id in ids) orders.Add(await load(id));
        return new(checkout, orders);
    }

    private async Task<PaymentInstruction> LoadInstructionAsync(Guid id, CancellationToken ct)
    {
        if (db.OnPostgres && db.Database.CurrentTransaction is not null) // ahead of the lock, its version is checked instead
            await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "PaymentInstructions" WHERE "Id" = {id} FOR UPDATE""", ct);
        return await db.PaymentInstructions.FirstAsync(i => i.Id == id, ct);
    }
}
