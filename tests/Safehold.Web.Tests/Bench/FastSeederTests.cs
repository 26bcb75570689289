using System.Globalization;
using Safehold.Bench;
using Safehold.Domain;
using Safehold.Domain.Orders;

namespace Safehold.Web.Tests.Bench;

/// <summary>
/// The fast seeder's orders are what real traffic leaves: the reconciliation of their months finds every capture and
/// every refund of the ledger with its payment instruction, as for orders paid and cancelled over the API, and the ledger holds.
/// </summary>
public sealed class FastSeederTests
{
    [Fact]
    public async Task Seeded_orders_reconcile_each_capture_and_refund_with_its_instruction_and_keep_the_ledger_balanced()
    {
        using var app = new SafeholdApp();
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var price = new Money(2_500, Currency.Usd);
        var productId = await app.NewProduct(seller, price.Amount);
        var listing = new ListingSnapshot(productId, seller.Id, "Seeded item", "A thing for the seeder.", price, null, [], 7, null);

        await FastSeeder.SeedAsync(TestDatabase.Provider, app.ConnectionString, [new SeedParty(buyer.Id, seller.Id, listing)], 30, app.Now, TextWriter.Null);

        // Placed 400 to 30 days ago: two periods, since one is at most 366 days. The seeder writes nothing to the sandbox
        // provider's own records, so the provider's side is not compared: every capture and refund of the ledger must
        // have its instruction, succeeded, for the same amount.
        static string Iso(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("O", CultureInfo.InvariantCulture));
        long captured = 0, refunded = 0;
        foreach (var (from, to) in new[] { (app.Now.AddDays(-401), app.Now.AddDays(-200)), (app.Now.AddDays(-200), app.Now) })
        {
            var result = await Api.Json(await app.Admin.GetAsync($"/api/v1/reconciliation?from={Iso(from)}&to={Iso(to)}"));
            var usd = Assert.Single(result["currencies"]!.AsArray())!;
            Assert.All(usd["mismatches"]!.AsArray(), m => Assert.Equal("provider_has_no_record", m!["code"]!.GetValue<string>()));
            var (ledger, instructions) = (usd["ledger"]!, usd["instructions"]!);
            Assert.Equal(ledger["capturedIn"]!["amount"]!.GetValue<long>(), instructions["captured"]!["amount"]!.GetValue<long>());
            Assert.Equal(ledger["refundsSent"]!["amount"]!.GetValue<long>(), instructions["refunded"]!["amount"]!.GetValue<long>());
            Assert.Equal(0, ledger["refundsOwed"]!["amount"]!.GetValue<long>());
            captured += ledger["capturedIn"]!["amount"]!.GetValue<long>();
            refunded += ledger["refundsSent"]!["amount"]!.GetValue<long>();
        }
        // The seeder's order i is of 1 + i % 3 items; every tenth (i % 10 == 9) is cancelled and refunded whole.
        Assert.Equal(Enumerable.Range(0, 30).Sum(i => price.Amount * (1 + i % 3)), captured);
        Assert.Equal(Enumerable.Range(0, 30).Where(i => i % 10 == 9).Sum(i => price.Amount * (1 + i % 3)), refunded);
        await app.AssertLedgerOk();
    }
}
