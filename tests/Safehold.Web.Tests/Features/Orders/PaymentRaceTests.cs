using System.Net;
using Microsoft.EntityFrameworkCore;

namespace Safehold.Web.Tests.Features.Orders;

/// <summary>
/// Requests that call the payment provider race requests that change the order. Whoever loses, the money at
/// the provider and the money in the ledger agree: a capture made for an order that closed while it was being made is
/// returned, never kept; no refund for an order that shipped. (The pay calls the provider with no transaction open,
/// between its intent and its answer; the other changes lock the order's row, on PostgreSQL, before they call it.)
/// </summary>
public sealed class PaymentRaceTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private async Task<(int Captures, int Refunds)> EntriesOf(IReadOnlyCollection<Guid> orders)
    {
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var kinds = await db.JournalEntries.Where(e => e.OrderId != null && orders.Contains(e.OrderId.Value)).Select(e => e.Kind).ToListAsync();
            return (kinds.Count(k => k == "capture"), kinds.Count(k => k == "refund"));
        }
    }

    [Fact]
    public async Task A_cancel_racing_a_payment_never_leaves_a_capture_outside_the_ledger()
    {
        var capturesBefore = app.Payments.CountSucceeded("capture");
        var refundsBefore = app.Payments.CountSucceeded("refund");
        var returnedBefore = app.Payments.CountSucceeded("refund", ":void");
        var orders = new List<Guid>();
        for (var i = 0; i < 15; i++)
        {
            var (buyer, _, id) = await app.OrderIn("awaiting_payment");
            orders.Add(id);
            var results = await Task.WhenAll(SafeholdApp.Pay(buyer, id), buyer.Http.PostAsync($"/api/v1/orders/{id}/cancel", null));
            Assert.All(results, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }));
        }

        await app.SendPayments(); // the refunds the cancels owe, sent by the worker after their commits
        var (captures, refunds) = await EntriesOf(orders);
        // A cancel that won while the capture was being made closed the order: that capture was returned to the card (under
        // the order's return key, never recorded as paid). Every other capture is in the ledger, every other refund too.
        var returned = app.Payments.CountSucceeded("refund", ":void") - returnedBefore;
        Assert.Equal(capturesBefore + captures + returned, app.Payments.CountSucceeded("capture"));
        Assert.Equal(refundsBefore + refunds + returned, app.Payments.CountSucceeded("refund"));
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            // Each capture settled: paid (its order in the ledger), declined, or returned; none left claimed.
            var made = await db.PaymentInstructions.Where(i => i.OrderId != null && orders.Contains(i.OrderId.Value)).ToListAsync();
            Assert.All(made, c => Assert.True(c.Status == Safehold.Domain.Payments.InstructionStatus.Succeeded
                || c is { Status: Safehold.Domain.Payments.InstructionStatus.Declined, FailureCode: "capture_returned" }, $"{c.Status} {c.FailureCode}"));
            Assert.Equal(returned, made.Count(c => c.FailureCode == "capture_returned"));
        }
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_cancel_racing_a_shipment_never_refunds_an_order_that_shipped()
    {
        var refundsBefore = app.Payments.CountSucceeded("refund");
        var orders = new List<Guid>();
        for (var i = 0; i < 15; i++)
        {
            var (buyer, seller, id) = await app.OrderIn("awaiting_shipment");
            orders.Add(id);
            var results = await Task.WhenAll(buyer.Http.PostAsync($"/api/v1/orders/{id}/cancel", null), SafeholdApp.Ship(seller, id));
            Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
            Assert.Single(results, r => r.StatusCode == HttpStatusCode.Conflict);
        }

        await app.SendPayments();
        var (_, refunds) = await EntriesOf(orders);
        Assert.Equal(refundsBefore + refunds, app.Payments.CountSucceeded("refund"));
        await app.AssertLedgerOk();
    }
}
