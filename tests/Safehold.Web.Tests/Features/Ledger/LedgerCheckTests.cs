using System.Net;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Tests.Features.Portal;

namespace Safehold.Web.Tests.Features.Ledger;

/// <summary>The ledger check is only worth something if it fails when the ledger is wrong: each test breaks one invariant behind the API.</summary>
public sealed class LedgerCheckTests
{
    private static async Task<Dictionary<string, bool>> Checks(SafeholdApp app)
    {
        var json = await Api.Json(await app.Admin.GetAsync("/api/v1/ledger/check"));
        return json["checks"]!.AsArray().ToDictionary(c => c!["name"]!.GetValue<string>(), c => c!["ok"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Each_invariant_is_reported_by_name()
    {
        using var app = new SafeholdApp();
        await app.OrderIn("completed");
        var checks = await Checks(app);
        Assert.Equal(
            ["entries_balance", "ledger_sums_to_zero", "no_negative_escrow", "settled_orders_escrow_zero", "seller_balances_match_entries",
                "owed_matches_open_instructions"],
            checks.Keys);
        Assert.All(checks.Values, Assert.True);
    }

    [Fact]
    public async Task An_unbalanced_line_written_behind_the_api_fails_the_check()
    {
        using var app = new SafeholdApp();
        var (_, _, orderId) = await app.OrderIn("awaiting_shipment");
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var entry = await db.JournalEntries.FirstAsync(e => e.OrderId == orderId);
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""INSERT INTO "JournalLines" ("EntryId", "LineNumber", "Account", "AccountType", "OrderId", "SellerId", "Currency", "Amount", "At") VALUES ({SafeholdApp.SqlGuid(entry.Id)}, 99, {"escrow:" + orderId}, 'Escrow', {SafeholdApp.SqlGuid(orderId)}, NULL, 'USD', -20000, {SafeholdApp.SqlInstant(entry.At)})""");
        }

        var json = await Api.Json(await app.Admin.GetAsync("/api/v1/ledger/check"));
        Assert.False(json["ok"]!.GetValue<bool>());
        var checks = await Checks(app);
        Assert.False(checks["entries_balance"]);
        Assert.False(checks["ledger_sums_to_zero"]);
        Assert.False(checks["no_negative_escrow"]);
        Assert.True(checks["seller_balances_match_entries"]);
    }

    [Fact]
    public async Task The_check_page_tells_each_detail_in_Georgian_with_money_as_money()
    {
        using var app = new SafeholdApp();
        var (_, _, orderId) = await app.OrderIn("awaiting_shipment");
        var admin = await PortalClient.As(app, await app.NewUser("admin"), language: "ka-GE");
        var holding = PortalClient.Text(await admin.Page("/admin/ledger"));
        Assert.Contains("ჟურნალის ყველა გატარება (", holding, StringComparison.Ordinal);
        Assert.Contains("გამყიდველების ყველა ბალანსი (", holding, StringComparison.Ordinal);
        Assert.DoesNotMatch("journal|balance|escrow|ledger|currenc", holding);

        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var entry = await db.JournalEntries.FirstAsync(e => e.OrderId == orderId);
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""INSERT INTO "JournalLines" ("EntryId", "LineNumber", "Account", "AccountType", "OrderId", "SellerId", "Currency", "Amount", "At") VALUES ({SafeholdApp.SqlGuid(entry.Id)}, 99, {"escrow:" + orderId}, 'Escrow', {SafeholdApp.SqlGuid(orderId)}, NULL, 'USD', -20000, {SafeholdApp.SqlInstant(entry.At)})""");
        }
        var broken = PortalClient.Text(await admin.Page("/admin/ledger")).Replace('\u00A0', ' ');
        Assert.Contains("ჯამი ნულს არ უდრის, სხვაობა: -200,00 USD.", broken, StringComparison.Ordinal);
        Assert.Contains("დაუბალანსებელი გატარებები: ", broken, StringComparison.Ordinal);
        Assert.DoesNotContain("20000", broken, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refund_owed_in_the_ledger_without_its_open_instruction_fails_the_check()
    {
        using var app = new SafeholdApp();
        var (buyer, _, orderId) = await app.OrderIn("awaiting_shipment", amount: 2_500);
        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/cancel", null), System.Net.HttpStatusCode.OK);
        Assert.True((await Checks(app))["owed_matches_open_instructions"]);
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            // Marked sent behind the API: the ledger still owes the buyer what no open instruction will send.
            await db.Database.ExecuteSqlInterpolatedAsync($"""UPDATE "PaymentInstructions" SET "Status" = 'Succeeded' WHERE "OrderId" = {SafeholdApp.SqlGuid(orderId)} AND "Kind" = 'Refund'""");
        }

        var json = await Api.Json(await app.Admin.GetAsync("/api/v1/ledger/check"));

        Assert.False(json["ok"]!.GetValue<bool>());
        var owed = json["checks"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "owed_matches_open_instructions")!;
        Assert.Contains("refunds owed in USD: ledger 2500, open instructions 0", owed["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_seller_balance_that_differs_from_the_journal_fails_the_check()
    {
        using var app = new SafeholdApp();
        var (_, seller, _) = await app.OrderIn("completed");
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""UPDATE "SellerBalances" SET "Pending" = "Pending" + 1 WHERE "SellerId" = {SafeholdApp.SqlGuid(seller.Id)}""");
        }
        var checks = await Checks(app);
        Assert.False(checks["seller_balances_match_entries"]);
        Assert.True(checks["entries_balance"]);
    }

    [Fact]
    public async Task The_database_refuses_to_edit_or_delete_journal_lines()
    {
        using var app = new SafeholdApp();
        await app.OrderIn("awaiting_shipment");
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var update = await Assert.ThrowsAnyAsync<DbException>(() => db.Database.ExecuteSqlRawAsync("""UPDATE "JournalLines" SET "Amount" = 0"""));
            Assert.Contains("append-only", update.Message);
            var delete = await Assert.ThrowsAnyAsync<DbException>(() => db.Database.ExecuteSqlRawAsync("""DELETE FROM "JournalEntries" """));
            Assert.Contains("append-only", delete.Message);
        }
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task Entity_framework_refuses_to_save_an_edited_journal_entry()
    {
        using var app = new SafeholdApp();
        await app.OrderIn("awaiting_shipment");
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var line = await db.JournalLines.FirstAsync();
            db.Entry(line).Property(l => l.Amount).CurrentValue = 1;
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
            Assert.Contains("never edited", refused.Message);
        }
    }

    [Fact]
    public async Task Only_an_admin_may_run_the_check()
    {
        using var app = new SafeholdApp();
        var seller = await app.NewUser("seller");
        await Api.ExpectProblem(await seller.Http.GetAsync("/api/v1/ledger/check"), HttpStatusCode.Forbidden, "action_not_allowed");
    }
}
