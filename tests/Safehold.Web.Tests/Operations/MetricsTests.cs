using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Safehold.Bench;

namespace Safehold.Web.Tests.Operations;

/// <summary><c>/metrics</c>: Prometheus text, for an admin key or the configured scraper token, moving as orders move.</summary>
public sealed class MetricsTests(MetricsTests.App app) : IClassFixture<MetricsTests.App>
{
    public const string ScrapeToken = "scrape-token-0123456789abcdef";

    public sealed class App : IDisposable
    {
        public SafeholdApp Host { get; } = new() { Settings = { ["Safehold:Metrics:ScrapeToken"] = ScrapeToken } };
        public void Dispose() => Host.Dispose();
    }

    private async Task<string> Scrape()
    {
        var response = await app.Host.Admin.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    private static double Value(string text, string series)
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
