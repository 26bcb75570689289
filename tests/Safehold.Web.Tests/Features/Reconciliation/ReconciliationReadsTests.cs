using System.Net;
using System.Text.Json.Nodes;
using Safehold.Web.Tests.Features.Checkouts;

namespace Safehold.Web.Tests.Features.Reconciliation;

/// <summary>
/// What a period's reconciliation reads, as the database plans it (<see cref="QueryPlans.OfEverySent"/>, each query with the
/// parameters it was sent with): every query is served by an index, so its cost follows the period and what it touched,
/// not the length of the journal or of the instructions' history.
/// </summary>
/// <remarks>Each test has an app of its own: the amounts checked are all that app has done.</remarks>
public sealed class ReconciliationReadsTests
{
    [Fact]
    public async Task A_periods_reconciliation_reads_its_entries_its_instructions_and_what_is_owed_through_indexes_and_finds_them_all()
    {
        using var recording = new RecordingApp();
        var app = recording.App;
        // A refund and a payout sent, a refund still owed, and a checkout's one capture of two sellers' orders.
        await app.OrderIn("closed", 4_000);
        await app.OrderInCompletedPastWindow(10_000);
        await Api.ExpectStatus(await app.Admin.PostAsync("/api/v1/payouts/run", null), HttpStatusCode.OK);
        await app.SendPayments();
        await app.OrderIn("closed", 2_500);
        var buyer = await app.NewUser("buyer");
        var checkout = await CheckoutTests.Place(buyer, (await app.NewProduct(await app.NewUser("seller"), 2_100), 1),
            (await app.NewProduct(await app.NewUser("seller"), 3_300), 2));
        await Api.ExpectStatus(await CheckoutTests.PayCheckout(buyer, checkout.Id()), HttpStatusCode.OK);

        JsonNode? result = null;
        var plans = await QueryPlans.OfEverySent(recording, async () =>
        {
            var response = await app.Admin.GetAsync(ReconciliationTests.PathOfAll(app));
            await Api.ExpectStatus(response, HttpStatusCode.OK);
            result = await Api.Json(response);
        });

        Assert.NotNull(result);
        Assert.True(result["ok"]!.GetValue<bool>(), result.ToJsonString());
        var usd = Assert.Single(result["currencies"]!.AsArray())!;
        Assert.Equal(4_000 + 10_000 + 2_500 + 2_100 + 2 * 3_300, usd["ledger"]!["capturedIn"]!["amount"]!.GetValue<long>());
        Assert.Equal(2_500, usd["ledger"]!["refundsOwed"]!["amount"]!.GetValue<long>());
        QueryPlans.AssertNoTableRead(plans);
        Assert.Contains(plans, p => p.Plan.Contains("IX_PaymentInstructions_CompletedAt"));
        Assert.Contains(plans, p => p.Plan.Contains("IX_Orders_CheckoutId"));
        Assert.Contains("IX_JournalLines_Owed", Assert.Single(plans, p => p.Sql.Contains("'RefundsOwed'")).Plan);
    }

    [Fact]
    public async Task The_ledger_checks_sum_of_what_is_owed_reads_only_the_lines_of_the_owed_accounts()
    {
        using var recording = new RecordingApp();
        var app = recording.App;
        await app.OrderIn("closed", 2_500);

        var plans = await QueryPlans.OfEverySent(recording, app.AssertLedgerOk);

        Assert.Contains("IX_JournalLines_Owed", Assert.Single(plans, p => p.Sql.Contains("'RefundsOwed'")).Plan);
    }
}
