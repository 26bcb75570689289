using System.Globalization;

namespace Safehold.Bench;

/// <summary>What a <c>load</c> run does; every field has a command-line option (see <see cref="Usage"/>).</summary>
public sealed record LoadOptions
{
    /// <summary><c>sqlite</c> (a fresh file in a temporary directory) or <c>postgres</c> (a fresh database on <see cref="PostgresServer"/>).</summary>
    public string Database { get; init; } = "sqlite";

    /// <summary>An Npgsql connection string to a server where the user may create databases.</summary>
    public string PostgresServer { get; init; } = Environment.GetEnvironmentVariable("SAFEHOLD_BENCH_POSTGRES") is { Length: > 0 } s
        ? s : "Host=127.0.0.1;Port=5432;Username=safehold;Password=safehold";

    public int Clients { get; init; } = 32;

    /// <summary>How long the load is measured, after the warm-up.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The measured window lasts at least <see cref="Duration"/> and until this many lifecycles of each kind in the mix
    /// (confirmed; cancelled, with a cancel share; disputed and settled each way, with a dispute share), begun inside it,
    /// have ended (0 by default): the smoke test sets it, so a machine too busy to finish one of each in its few seconds
    /// still reports every endpoint.
    /// </summary>
    public int MinimumLifecycles { get; init; }

    /// <summary>
    /// Load run first and not recorded: the host's JIT, pools and caches settle. 10 s on SQLite; on PostgreSQL
    /// <see cref="PostgresWarmup"/> unless <c>--warmup</c> or <c>--short</c> says otherwise.
    /// </summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The warm-up on PostgreSQL: with its processes on the same cores the host's JIT needs about this long to finish
    /// compiling the hot path, and a run measured sooner reads about three times the host's CPU a request
    /// (docs/benchmarks.md, 2026-12-06).
    /// </summary>
    public static readonly TimeSpan PostgresWarmup = TimeSpan.FromSeconds(90);

    /// <summary>How long each measurement of the database's own limit runs.</summary>
    public TimeSpan LimitDuration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The share of lifecycles that the buyer cancels after paying (refunded in full) instead of completing.</summary>
    public double CancelShare { get; init; } = 0.1;

    /// <summary>
    /// The share of lifecycles in which, after shipping, the buyer opens a dispute asking for a partial refund and the
    /// parties settle it by agreement, with no arbiter and no return: the seller accepts the request, or (every other
    /// dispute of a client) counter-offers a smaller partial refund that the buyer accepts. Either way the order
    /// completes with the rest released to the seller. Exclusive of <see cref="CancelShare"/>: each lifecycle is one of
    /// cancelled, disputed or confirmed, so the two shares add up to at most 1.
    /// </summary>
    public double DisputeShare { get; init; } = 0.05;

    /// <summary>
    /// The share of lifecycles that buy a cart instead of one product: a checkout of three sellers' products (this
    /// client's seller's and two others'), paid once, whose three orders are then each shipped by their seller and
    /// confirmed (three confirmed lifecycles). Drawn before, and apart from, <see cref="CancelShare"/> and <see cref="DisputeShare"/>.
    /// </summary>
    public double CartShare { get; init; }

    /// <summary>
    /// Checkouts only: each lifecycle places an order (a cart, with <see cref="CartShare"/>) and pays it, and ends there,
    /// with the money held; no reads unless <c>--reads-per-write</c> says otherwise, no cancels, no disputes. The load of a
    /// sale (Black Friday): what issue 19 compares with pgbench's TPC-B (a checkout is two durable transactions on external rails; on sandbox rails
    /// the pay is three, and the sandbox provider's own).
    /// </summary>
    public bool CheckoutsOnly { get; init; }

    /// <summary>
    /// The payment rails: <c>sandbox</c> (the default: a host in sandbox mode, whose sandbox provider captures each pay and
    /// whose sandbox clock every request reads first) or <c>external</c> (a host in production mode on external rails, as a
    /// marketplace with its own payment provider runs it: no provider is called, the marketplace's platform key reports
    /// each capture, acting for the buyer, and refunds and payouts become payment instructions for it to send).
    /// </summary>
    public string Rails { get; init; } = "sandbox";

    public bool ExternalRails => Rails == "external";

    /// <summary>Reads (My orders, More details) per write, on average.</summary>
    public double ReadsPerWrite { get; init; } = 2;

    /// <summary>The share of "My orders" reads that open a status tab (to ship, shipped, completed, ...) rather than all orders.</summary>
    public double TabShare { get; init; } = 0.25;

    /// <summary>
    /// Requests per second offered by all clients together, paced (each client sends on a schedule); none: every client
    /// sends its next request as soon as the last one answers, which saturates the host and measures its capacity.
    /// </summary>
    public double? Rate { get; init; }

    /// <summary>
    /// After the main window, a second one paced at this many requests/s (0: half the rate the main window reached),
    /// for latency below saturation on the same database.
    /// </summary>
    public double? ThenRate { get; init; }

    /// <summary>Whether every POST carries an <c>Idempotency-Key</c>, as a careful marketplace sends.</summary>
    public bool IdempotencyKeys { get; init; } = true;

    /// <summary>Settled orders written straight into the database before the run, for reads on a large database.</summary>
    public int SeedOrders { get; init; }

    public bool Pgbench { get; init; } = true;

    /// <summary>pgbench's scale; by default the number of clients, as pgbench advises.</summary>
    public int? PgbenchScale { get; init; }

    /// <summary>Keeps the database (file or PostgreSQL database) after the run, and prints where it is.</summary>
    public bool KeepDatabase { get; init; }

    /// <summary>Prints the host's own output (warnings and errors).</summary>
    public bool HostLog { get; init; }

    /// <summary>How long the sandbox provider takes to answer each call, in milliseconds (a real provider's round trip).</summary>
    public double ProviderDelayMs { get; init; }

    /// <summary>
    /// The host process's environment beyond the bench's own: by default glibc's malloc limited to two arenas from the
    /// process's start, as docs/operations.md deploys Safehold; <c>--host-env NAME=VALUE</c> adds or replaces a variable,
    /// for experiments (<c>--host-env DOTNET_gcServer=0</c>, <c>--host-env MALLOC_ARENA_MAX=16</c>).
    /// </summary>
    public IReadOnlyDictionary<string, string> HostEnvironment { get; init; } = new Dictionary<string, string> { ["MALLOC_ARENA_MAX"] = "2" };

    public static string Usage => """
          load [--database sqlite|postgres] [--clients 32] [--duration 60] [--warmup 10] [--limit-duration 20]
               [--cancel-share 0.1] [--dispute-share 0.05] [--cart-share 0] [--reads-per-write 2] [--tab-share 0.25] [--no-idempotency-keys] [--rate R] [--then-rate R|half]
               [--seed-orders 0] [--no-pgbench] [--pgbench-scale N] [--postgres "<npgsql connection string>"]
               [--provider-delay MS] [--rails sandbox|external] [--checkouts] [--short] [--keep-database] [--host-log] [--host-env NAME=VALUE ...]
                                                  protected orders moved per second over HTTP by N clients,
                                                  against the database's own limit measured in the same run
                                                  (--short: about a minute in all, a smoke run; the warm-up is
                                                  90 s on PostgreSQL unless --warmup or --short; --rate: paced at R requests/s
                                                  for latency below saturation; --then-rate: a second window paced
                                                  after the first, half: at half its rate; --cancel-share and
                                                  --dispute-share: the lifecycles cancelled after paying, and
                                                  disputed after shipping and settled by agreement, exclusive;
                                                  --cart-share: the lifecycles that pay one checkout of three
                                                  sellers' products, then ship and confirm its three orders;
                                                  --rails external: a production host (not sandbox) on external
                                                  rails, the platform's key reporting each capture;
                                                  --checkouts: each lifecycle places and pays, no more, and
                                                  no reads unless --reads-per-write (a sale's load, against
                                                  pgbench's TPC-B: issue 19's checkout goal);
                                                  --provider-delay: the sandbox provider answers each capture,
                                                  refund and payout that many ms after its record, as a real one)
        """;

    public static LoadOptions Parse(IReadOnlyList<string> args)
    {
        var o = new LoadOptions();
        if (args.Contains("--short"))
            o = o with { Duration = TimeSpan.FromSeconds(25), Warmup = TimeSpan.FromSeconds(5), LimitDuration = TimeSpan.FromSeconds(8) };
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            double Number() => double.Parse(Value(), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "load" or "--short" => o,
                "--database" => o with { Database = Value().ToLowerInvariant() switch { "postgresql" => "postgres", var d => d } },
                "--postgres" => o with { PostgresServer = Value() },
                "--clients" => o with { Clients = (int)Number() },
                "--duration" => o with { Duration = TimeSpan.FromSeconds(Number()) },
                "--warmup" => o with { Warmup = TimeSpan.FromSeconds(Number()) },
                "--limit-duration" => o with { LimitDuration = TimeSpan.FromSeconds(Number()) },
                "--cancel-share" => o with { CancelShare = Number() },
                "--dispute-share" => o with { DisputeShare = Number() },
                "--cart-share" => o with { CartShare = Number() },
                "--reads-per-write" => o with { ReadsPerWrite = Number() },
                "--tab-share" => o with { TabShare = Number() },
                "--no-idempotency-keys" => o with { IdempotencyKeys = false },
                "--rate" => o with { Rate = Number() },
                "--then-rate" => o with { ThenRate = Value() is "half" ? 0 : double.Parse(args[i], CultureInfo.InvariantCulture) },
                "--seed-orders" => o with { SeedOrders = (int)Number() },
                "--no-pgbench" => o with { Pgbench = false },
                "--pgbench-scale" => o with { PgbenchScale = (int)Number() },
                "--keep-database" => o with { KeepDatabase = true },
                "--provider-delay" => o with { ProviderDelayMs = Number() },
                "--host-log" => o with { HostLog = true },
                "--checkouts" => o with { CheckoutsOnly = true },
                "--rails" => o with { Rails = Value().ToLowerInvariant() },
                "--host-env" => Value().Split('=', 2) is [var name, var value]
                    ? o with { HostEnvironment = new Dictionary<string, string>(o.HostEnvironment) { [name] = value } }
                    : throw new ArgumentException("--host-env takes NAME=VALUE."),
                var other => throw new ArgumentException($"Unknown option {other}."),
            };
        }
        if (o.Database == "postgres" && !args.Contains("--warmup") && !args.Contains("--short")) o = o with { Warmup = PostgresWarmup };
        if (o.CheckoutsOnly)
        {
            if (args.Contains("--cancel-share") || args.Contains("--dispute-share"))
                throw new ArgumentException("--checkouts ends each lifecycle once paid: it has no cancels or disputes to share.");
            o = o with { CancelShare = 0, DisputeShare = 0, ReadsPerWrite = args.Contains("--reads-per-write") ? o.ReadsPerWrite : 0 };
        }
        return o.Validate();
    }

    public LoadOptions Validate()
    {
        if (Database is not ("sqlite" or "postgres")) throw new ArgumentException("--database is sqlite or postgres.");
        if (Clients < 1) throw new ArgumentException("--clients must be at least 1.");
        if (CancelShare is < 0 or > 1 || DisputeShare is < 0 or > 1 || TabShare is < 0 or > 1 || CartShare is < 0 or > 1) throw new ArgumentException("Shares are from 0 to 1.");
        if (CancelShare + DisputeShare > 1)
            throw new ArgumentException("--cancel-share and --dispute-share together are at most 1: a lifecycle is cancelled or disputed, never both.");
        if (ReadsPerWrite < 0) throw new ArgumentException("--reads-per-write must be at least 0.");
        if (CheckoutsOnly && CancelShare + DisputeShare > 0) throw new ArgumentException("--checkouts has no cancels or disputes.");
        if (ProviderDelayMs < 0) throw new ArgumentException("--provider-delay must be at least 0.");
        if (Rails is not ("sandbox" or "external")) throw new ArgumentException("--rails is sandbox or external.");
        if (ExternalRails && ProviderDelayMs > 0) throw new ArgumentException("--provider-delay is the sandbox provider's: external rails call no provider.");
        if (SeedOrders < 0) throw new ArgumentException("--seed-orders must be at least 0.");
        if (Rate is <= 0) throw new ArgumentException("--rate must be above 0.");
        if (ThenRate is < 0) throw new ArgumentException("--then-rate must be above 0, or half.");
        return this;
    }
}
