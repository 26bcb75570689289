using Safehold.Bench;
using Xunit.Abstractions;

namespace Safehold.Web.Tests.Bench;

/// <summary>
/// The load benchmark runs end to end against a real host process, on the database the web tests use, and
/// reports. Speed is never asserted here: only that it measured something and that the ledger held.
/// </summary>
public sealed class LoadBenchmarkSmokeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_short_load_run_reports_every_figure_and_a_passing_ledger_check()
    {
        var options = new LoadOptions
        {
            Database = TestDatabase.Provider,
            PostgresServer = TestDatabase.Server,
            Clients = 3,
            Warmup = TimeSpan.FromSeconds(1),
            Duration = TimeSpan.FromSeconds(3),
            MinimumLifecycles = 1, // however busy the machine, the window sees one whole lifecycle
            LimitDuration = TimeSpan.FromSeconds(1),
            SeedOrders = 300, // the fast seeder too, so its rows must satisfy the ledger check
            Pgbench = false,
        }.Validate();
        var report = new StringWriter();

        var result = await LoadBenchmark.RunAsync(options, report);
        output.WriteLine(report.ToString());

        Assert.True(result.LedgerOk, result.LedgerReport);
        Assert.Empty(result.Errors);
        Assert.True(result.Lifecycles > 0, "no lifecycle completed");
        Assert.True(result.Writes > 0 && result.Requests > result.Writes, "no reads or no writes");
        foreach (var endpoint in new[] { "POST /orders", "POST /orders/{id}/pay", "POST /orders/{id}/ship", "POST /orders/{id}/confirm-receipt", "GET /orders/{id} (More details)" })
            Assert.Contains(result.Endpoints, e => e.Endpoint == endpoint && e.Count > 0 && e.P99 >= e.P50);
        Assert.NotEmpty(result.Limits);
        Assert.All(result.Limits, l => Assert.True(l.TransactionsPerSecond > 0, l.Name + ": " + l.Detail));
        Assert.True(result.HostPeakMemoryBytes > 0);
        Assert.Contains("ledger check: ok", report.ToString());
        Assert.Contains("of the database's minimal-transaction rate", report.ToString());
    }

    [Fact]
    public void A_dispute_mix_is_refused_until_disputes_exist()
    {
        var refused = Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["load", "--dispute-share", "0.1"]));
        Assert.Contains("disputes", refused.Message);
    }
}
