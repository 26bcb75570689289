using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Safehold.Domain;
using Safehold.Domain.Payments;
using Safehold.Web.Data;
using Safehold.Web.Features.PaymentInstructions;
using Safehold.Web.Payments;

namespace Safehold.Web.Tests.Features.PaymentInstructions;

/// <summary>Refunds as payment instructions: owed with their entry, sent by the worker once, retried, then the admin's queue.</summary>
public sealed class PaymentInstructionTests
{
    private static async Task<(TestUser Buyer, Guid OrderId)> Cancelled(SafeholdApp app, long amount = 4_321)
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_shipment", amount);
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{id}/cancel", new { reason = "Changed my mind" }), HttpStatusCode.OK);
        return (buyer, id);
    }

    private static async Task<JsonNode> RefundOf(SafeholdApp app, Guid orderId) =>
        (await Api.ItemsOf(app.Admin, "/api/v1/payment-instructions")).Single(i => i!["orderId"]?.GetValue<Guid>() == orderId && i["kind"]!.GetValue<string>() == "refund")!;

    private static async Task<JsonNode> Get(SafeholdApp app, JsonNode instruction) =>
        await Api.Json(await app.Admin.GetAsync($"/api/v1/payment-instructions/{instruction["id"]}"));

    /// <summary>Attempts 2 to 5 after a first failed one: the back-off doubles from one minute.</summary>
    private static async Task WaitOutEveryBackoff(SafeholdApp app)
    {
        for (var wait = 1; wait <= 8; wait *= 2) await app.AdvanceAndSweep(TimeSpan.FromMinutes(wait));
    }

    [Fact]
    public async Task A_refund_is_owed_with_its_instruction_until_the_worker_sends_it_once()
    {
        using var app = new SafeholdApp();
        var (_, orderId) = await Cancelled(app);

        var pending = await RefundOf(app, orderId);
        Assert.Equal(("refund", "pending", 4_321L, $"order:{orderId}:refund"), (pending["kind"]!.GetValue<string>(), pending["status"]!.GetValue<string>(),
            pending["amount"]!["amount"]!.GetValue<long>(), pending["idempotencyKey"]!.GetValue<string>()));
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            // Written in the cancel's transaction with the entry that owes it.
            var entry = await db.JournalEntries.SingleAsync(e => e.OrderId == orderId && e.Kind == "refund");
            Assert.Equal(4_321, entry.Lines.Single(l => l.Account == "refunds_owed").Amount);
        }
        await app.AssertLedgerOk();

        Assert.Equal(1, await app.SendPayments());
        Assert.Equal(0, await app.SendPayments());

        var sent = await Get(app, pending);
        Assert.Equal("succeeded", sent["status"]!.GetValue<string>());
        Assert.StartsWith("re_sandbox_", sent["providerReference"]!.GetValue<string>());
        Assert.Equal(1, sent["attempts"]!.GetValue<int>());
        Assert.Equal(1, app.Payments.CountSucceeded("refund"));
        await app.AssertLedgerOk();
    }

    [Theory]
    [InlineData(Fault.Throws)]
    [InlineData(Fault.Answers500)]
    [InlineData(Fault.TimesOut)]
    public async Task A_provider_that_fails_is_retried_with_back_off_then_waits_in_the_admins_queue_and_a_retry_sends_it(Fault fault)
    {
        var provider = new FaultyRefunds { Fault = fault };
        using var app = new SafeholdApp { TestServices = provider.Install, Settings = { ["Safehold:Payments:CallTimeoutSeconds"] = "0.2" } };
        var (_, orderId) = await Cancelled(app);

        await app.SendPayments();
        var first = await RefundOf(app, orderId);
        Assert.Equal(("pending", 1), (first["status"]!.GetValue<string>(), first["attempts"]!.GetValue<int>()));
        Assert.Equal(fault == Fault.TimesOut ? "provider_timeout" : "provider_error", first["failureCode"]!.GetValue<string>());
        Assert.Equal(app.Now.AddMinutes(1), first["nextAttemptAt"]!.GetValue<DateTimeOffset>());
        await WaitOutEveryBackoff(app);

        var queued = await RefundOf(app, orderId);
        Assert.Equal(("failed", 5), (queued["status"]!.GetValue<string>(), queued["attempts"]!.GetValue<int>()));
        Assert.Equal(5, provider.Calls);
        Assert.Contains(await Api.ItemsOf(app.Admin, "/api/v1/payment-instructions?status=failed"), i => i!["id"]!.GetValue<Guid>() == queued["id"]!.GetValue<Guid>());
        await app.AssertLedgerOk(); // still owed, and the check says so

        provider.Fault = Fault.None;
        var retried = await Api.Json(await app.Admin.PostAsync($"/api/v1/payment-instructions/{queued["id"]}/retry", null));
        Assert.Equal("pending", retried["status"]!.GetValue<string>());
        Assert.Equal(1, await app.SendPayments());

        Assert.Equal("succeeded", (await Get(app, queued))["status"]!.GetValue<string>());
        Assert.Equal(1, app.Payments.CountSucceeded("refund"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task An_answer_that_comes_after_the_worker_gave_up_is_found_again_under_the_same_key()
    {
        var provider = new FaultyRefunds { Fault = Fault.AnswersLate };
        using var app = new SafeholdApp { TestServices = provider.Install, Settings = { ["Safehold:Payments:CallTimeoutSeconds"] = "0.2" } };
        var (_, orderId) = await Cancelled(app);

        await app.SendPayments();
        Assert.Equal(1, app.Payments.CountSucceeded("refund")); // the provider refunded; the worker had stopped listening
        Assert.Equal("pending", (await RefundOf(app, orderId))["status"]!.GetValue<string>());
        provider.Fault = Fault.None;
        await app.AdvanceAndSweep(PaymentInstruction.FirstBackoff);

        Assert.Equal("succeeded", (await RefundOf(app, orderId))["status"]!.GetValue<string>());
        Assert.Equal(1, app.Payments.CountSucceeded("refund"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task The_sandbox_fails_the_next_refunds_when_told_and_the_next_attempt_succeeds()
    {
        using var app = new SafeholdApp();
        var told = await app.Admin.PostAsJsonAsync("/api/v1/sandbox/failures", new { kind = "refund", count = 1 });
        await Api.ExpectStatus(told, HttpStatusCode.OK);
        var (_, orderId) = await Cancelled(app);

        await app.SendPayments();
        var failed = await RefundOf(app, orderId);
        Assert.Equal(("pending", "sandbox_failure"), (failed["status"]!.GetValue<string>(), failed["failureCode"]!.GetValue<string>()));
        var advanced = await Api.Json(await app.Admin.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { hours = 1 }));

        Assert.Equal(1, advanced["instructionsRecorded"]!.GetValue<int>());
        Assert.Equal("succeeded", (await RefundOf(app, orderId))["status"]!.GetValue<string>());
        await app.AssertLedgerOk();
        await Api.ExpectProblem(await app.Admin.PostAsJsonAsync("/api/v1/sandbox/failures", new { kind = "capture", count = 1 }), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await app.Admin.PostAsJsonAsync("/api/v1/sandbox/failures", new { kind = "payout", count = -1 }), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Retry_and_resolve_refuse_anyone_but_an_admin_what_is_not_failed_and_an_empty_note_and_change_nothing()
    {
        using var app = new SafeholdApp();
        var (buyer, orderId) = await Cancelled(app);
        var instruction = await RefundOf(app, orderId);
        var id = instruction["id"]!.GetValue<Guid>();

        await Api.ExpectProblem(await buyer.Http.GetAsync("/api/v1/payment-instructions"), HttpStatusCode.Forbidden, "action_not_allowed");
        await Api.ExpectProblem(await buyer.Http.PostAsync($"/api/v1/payment-instructions/{id}/retry", null), HttpStatusCode.Forbidden, "action_not_allowed");
        await Api.ExpectProblem(await app.Admin.PostAsync($"/api/v1/payment-instructions/{id}/retry", null), HttpStatusCode.Conflict, "invalid_state");
        await Api.ExpectProblem(await app.Admin.PostAsJsonAsync($"/api/v1/payment-instructions/{id}/resolve", new { note = "paid" }), HttpStatusCode.Conflict, "invalid_state");
        await Api.ExpectProblem(await app.Admin.PostAsJsonAsync($"/api/v1/payment-instructions/{id}/resolve", new { note = " " }), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await app.Admin.PostAsync($"/api/v1/payment-instructions/{Guid.NewGuid()}/retry", null), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await app.Admin.GetAsync($"/api/v1/payment-instructions/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await app.Admin.GetAsync("/api/v1/payment-instructions?status=lost"), HttpStatusCode.BadRequest, "validation_failed");

        var after = await Get(app, instruction);
        Assert.Equal(("pending", 0, (string?)null), (after["status"]!.GetValue<string>(), after["attempts"]!.GetValue<int>(), after["resolutionNote"]?.GetValue<string>()));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_failed_refund_resolved_by_hand_keeps_the_admins_note_and_leaves_the_owed_account()
    {
        var provider = new FaultyRefunds { Fault = Fault.Throws };
        using var app = new SafeholdApp { TestServices = provider.Install };
        var (_, orderId) = await Cancelled(app);
        await app.SendPayments();
        await WaitOutEveryBackoff(app);
        var queued = await RefundOf(app, orderId);

        var resolved = await Api.Json(await app.Admin.PostAsJsonAsync($"/api/v1/payment-instructions/{queued["id"]}/resolve", new { note = "Refunded by bank transfer, ticket 42" }));

        Assert.Equal(("succeeded", "Refunded by bank transfer, ticket 42", "manual"), (resolved["status"]!.GetValue<string>(),
            resolved["resolutionNote"]!.GetValue<string>(), resolved["providerReference"]!.GetValue<string>()));
        var ledger = await Api.Json(await app.Admin.GetAsync($"/api/v1/orders/{orderId}/ledger"));
        Assert.Contains(ledger["entries"]!.AsArray(), e => e!["kind"]!.GetValue<string>() == "refund_sent");
        Assert.Equal(0, await app.SendPayments());
        await app.AssertLedgerOk();

        // What became of it is in the event log (and so in the webhooks), on sandbox rails too.
        await Events.EventLogSettling.Settled(app);
        var events = (await Api.Json(await app.Admin.GetAsync("/api/v1/events?limit=500")))["items"]!.AsArray()
            .Where(e => e!["instructionId"]?.GetValue<Guid>() == queued.Id()).Select(e => e!["type"]!.GetValue<string>()).ToList();
        Assert.Equal(["payment_instruction.failed", "payment_instruction.resolved"], events);
    }

    [Fact]
    public async Task The_provider_saying_a_sent_refund_failed_puts_it_back_in_the_queue_and_owed_once()
    {
        using var app = new SafeholdApp();
        var (_, orderId) = await Cancelled(app);
        await app.SendPayments();
        var sent = await RefundOf(app, orderId);

        await ProviderFailed(app, null, sent["providerReference"]!.GetValue<string>());
        var again = await Assert.ThrowsAsync<DomainException>(() => ProviderFailed(app, sent["id"]!.GetValue<Guid>(), null));
        Assert.Equal("invalid_state", again.Code);
        await Assert.ThrowsAsync<DomainException>(() => ProviderFailed(app, null, "re_unknown"));

        var failed = await Get(app, sent);
        Assert.Equal(("failed", "refund_bounced"), (failed["status"]!.GetValue<string>(), failed["failureCode"]!.GetValue<string>()));
        await app.AssertLedgerOk();
        await Api.ExpectStatus(await app.Admin.PostAsync($"/api/v1/payment-instructions/{sent["id"]}/retry", null), HttpStatusCode.OK);
        await app.SendPayments();
        Assert.Equal("succeeded", (await Get(app, sent))["status"]!.GetValue<string>());
        await app.AssertLedgerOk();
    }

    /// <summary>What the lead's <c>refund.failed</c> provider event does: in a transaction of its own, as a request's.</summary>
    private static async Task ProviderFailed(SafeholdApp app, Guid? id, string? reference)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        await using var tx = await scope.ServiceProvider.GetRequiredService<WriteGate>().BeginTransactionAsync(db, CancellationToken.None);
        await scope.ServiceProvider.GetRequiredService<InstructionChanges>().ProviderFailedAsync(id, reference, "refund_bounced", CancellationToken.None);
        await tx.CommitAsync();
    }

    public enum Fault
    {
        None,
        Throws,
        Answers500,
        TimesOut,
        AnswersLate,
    }

    /// <summary>The sandbox provider, except that refunds can throw, answer 500, hang, or refund and answer too late.</summary>
    private sealed class FaultyRefunds
    {
        public volatile Fault Fault;
        public int Calls;

        public void Install(IServiceCollection services)
        {
            services.RemoveAll<IPaymentProvider>();
            services.AddSingleton<IPaymentProvider>(sp => new Provider(sp.GetRequiredService<SandboxPaymentProvider>(), this));
        }

        private sealed class Provider(SandboxPaymentProvider inner, FaultyRefunds faults) : IPaymentProvider
        {
            public Task<PaymentResult> CaptureAsync(string key, Money amount, string card, CancellationToken ct) => inner.CaptureAsync(key, amount, card, ct);
            public Task<PaymentResult?> FindCaptureAsync(string key, CancellationToken ct) => inner.FindCaptureAsync(key, ct);
            public Task<PaymentResult> PayoutAsync(string key, Guid sellerId, Money amount, CancellationToken ct) => inner.PayoutAsync(key, sellerId, amount, ct);

            public async Task<PaymentResult> RefundAsync(string key, string capture, Money amount, CancellationToken ct)
            {
                Interlocked.Increment(ref faults.Calls);
                switch (faults.Fault)
                {
                    case Fault.Throws:
                        throw new HttpRequestException("The connection was reset.");
                    case Fault.Answers500:
                        throw new HttpRequestException("Internal Server Error", null, HttpStatusCode.InternalServerError);
                    case Fault.TimesOut:
                        await Task.Delay(Timeout.Infinite, ct);
                        break;
                    case Fault.AnswersLate:
                        var answer = await inner.RefundAsync(key, capture, amount, CancellationToken.None);
                        await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None); // past the worker's timeout
                        ct.ThrowIfCancellationRequested();
                        return answer;
                }
                return await inner.RefundAsync(key, capture, amount, ct);
            }
        }
    }
}
