using System.Net;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Ledger;

namespace Safehold.Web.Tests.Features.Orders;

/// <summary>Two requests racing for one order leave exactly one winner and a balanced ledger.</summary>
public sealed class OrderRaceTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private async Task<int> EntriesOf(Guid orderId, string kind)
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.JournalEntries.CountAsync(e => e.OrderId == orderId && e.Kind == kind);
    }

    [Fact]
    public async Task Two_confirmations_at_once_release_escrow_exactly_once()
    {
        var (buyer, seller, id) = await app.OrderIn("awaiting_delivery", amount: 20_000);

        var responses = await Task.WhenAll(
            buyer.Http.PostAsync($"/api/v1/orders/{id}/confirm-receipt", null),
            buyer.Http.PostAsync($"/api/v1/orders/{id}/confirm-receipt", null),
            buyer.Http.PostAsync($"/api/v1/orders/{id}/confirm-receipt", null));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        Assert.Equal(1, await EntriesOf(id, "release"));
        var balance = await Api.Json(await seller.Http.GetAsync("/api/v1/balance"));
        Assert.Equal(19_000, balance["balances"]![0]!["pending"]!.GetValue<long>());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_cancel_racing_a_shipment_leaves_one_winner_and_money_where_the_winner_put_it()
    {
        var (buyer, seller, id) = await app.OrderIn("awaiting_shipment");

        var cancel = buyer.Http.PostAsync($"/api/v1/orders/{id}/cancel", null);
        var ship = SafeholdApp.Ship(seller, id);
        var results = await Task.WhenAll(cancel, ship);

        Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
        var order = await Api.GetOrder(buyer, id);
        if (results[0].StatusCode == HttpStatusCode.OK)
        {
            Assert.Equal("closed", order.Status());
            Assert.Equal(1, await EntriesOf(id, "refund"));
        }
        else
        {
            Assert.Equal("awaiting_delivery", order.Status());
            Assert.Equal(0, await EntriesOf(id, "refund"));
        }
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task Two_payments_at_once_capture_the_card_once()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");
        var captures = app.Payments.CountSucceeded("capture");

        var results = await Task.WhenAll(SafeholdApp.Pay(buyer, id), SafeholdApp.Pay(buyer, id));

        Assert.Single(results, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(captures + 1, app.Payments.CountSucceeded("capture"));
        Assert.Equal(1, await EntriesOf(id, "capture"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task Many_lifecycles_in_parallel_keep_the_ledger_balanced()
    {
        var runs = Enumerable.Range(0, 12).Select(async i =>
        {
            var (buyer, _, id) = await app.OrderIn(i % 3 == 0 ? "closed" : "completed", amount: 1_000 + i * 37);
            return (buyer, id);
        });
        var done = await Task.WhenAll(runs);

        await app.AssertLedgerOk();
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var ids = done.Select(d => d.id).ToList();
            var escrow = await db.JournalLines.Where(l => l.AccountType == AccountType.Escrow && ids.Contains(l.OrderId!.Value)).SumAsync(l => l.Amount);
            Assert.Equal(0, escrow);
        }
    }
}
