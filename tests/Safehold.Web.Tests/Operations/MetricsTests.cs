using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Safehold.Bench;

namespace Safehold.Web.Tests.Operations;

/// <summary><c>/metrics</c>: Prometheus text, for an admin key or the configured scraper token, moving as orders move.</summary>
public sealed class MetricsTests(MetricsTests.App app) : IClassFixture<MetricsTests.App>
{
    public const string ScrapeToken = "scrape-token-0123456789abcdef";

    public sealed class App : IDisposable
    {
        // Counted at every scrape: these tests watch the counts move from one request to the next.
        public SafeholdApp Host { get; } = new() { Settings = { ["Safehold:Metrics:ScrapeToken"] = ScrapeToken, ["Safehold:Metrics:CountsEverySeconds"] = "0" } };
        public void Dispose() => Host.Dispose();
    }

    private async Task<string> Scrape()
    {
        var response = await app.Host.Admin.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    public static double Value(string text, string series)
    {
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"No series {series} in:\n{text}");
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Metrics_are_read_with_an_admin_key_or_the_scrape_token_and_by_no_one_else()
    {
        await Api.ExpectProblem(await app.Host.As(null).GetAsync("/metrics"), HttpStatusCode.Unauthorized, "unauthorized");
        await Api.ExpectProblem(await app.Host.As("not-the-scrape-token-at-all").GetAsync("/metrics"), HttpStatusCode.Unauthorized, "unauthorized");
        var buyer = await app.Host.NewUser("buyer");
        await Api.ExpectProblem(await buyer.Http.GetAsync("/metrics"), HttpStatusCode.Forbidden, "forbidden");

        var scraper = await app.Host.As(ScrapeToken).GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scraper.StatusCode);
        Assert.Contains("# TYPE safehold_orders gauge", await scraper.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Orders_by_status_move_when_orders_move()
    {
        var before = await Scrape();
        var (buyer, _, id) = await app.Host.OrderIn("awaiting_payment");
        var placed = await Scrape();
        Assert.Equal(Value(before, "safehold_orders{status=\"awaiting_payment\"}") + 1, Value(placed, "safehold_orders{status=\"awaiting_payment\"}"));

        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, id), HttpStatusCode.OK);
        var paid = await Scrape();
        Assert.Equal(Value(placed, "safehold_orders{status=\"awaiting_payment\"}") - 1, Value(paid, "safehold_orders{status=\"awaiting_payment\"}"));
        Assert.Equal(Value(placed, "safehold_orders{status=\"awaiting_shipment\"}") + 1, Value(paid, "safehold_orders{status=\"awaiting_shipment\"}"));
        Assert.Equal(0, Value(paid, "safehold_orders{status=\"completed\"}")); // every status is there, at zero too
    }

    [Fact]
    public async Task Every_write_transaction_is_timed_for_how_long_it_held_the_write_lock()
    {
        var before = LockHistogram.Parse(await Scrape(), "safehold_write_lock_held_seconds");
        await app.Host.OrderIn("awaiting_payment"); // a user, a product and an order: write transactions, each timed

        var after = LockHistogram.Parse(await Scrape(), "safehold_write_lock_held_seconds");
        var since = after.Since(before);
        Assert.InRange(since.Count, 3, 100);
        Assert.True(since.Sum > 0, "the transactions took no time at all");
        Assert.Equal(since.Count, since.Buckets[^1].Count); // +Inf holds every one
        Assert.True(since.Quantile(0.5) <= since.Quantile(0.99));
        Assert.Contains("safehold_write_lock_wait_seconds_count", await Scrape(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_are_counted_by_route_and_status()
    {
        await app.Host.Admin.GetAsync("/api/v1/orders");
        var text = await Scrape();
        Assert.Matches(new Regex("""http_requests_received_total\{code="200",method="GET",controller="",action="",page="",endpoint="/api/v1/orders/"\} [1-9]"""), text);
    }
}

/// <summary>Due timers and the sweeper's lag, on an app of its own: the test moves its clock.</summary>
public sealed class SweeperLagMetricsTests : IDisposable
{
    private readonly SafeholdApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Due_timers_and_the_sweepers_lag_show_what_waits_and_clear_when_it_is_swept()
    {
        await _app.OrderIn("awaiting_payment"); // its payment deadline is a day away
        var text = await (await _app.Admin.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Contains("safehold_due_timers{aggregate=\"order\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("safehold_sweeper_lag_seconds 0\n", text, StringComparison.Ordinal);

        _app.Clock.Advance(TimeSpan.FromHours(25)); // an hour overdue, and no sweeper has run
        text = await (await _app.Admin.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Contains("safehold_due_timers{aggregate=\"order\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("safehold_sweeper_lag_seconds 3600\n", text, StringComparison.Ordinal);

        await _app.AdvanceAndSweep(TimeSpan.Zero);
        text = await (await _app.Admin.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Contains("safehold_due_timers{aggregate=\"order\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("safehold_sweeper_lag_seconds 0\n", text, StringComparison.Ordinal);
    }
}

/// <summary>The counts by status read at most once a minute, and what a scrape reads, on apps of their own.</summary>
public sealed class MetricsCostTests
{
    private static async Task<string> Scrape(SafeholdApp app)
    {
        var response = await app.Admin.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private const string Unpaid = "safehold_orders{status=\"awaiting_payment\"}";

    [Fact]
    public async Task The_counts_by_status_are_read_again_only_once_a_minute_has_passed_while_what_is_due_is_read_at_every_scrape()
    {
        using var app = new SafeholdApp();
        var first = await Scrape(app);
        await app.OrderIn("awaiting_payment"); // its payment deadline is a day away

        app.Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(MetricsTests.Value(first, Unpaid), MetricsTests.Value(await Scrape(app), Unpaid));
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(MetricsTests.Value(first, Unpaid) + 1, MetricsTests.Value(await Scrape(app), Unpaid));

        await app.OrderIn("awaiting_payment");
        app.Clock.Advance(TimeSpan.FromHours(24)); // both deadlines have passed since the counts were read
        var text = await Scrape(app);
        Assert.Equal(MetricsTests.Value(first, Unpaid) + 2, MetricsTests.Value(text, Unpaid));
        Assert.Equal(2, MetricsTests.Value(text, "safehold_due_timers{aggregate=\"order\"}"));
    }

    [Fact]
    public void A_counting_interval_below_zero_is_refused_at_start()
    {
        using var app = new SafeholdApp { Settings = { ["Safehold:Metrics:CountsEverySeconds"] = "-1" } };
        var refused = Assert.ThrowsAny<Exception>(() => app.Services);
        Assert.Contains("Safehold:Metrics:CountsEverySeconds", refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scrape_reads_orders_disputes_instructions_and_timers_only_through_their_indexes()
    {
        using var recording = new RecordingApp();
        var app = recording.App;
        await app.OrderIn("closed");
        await app.OrderIn("awaiting_delivery");

        var plans = await QueryPlans.OfEverySent(recording, () => Scrape(app));

        // The webhook endpoints are read whole: a marketplace has a handful, not one a sale.
        var counted = plans.Where(p => !p.Sql.Contains("\"WebhookEndpoints\"", StringComparison.Ordinal)).ToList();
        Assert.Contains(counted, p => p.Sql.Contains("\"Orders\"", StringComparison.Ordinal));
        Assert.Contains(counted, p => p.Sql.Contains("\"PaymentInstructions\"", StringComparison.Ordinal));
        QueryPlans.AssertNoTableRead(counted);
        // The counts of every row by status read the status index alone, never the rows it points to. On SQLite only: on
        // PostgreSQL whether an index-only scan wins depends on the table's statistics (at a million orders it does:
        // docs/benchmarks.md), and a nearly empty table has none.
        var wholeCounts = counted.Where(p => p.Sql.Contains("GROUP BY", StringComparison.Ordinal) && !p.Sql.Contains("WHERE", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, wholeCounts.Count);
        if (!TestDatabase.IsPostgres) Assert.All(wholeCounts, p => Assert.Contains("USING COVERING INDEX", p.Plan, StringComparison.Ordinal));
    }
}

/// <summary>
/// Payment instructions by status, those not settled by kind, and the worker's backlog, as a refund fails and waits; the
/// counts by status a minute apart, as by default, and what waits at every scrape.
/// </summary>
public sealed class PaymentInstructionMetricsTests
{
    private const string Pending = "safehold_payment_instructions{status=\"pending\"}";
    private const string RefundPending = "safehold_payment_instructions_unsettled{kind=\"refund\",status=\"pending\"}";

    [Fact]
    public async Task A_refund_that_keeps_failing_shows_as_due_then_waiting_out_its_backoff_then_failed_and_waiting_for_an_admin()
    {
        using var app = new SafeholdApp();
        await Api.ExpectStatus(await app.Admin.PostAsJsonAsync("/api/v1/sandbox/failures",
            new { kind = "refund", count = Safehold.Domain.Payments.PaymentInstruction.MaxAttempts }), HttpStatusCode.OK);
        var (buyer, _, orderId) = await app.OrderIn("awaiting_shipment"); // paid: its capture succeeded
        var text = await Scrape(app); // counts
        Assert.Equal(1, MetricsTests.Value(text, "safehold_payment_instructions{status=\"succeeded\"}"));
        Assert.Equal(0, MetricsTests.Value(text, Pending));
        Assert.Equal(0, MetricsTests.Value(text, "safehold_payment_instructions_due"));

        // Cancelled: its refund is written and waits for the worker, which has not run.
        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/cancel", null), HttpStatusCode.OK);
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        text = await Scrape(app);
        Assert.Equal(1, MetricsTests.Value(text, RefundPending));
        Assert.Equal(0, MetricsTests.Value(text, "safehold_payment_instructions_unsettled{kind=\"payout\",status=\"failed\"}"));
        Assert.Equal(1, MetricsTests.Value(text, "safehold_payment_instructions_due"));
        Assert.Equal(30, MetricsTests.Value(text, "safehold_payment_instructions_backlog_seconds"));
        Assert.Equal(0, MetricsTests.Value(text, Pending)); // counted 30 s ago, before the refund
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        text = await Scrape(app);
        Assert.Equal(1, MetricsTests.Value(text, Pending)); // a minute since: counted again
        Assert.Equal(60, MetricsTests.Value(text, "safehold_payment_instructions_backlog_seconds"));

        await app.SendPayments(); // the first attempt fails: it waits out its back-off, not due
        text = await Scrape(app);
        Assert.Equal(0, MetricsTests.Value(text, "safehold_payment_instructions_due"));
        Assert.Equal(0, MetricsTests.Value(text, "safehold_payment_instructions_backlog_seconds"));
        Assert.Equal(1, MetricsTests.Value(text, RefundPending));

        for (var attempt = 2; attempt <= Safehold.Domain.Payments.PaymentInstruction.MaxAttempts; attempt++)
        {
            app.Clock.Advance(TimeSpan.FromDays(1));
            await app.SendPayments();
        }
        text = await Scrape(app);
        Assert.Equal(1, MetricsTests.Value(text, "safehold_payment_instructions_unsettled{kind=\"refund\",status=\"failed\"}"));
        Assert.Equal(0, MetricsTests.Value(text, RefundPending));
        Assert.Equal(1, MetricsTests.Value(text, "safehold_payment_instructions{status=\"failed\"}"));
        Assert.Equal(0, MetricsTests.Value(text, "safehold_payment_instructions_due"));
    }

    private static async Task<string> Scrape(SafeholdApp app) => await (await app.Admin.GetAsync("/metrics")).Content.ReadAsStringAsync();
}
