using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Safehold.Domain;
using Safehold.Domain.Orders;
using Safehold.Domain.Payments;
using Safehold.Web.Data;
using Safehold.Web.Features;
using Safehold.Web.Features.Orders;
using Safehold.Web.Payments;

namespace Safehold.Web.Tests.Features.Orders;

/// <summary>
/// The capture (SPEC 4): its intent commits, the provider is called with no transaction open, its answer commits; a
/// request that never got the answer (its host died, the provider did not answer in time) leaves the capture claimed,
/// and once the claim runs out the instruction worker asks the provider by the key and finishes it exactly once.
/// </summary>
public sealed class CaptureTests
{
    [Fact]
    public async Task The_provider_is_called_with_no_transaction_open_so_other_writes_commit_meanwhile()
    {
        var provider = new Provider();
        using var app = new SafeholdApp { TestServices = provider.Install };
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");
        provider.DuringCapture = async services =>
        {
            // Another request's write of the same order while the buyer's capture is at the provider: it must wait neither for
            // SQLite's write lock nor for the order's row lock (PostgreSQL).
            using var scope = services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await scope.ServiceProvider.GetRequiredService<WriteGate>().InTransactionAsync(db, async () =>
                await db.Database.ExecuteSqlInterpolatedAsync($"""UPDATE "Orders" SET "Version" = "Version" WHERE "Id" = {SafeholdApp.SqlGuid(id)}""", patience.Token),
                patience.Token);
        };

        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, id), HttpStatusCode.OK);

        Assert.Equal(1, provider.Captures);
        Assert.Null(provider.DuringCaptureFailed);
        await app.AssertLedgerOk();
    }

    // On SQLite the answer is worked out ahead of the write lock, at a now before the order's pay-by. Another request that
    // took the lock at a later now fired the order's expiry, and then was refused and rolled back: the order's version is
    // as it was. The answer must not be written as if nothing fell due: the order expired before it, and the capture goes
    // back to the card (once: the pay request and the instruction worker return it under one key).
    [Fact]
    [Trait("Database", "SQLite")]
    public async Task A_payments_answer_worked_out_before_its_order_fell_due_to_expire_is_not_recorded_after_a_rolled_back_expiry()
    {
        var provider = new Provider();
        using var app = new SafeholdApp { TestServices = provider.Install };
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");
        var (capturing, proceed) = (new TaskCompletionSource(), new TaskCompletionSource());
        provider.DuringCapture = async _ =>
        {
            capturing.SetResult();
            await proceed.Task;
        };
        var commits = app.Services.GetRequiredService<GroupCommit>();

        var paying = SafeholdApp.Pay(buyer, id);
        await capturing.Task;
        var (scope, holder) = app.OpenDb();
        using (scope)
        {
            await using var tx = await app.Services.GetRequiredService<WriteGate>().BeginTransactionAsync(holder, CancellationToken.None);
            proceed.SetResult(); // the capture is made, and its answer staged: it waits for the lock
            for (var waited = 0; commits.Waiting < 1 && waited < 400; waited++) await Task.Delay(25);
            Assert.Equal(1, commits.Waiting);
            var payBy = (await holder.Orders.AsNoTracking().FirstAsync(o => o.Id == id)).PayBy;
            app.Clock.Advance(payBy - app.Now + TimeSpan.FromMinutes(1));
            await scope.ServiceProvider.GetRequiredService<Safehold.Web.Features.DueTimers>()
                .LoadForChangeAsync(id, new Safehold.Web.Api.Caller(buyer.Id, Safehold.Web.Features.Users.UserRole.Buyer), app.Now, CancellationToken.None);
            await tx.RollbackAsync(); // refused: the expiry is undone
        }

        await Api.ExpectProblem(await paying, HttpStatusCode.Conflict, "invalid_state");
        Assert.Equal("closed", (await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}"))).Status()); // expired unpaid
        var (check, db) = app.OpenDb();
        using (check) Assert.Equal(0, await db.JournalEntries.CountAsync(e => e.OrderId == id && e.Kind == "capture"));
        Assert.Equal(1, provider.Captures);
        await app.SendPayments();
        Assert.Equal(1, app.Payments.CountSucceeded("refund", ":void"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_declined_card_leaves_the_capture_declined_and_the_order_unpaid_and_another_card_pays_it_under_the_same_instruction()
    {
        using var app = new SafeholdApp();
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");

        await Api.ExpectProblem(await SafeholdApp.Pay(buyer, id, SandboxPaymentProvider.DeclinedCard), HttpStatusCode.PaymentRequired, "card_declined");
        var declined = Assert.Single(await CapturesOf(app, id));
        Assert.Equal((InstructionStatus.Declined, "card_declined"), (declined.Status, declined.FailureCode));
        Assert.Equal("awaiting_payment", (await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}"))).Status());

        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, id), HttpStatusCode.OK);
        var paid = Assert.Single(await CapturesOf(app, id));
        Assert.Equal((declined.Id, InstructionStatus.Succeeded, 2), (paid.Id, paid.Status, paid.Attempts));
        Assert.Equal("awaiting_shipment", (await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}"))).Status());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_capture_whose_answer_never_reached_its_request_is_found_by_its_key_once_the_claim_runs_out_and_pays_the_order_once()
    {
        var (app, _, buyer, id, _) = await CaptureLost(); // the money is taken, and the request never hears of it (as if its host died)
        using var _ = app;
        var captured = app.Payments.CountSucceeded("capture");
        Assert.Equal(InstructionStatus.Processing, Assert.Single(await CapturesOf(app, id)).Status);
        Assert.Equal("awaiting_payment", (await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}"))).Status());
        Assert.Equal(0, await app.SendPayments()); // the worker leaves a claim in force alone

        await app.AdvanceAndSweep(TimeSpan.FromMinutes(3)); // the claim runs out: the worker asks the provider by the key

        var settled = Assert.Single(await CapturesOf(app, id));
        Assert.Equal(InstructionStatus.Succeeded, settled.Status);
        Assert.Equal("awaiting_shipment", (await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}"))).Status());
        var (scope, db) = app.OpenDb();
        using (scope)
            Assert.Equal(settled.ProviderReference, await db.Orders.Where(o => o.Id == id).Select(o => o.PaymentReference).SingleAsync());
        Assert.Equal(captured, app.Payments.CountSucceeded("capture"));
        Assert.Equal(0, await app.SendPayments());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_buyer_who_pays_again_after_a_lost_answer_pays_at_once_with_that_same_capture()
    {
        var (app, _, buyer, id, _) = await CaptureLost();
        using var _ = app;
        var captured = app.Payments.CountSucceeded("capture");
        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, id), HttpStatusCode.OK); // takes the claim over; the provider replays its capture

        var capture = Assert.Single(await CapturesOf(app, id));
        Assert.Equal((InstructionStatus.Succeeded, 2), (capture.Status, capture.Attempts));
        Assert.Equal("awaiting_shipment", (await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}"))).Status());
        Assert.Equal(captured, app.Payments.CountSucceeded("capture"));
        await app.AdvanceAndSweep(TimeSpan.FromMinutes(3)); // nothing left for the worker
        Assert.Equal(InstructionStatus.Succeeded, Assert.Single(await CapturesOf(app, id)).Status);
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_capture_made_after_a_worker_took_its_claim_over_and_found_nothing_for_an_order_closed_meanwhile_is_returned_to_the_card()
    {
        // The fault suite's case (seed 217684 on PostgreSQL): the sandbox clock passed the claim while the provider was
        // still capturing, a worker took the claim over, asked the provider before it had recorded the capture (not found,
        // declined), and the order closed; the capture then succeeded, and nobody gave the money back.
        var provider = new Provider();
        using var app = new SafeholdApp { TestServices = provider.Install };
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");
        var returnedBefore = app.Payments.CountSucceeded("refund", ":void");
        provider.DuringCapture = async services =>
        {
            app.Clock.Advance(TimeSpan.FromMinutes(3)); // the pay request's claim runs out
            await services.GetRequiredService<Safehold.Web.Jobs.InstructionWorker>().RunDueAsync(CancellationToken.None);
            await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{id}/cancel", new { reason = "Too slow" }), HttpStatusCode.OK);
        };

        await Api.ExpectProblem(await SafeholdApp.Pay(buyer, id), HttpStatusCode.Conflict, "invalid_state");

        Assert.Null(provider.DuringCaptureFailed);
        Assert.Equal("closed", (await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}"))).Status());
        Assert.Equal(returnedBefore + 1, app.Payments.CountSucceeded("refund", ":void")); // the pay request returned it
        // The cancel had the capture looked for again (it was not found before the close): the worker finds it and returns
        // it under the same key, so the money goes back once.
        await app.SendPayments();
        var capture = Assert.Single(await CapturesOf(app, id));
        Assert.Equal((InstructionStatus.Declined, "capture_returned"), (capture.Status, capture.FailureCode));
        Assert.Equal(returnedBefore + 1, app.Payments.CountSucceeded("refund", ":void"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_capture_lost_for_an_order_cancelled_meanwhile_is_returned_to_the_card_once_by_the_worker_at_once_not_when_its_claim_runs_out()
    {
        var (app, _, buyer, id, returnedBefore) = await CaptureLost();
        using var _ = app;
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{id}/cancel", new { reason = "It took too long" }), HttpStatusCode.OK);
        Assert.Equal(returnedBefore, app.Payments.CountSucceeded("refund", ":void")); // nothing returned before the close was committed
        await app.SendPayments(); // the clock has not moved: the capture's claim would still run

        var capture = Assert.Single(await CapturesOf(app, id));
        Assert.Equal((InstructionStatus.Declined, "capture_returned"), (capture.Status, capture.FailureCode));
        Assert.Equal("closed", (await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}"))).Status());
        Assert.Equal(returnedBefore + 1, app.Payments.CountSucceeded("refund", ":void"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_capture_the_worker_finds_while_the_buyer_s_pay_again_records_it_is_not_returned_to_the_card()
    {
        // The fault suite's case (seed 141843 on SQLite): the worker took a lost capture's claim when it ran out and found the
        // capture; meanwhile the buyer paid again, taking the claim over, and recorded the same capture. The worker then
        // read an order no longer waiting for payment and returned the money the order held.
        var (app, provider, buyer, id, returnedBefore) = await CaptureLost();
        using var _ = app;
        provider.AfterFind = async _ => await Api.ExpectStatus(await SafeholdApp.Pay(buyer, id), HttpStatusCode.OK);

        await app.AdvanceAndSweep(TimeSpan.FromMinutes(3)); // the claim runs out: the worker asks the provider by the key

        Assert.Null(provider.AfterFind);
        Assert.Equal("awaiting_shipment", (await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}"))).Status());
        Assert.Equal(InstructionStatus.Succeeded, Assert.Single(await CapturesOf(app, id)).Status);
        Assert.Equal(returnedBefore, app.Payments.CountSucceeded("refund", ":void"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task An_unpaid_order_s_close_that_never_commits_returns_no_money_so_its_lost_capture_found_later_pays_it()
    {
        // The fault suite's case (seed 707767 on SQLite, one host killed): a pay's capture was made and its answer lost; the
        // order's close returned the capture to the card before its commit, and the commit never came; the capture, found
        // again by its key, then paid the order, whose money had gone back to the card.
        var (app, _, buyer, id, returnedBefore) = await CaptureLost();
        using var _ = app;

        var (scope, db) = app.OpenDb();
        using (scope)
        {
            // The buyer's cancel, carried out as the request does, in a transaction rolled back (its host died before the commit).
            await using var tx = await scope.ServiceProvider.GetRequiredService<WriteGate>().BeginTransactionAsync(db, CancellationToken.None);
            var order = (await OrderReader.FindAsync(db, id, tracked: true, CancellationToken.None))!;
            var entry = order.Cancel(new Actor(Party.Buyer, order.BuyerId), app.Now, "Changed my mind");
            await scope.ServiceProvider.GetRequiredService<DueTimers>().CarryOutAsync(order, entry, order.LastTransition!.Calls, [], CancellationToken.None);
            await db.SaveChangesAsync();
        }
        Assert.Equal(returnedBefore, app.Payments.CountSucceeded("refund", ":void"));

        await app.AdvanceAndSweep(TimeSpan.FromMinutes(3)); // the claim runs out: the worker finds the capture by its key

        Assert.Equal("awaiting_shipment", (await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}"))).Status());
        Assert.Equal(InstructionStatus.Succeeded, Assert.Single(await CapturesOf(app, id)).Status);
        Assert.Equal(returnedBefore, app.Payments.CountSucceeded("refund", ":void")); // the money the order holds is still taken
        await app.AssertLedgerOk();
    }

    /// <summary>
    /// An order its buyer paid without hearing back: the provider took the money and its answer was lost (503
    /// <c>payment_pending</c>), the capture left claimed; with the count of capture returns at the provider before.
    /// </summary>
    private static async Task<(SafeholdApp App, Provider Provider, TestUser Buyer, Guid OrderId, long ReturnedBefore)> CaptureLost()
    {
        var provider = new Provider();
        var app = new SafeholdApp { TestServices = provider.Install };
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");
        var returnedBefore = app.Payments.CountSucceeded("refund", ":void");
        provider.LoseNextAnswer = true;
        await Api.ExpectProblem(await SafeholdApp.Pay(buyer, id), HttpStatusCode.ServiceUnavailable, "payment_pending");
        return (app, provider, buyer, id, returnedBefore);
    }

    private static async Task<List<PaymentInstruction>> CapturesOf(SafeholdApp app, Guid orderId)
    {
        var (scope, db) = app.OpenDb();
        using (scope)
            return await db.PaymentInstructions.AsNoTracking().Where(i => i.OrderId == orderId && i.Kind == InstructionKind.Capture).ToListAsync();
    }

    /// <summary>The sandbox provider, with a hook run during each capture and an answer it can lose once it has taken the money.</summary>
    internal sealed class Provider
    {
        public Func<IServiceProvider, Task>? DuringCapture;
        /// <summary>Run once, after the next capture looked for by its key is found (before the finder reads the order).</summary>
        public Func<IServiceProvider, Task>? AfterFind;
        public volatile bool LoseNextAnswer;
        public Exception? DuringCaptureFailed;
        public int Captures;
        private IServiceProvider? _services;

        public void Install(IServiceCollection services)
        {
            services.RemoveAll<IPaymentProvider>();
            services.AddSingleton<IPaymentProvider>(sp =>
            {
                _services = sp;
                return new Wrapper(sp.GetRequiredService<SandboxPaymentProvider>(), this);
            });
        }

        private sealed class Wrapper(SandboxPaymentProvider inner, Provider test) : IPaymentProvider
        {
            public async Task<PaymentResult> CaptureAsync(string key, Money amount, string method, CancellationToken ct)
            {
                Interlocked.Increment(ref test.Captures);
                if (test.DuringCapture is { } during)
                {
                    try
                    {
                        await during(test._services!);
                    }
                    catch (Exception e)
                    {
                        test.DuringCaptureFailed = e;
                    }
                }
                var answer = await inner.CaptureAsync(key, amount, method, ct);
                if (!test.LoseNextAnswer) return answer;
                test.LoseNextAnswer = false;
                throw new TimeoutException("The provider's answer never arrived.");
            }

            public async Task<PaymentResult?> FindCaptureAsync(string key, CancellationToken ct)
            {
                var found = await inner.FindCaptureAsync(key, ct);
                if (Interlocked.Exchange(ref test.AfterFind, null) is { } after) await after(test._services!);
                return found;
            }

            public Task<PaymentResult> RefundAsync(string key, string capture, Money amount, CancellationToken ct) => inner.RefundAsync(key, capture, amount, ct);

            public Task<PaymentResult> PayoutAsync(string key, Guid sellerId, Money amount, CancellationToken ct) => inner.PayoutAsync(key, sellerId, amount, ct);
        }
    }
}
