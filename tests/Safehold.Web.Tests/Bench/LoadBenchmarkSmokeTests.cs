using Safehold.Bench;
using Xunit.Abstractions;

namespace Safehold.Web.Tests.Bench;

/// <summary>
/// The load benchmark runs end to end against a real host process, on the database the web tests use, and
/// reports. Speed is never asserted here: only that it measured something and that the ledger held.
/// </summary>
public sealed class LoadBenchmarkSmokeTests(ITestOutputHelper output)
{
    /// <summary>
    /// A run of a few seconds on the tests' database by three clients (a cart takes three sellers), in the mix
    /// <paramref name="mix"/> makes of the defaults; its ledger check must pass and no request may fail.
    /// </summary>
    private async Task<(LoadResult Result, string Report)> ShortRunAsync(Func<LoadOptions, LoadOptions> mix)
    {
        var options = mix(new LoadOptions
        {
            Database = TestDatabase.Provider,
            PostgresServer = TestDatabase.Server,
            Clients = 3,
            Warmup = TimeSpan.FromSeconds(1),
            Duration = TimeSpan.FromSeconds(3),
            MinimumLifecycles = 1, // however busy the machine, the window sees one whole lifecycle of each kind in the mix
            LimitDuration = TimeSpan.FromSeconds(1),
            Pgbench = false,
        }).Validate();
        var report = new StringWriter();

        var result = await LoadBenchmark.RunAsync(options, report);
        output.WriteLine(report.ToString());

        Assert.True(result.LedgerOk, result.LedgerReport);
        Assert.Empty(result.Errors);
        return (result, report.ToString());
    }

    [Fact]
    public async Task A_short_load_run_reports_every_figure_and_a_passing_ledger_check()
    {
        var (result, report) = await ShortRunAsync(o => o with
        {
            DisputeShare = 0.4, // so that both ways of settling a dispute come round within seconds
            SeedOrders = 300, // the fast seeder too, so its rows must satisfy the ledger check
        });

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
        Assert.Contains("ledger check: ok", report);
        Assert.Contains("of the database's minimal-transaction rate", report);
        Assert.Contains("disputed after shipping and settled by agreement 40%", report);
        Assert.Contains("POST /disputes/{id}/accept-offer", report);
    }

    [Fact]
    public async Task A_checkouts_only_run_places_and_pays_and_nothing_else_and_counts_checkouts()
    {
        var (result, report) = await ShortRunAsync(o => o with { CheckoutsOnly = true, CancelShare = 0, DisputeShare = 0, ReadsPerWrite = 0, CartShare = 0.5 });

        Assert.True(result.Ended.Paid > 0, "no checkout ended");
        Assert.Equal(result.Ended.Paid, result.Ended.Total);
        Assert.Equal(result.Writes, result.Requests); // no reads
        Assert.Equal(["POST /checkouts", "POST /checkouts/{id}/pay", "POST /orders", "POST /orders/{id}/pay"], result.Endpoints.Select(e => e.Endpoint).Order());
        Assert.Contains($"checkouts (placed and paid): {result.LifecyclesPerSecond:N1}/s", report);
    }

    [Fact]
    public async Task A_short_run_on_external_rails_pays_by_the_platforms_reports_from_a_production_host()
    {
        // A cancel's refund and a dispute's partial refund become payment instructions for the marketplace to send.
        var (result, report) = await ShortRunAsync(o => o with { Rails = "external", DisputeShare = 0.4, CartShare = 0.3 });

        Assert.True(result.Ended.Confirmed > 0 && result.Ended.Cancelled > 0 && result.Ended.Disputed > 0, "a way a lifecycle ends was not measured");
        foreach (var endpoint in new[] { "POST /orders/{id}/pay", "POST /checkouts/{id}/pay", "POST /orders/{id}/cancel", "POST /disputes/{id}/accept" })
            Assert.Contains(result.Endpoints, e => e.Endpoint == endpoint && e.Count > 0);
        Assert.Contains("production mode on external rails", report);
    }

    [Fact]
    public void A_checkouts_only_report_on_PostgreSQL_gives_checkouts_as_a_share_of_pgbench()
    {
        var options = new LoadOptions { Database = "postgres", CheckoutsOnly = true, CancelShare = 0, DisputeShare = 0, ReadsPerWrite = 0 };
        var result = new LoadResult(options, Seconds: 10, new LifecycleCounts(0, 0, 0, 0, Paid: 500), Requests: 1_000, Writes: 1_000,
            [new EndpointStats("POST /orders", 500, 1, 2, 3, 4, 1), new EndpointStats("POST /orders/{id}/pay", 500, 1, 2, 3, 4, 1)],
            new Dictionary<string, int>(), [new LimitResult("minimal INSERT", 4_000, ""), new LimitResult("pgbench TPC-B-like", 2_000, "")],
            HostPeakMemoryBytes: 1, new CpuShares(1, 0, 1), "0", "0", LedgerOk: true, LedgerReport: "");
        var report = new StringWriter();

        LoadBenchmark.Report(result, report);

        Assert.Contains("checkouts (placed and paid): 50.0/s (500)", report.ToString());
        Assert.Contains("checkouts: 50.0/s = 0.025 of pgbench's TPC-B-like rate", report.ToString());
    }

    [Fact]
    public void Checkouts_only_have_no_reads_unless_told_and_no_cancels_or_disputes()
    {
        var checkouts = LoadOptions.Parse(["load", "--checkouts"]);
        Assert.True(checkouts.CheckoutsOnly);
        Assert.Equal((0, 0, 0), (checkouts.ReadsPerWrite, checkouts.CancelShare, checkouts.DisputeShare));
        Assert.Equal(1, LoadOptions.Parse(["load", "--checkouts", "--reads-per-write", "1"]).ReadsPerWrite);
        Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["load", "--checkouts", "--cancel-share", "0.1"]));
        Assert.Throws<ArgumentException>(() => new LoadOptions { CheckoutsOnly = true }.Validate()); // the default mix cancels and disputes
    }

    [Fact]
    public void The_rails_are_the_sandboxs_unless_told_and_external_rails_have_no_provider_to_delay()
    {
        Assert.False(LoadOptions.Parse(["load"]).ExternalRails);
        Assert.True(LoadOptions.Parse(["load", "--rails", "external"]).ExternalRails);
        Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["load", "--rails", "stripe"]));
        Assert.Throws<ArgumentException>(() => LoadOptions.Parse(["load", "--rails", "external", "--provider-delay", "50"]));
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
