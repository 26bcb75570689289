using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Npgsql;
using Safehold.Domain;
using Safehold.Domain.Orders;

namespace Safehold.Bench;

/// <summary>What a load run measured.</summary>
public sealed record LoadResult(
    LoadOptions Options,
    double Seconds,
    LifecycleCounts Ended,
    long Requests,
    long Writes,
    IReadOnlyList<EndpointStats> Endpoints,
    IReadOnlyDictionary<string, int> Errors,
    IReadOnlyList<LimitResult> Limits,
    long HostPeakMemoryBytes,
    CpuShares Cpu,
    string LoadAverageBefore,
    string LoadAverageAfter,
    bool LedgerOk,
    string LedgerReport,
    WriteLockSample? WriteLock = null,
    (long Anonymous, long Files, long Shared) HostMemoryAtHighest = default)
{
    public long Lifecycles => Ended.Total;
    public double LifecyclesPerSecond => Lifecycles / Seconds;
    public double RequestsPerSecond => Requests / Seconds;
    public double WritesPerSecond => Writes / Seconds;

    /// <summary>The database's minimal-transaction rate: the best of the direct measurements (pgbench is shown beside it, not used).</summary>
    public double LimitPerSecond => Limits.Where(l => !l.Name.StartsWith("pgbench", StringComparison.Ordinal) && !double.IsNaN(l.TransactionsPerSecond))
        .Select(l => l.TransactionsPerSecond).DefaultIfEmpty(double.NaN).Max();

    public double WriteFractionOfLimit => WritesPerSecond / LimitPerSecond;
}

/// <summary>
/// How the lifecycles that ended in a window ended: each is exactly one of these. <see cref="Confirmed"/>: the buyer
/// confirmed receipt; <see cref="Cancelled"/>: the buyer cancelled after paying; <see cref="RequestAccepted"/> and
/// <see cref="OfferAccepted"/>: disputed after shipping and settled by agreement, the seller accepting the buyer's
/// request or the buyer accepting the seller's counter-offer; <see cref="Paid"/>: checkouts placed and paid, with
/// <see cref="LoadOptions.CheckoutsOnly"/> (a cart's checkout is one).
/// </summary>
public readonly record struct LifecycleCounts(long Confirmed, long Cancelled, long RequestAccepted, long OfferAccepted, long Paid = 0)
{
    public long Disputed => RequestAccepted + OfferAccepted;
    public long Total => Confirmed + Cancelled + Disputed + Paid;

    public static LifecycleCounts operator +(LifecycleCounts a, LifecycleCounts b) =>
        new(a.Confirmed + b.Confirmed, a.Cancelled + b.Cancelled, a.RequestAccepted + b.RequestAccepted, a.OfferAccepted + b.OfferAccepted, a.Paid + b.Paid);

    /// <summary>Whether there are at least <paramref name="minimum"/> of every kind that <paramref name="mix"/> can produce.</summary>
    public bool EachKindAtLeast(long minimum, LoadOptions mix) => mix.CheckoutsOnly ? Paid >= minimum :
        (mix.CancelShare + mix.DisputeShare >= 1 || Confirmed >= minimum)
        && (mix.CancelShare == 0 || Cancelled >= minimum)
        && (mix.DisputeShare == 0 || (RequestAccepted >= minimum && OfferAccepted >= minimum));
}

/// <summary>One measured window of load.</summary>
internal sealed record Window(LoadOptions Options, double Seconds, LifecycleCounts Ended, IReadOnlyList<EndpointStats> Stats,
    IReadOnlyDictionary<string, int> Errors, CpuShares Cpu, long PeakMemory, string LoadAtStart, string LoadAtEnd, WriteLockSample? WriteLock,
    (long Anonymous, long Files, long Shared) MemoryAtEnd)
{
    public LoadResult Result(LoadOptions options, IReadOnlyList<LimitResult> limits, bool ledgerOk, string ledger) =>
        new(options, Seconds, Ended, Stats.Sum(s => (long)s.Count), Stats.Where(s => s.IsWrite).Sum(s => (long)s.Count),
            Stats, Errors, limits, PeakMemory, Cpu, LoadAtStart, LoadAtEnd, ledgerOk, ledger, WriteLock, MemoryAtEnd);
}

/// <summary>CPU used during the measured window, in cores (1.0 = one core busy the whole time).</summary>
public sealed record CpuShares(double Host, double Bench, double Postgres);

/// <summary>
/// The <c>load</c> command: N concurrent clients drive a real Safehold host over HTTP, the way a marketplace would,
/// each running whole lifecycles (create, pay, ship, confirm receipt; some cancelled after paying, some disputed after
/// shipping and settled by agreement) with reads in between ("My orders", "More details", the dispute); in the same
/// run, on the same database and at the same concurrency, the database's own limit. The ledger check after the run
/// must be ok, or the run fails.
/// </summary>
public static class LoadBenchmark
{
    private static readonly string[] Tabs = ["awaiting_payment", "awaiting_shipment", "awaiting_delivery", "completed", "closed"];

    public static async Task<int> MainAsync(IReadOnlyList<string> args)
    {
        LoadOptions options;
        try
        {
            options = LoadOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(LoadOptions.Usage);
            return 2;
        }
        var result = await RunAsync(options, Console.Out);
        return result.LedgerOk ? 0 : 1;
    }

    public static async Task<LoadResult> RunAsync(LoadOptions options, TextWriter output)
    {
        var dir = Path.Combine(Path.GetTempPath(), "safehold-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var postgres = options.Database == "postgres";
        var databaseName = $"safehold_bench_{Environment.ProcessId}_{Guid.NewGuid().ToString("N")[..8]}";
        var connectionString = postgres
            ? new NpgsqlConnectionStringBuilder(options.PostgresServer) { Database = databaseName }.ToString()
            : $"Data Source={Path.Combine(dir, "safehold.db")}";
        var adminKey = "sh_bench_admin_" + Guid.NewGuid().ToString("N");
        output.WriteLine($"Safehold load benchmark: {options.Database}, {options.Clients} clients, {options.Duration.TotalSeconds:F0} s measured after a {options.Warmup.TotalSeconds:F0} s warm-up"
            + (options.Rate is { } rate ? $", paced at {rate:N0} requests/s in all" : ", each client sending as fast as it is answered"));
        output.WriteLine($"  machine: {Environment.ProcessorCount} cores, load average {LoadAverage()}");

        HostProcess? host = null;
        try
        {
            var settings = new Dictionary<string, string>
            {
                ["Safehold:Demo"] = "false",
                ["Safehold:Database:Provider"] = options.Database,
                ["ConnectionStrings:Safehold"] = connectionString,
                // Every client is on this machine, one address, each as fast as it is answered: a budget per address and per
                // caller that the unpaced mix never reaches, so a run measures the host and never a 429.
                ["Safehold:RateLimits:PerAddressPerMinute"] = "100000000",
                ["Safehold:RateLimits:PerCallerPerMinute"] = "100000000",
            };
            if (options.ExternalRails)
            {
                settings["Safehold:Sandbox"] = "false";
                settings["Safehold:Payments:Provider"] = "external";
            }
            else
            {
                settings["Safehold:Sandbox"] = "true";
                settings["Safehold:SandboxProviderStore"] = Path.Combine(dir, "sandbox-provider.db");
                settings["Safehold:SandboxProviderDelayMs"] = options.ProviderDelayMs.ToString(CultureInfo.InvariantCulture);
            }
            host = await HostProcess.StartAsync(settings, adminKey, options.HostLog ? output : null, options.HostEnvironment);
            host.SampleMemory(TimeSpan.FromSeconds(1));
            output.WriteLine(options.ExternalRails
                ? "  production mode on external rails: no provider is called; the platform's key reports each capture, acting for the buyer"
                : "  sandbox mode: the sandbox provider captures each payment, and every request reads the sandbox clock first");
            if (options.ProviderDelayMs > 0) output.WriteLine($"  the sandbox provider answers {options.ProviderDelayMs:F0} ms after each call");
            if (options.HostEnvironment.Count > 0)
                output.WriteLine($"  host environment: {string.Join(" ", options.HostEnvironment.Select(e => $"{e.Key}={e.Value}"))}");
            output.WriteLine($"  host: pid {host.ProcessId} at {host.Address}");

            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
            {
                BaseAddress = host.Address,
                Timeout = TimeSpan.FromMinutes(2),
            };
            var parties = await CreatePartiesAsync(host.Http, http, options.Clients);
            output.WriteLine($"  created {parties.Count} buyers and {parties.Count} sellers with a product each, over the API");
            AuthenticationHeaderValue? platform = null;
            if (options.ExternalRails)
            {
                var response = await host.Http.PostAsJsonAsync("/api/v1/users", new { email = $"platform-{Guid.NewGuid():N}@bench.test", displayName = "Bench marketplace", role = "platform" });
                response.EnsureSuccessStatusCode();
                platform = new AuthenticationHeaderValue("Bearer", (await response.Content.ReadFromJsonAsync<JsonObject>())!["apiKey"]!.GetValue<string>());
                output.WriteLine("  created the marketplace's platform user, whose key reports the captures");
            }

            IReadOnlyDictionary<Guid, List<Guid>> seeded = new Dictionary<Guid, List<Guid>>();
            if (options.SeedOrders > 0)
            {
                output.WriteLine($"  seeding {options.SeedOrders:N0} settled orders straight into the database ...");
                seeded = await FastSeeder.SeedAsync(options.Database, connectionString,
                    parties.Select(p => new SeedParty(p.BuyerId, p.SellerId, p.Listing)).ToList(), options.SeedOrders, DateTimeOffset.UtcNow, output);
            }

            output.WriteLine($"  the database's own limit ({options.Clients} concurrent writers, {options.LimitDuration.TotalSeconds:F0} s each) ...");
            var limits = new List<LimitResult>();
            if (postgres)
            {
                limits.Add(await DatabaseLimit.PostgresAsync(connectionString, options.Clients, options.LimitDuration));
                if (options.Pgbench)
                    limits.Add(await DatabaseLimit.PgbenchAsync(options.PostgresServer, options.Clients, options.PgbenchScale ?? options.Clients, options.LimitDuration, output));
            }
            else
            {
                limits.AddRange(await DatabaseLimit.SqliteAsync(Path.Combine(dir, "safehold.db"), options.Clients, options.LimitDuration));
            }
            foreach (var l in limits) output.WriteLine($"    {l.Name}: {l.TransactionsPerSecond:N0}/s ({l.Detail})");

            async Task<Window> WindowAsync(LoadOptions o, TimeSpan warmup, TimeSpan duration)
            {
                var clients = parties.Select((p, i) => new LoadClient(http, p, parties, o, seeded.GetValueOrDefault(p.BuyerId) ?? [], i, platform)).ToList();
                using var stop = new CancellationTokenSource();
                var running = clients.Select(c => Task.Run(() => c.RunAsync(stop.Token))).ToList();
                await Task.Delay(warmup);

                var loadAtStart = LoadAverage();
                var cpuBefore = CpuSample.Take(host.ProcessId);
                var lockBefore = await WriteLockSample.TakeAsync(host.Http);
                clients.ForEach(c => c.Recorder.Recording = true);
                var window = Stopwatch.StartNew();
                await Task.Delay(duration);
                LifecycleCounts Whole() => clients.Aggregate(default(LifecycleCounts), (sum, c) => sum + c.WholeInWindow);
                while (!Whole().EachKindAtLeast(o.MinimumLifecycles, o) && window.Elapsed < duration * 40)
                    await Task.Delay(50);
                clients.ForEach(c => c.Recorder.Recording = false);
                window.Stop();
                var cpu = CpuSample.Take(host.ProcessId).Since(cpuBefore, window.Elapsed);
                var writeLock = lockBefore is null ? null : (await WriteLockSample.TakeAsync(host.Http))?.Since(lockBefore);
                var loadAtEnd = LoadAverage();
                await stop.CancelAsync();
                await Task.WhenAll(running);

                var all = LatencyRecorder.Merge(clients.Select(c => c.Recorder));
                var highest = host.HighestMemoryBytes(); // read before the peak: the peak includes every sample's VmHWM
                return new Window(o, window.Elapsed.TotalSeconds, clients.Aggregate(default(LifecycleCounts), (sum, c) => sum + c.Ended),
                    all.Stats().OrderBy(s => s.IsWrite ? 0 : 1).ThenBy(s => EndpointOrder(s.Endpoint)).ToList(), all.Errors, cpu,
                    host.PeakMemoryBytes(), loadAtStart, loadAtEnd, writeLock, highest);
            }

            output.WriteLine($"  load: warm-up {options.Warmup.TotalSeconds:F0} s, then {options.Duration.TotalSeconds:F0} s measured ...");
            var main = await WindowAsync(options, options.Warmup, options.Duration);
            Window? paced = null;
            if (options.ThenRate is { } thenRate)
            {
                var pacedRate = thenRate > 0 ? thenRate : Math.Max(1, Math.Round(main.Stats.Sum(s => s.Count) / main.Seconds / 2));
                output.WriteLine($"  then paced at {pacedRate:N0} requests/s: warm-up {options.Warmup.TotalSeconds / 2:F0} s, then {options.Duration.TotalSeconds:F0} s measured ...");
                paced = await WindowAsync(options with { Rate = pacedRate }, options.Warmup / 2, options.Duration);
            }

            output.WriteLine("  ledger check ...");
            var checkResponse = await host.Http.GetAsync("/api/v1/ledger/check");
            var checkBody = await checkResponse.Content.ReadAsStringAsync();
            var ledgerOk = checkResponse.IsSuccessStatusCode && JsonNode.Parse(checkBody)?["ok"]?.GetValue<bool>() == true;

            var result = main.Result(options, limits, ledgerOk, checkBody);
            Report(result, output);
            if (paced is not null) Report(paced.Result(paced.Options, limits, ledgerOk, checkBody), output);
            if (options.KeepDatabase) output.WriteLine($"  database kept: {connectionString}");
            return result;
        }
        finally
        {
            host?.Dispose();
            if (!options.KeepDatabase)
            {
                SqliteConnection.ClearAllPools();
                NpgsqlConnection.ClearAllPools();
                if (postgres) DropDatabase(options.PostgresServer, databaseName);
                else
                {
                    try
                    {
                        Directory.Delete(dir, recursive: true);
                    }
                    catch (IOException)
                    {
                    }
                }
            }
        }
    }

    private static int EndpointOrder(string endpoint) =>
        Array.FindIndex(["POST /checkouts", "POST /checkouts/{id}/pay", "POST /orders", "POST /orders/{id}/pay", "POST /orders/{id}/ship", "POST /orders/{id}/confirm-receipt", "POST /orders/{id}/cancel",
            "POST /orders/{id}/disputes", "POST /disputes/{id}/accept", "POST /disputes/{id}/counter-offer", "POST /disputes/{id}/accept-offer",
            "GET /orders (My orders)", "GET /orders?status= (My orders, a tab)", "GET /orders/{id} (More details)", "GET /disputes/{id} (the dispute)"],
            e => e == endpoint) is var i and >= 0 ? i : 99;

    public static void Report(LoadResult r, TextWriter o)
    {
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine();
        o.WriteLine($"== {r.Options.Database}{(r.Options.ExternalRails ? ", production mode on external rails" : ", sandbox mode")}, {r.Options.Clients} clients, {r.Seconds:F1} s measured{(r.Options.SeedOrders > 0 ? $", {r.Options.SeedOrders:N0} orders seeded" : "")}"
            + $"{(r.Options.Rate is { } rate ? $", paced at {rate:N0} requests/s" : "")} ==");
        o.WriteLine($"load average: {r.LoadAverageBefore} at the start of the window, {r.LoadAverageAfter} at its end");
        var mix = r.Options;
        if (mix.CheckoutsOnly)
            o.WriteLine(string.Format(inv, "mix: checkouts only: each lifecycle places an order and pays it, and ends with the money held; about {0:0.##} reads per write{1}",
                mix.ReadsPerWrite, mix.CartShare > 0 ? string.Format(inv, "; {0:0%} of them a cart of three sellers (one checkout, paid once)", mix.CartShare) : ""));
        else
            o.WriteLine(string.Format(inv, "mix: each lifecycle one of: cancelled after paying {0:0%}, disputed after shipping and settled by agreement {1:0%} "
            + "(the seller accepts the partial refund asked for, or counter-offers a smaller one that the buyer accepts, in turn), "
            + "confirmed {2:0%}; about {3:0.##} reads per write{4}", mix.CancelShare, mix.DisputeShare, 1 - mix.CancelShare - mix.DisputeShare, mix.ReadsPerWrite,
            mix.CartShare > 0 ? string.Format(inv, "; before that, {0:0%} of lifecycles buy a cart of three sellers (one checkout, paid once; its three orders shipped and confirmed)", mix.CartShare) : ""));
        var ended = r.Ended;
        if (mix.CheckoutsOnly)
            o.WriteLine($"checkouts (placed and paid): {r.LifecyclesPerSecond:N1}/s ({ended.Paid:N0})");
        else
            o.WriteLine($"lifecycles: {r.LifecyclesPerSecond:N1}/s ({ended.Total:N0}: {ended.Confirmed:N0} confirmed, {ended.Cancelled:N0} cancelled after paying, "
            + $"{ended.Disputed:N0} disputed and settled: {ended.RequestAccepted:N0} request accepted, {ended.OfferAccepted:N0} counter-offer accepted)");
        o.WriteLine($"requests: {r.RequestsPerSecond:N0}/s, of which writes {r.WritesPerSecond:N0}/s ({r.Requests:N0} requests, {r.Writes:N0} writes)");
        o.WriteLine();
        o.WriteLine($"{"endpoint",-40} {"count",8} {"per s",8} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"max ms",8}");
        foreach (var s in r.Endpoints)
            o.WriteLine(string.Format(inv, "{0,-40} {1,8} {2,8:F0} {3,8:F1} {4,8:F1} {5,8:F1} {6,8:F1}", s.Endpoint, s.Count, s.Count / r.Seconds, s.P50, s.P95, s.P99, s.Max));
        o.WriteLine();
        o.WriteLine(r.Errors.Count == 0 ? "errors: none" : "errors:");
        foreach (var (key, n) in r.Errors.OrderByDescending(e => e.Value)) o.WriteLine($"  {n,8}  {key}");
        o.WriteLine();
        o.WriteLine("the database's own limit (minimal write transactions of the same durability, direct ADO.NET, same concurrency):");
        foreach (var l in r.Limits) o.WriteLine($"  {l.Name}: {l.TransactionsPerSecond:N0}/s  ({l.Detail})");
        o.WriteLine($"Safehold's write requests: {r.WritesPerSecond:N0}/s = {r.WriteFractionOfLimit:P0} of the database's minimal-transaction rate ({r.LimitPerSecond:N0}/s)");
        if (r.Limits.FirstOrDefault(l => l.Name.StartsWith("pgbench", StringComparison.Ordinal)) is { TransactionsPerSecond: > 0 } pg)
        {
            o.WriteLine($"                           = {r.WritesPerSecond / pg.TransactionsPerSecond:P0} of pgbench's TPC-B-like rate ({pg.TransactionsPerSecond:N0}/s)");
            if (mix.CheckoutsOnly)
                o.WriteLine(string.Format(inv, "checkouts: {0:N1}/s = {1:0.000} of pgbench's TPC-B-like rate (issue 19's goal: at least 0.25)",
                    r.LifecyclesPerSecond, r.LifecyclesPerSecond / pg.TransactionsPerSecond));
        }
        o.WriteLine();
        o.WriteLine($"CPU during the window, in cores of {Environment.ProcessorCount}: host {r.Cpu.Host:F2} ({r.Cpu.Host * 1000 / r.RequestsPerSecond:F2} ms a request), "
            + $"bench clients {r.Cpu.Bench:F2}" + (r.Options.Database == "postgres" ? $", PostgreSQL {r.Cpu.Postgres:F2} ({r.Cpu.Postgres * 1000 / r.RequestsPerSecond:F2} ms a request; all its processes, other users' too)" : ""));
        o.WriteLine("the write lock (the host's own histograms: SQLite's one lock from BEGIN IMMEDIATE to the end; PostgreSQL, each transaction's life):");
        o.WriteLine("  " + (r.WriteLock?.Describe(r.Seconds) ?? "not measured (the host has no safehold_write_lock_* metrics)"));
        o.WriteLine($"host peak memory (VmHWM): {r.HostPeakMemoryBytes / 1024.0 / 1024:F0} MB; at its highest sample (one a second, from its start) its own {r.HostMemoryAtHighest.Anonymous / 1024.0 / 1024:F0} MB (RssAnon: "
            + $"the GC's heap, malloc's arenas, stacks), files mapped {r.HostMemoryAtHighest.Files / 1024.0 / 1024:F0} MB (RssFile: the runtime's libraries, SQLite's shared WAL index) "
            + $"and shared {r.HostMemoryAtHighest.Shared / 1024.0 / 1024:F0} MB (RssShmem: the runtime's compiled code and type data)");
        o.WriteLine($"ledger check: {(r.LedgerOk ? "ok" : "FAILED " + r.LedgerReport)}");
    }

    /// <summary>The 1, 5 and 15 minute load averages, as <c>uptime</c> prints them.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static void DropDatabase(string server, string name)
    {
        try
        {
            using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ToString());
            c.Open();
            using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", c);
            drop.ExecuteNonQuery();
        }
        catch (NpgsqlException)
        {
        }
    }

    /// <summary>One buyer and one seller (with one product) per client, made through the API by the admin.</summary>
    private static async Task<List<Party>> CreatePartiesAsync(HttpClient admin, HttpClient http, int clients)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        async Task<(Guid Id, string Key)> User(string role, int i)
        {
            var response = await admin.PostAsJsonAsync("/api/v1/users", new { email = $"{role}{i}-{tag}@bench.test", displayName = $"Bench {role} {i}", role });
            response.EnsureSuccessStatusCode();
            var user = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            return (user["id"]!.GetValue<Guid>(), user["apiKey"]!.GetValue<string>());
        }
        var parties = new Party[clients];
        await Parallel.ForEachAsync(Enumerable.Range(0, clients), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
        {
            var buyer = await User("buyer", i);
            var seller = await User("seller", i);
            var price = new Money(1_000 + 37 * i, Currency.Usd);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/products")
            {
                Content = JsonContent.Create(new { title = $"Bench item {i}", description = "A thing for the load benchmark.", price = new { amount = price.Amount, currency = "USD" }, handlingDays = 7 }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", seller.Key);
            var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            var productId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
            parties[i] = new Party(buyer.Id, buyer.Key, seller.Id, seller.Key, productId,
                new ListingSnapshot(productId, seller.Id, $"Bench item {i}", "A thing for the load benchmark.", price, null, [], 7, null));
        });
        return [.. parties];
    }

    public sealed record Party(Guid BuyerId, string BuyerKey, Guid SellerId, string SellerKey, Guid ProductId, ListingSnapshot Listing);

    /// <summary>One marketplace client: runs lifecycles of its buyer's orders with its seller, one request at a time.</summary>
    private sealed class LoadClient(HttpClient http, Party party, IReadOnlyList<Party> parties, LoadOptions options, List<Guid> seeded, int seed,
        AuthenticationHeaderValue? platform)
    {
        private readonly Random _random = new(seed);
        private readonly AuthenticationHeaderValue _buyer = new("Bearer", party.BuyerKey);
        private readonly AuthenticationHeaderValue _seller = new("Bearer", party.SellerKey);
        private readonly byte[] _createBody = JsonSerializer.SerializeToUtf8Bytes(new
        {
            items = new[] { new { productId = party.ProductId, quantity = 1 } },
            shippingAddress = new { fullName = "Nino Beridze", line1 = "12 Rustaveli Ave", city = "Tbilisi", country = "GE" },
        });
        private static readonly byte[] PayBody = Encoding.UTF8.GetBytes("""{"card":{"number":"4242424242424242"}}""");
        private static readonly byte[] ShipBody = Encoding.UTF8.GetBytes("""{"carrier":"DHL","trackingNumber":"JD0146000038"}""");
        private static readonly byte[] CancelBody = Encoding.UTF8.GetBytes("""{"reason":"Changed my mind."}""");
        private static readonly byte[] EmptyBody = Encoding.UTF8.GetBytes("{}");

        private long _nextSend;

        /// <summary>
        /// Pays <paramref name="path"/> (an order's or a checkout's pay) for <paramref name="total"/>: in the sandbox with the
        /// test card, as the buyer; on external rails the marketplace reports its capture of the total under a reference of
        /// its own, with its platform key acting for the buyer.
        /// </summary>
        private async Task PayAsync(string endpoint, string path, long total, string currency)
        {
            if (platform is null)
            {
                await SendAsync(endpoint, HttpMethod.Post, path, _buyer, PayBody);
                return;
            }
            var body = JsonSerializer.SerializeToUtf8Bytes(new
            {
                externalPayment = new { reference = "ch_bench_" + Guid.NewGuid().ToString("N"), amount = new { amount = total, currency } },
            });
            await SendAsync(endpoint, HttpMethod.Post, path, platform, body, actingFor: party.BuyerId);
        }

        public LatencyRecorder Recorder { get; } = new();

        /// <summary>With <see cref="LoadOptions.Rate"/>, waits for this client's next slot: clients × rate⁻¹ apart, starting at a random phase.</summary>
        /// <remarks>Latency is timed from the actual send, so a host that falls behind the schedule is not charged for the backlog.</remarks>
        private async Task PaceAsync()
        {
            if (options.Rate is not { } rate) return;
            var interval = (long)(Stopwatch.Frequency * options.Clients / rate);
            if (_nextSend == 0 || Stopwatch.GetElapsedTime(_nextSend) > TimeSpan.FromSeconds(1))
                _nextSend = Stopwatch.GetTimestamp() + (long)(interval * _random.NextDouble()); // first call, or far behind: start afresh
            else
                _nextSend += interval;
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _nextSend);
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
        }
        /// <summary>Lifecycles that ended inside the measured window, by how they ended.</summary>
        public LifecycleCounts Ended { get; private set; }

        /// <summary>Those of <see cref="Ended"/> that also began inside the window: every step of them was recorded.</summary>
        public LifecycleCounts WholeInWindow { get; private set; }

        /// <summary>Whether this client's next dispute is settled by a counter-offer (they alternate, so both ways are measured).</summary>
        private bool _nextDisputeByOffer = seed % 2 == 1;

        public async Task RunAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await LifecycleAsync(stop);
                }
                catch (LifecycleAbandoned)
                {
                    // Recorded as an error; the next lifecycle starts afresh.
                }
            }
        }

        private async Task LifecycleAsync(CancellationToken stop)
        {
            if (options.CartShare > 0 && parties.Count >= 3 && _random.NextDouble() < options.CartShare)
            {
                await CartLifecycleAsync();
                return;
            }
            var begunInWindow = Recorder.Recording;
            long total;
            string currency;
            Guid id;
            using (var created = await SendAsync("POST /orders", HttpMethod.Post, "/api/v1/orders", _buyer, _createBody, wantBody: true))
            {
                id = created!.RootElement.GetProperty("id").GetGuid();
                var money = created.RootElement.GetProperty("total");
                total = money.GetProperty("amount").GetInt64();
                currency = money.GetProperty("currency").GetString()!;
            }
            var path = $"/api/v1/orders/{id}";
            await ReadsAsync(id);
            await PayAsync("POST /orders/{id}/pay", path + "/pay", total, currency);
            await ReadsAsync(id);
            // One draw decides how the lifecycle ends, so cancels and disputes never meet in one lifecycle.
            var draw = _random.NextDouble();
            LifecycleCounts ended;
            if (options.CheckoutsOnly)
            {
                ended = new LifecycleCounts(0, 0, 0, 0, Paid: 1);
            }
            else if (draw < options.CancelShare)
            {
                await SendAsync("POST /orders/{id}/cancel", HttpMethod.Post, path + "/cancel", _buyer, CancelBody);
                await ReadsAsync(id);
                ended = new LifecycleCounts(0, 1, 0, 0);
            }
            else
            {
                await SendAsync("POST /orders/{id}/ship", HttpMethod.Post, path + "/ship", _seller, ShipBody);
                await ReadsAsync(id);
                if (draw < options.CancelShare + options.DisputeShare)
                {
                    ended = await DisputeAsync(id, total, currency);
                }
                else
                {
                    await SendAsync("POST /orders/{id}/confirm-receipt", HttpMethod.Post, path + "/confirm-receipt", _buyer, EmptyBody);
                    await ReadsAsync(id);
                    ended = new LifecycleCounts(1, 0, 0, 0);
                }
            }
            End(ended, begunInWindow);
        }

        /// <summary>
        /// A cart of three sellers' products (this client's seller's and two other clients'): one checkout, paid once; then
        /// each of its three orders is shipped by its own seller and confirmed by the buyer.
        /// </summary>
        private async Task CartLifecycleAsync()
        {
            var begunInWindow = Recorder.Recording;
            var others = parties.Where(p => p.SellerId != party.SellerId).OrderBy(_ => _random.Next()).Take(2).ToList();
            var body = JsonSerializer.SerializeToUtf8Bytes(new
            {
                items = new[] { party }.Concat(others).Select(p => new { productId = p.ProductId, quantity = 1 }),
                shippingAddress = new { fullName = "Nino Beridze", line1 = "12 Rustaveli Ave", city = "Tbilisi", country = "GE" },
            });
            Guid checkoutId;
            List<(Guid Order, Party Seller)> orders;
            long total;
            string currency;
            using (var created = await SendAsync("POST /checkouts", HttpMethod.Post, "/api/v1/checkouts", _buyer, body, wantBody: true))
            {
                checkoutId = created!.RootElement.GetProperty("id").GetGuid();
                var money = created.RootElement.GetProperty("total");
                total = money.GetProperty("amount").GetInt64();
                currency = money.GetProperty("currency").GetString()!;
                orders = created.RootElement.GetProperty("orders").EnumerateArray()
                    .Select(o => (o.GetProperty("id").GetGuid(), parties.First(p => p.SellerId == o.GetProperty("sellerId").GetGuid()))).ToList();
            }
            var sellers = orders.ToDictionary(o => o.Order, o => new AuthenticationHeaderValue("Bearer", o.Seller.SellerKey));
            await ReadsAsync(orders[0].Order, seller: sellers[orders[0].Order]);
            await PayAsync("POST /checkouts/{id}/pay", $"/api/v1/checkouts/{checkoutId}/pay", total, currency);
            await ReadsAsync(orders[0].Order, seller: sellers[orders[0].Order]);
            if (options.CheckoutsOnly)
            {
                End(new LifecycleCounts(0, 0, 0, 0, Paid: 1), begunInWindow);
                return;
            }
            foreach (var (order, _) in orders)
            {
                var path = $"/api/v1/orders/{order}";
                await SendAsync("POST /orders/{id}/ship", HttpMethod.Post, path + "/ship", sellers[order], ShipBody);
                await ReadsAsync(order, seller: sellers[order]);
                await SendAsync("POST /orders/{id}/confirm-receipt", HttpMethod.Post, path + "/confirm-receipt", _buyer, EmptyBody);
                await ReadsAsync(order, seller: sellers[order]);
            }
            End(new LifecycleCounts(orders.Count, 0, 0, 0), begunInWindow);
        }

        /// <summary>Counts a lifecycle that just ended, if it ended inside the measured window.</summary>
        private void End(LifecycleCounts ended, bool begunInWindow)
        {
            if (!Recorder.Recording) return;
            Ended += ended;
            if (begunInWindow) WholeInWindow += ended;
        }

        /// <summary>
        /// The buyer of a shipped order disputes it (not as described, or damaged) asking for 30% back; the seller accepts,
        /// or offers 20% and the buyer accepts that. Both settle at once as a partial refund: no arbiter, no return
        /// shipment, and the order completes with the rest released to the seller.
        /// </summary>
        private async Task<LifecycleCounts> DisputeAsync(Guid orderId, long total, string currency)
        {
            var byOffer = _nextDisputeByOffer;
            _nextDisputeByOffer = !byOffer;
            var open = JsonSerializer.SerializeToUtf8Bytes(new
            {
                reason = _random.NextDouble() < 0.5 ? "not_as_described" : "damaged",
                requestedOutcome = "partial_refund",
                requestedAmount = new { amount = Math.Max(1, total * 3 / 10), currency },
                description = "The strap is scratched and one button does not work.",
            });
            Guid disputeId;
            using (var opened = await SendAsync("POST /orders/{id}/disputes", HttpMethod.Post, $"/api/v1/orders/{orderId}/disputes", _buyer, open, wantBody: true))
                disputeId = opened!.RootElement.GetProperty("id").GetGuid();
            var path = $"/api/v1/disputes/{disputeId}";
            await ReadsAsync(orderId, disputeId);
            if (byOffer)
            {
                var offer = JsonSerializer.SerializeToUtf8Bytes(new
                {
                    outcome = "partial_refund",
                    amount = new { amount = Math.Max(1, total / 5), currency },
                    message = "Sorry about that: I can refund a fifth of the price.",
                });
                await SendAsync("POST /disputes/{id}/counter-offer", HttpMethod.Post, path + "/counter-offer", _seller, offer);
                await ReadsAsync(orderId, disputeId);
                await SettledAsync("POST /disputes/{id}/accept-offer", path + "/accept-offer", _buyer);
            }
            else
            {
                await SettledAsync("POST /disputes/{id}/accept", path + "/accept", _seller);
            }
            await ReadsAsync(orderId, disputeId);
            return byOffer ? new LifecycleCounts(0, 0, 0, 1) : new LifecycleCounts(0, 0, 1, 0);
        }

        /// <summary>The step that ends a dispute by agreement; an answer that leaves it anything but resolved is an error of the run.</summary>
        private async Task SettledAsync(string endpoint, string path, AuthenticationHeaderValue key)
        {
            using var answer = await SendAsync(endpoint, HttpMethod.Post, path, key, EmptyBody, wantBody: true);
            if (answer!.RootElement.GetProperty("status").GetString() is "resolved") return;
            Recorder.Error(endpoint, $"200 but the dispute is {answer.RootElement.GetProperty("status").GetString()}, not resolved");
            throw new LifecycleAbandoned();
        }

        /// <summary>
        /// About <see cref="LoadOptions.ReadsPerWrite"/> reads after each write: half "My orders", half "More details"; while
        /// the lifecycle has a dispute, half of the "More details" reads are of the dispute instead.
        /// </summary>
        private async Task ReadsAsync(Guid current, Guid? dispute = null, AuthenticationHeaderValue? seller = null)
        {
            var n = (int)options.ReadsPerWrite + (_random.NextDouble() < options.ReadsPerWrite % 1 ? 1 : 0);
            for (var i = 0; i < n; i++)
            {
                var asBuyer = _random.NextDouble() < 0.75;
                var key = asBuyer ? _buyer : seller ?? _seller; // a cart's order of another client's seller is read by that seller
                if (_random.NextDouble() < 0.5)
                {
                    if (_random.NextDouble() < options.TabShare)
                        await SendAsync("GET /orders?status= (My orders, a tab)", HttpMethod.Get, $"/api/v1/orders?limit=20&status={Tabs[_random.Next(Tabs.Length)]}", key, null);
                    else
                        await SendAsync("GET /orders (My orders)", HttpMethod.Get, "/api/v1/orders?limit=20", key, null);
                }
                else if (dispute is { } disputeId && _random.NextDouble() < 0.5)
                {
                    await SendAsync("GET /disputes/{id} (the dispute)", HttpMethod.Get, $"/api/v1/disputes/{disputeId}", key, null);
                }
                else
                {
                    var id = seeded.Count > 0 && _random.NextDouble() < 0.5 ? seeded[_random.Next(seeded.Count)] : current;
                    await SendAsync("GET /orders/{id} (More details)", HttpMethod.Get, $"/api/v1/orders/{id}", key, null);
                }
            }
        }

        private async Task<JsonDocument?> SendAsync(string endpoint, HttpMethod method, string path, AuthenticationHeaderValue key, byte[]? body, bool wantBody = false,
            Guid? actingFor = null)
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = key;
            if (actingFor is { } user) request.Headers.Add("Safehold-Acting-For", user.ToString());
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                if (options.IdempotencyKeys) request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            }
            await PaceAsync();
            var start = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
                var bytes = await response.Content.ReadAsByteArrayAsync();
                Recorder.Record(endpoint, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (response.IsSuccessStatusCode) return wantBody ? JsonDocument.Parse(bytes) : null;
                string code;
                try
                {
                    using var problem = JsonDocument.Parse(bytes);
                    code = problem.RootElement.TryGetProperty("code", out var c) ? c.GetString() ?? "" : "";
                }
                catch (JsonException)
                {
                    code = "(not problem+json)";
                }
                Recorder.Error(endpoint, $"{(int)response.StatusCode} {code}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                Recorder.Error(endpoint, e.GetType().Name);
                await Task.Delay(100); // a host that is gone is not hammered
            }
            throw new LifecycleAbandoned();
        }
    }

    private sealed class LifecycleAbandoned : Exception;

    /// <summary>CPU time of the host, this process and the PostgreSQL server, read from /proc.</summary>
    private sealed record CpuSample(long HostTicks, long BenchTicks, long PostgresTicks, long At)
    {
        private const double TicksPerSecond = 100; // USER_HZ on Linux

        public static CpuSample Take(int hostPid) => new(Ticks(hostPid), Ticks(Environment.ProcessId), PostgresServerTicks(), Stopwatch.GetTimestamp());

        // Backends that ended during the window take their time with them, so a sum can shrink: never below zero.
        public CpuShares Since(CpuSample before, TimeSpan window) => new(
            Math.Max(0, HostTicks - before.HostTicks) / TicksPerSecond / window.TotalSeconds,
            Math.Max(0, BenchTicks - before.BenchTicks) / TicksPerSecond / window.TotalSeconds,
            Math.Max(0, PostgresTicks - before.PostgresTicks) / TicksPerSecond / window.TotalSeconds);

        private static long Ticks(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime + stime
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                return 0;
            }
        }

        /// <summary>All processes named postgres (the server and its backends); ended backends' time is lost, which only understates.</summary>
        private static long PostgresServerTicks()
        {
            long sum = 0;
            try
            {
                foreach (var dir in Directory.EnumerateDirectories("/proc"))
                {
                    if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
                    try
                    {
                        if (File.ReadAllText(Path.Combine(dir, "comm")).Trim() == "postgres") sum += Ticks(pid);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                    }
                }
            }
            catch (IOException)
            {
            }
            return sum;
        }
    }
}
