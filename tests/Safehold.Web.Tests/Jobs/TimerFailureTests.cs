using System.Net;
using Microsoft.Data.Sqlite;
using Safehold.Domain;
using Safehold.Domain.Payments;
using Safehold.Web.Payments;

namespace Safehold.Web.Tests.Jobs;

/// <summary>Faults outside the database during a sweep: a refused refund (owed, retried by its instruction), a capture whose commit was lost.</summary>
public sealed class TimerFailureTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private void ForgetCaptureAtProvider(Guid orderId)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(app.Directory, "sandbox-provider.db")}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM operations WHERE idempotency_key = $key";
        cmd.Parameters.AddWithValue("$key", $"order:{orderId}:capture");
        Assert.Equal(1, cmd.ExecuteNonQuery());
    }

    [Fact]
    public async Task A_refund_the_provider_refuses_closes_its_order_all_the_same_and_waits_owed_while_every_other_deadline_fires()
    {
        var (buyer, _, broken) = await app.OrderIn("awaiting_shipment");
        var (otherBuyer, _, healthy) = await app.OrderIn("awaiting_shipment");
        ForgetCaptureAtProvider(broken); // the provider will refuse to refund it

        await app.AdvanceAndSweep(TimeSpan.FromDays(7));

        Assert.Equal("closed", (await Api.GetOrder(otherBuyer, healthy)).Status());
        Assert.Equal("closed", (await Api.GetOrder(buyer, broken)).Status()); // the deadline decided; the money follows
        var instructions = await Api.ItemsOf(app.Admin, "/api/v1/payment-instructions");
        var stuck = instructions.Single(i => i!["orderId"]?.GetValue<Guid>() == broken && i["kind"]!.GetValue<string>() == "refund")!;
        Assert.Equal(("pending", "unknown_capture"), (stuck["status"]!.GetValue<string>(), stuck["failureCode"]!.GetValue<string>()));
        Assert.Equal("succeeded", instructions.Single(i => i!["orderId"]?.GetValue<Guid>() == healthy && i["kind"]!.GetValue<string>() == "refund")!["status"]!.GetValue<string>());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_request_that_meets_a_due_timer_whose_refund_will_be_refused_meets_the_deadline_not_a_server_error()
    {
        var (buyer, seller, broken) = await app.OrderIn("awaiting_shipment");
        ForgetCaptureAtProvider(broken);
        app.Clock.Advance(TimeSpan.FromDays(7)); // ship-by has passed; no sweep yet

        var response = await SafeholdApp.Ship(seller, broken);

        // The deadline won: the late shipment is refused (and rolled back with the step it met); the sweeper then closes
        // the order, and the refund the provider will refuse is owed, not an error.
        await Api.ExpectProblem(response, HttpStatusCode.Conflict, "invalid_state");
        await app.AdvanceAndSweep(TimeSpan.Zero);
        Assert.Equal("closed", (await Api.GetOrder(buyer, broken)).Status());
        var refund = (await Api.ItemsOf(app.Admin, "/api/v1/payment-instructions")).Single(i => i!["orderId"]?.GetValue<Guid>() == broken && i["kind"]!.GetValue<string>() == "refund")!;
        Assert.Equal("unknown_capture", refund["failureCode"]!.GetValue<string>());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_capture_whose_commit_was_lost_is_returned_to_the_card_when_the_order_expires()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_payment", amount: 3_000);
        // The pay's intent committed (its capture instruction, claimed), the provider charged the card, then the request
        // died before it recorded the answer.
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            db.PaymentInstructions.Add(PaymentInstruction.Capture(id, $"order:{id}:capture", new Money(3_000, Currency.Usd), app.Now, TimeSpan.FromMinutes(1)));
            await db.SaveChangesAsync();
        }
        Assert.True((await app.Payments.CaptureAsync($"order:{id}:capture", new Money(3_000, Currency.Usd), SandboxPaymentProvider.Visa, default)).Succeeded);
        var refunds = app.Payments.CountSucceeded("refund");

        await app.AdvanceAndSweep(TimeSpan.FromHours(24)); // it expires; the instruction worker returns the capture after the close

        Assert.Equal("closed", (await Api.GetOrder(buyer, id)).Status());
        Assert.Equal(refunds + 1, app.Payments.CountSucceeded("refund"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task An_extension_asked_on_the_last_day_is_answered_by_silence_before_protection_ends()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery");
        await app.AdvanceAndSweep(TimeSpan.FromDays(39));
        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{id}/protection-extensions",
            System.Net.Http.Json.JsonContent.Create(new { days = 10, reason = "Customs" })), HttpStatusCode.Created);

        await app.AdvanceAndSweep(TimeSpan.FromDays(1));

        var order = await Api.GetOrder(buyer, id);
        Assert.Equal("awaiting_delivery", order.Status());
        Assert.Equal("auto_approved", order["extensions"]![0]!["status"]!.GetValue<string>());
        await app.AdvanceAndSweep(TimeSpan.FromDays(10));
        Assert.Equal("completed", (await Api.GetOrder(buyer, id)).Status());
    }
}
