using System.Net;
using Safehold.Web.Tests.Features.Chargebacks;
using Safehold.Web.Tests.Features.Disputes;
using Safehold.Web.Tests.Features.Portal;

namespace Safehold.Web.Tests.Data;

/// <summary>
/// The lists of the API and the portal, read as their users read them, page after page: every query they send is served
/// by an index (no pass over a table), the list's own query by the index of its order, and a next page seeks to its
/// cursor in that index rather than reading past the pages before it. The plans are what is checked, on the database the
/// suite runs on (<see cref="QueryPlans.OfEverySent"/>), each query with the parameters it was sent with.
/// </summary>
public sealed class ListIndexesTests(RecordingApp recording) : IClassFixture<RecordingApp>
{
    private readonly SafeholdApp app = recording.App;

    [Fact]
    public async Task An_admins_list_of_every_order_is_read_newest_first_from_its_index_and_the_next_page_seeks_to_the_cursor()
    {
        await app.OrderIn("awaiting_shipment");
        await app.OrderIn("awaiting_shipment");

        var pages = await TwoPages(app.Admin, "/api/v1/orders?limit=1");

        AssertReadFromIndex(pages, "IX_Orders_CreatedAt_Id", "CreatedAt");
    }

    [Fact]
    public async Task A_sellers_next_page_of_orders_seeks_to_the_cursor_in_the_sellers_index()
    {
        var (_, seller, _) = await app.OrderIn("awaiting_shipment");
        var product = await app.NewProduct(seller);
        var buyer = await app.NewUser("buyer");
        await app.PlaceOrder(buyer, product);

        var pages = await TwoPages(seller.Http, "/api/v1/orders?limit=1");

        AssertNoTableRead(pages);
        AssertSeeks(pages[1], "IX_Orders_SellerId_CreatedAt_Id", "CreatedAt");
    }

    [Fact]
    public async Task An_admins_list_of_every_dispute_is_read_newest_first_from_its_index_and_the_next_page_seeks_to_the_cursor()
    {
        foreach (var _ in Enumerable.Range(0, 2))
        {
            var (buyer, _, order) = await app.OrderIn("delivered");
            await DisputeApi.OpenOk(buyer, order);
        }

        var pages = await TwoPages(app.Admin, "/api/v1/disputes?limit=1");

        AssertReadFromIndex(pages, "IX_Disputes_OpenedAt_Id", "OpenedAt");
    }

    [Fact]
    public async Task An_arbiters_disputes_are_read_from_an_index_of_each_part_and_the_next_page_seeks_in_each()
    {
        var arbiter = await app.NewUser("arbiter");
        foreach (var i in Enumerable.Range(0, 4))
        {
            var (_, seller, _, dispute) = await app.Disputed();
            await DisputeApi.PostOk(seller, dispute.Id(), "reject", new { reason = "No." });
            await DisputeApi.PostOk(seller, dispute.Id(), "escalate");
            if (i < 2) await DisputeApi.PostOk(arbiter, dispute.Id(), "decision", new { outcome = "released_to_seller", rationale = "Not shown." });
        }

        var pages = await TwoPages(arbiter.Http, "/api/v1/disputes?limit=1");

        AssertNoTableRead(pages);
        foreach (var (part, index) in new[]
                 {
                     ("\"Status\" = 'UnderReview'", "IX_Disputes_Status_OpenedAt_Id"),
                     ("\"DecidedBy\" = @", "IX_Disputes_DecidedBy_OpenedAt_Id"),
                     ("\"AppealArbiterId\" = @", "IX_Disputes_AppealArbiterId_OpenedAt_Id"),
                 })
        {
            var list = Assert.Single(pages[0], p => p.Sql.Contains(part) && p.Sql.Contains("ORDER BY"));
            Assert.Contains(index, list.Plan);
            Assert.DoesNotContain("TEMP B-TREE", list.Plan); // SQLite's sort: read in the index's order (PostgreSQL may sort a near-empty table's bitmap)
            AssertSeeks(pages[1], index, "OpenedAt", part);
        }

        // Their queue (under review) is that one part, and a decided status only the parts of their own decisions.
        var queue = await TwoPages(arbiter.Http, "/api/v1/disputes?status=under_review&limit=1");
        var lists = queue[0].Where(p => p.Sql.Contains("\"OpenedAt\" DESC")).ToList();
        Assert.Contains("IX_Disputes_Status_OpenedAt_Id", Assert.Single(lists).Plan);
        Assert.DoesNotContain("\"DecidedBy\"", lists[0].Sql);
        AssertSeeks(queue[1], "IX_Disputes_Status_OpenedAt_Id", "OpenedAt");
        var decided = await TwoPages(arbiter.Http, "/api/v1/disputes?status=resolved&limit=1");
        AssertNoTableRead(decided);
        Assert.Contains("IX_Disputes_DecidedBy_OpenedAt_Id", Assert.Single(decided[0], p => p.Sql.Contains("\"DecidedBy\" = @") && p.Sql.Contains("\"OpenedAt\" DESC")).Plan);
        Assert.DoesNotContain(decided[0], p => p.Sql.Contains("'UnderReview'") && p.Sql.Contains("\"OpenedAt\" DESC"));
    }

    [Fact]
    public async Task The_admins_chargebacks_page_reads_the_chargebacks_own_indexes_and_no_other_dispute()
    {
        var (_, _, order) = await app.OrderIn("completed");
        await app.OpenChargeback(order);
        var admin = await PortalClient.As(app, await app.NewUser("admin"));

        var plans = await QueryPlans.OfEverySent(recording, () => admin.Page("/admin/chargebacks"));

        AssertNoTableRead([plans]);
        Assert.Contains(plans, p => p.Plan.Contains("IX_Disputes_Chargebacks_Status_DecisionDueAt"));
        Assert.Contains(plans, p => p.Plan.Contains("IX_Disputes_Chargebacks_OpenedAt_Id"));
    }

    [Theory]
    [InlineData("/api/v1/products?limit=1", "IX_Products_CreatedAt_Id")]
    [InlineData("/api/v1/users?limit=1", "IX_Users_CreatedAt_Id")]
    public async Task An_admins_list_of_products_or_users_is_read_newest_first_from_its_index_and_the_next_page_seeks_to_the_cursor(string path, string index)
    {
        await app.OrderIn("awaiting_shipment");
        await app.OrderIn("awaiting_shipment");

        var pages = await TwoPages(app.Admin, path);

        AssertReadFromIndex(pages, index, "CreatedAt");
    }

    [Fact]
    public async Task The_catalog_on_the_home_page_and_the_admins_payouts_are_read_newest_first_from_their_indexes()
    {
        await app.OrderInCompletedPastWindow();
        await Api.ExpectStatus(await app.Admin.PostAsync("/api/v1/payouts/run", null), HttpStatusCode.OK);
        var visitor = await PortalClient.As(app, await app.NewUser("buyer"));

        var catalog = await QueryPlans.OfEverySent(recording, () => visitor.Page("/"));
        var payouts = await QueryPlans.OfEverySent(recording, () => app.Admin.GetAsync("/api/v1/payouts?limit=1"));

        AssertNoTableRead([catalog, payouts]);
        Assert.Contains(catalog, p => p.Plan.Contains("IX_Products_CreatedAt_Id"));
        Assert.Contains(payouts, p => p.Plan.Contains("IX_Payouts_CreatedAt_Id"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("&currency=usd")]
    public async Task A_sellers_statement_is_read_newest_first_from_the_sellers_index_of_lines_and_the_next_page_seeks_to_the_cursor(string filter)
    {
        var (_, seller, _) = await app.OrderInCompletedPastWindow(); // the seller's pending money, then available: two entries

        var pages = await TwoPages(seller.Http, $"/api/v1/balance/statement?limit=1{filter}");

        AssertReadFromIndex(pages, "IX_JournalLines_SellerId_At_EntryId", "At");
    }

    [Fact]
    public async Task The_journals_export_of_a_period_reads_the_periods_entries_from_the_index_of_their_instant()
    {
        await app.OrderIn("completed");

        var export = await QueryPlans.OfEverySent(recording, async () =>
            await Api.ExpectStatus(await app.Admin.GetAsync("/api/v1/ledger/journal.csv?from=2026-06-01T00:00:00Z&to=2027-06-01T00:00:00Z"), HttpStatusCode.OK));

        AssertNoTableRead([export]);
        var rows = Assert.Single(export, p => p.Sql.Contains("\"JournalLines\""));
        Assert.Matches(TestDatabase.IsPostgres ? "(using|Bitmap Index Scan on) \"IX_JournalEntries_At_Id\"[^\n]*\n\\s*Index Cond: [^\n]*\"At\" >= "
            : @"USING (COVERING )?INDEX IX_JournalEntries_At_Id \(At>\? AND At<\?\)", rows.Plan);
    }

    /// <summary>The queries of the list's first page and of the page after it (by the first's cursor).</summary>
    private async Task<List<IReadOnlyList<(string Sql, string Plan)>>> TwoPages(HttpClient client, string path)
    {
        string? next = null;
        var first = await QueryPlans.OfEverySent(recording, async () =>
        {
            var response = await client.GetAsync(path);
            await Api.ExpectStatus(response, HttpStatusCode.OK);
            next = (await Api.Json(response))["nextCursor"]?.GetValue<string>();
        });
        Assert.NotNull(next);
        var second = await QueryPlans.OfEverySent(recording, async () =>
            await Api.ExpectStatus(await client.GetAsync($"{path}&cursor={Uri.EscapeDataString(next)}"), HttpStatusCode.OK));
        return [first, second];
    }

    /// <summary>No query of the two pages reads a table whole, the first page's list is read from <paramref name="index"/>, and the next seeks in it.</summary>
    private static void AssertReadFromIndex(List<IReadOnlyList<(string Sql, string Plan)>> pages, string index, string column)
    {
        AssertNoTableRead(pages);
        Assert.Contains(pages[0], p => p.Plan.Contains(index));
        AssertSeeks(pages[1], index, column);
    }

    private static void AssertNoTableRead(IEnumerable<IReadOnlyList<(string Sql, string Plan)>> pages) => QueryPlans.AssertNoTableRead(pages.SelectMany(p => p));

    /// <summary>The page's list query starts at the cursor in <paramref name="index"/>: a bound on the instant is a condition of the index, not a filter of what it reads.</summary>
    private static void AssertSeeks(IReadOnlyList<(string Sql, string Plan)> page, string index, string column, string? part = null)
    {
        var list = Assert.Single(page, p => p.Sql.Contains($"\"{column}\" <= @") && (part is null || p.Sql.Contains(part)));
        Assert.Contains(index, list.Plan);
        // The condition must be that index's own: another index seeking on an instant of its own does not make the list's seek.
        Assert.Matches(TestDatabase.IsPostgres ? $"(using|Bitmap Index Scan on) \"{index}\"[^\n]*\n\\s*Index Cond: [^\n]*\"{column}\" <= " : $@"USING (COVERING )?INDEX {index} \(.*{column}<\?\)", list.Plan);
    }
}
