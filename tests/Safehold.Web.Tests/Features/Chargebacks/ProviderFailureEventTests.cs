using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Tests.Features.Disputes;

namespace Safehold.Web.Tests.Features.Chargebacks;

/// <summary>
/// <c>refund.failed</c> and <c>payout.failed</c> at <c>POST /payment-events</c>: a sent refund or payout goes back to owed and
/// to the admin's queue, once per event id; one that arrives too early, names nothing known or the wrong thing is refused
/// and changes nothing.
/// </summary>
public sealed class ProviderFailureEventTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static Task<HttpResponseMessage> Failure(HttpClient http, string type, Guid? instructionId = null, string? reference = null,
        string? id = null, object? amount = null, Guid? orderId = null) =>
        http.PostAsJsonAsync("/api/v1/payment-events", new
        {
            id = id ?? $"evt_{Guid.NewGuid():N}",
            type,
            instructionId,
            reference,
            orderId,
            amount,
            reason = "account_closed",
        });

    /// <summary>A cancelled order's refund instruction, sent to the sandbox provider unless <paramref name="send"/> is false.</summary>
    private async Task<(TestUser Buyer, Guid OrderId, JsonNode Refund)> CancelledRefund(bool send = true)
    {
        var (buyer, _, orderId) = await app.OrderIn("awaiting_shipment", 4_321);
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/cancel", new { reason = "Changed my mind" }), HttpStatusCode.OK);
        if (send) await app.SendPayments();
        var refund = (await Api.ItemsOf(app.Admin, "/api/v1/payment-instructions")).Single(i => i!["orderId"]?.GetValue<Guid>() == orderId && i["kind"]!.GetValue<string>() == "refund")!;
        return (buyer, orderId, refund);
    }

    private async Task<JsonNode> Instruction(JsonNode instruction) =>
        await Api.Json(await app.Admin.GetAsync($"/api/v1/payment-instructions/{instruction["id"]}"));

    private async Task<int> EntriesOfKind(string kind, string dedupePrefix)
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.JournalEntries.CountAsync(e => e.Kind == kind && e.DedupeKey.StartsWith(dedupePrefix));
    }

    [Fact]
    public async Task A_refund_failed_event_returns_a_sent_refund_to_owed_and_the_admins_queue_once()
    {
        var (_, orderId, refund) = await CancelledRefund();
        Assert.Equal("succeeded", refund["status"]!.GetValue<string>());
        var eventId = $"evt_{Guid.NewGuid():N}";

        var first = await Failure(app.Admin, "refund.failed", refund["id"]!.GetValue<Guid>(), id: eventId);

        await Api.ExpectStatus(first, HttpStatusCode.OK);
        var body = await Api.Json(first);
        Assert.Equal(("failed", orderId), (body["instructionStatus"]!.GetValue<string>(), body["orderId"]!.GetValue<Guid>()));
        var failed = await Instruction(refund);
        Assert.Equal(("failed", "account_closed"), (failed["status"]!.GetValue<string>(), failed["failureCode"]!.GetValue<string>()));
        Assert.Equal(4_321, Assert.Single(await app.Entries(orderId, "refund_returned"))["RefundsOwed"]);
        await app.AssertLedgerOk();

        var again = await Failure(app.Admin, "refund.failed", refund["id"]!.GetValue<Guid>(), id: eventId);

        await Api.ExpectStatus(again, HttpStatusCode.OK);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(body.ToJsonString(), (await Api.Json(again)).ToJsonString());
        Assert.Single(await app.Entries(orderId, "refund_returned"));
        await app.AssertLedgerOk();

        // Another event id for the same failure is a second report of a failed instruction: refused, nothing changed.
        await Api.ExpectProblem(await Failure(app.Admin, "refund.failed", refund["id"]!.GetValue<Guid>()), HttpStatusCode.Conflict, "invalid_state");
        Assert.Single(await app.Entries(orderId, "refund_returned"));

        // The admin's queue sends it again.
        await Api.ExpectStatus(await app.Admin.PostAsync($"/api/v1/payment-instructions/{refund["id"]}/retry", null), HttpStatusCode.OK);
        await app.SendPayments();
        Assert.Equal("succeeded", (await Instruction(refund))["status"]!.GetValue<string>());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_payout_failed_event_found_by_the_providers_reference_returns_the_payout_to_owed_once()
    {
        var (_, seller, _) = await app.OrderInCompletedPastWindow();
        await Api.ExpectStatus(await app.Admin.PostAsync("/api/v1/payouts/run", null), HttpStatusCode.OK);
        var payout = (await Api.ItemsOf(app.Admin, "/api/v1/payment-instructions")).Single(i => i!["sellerId"]?.GetValue<Guid>() == seller.Id)!;
        Assert.Equal(("payout", "succeeded"), (payout["kind"]!.GetValue<string>(), payout["status"]!.GetValue<string>()));
        var reference = payout["providerReference"]!.GetValue<string>();
        var key = payout["idempotencyKey"]!.GetValue<string>();
        var eventId = $"evt_{Guid.NewGuid():N}";

        var first = await Failure(app.Admin, "payout.failed", reference: reference, id: eventId, amount: new { amount = 9_500, currency = "USD" });

        await Api.ExpectStatus(first, HttpStatusCode.OK);
        Assert.Equal(payout["id"]!.GetValue<Guid>(), (await Api.Json(first))["instructionId"]!.GetValue<Guid>());
        Assert.Equal("failed", (await Instruction(payout))["status"]!.GetValue<string>());
        Assert.Equal(1, await EntriesOfKind("payout_returned", key));
        Assert.Equal(1, await app.Notifications(seller.Id, "payout_failed"));
        await app.AssertLedgerOk();

        await Api.ExpectStatus(await Failure(app.Admin, "payout.failed", reference: reference, id: eventId, amount: new { amount = 9_500, currency = "USD" }),
            HttpStatusCode.OK);
        Assert.Equal(1, await EntriesOfKind("payout_returned", key));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_failure_reported_before_the_refund_was_sent_is_refused_unrecorded_and_applied_when_sent_again()
    {
        var (_, orderId, refund) = await CancelledRefund(send: false);
        Assert.Equal("pending", refund["status"]!.GetValue<string>());
        var eventId = $"evt_{Guid.NewGuid():N}";

        await Api.ExpectProblem(await Failure(app.Admin, "refund.failed", refund["id"]!.GetValue<Guid>(), id: eventId), HttpStatusCode.Conflict,
            "instruction_not_sent");

        Assert.Equal("pending", (await Instruction(refund))["status"]!.GetValue<string>());
        Assert.Empty(await app.Entries(orderId, "refund_returned"));
        await app.AssertLedgerOk();
        await app.SendPayments();
        await Api.ExpectStatus(await Failure(app.Admin, "refund.failed", refund["id"]!.GetValue<Guid>(), id: eventId), HttpStatusCode.OK);
        Assert.Single(await app.Entries(orderId, "refund_returned"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task Failure_events_naming_nothing_known_or_the_wrong_instruction_are_refused_and_change_nothing()
    {
        var (buyer, orderId, refund) = await CancelledRefund();
        var refundId = refund["id"]!.GetValue<Guid>();

        var problem = await Api.ExpectProblem(await Failure(app.Admin, "refund.failed"), HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]!["instructionId"]);
        await Api.ExpectProblem(await Failure(app.Admin, "refund.failed", Guid.NewGuid()), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await Failure(app.Admin, "refund.failed", reference: "re_unknown"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await Failure(app.Admin, "payout.failed", refundId), HttpStatusCode.UnprocessableEntity, "event_instruction_mismatch");
        await Api.ExpectProblem(await Failure(app.Admin, "refund.failed", refundId, orderId: Guid.NewGuid()), HttpStatusCode.UnprocessableEntity,
            "event_instruction_mismatch");
        await Api.ExpectProblem(await Failure(app.Admin, "refund.failed", refundId, amount: new { amount = 1, currency = "USD" }),
            HttpStatusCode.UnprocessableEntity, "event_amount_mismatch");
        await Api.ExpectProblem(await Failure(buyer.Http, "refund.failed", refundId), HttpStatusCode.Forbidden, "action_not_allowed");
        var platform = await app.NewUser("platform");
        var stranger = await app.NewUser("buyer");
        await Api.ExpectProblem(await Failure(app.ActingFor(platform, stranger).Http, "refund.failed", refundId), HttpStatusCode.NotFound, "not_found");

        Assert.Equal("succeeded", (await Instruction(refund))["status"]!.GetValue<string>());
        Assert.Empty(await app.Entries(orderId, "refund_returned"));
        await app.AssertLedgerOk();

        // The buyer's own platform key may report it.
        await Api.ExpectStatus(await Failure(app.ActingFor(platform, buyer).Http, "refund.failed", refundId), HttpStatusCode.OK);
        await app.AssertLedgerOk();
    }
}
