using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Web.Features.Reconciliation;
using Safehold.Web.Payments;

namespace Safehold.Web.Tests.Features.Reconciliation;

/// <summary>
/// Reconciliation over a real database and the sandbox provider's own records: the journal, the payment instructions and
/// the provider agree after a whole lifecycle; a disagreement made behind the API's back is listed; bad periods are refused.
/// </summary>
public sealed class ReconciliationTests
{
    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The reconciliation of a period that holds everything the app has done.</summary>
    internal static string PathOfAll(SafeholdApp app) => $"/api/v1/reconciliation?from={Iso(SafeholdApp.Start.AddDays(-1))}&to={Iso(app.Now.AddHours(1))}";

    private static async Task<JsonNode> Reconcile(SafeholdApp app) => await Api.Json(await app.Admin.GetAsync(PathOfAll(app)));

    private static async Task<JsonNode> Reconcile(SafeholdApp app, DateTimeOffset from, DateTimeOffset to) =>
        await Api.Json(await app.Admin.GetAsync($"/api/v1/reconciliation?from={Iso(from)}&to={Iso(to)}"));

    /// <summary>Every currency's mismatches.</summary>
    private static List<JsonNode> Mismatches(JsonNode result) =>
        result["currencies"]!.AsArray().SelectMany(c => c!["mismatches"]!.AsArray()).Select(m => m!).ToList();

    private static long Amount(JsonNode node, string side, string field) => node[side]![field]!["amount"]!.GetValue<long>();

    /// <summary>A paid order cancelled (its refund sent) and a completed one paid out to its seller.</summary>
    private static async Task<(Guid Cancelled, Guid Completed)> RefundAndPayout(SafeholdApp app)
    {
        var (_, _, cancelled) = await app.OrderIn("closed", 4_000);
        var (_, _, completed) = await app.OrderInCompletedPastWindow(10_000);
        await Api.ExpectStatus(await app.Admin.PostAsync("/api/v1/payouts/run", null), HttpStatusCode.OK);
        await app.SendPayments();
        return (cancelled, completed);
    }

    [Fact]
    public async Task After_a_lifecycle_with_a_refund_and_a_payout_the_ledger_the_instructions_and_the_provider_agree()
    {
        using var app = new SafeholdApp();
        await RefundAndPayout(app);
        await app.AssertLedgerOk();

        var result = await Reconcile(app);

        Assert.True(result["ok"]!.GetValue<bool>(), result.ToJsonString());
        Assert.True(result["providerRecordsRead"]!.GetValue<bool>());
        Assert.Empty(Mismatches(result));
        var usd = Assert.Single(result["currencies"]!.AsArray())!;
        Assert.Equal("USD", usd["currency"]!.GetValue<string>());
        Assert.Equal((14_000L, 4_000L, 0L, 0L), (Amount(usd, "ledger", "capturedIn"), Amount(usd, "ledger", "refundsSent"),
            Amount(usd, "ledger", "refundsOwed"), Amount(usd, "ledger", "payoutsOwed")));
        var paidOut = Amount(usd, "ledger", "payoutsSent");
        Assert.True(paidOut > 0);
        Assert.Equal(10_000 - paidOut, Amount(usd, "ledger", "commission"));
        Assert.Equal((4_000L, paidOut, 0L), (Amount(usd, "instructions", "refunded"), Amount(usd, "instructions", "paidOut"), Amount(usd, "instructions", "settledByHand")));
        Assert.Equal(14_000L, Amount(usd, "instructions", "captured")); // every capture is an instruction, settled by its pay request
        Assert.Equal((14_000L, 4_000L, paidOut), (Amount(usd, "provider", "captured"), Amount(usd, "provider", "refunded"), Amount(usd, "provider", "paidOut")));
    }

    [Fact]
    public async Task A_refund_the_admin_settled_by_hand_agrees_without_the_provider_and_is_counted_as_settled_by_hand()
    {
        using var app = new SafeholdApp();
        var (_, _, orderId) = await app.OrderIn("closed", 2_500);
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"""UPDATE "PaymentInstructions" SET "Status" = 'Failed', "FailureCode" = 'provider_error' WHERE "OrderId" = {SafeholdApp.SqlGuid(orderId)} AND "Kind" = 'Refund'""");
        }
        var id = (await Api.ItemsOf(app.Admin, "/api/v1/payment-instructions?status=failed")).Single()!.Id();
        await Api.ExpectStatus(await app.Admin.PostAsJsonAsync($"/api/v1/payment-instructions/{id}/resolve", new { note = "Paid by bank transfer" }), HttpStatusCode.OK);

        var result = await Reconcile(app);

        Assert.True(result["ok"]!.GetValue<bool>(), result.ToJsonString());
        var usd = result["currencies"]![0]!;
        Assert.Equal((2_500L, 2_500L, 2_500L, 0L), (Amount(usd, "ledger", "refundsSent"), Amount(usd, "instructions", "refunded"),
            Amount(usd, "instructions", "settledByHand"), Amount(usd, "provider", "refunded")));
    }

    [Fact]
    public async Task An_instruction_marked_succeeded_behind_the_ledgers_back_is_listed_as_a_mismatch()
    {
        using var app = new SafeholdApp();
        await RefundAndPayout(app);
        var (_, _, orderId) = await app.OrderIn("closed", 2_500); // its refund not sent yet
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"""UPDATE "PaymentInstructions" SET "Status" = 'Succeeded', "ProviderReference" = 're_by_hand' WHERE "OrderId" = {SafeholdApp.SqlGuid(orderId)} AND "Kind" = 'Refund'""");
        }

        var result = await Reconcile(app);

        Assert.False(result["ok"]!.GetValue<bool>());
        var found = Mismatches(result).Select(m => (m["code"]!.GetValue<string>(), m["orderId"]?.GetValue<Guid>(), m["instructed"]?["amount"]?.GetValue<long>())).ToList();
        Assert.Contains(("succeeded_without_entry", orderId, 2_500L), found);
        Assert.Contains(("provider_has_no_record", orderId, 2_500L), found);
        Assert.Equal(2, found.Count);
        Assert.Equal(2, result["mismatchCount"]!.GetValue<int>());
        Assert.Equal(2, result["currencies"]![0]!["mismatchCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_entry_that_owes_a_refund_no_instruction_carries_and_an_instruction_of_another_amount_are_mismatches()
    {
        using var app = new SafeholdApp();
        var (_, _, orphaned) = await app.OrderIn("closed", 2_500);
        var (_, _, altered) = await app.OrderIn("closed", 3_000);
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"""DELETE FROM "PaymentInstructions" WHERE "OrderId" = {SafeholdApp.SqlGuid(orphaned)} AND "Kind" = 'Refund'""");
            await db.Database.ExecuteSqlInterpolatedAsync($"""UPDATE "PaymentInstructions" SET "Amount" = 2000 WHERE "OrderId" = {SafeholdApp.SqlGuid(altered)} AND "Kind" = 'Refund'""");
        }

        var result = await Reconcile(app);

        var found = Mismatches(result)
            .Select(m => (m["code"]!.GetValue<string>(), m["orderId"]!.GetValue<Guid>(), m["ledger"]?["amount"]?.GetValue<long>(), m["instructed"]?["amount"]?.GetValue<long>()))
            .ToList();
        Assert.Equal([("entry_without_instruction", orphaned, 2_500L, (long?)null), ("amount_differs", altered, 3_000L, 2_000L)],
            found.OrderBy(f => f.Item1 == "amount_differs"));
    }

    [Fact]
    public async Task A_capture_the_provider_never_made_and_one_the_ledger_never_recorded_are_mismatches()
    {
        using var app = new SafeholdApp();
        await app.OrderIn("awaiting_shipment", 3_000);
        var (ghost, lost) = (Guid.NewGuid(), Guid.NewGuid());
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            // A capture entry written behind the API's back, that never reached the provider.
            var entryId = Guid.NewGuid();
            object at = TestDatabase.IsPostgres ? app.Now : app.Now.UtcTicks;
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""INSERT INTO "JournalEntries" ("Id", "DedupeKey", "Kind", "OrderId", "At") VALUES ({SafeholdApp.SqlGuid(entryId)}, {"order:" + ghost + ":capture"}, 'capture', {SafeholdApp.SqlGuid(ghost)}, {at})""");
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""INSERT INTO "JournalLines" ("EntryId", "LineNumber", "Account", "AccountType", "OrderId", "SellerId", "Currency", "Amount", "At") VALUES ({SafeholdApp.SqlGuid(entryId)}, 1, 'payment_clearing', 'PaymentClearing', {SafeholdApp.SqlGuid(ghost)}, NULL, 'USD', -1200, {at})""");
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""INSERT INTO "JournalLines" ("EntryId", "LineNumber", "Account", "AccountType", "OrderId", "SellerId", "Currency", "Amount", "At") VALUES ({SafeholdApp.SqlGuid(entryId)}, 2, {"escrow:" + ghost}, 'Escrow', {SafeholdApp.SqlGuid(ghost)}, NULL, 'USD', 1200, {at})""");
        }
        // And a capture the provider made whose commit never happened.
        await app.Payments.CaptureAsync($"order:{lost}:capture", new Money(1_500, Currency.Of("USD")), SandboxPaymentProvider.Visa, CancellationToken.None);

        var result = await Reconcile(app);

        var found = Mismatches(result).Select(m => (m["code"]!.GetValue<string>(), m["key"]!.GetValue<string>())).Order().ToList();
        Assert.Equal([("entry_without_instruction", $"order:{ghost}:capture"), ("provider_has_no_record", $"order:{ghost}:capture"),
            ("provider_record_without_entry", $"order:{lost}:capture")], found);
        Assert.Equal(1_500, Mismatches(result).Single(m => m["code"]!.GetValue<string>() == "provider_record_without_entry")!["provider"]!["amount"]!.GetValue<long>());
    }

    [Fact]
    public async Task Refunds_decided_in_one_period_and_sent_or_failed_in_the_next_agree_in_each_period_reconciled_alone()
    {
        using var app = new SafeholdApp();
        var from = app.Now.AddSeconds(-1);
        await app.OrderIn("closed", 4_000);
        var (_, _, failed) = await app.OrderIn("closed", 2_500);
        var cut = app.Now.AddSeconds(1);
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        // The second refund failed every attempt in the second period (written so behind the API's back, as the worker
        // would leave it), and the first is sent.
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE "PaymentInstructions" SET "Status" = 'Failed', "FailureCode" = 'sandbox_failure', "Attempts" = 5, "CompletedAt" = {SafeholdApp.SqlInstant(app.Now)}
                WHERE "OrderId" = {SafeholdApp.SqlGuid(failed)} AND "Kind" = 'Refund'
                """);
        }
        await app.SendPayments();
        var to = app.Now.AddMinutes(1);

        // The first period: both refunds owed at its end; the one sent later agrees with its entry that sent it, outside.
        var first = await Reconcile(app, from, cut);
        Assert.True(first["ok"]!.GetValue<bool>(), first.ToJsonString());
        var usd = Assert.Single(first["currencies"]!.AsArray())!;
        Assert.Equal((6_500L, 6_500L, 0L), (Amount(usd, "ledger", "capturedIn"), Amount(usd, "ledger", "refundsOwed"), Amount(usd, "ledger", "refundsSent")));
        Assert.Equal((0L, 0), (Amount(usd, "instructions", "refunded"), usd["instructions"]!["failedCount"]!.GetValue<int>()));

        // The second: one sent (its owing entry is the first period's), one failed with no entry in the period at all.
        var second = await Reconcile(app, cut, to);
        Assert.True(second["ok"]!.GetValue<bool>(), second.ToJsonString());
        usd = Assert.Single(second["currencies"]!.AsArray())!;
        Assert.Equal((0L, 4_000L, 2_500L), (Amount(usd, "ledger", "capturedIn"), Amount(usd, "ledger", "refundsSent"), Amount(usd, "ledger", "refundsOwed")));
        Assert.Equal((4_000L, 4_000L), (Amount(usd, "instructions", "refunded"), Amount(usd, "provider", "refunded")));
        Assert.Equal((2_500L, 1), (Amount(usd, "instructions", "failed"), usd["instructions"]!["failedCount"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_period_of_more_entries_than_SQLite_binds_parameters_in_one_statement_is_reconciled()
    {
        using var app = new SafeholdApp();
        await app.OrderIn("closed", 2_500);
        const int Releases = 40_000; // each entry's key is looked for among the instructions, and SQLite binds at most 32,766 parameters
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            // Entries that need no instruction (escrow released to no seller's account), written a microsecond apart.
            if (TestDatabase.IsPostgres)
            {
                await db.Database.ExecuteSqlInterpolatedAsync($"""
                    INSERT INTO "JournalEntries" ("Id", "DedupeKey", "Kind", "OrderId", "At")
                    SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'bulk:' || g || ':release', 'release', NULL, {app.Now} + g * interval '1 microsecond'
                    FROM generate_series(1, {Releases}) g
                    """);
                await db.Database.ExecuteSqlRawAsync("""
                    INSERT INTO "JournalLines" ("EntryId", "LineNumber", "Account", "AccountType", "OrderId", "SellerId", "Currency", "Amount", "At")
                    SELECT e."Id", n, CASE n WHEN 1 THEN 'escrow:bulk' ELSE 'pending:bulk' END, CASE n WHEN 1 THEN 'Escrow' ELSE 'SellerPending' END, NULL, NULL, 'USD', CASE n WHEN 1 THEN -1 ELSE 1 END, e."At"
                    FROM "JournalEntries" e CROSS JOIN generate_series(1, 2) n WHERE e."DedupeKey" LIKE 'bulk:%'
                    """);
            }
            else
            {
                await db.Database.ExecuteSqlInterpolatedAsync($"""
                    WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {Releases})
                    INSERT INTO "JournalEntries" ("Id", "DedupeKey", "Kind", "OrderId", "At")
                    SELECT printf('00000000-0000-0000-0000-%012d', n), 'bulk:' || n || ':release', 'release', NULL, {app.Now.UtcTicks} + n * 10 FROM g
                    """);
                await db.Database.ExecuteSqlRawAsync("""
                    INSERT INTO "JournalLines" ("EntryId", "LineNumber", "Account", "AccountType", "OrderId", "SellerId", "Currency", "Amount", "At")
                    SELECT e."Id", n.n, CASE n.n WHEN 1 THEN 'escrow:bulk' ELSE 'pending:bulk' END, CASE n.n WHEN 1 THEN 'Escrow' ELSE 'SellerPending' END, NULL, NULL, 'USD', CASE n.n WHEN 1 THEN -1 ELSE 1 END, e."At"
                    FROM "JournalEntries" e CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2) n WHERE e."DedupeKey" LIKE 'bulk:%'
                    """);
            }
        }

        var result = await Reconcile(app);

        Assert.True(result["ok"]!.GetValue<bool>(), result.ToJsonString());
        var usd = Assert.Single(result["currencies"]!.AsArray())!;
        Assert.Equal((2_500L, 2_500L), (Amount(usd, "ledger", "capturedIn"), Amount(usd, "ledger", "refundsOwed")));
    }

    [Theory]
    [InlineData("from=2026-12-02&to=2026-12-01", "to")]
    [InlineData("from=2026-12-01&to=2026-12-01", "to")]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-13-01", "from")]
    [InlineData("to=2026-12-01T25:00:00Z", "to")]
    [InlineData("from=2024-01-01&to=2026-01-01", "to")]
    public async Task A_bad_period_is_refused_with_the_field_it_concerns(string query, string field)
    {
        using var app = new SafeholdApp();
        foreach (var path in new[] { "/api/v1/reconciliation?", "/api/v1/ledger/journal.csv?" })
        {
            var problem = await Api.ExpectProblem(await app.Admin.GetAsync(path + query), HttpStatusCode.BadRequest, "validation_failed");
            Assert.NotNull(problem["errors"]![field]);
        }
    }

    [Fact]
    public async Task Only_the_admin_reconciles_or_exports_the_journal()
    {
        using var app = new SafeholdApp();
        foreach (var role in new[] { "buyer", "seller", "arbiter", "platform" })
        {
            var user = await app.NewUser(role);
            await Api.ExpectProblem(await user.Http.GetAsync("/api/v1/reconciliation"), HttpStatusCode.Forbidden, "action_not_allowed");
            await Api.ExpectProblem(await user.Http.GetAsync("/api/v1/ledger/journal.csv"), HttpStatusCode.Forbidden, "action_not_allowed");
        }
        await Api.ExpectStatus(await app.Admin.GetAsync("/api/v1/reconciliation"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_journal_csv_has_one_line_per_posting_and_each_entry_balances()
    {
        using var app = new SafeholdApp();
        await RefundAndPayout(app);

        var response = await app.Admin.GetAsync($"/api/v1/ledger/journal.csv?from={Iso(SafeholdApp.Start.AddDays(-1))}&to={Iso(app.Now.AddHours(1))}");
        await Api.ExpectStatus(response, HttpStatusCode.OK);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("journal-", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var text = await response.Content.ReadAsStringAsync();

        Assert.EndsWith("\r\n", text);
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(JournalExport.Header, lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.All(rows, r => Assert.Equal(8, r.Length));
        Assert.All(rows, r => Assert.True(r[4].Length > 0 ^ r[5].Length > 0, string.Join(',', r)));
        foreach (var entry in rows.GroupBy(r => (r[0], r[6])))
            Assert.Equal(entry.Sum(r => r[4].Length > 0 ? long.Parse(r[4]) : 0), entry.Sum(r => r[5].Length > 0 ? long.Parse(r[5]) : 0));
        var (scope, db) = app.OpenDb();
        using (scope) Assert.Equal(await db.JournalLines.CountAsync(), rows.Count);
        Assert.Contains(rows, r => r[2] == "refund_sent" && r[3] == "refunds_out" && r[4] == "4000");
        Assert.Contains(rows, r => r[2] == "payout_sent" && r[3].StartsWith("payouts_out:", StringComparison.Ordinal));

        var empty = await (await app.Admin.GetAsync("/api/v1/ledger/journal.csv?from=2020-01-01&to=2020-02-01")).Content.ReadAsStringAsync();
        Assert.Equal(JournalExport.Header + "\r\n", empty);
    }

    [Theory]
    [InlineData("refund", "refund")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\r\nlines", "\"two\r\nlines\"")]
    public void A_csv_field_is_quoted_as_RFC_4180_says_when_it_must_be(string value, string written) =>
        Assert.Equal(written, JournalExport.Field(value));
}
