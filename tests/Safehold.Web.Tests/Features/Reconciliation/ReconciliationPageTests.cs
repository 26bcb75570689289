using System.Net;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Features.Reconciliation;
using Safehold.Web.Tests.Features.Portal;

namespace Safehold.Web.Tests.Features.Reconciliation;

/// <summary>The admin's reconciliation page: the period picked in days, the totals as money, the mismatches in words, the CSV download.</summary>
public sealed class ReconciliationPageTests
{
    private static async Task Lifecycle(SafeholdApp app)
    {
        await app.OrderIn("closed", 4_000);
        await app.OrderInCompletedPastWindow(10_000);
        await Api.ExpectStatus(await app.Admin.PostAsync("/api/v1/payouts/run", null), HttpStatusCode.OK);
        await app.SendPayments();
    }

    [Fact]
    public async Task The_last_30_days_agree_after_a_lifecycle_shown_as_money_in_english_and_georgian()
    {
        using var app = new SafeholdApp();
        await Lifecycle(app);

        var english = PortalClient.Text(await (await PortalClient.As(app, await app.NewUser("admin"))).Page("/admin/reconciliation"));
        var georgian = PortalClient.Text(await (await PortalClient.As(app, await app.NewUser("admin"), "ka-GE")).Page("/admin/reconciliation"));

        Assert.Contains("Everything agrees: no mismatch in this period.", english);
        Assert.Contains("Captured from buyers 140.00 USD 140.00 USD 140.00 USD", english);
        Assert.Contains("Refunds sent 40.00 USD 40.00 USD 40.00 USD", english);
        Assert.Contains("ყველაფერი ემთხვევა", georgian);
        Assert.Contains("140,00 USD", georgian);
    }

    [Fact]
    public async Task A_mismatch_is_told_in_words_beside_its_order()
    {
        using var app = new SafeholdApp();
        var (_, _, orderId) = await app.OrderIn("closed", 2_500);
        var (scope, db) = app.OpenDb();
        using (scope)
            await db.Database.ExecuteSqlInterpolatedAsync($"""UPDATE "PaymentInstructions" SET "Status" = 'Succeeded', "ProviderReference" = 're_by_hand' WHERE "OrderId" = {SafeholdApp.SqlGuid(orderId)} AND "Kind" = 'Refund'""");

        var html = await (await PortalClient.As(app, await app.NewUser("admin"))).Page("/admin/reconciliation");
        var text = PortalClient.Text(html);

        Assert.Contains("Mismatches found: 2.", text);
        Assert.Contains("The instruction succeeded, but no ledger entry sent its money.", text);
        Assert.Contains("The payment provider has no record of it.", text);
        Assert.Contains("Instruction: 25.00 USD", text);
        Assert.Contains($"href=\"/orders/{orderId}\"", html);
    }

    [Fact]
    public async Task The_period_s_journal_downloads_as_csv_and_a_bad_period_is_refused_beside_its_field()
    {
        using var app = new SafeholdApp();
        await Lifecycle(app);
        var admin = await PortalClient.As(app, await app.NewUser("admin"));
        var day = SafeholdApp.Start.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        var page = await admin.Page($"/admin/reconciliation?from={day}&to={app.Now:yyyy-MM-dd}");
        Assert.Contains($"/admin/reconciliation?handler=Csv&amp;from={day}", page);
        var csv = await admin.Http.GetAsync($"/admin/reconciliation?handler=Csv&from={day}&to={app.Now:yyyy-MM-dd}");

        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(JournalExport.Header, lines[0]);
        var (scope, db) = app.OpenDb();
        using (scope) Assert.Equal(await db.JournalLines.CountAsync(), lines.Length - 1);

        var backwards = await admin.Http.GetAsync("/admin/reconciliation?from=2026-12-05&to=2026-12-01");
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.Contains("The last day cannot be before the first.", PortalClient.Text(await backwards.Content.ReadAsStringAsync()));
        var notADay = await admin.Http.GetAsync("/admin/reconciliation?handler=Csv&from=soon");
        Assert.Equal(HttpStatusCode.BadRequest, notADay.StatusCode);
        Assert.Contains("id=\"from-error\"", await notADay.Content.ReadAsStringAsync());
        var tooLong = await admin.Http.GetAsync("/admin/reconciliation?from=2024-01-01&to=2026-01-01");
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("At most 366 days after from.", PortalClient.Text(await tooLong.Content.ReadAsStringAsync()));
    }
}
