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
            MinimumLifecycles = 1, // however busy the machine, the window sees one whole lifecycle of each kind in the mix
            DisputeShare = 0.4, // so that both ways of settling a dispute come round within seconds
            LimitDuration = TimeSpan.FromSeconds(1),
            SeedOrders = 300, // the fast seeder too, so its rows must satisfy the ledger check
            Pgbench = false,
        }.Validate();
        var report = new StringWriter();

        var result = await LoadBenchmark.RunAsync(options, report);
        output.WriteLine(report.ToString());

        Assert.True(result.LedgerOk, result.LedgerReport);
        Assert.Empty(result.Errors);
        Assert.True(result.Ended.Confirmed > 0, "no lifecycle confirmed");
        Assert.True(result.Ended.Cancelled > 0, "no lifecycle cancelled");
        Assert.True(result.Ended.RequestAccepted > 0 && result.Ended.OfferAccepted > 0, "a way of settling a dispute was not measured");
        Assert.True(result.Writes > 0 && result.Requests > result.Writes, "no reads or no writes");
        foreach (var endpoint in new[]
                 {
                     "POST /orders", "POST /orders/{id}/pay", "POST /orders/{id}/ship", "POST /orders/{id}/confirm-receipt", "POST /orders/{id}/cancel",
                     "POST /orders/{id}/disputes", "POST /disputes/{id}/accept", "POST /disputes/{id}/counter-offer", "POST /disputes/{id}/accept-offer",
                     "GET /orders/{id} (More details)", "GET /disputes/{id} (the dispute)",
                 })
            Assert.Contains(result.Endpoints, e => e.Endpoint == endpoint && e.Count > 0 && e.P99 >= e.P50);
        Assert.NotEmpty(result.Limits);
        Assert.All(result.Limits, l => Assert.True(l.TransactionsPerSecond > 0, l.Name + ": " + l.Detail));
        Assert.True(result.HostPeakMemoryBytes > 0);
        Assert.True(result.HostMemoryAtHighest.Shared > 0, "the runtime's double-mapped code was not counted");
        var (anonymous, files, shared) = result.HostMemoryAtHighest;
        Assert.InRange(anonymous + files + shared, 1, result.HostPeakMemoryBytes); // a sample, at most the peak of them all
        Assert.Contains("ledger check: ok", report.ToString());
        Assert.Contains("of the database's minimal-transaction rate", report.ToString());
        Assert.Contains("disputed after shipping and settled by agreement 40%", report.ToString());
        Assert.Contains("POST /disputes/{id}/accept-offer", report.ToString());
    }

    [Fact]
    public void The_mix_disputes_five_percent_of_lifecycles_unless_told_otherwise()
    {
        Assert.Equal(0.05, LoadOptions.Parse(["load"]).DisputeShare);
        Assert.Equal(0.2, LoadOptions.Parse(["load", "--dispute-share", "0.2"]).DisputeShare);
        Assert.Equal(0, LoadOptions.Parse(["load", "--dispute-share", "0"]).DisputeShare);
    }

    [Fact]
    public void The_host_runs_with_mallocs_arenas_limited_from_its_start_unless_told_otherwise()
    {
        Assert.Equal("2", LoadOptions.Parse(["load"]).HostEnvironment["MALLOC_ARENA_MAX"]);
        var told = LoadOptions.Parse(["load", "--host-env", "MALLOC_ARENA_MAX=16", "--host-env", "DOTNET_gcServer=0"]).HostEnvironment;
        Assert.Equal("16", told["MALLOC_ARENA_MAX"]);
        Assert.Equal("0", told["DOTNET_gcServer"]);
    }

    [Fact]
    public void On_PostgreSQL_the_host_warms_up_for_ninety_seconds_unless_told_otherwise()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), LoadOptions.Parse(["load"]).Warmup);
        Assert.Equal(TimeSpan.FromSeconds(90), LoadOptions.Parse(["load", "--database", "postgres"]).Warmup);
        Assert.Equal(TimeSpan.FromSeconds(20), LoadOptions.Parse(["load", "--database", "postgres", "--warmup", "20"]).Warmup);
        Assert.Equal(TimeSpan.FromSeconds(5), LoadOptions.Parse(["load", "--database", "postgres", "--short"]).Warmup);
    }

    [Theory]
    [InlineData("-0.1", "0.1")]
    [InlineData("1.5", "0")]
    [InlineData("0.6", "0.5")]
    public void A_dispute_share_outside_zero_to_one_or_overlapping_the_cancels_is_refused(string disputeShare, string cancelShare)
    {
        Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["load", "--dispute-share", disputeShare, "--cancel-share", cancelShare]));
    }
}
