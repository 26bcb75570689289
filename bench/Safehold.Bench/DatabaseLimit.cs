using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Safehold.Bench;

/// <summary>One measurement of the database's own limit: minimal write transactions per second.</summary>
public sealed record LimitResult(string Name, double TransactionsPerSecond, string Detail);

/// <summary>
/// The database's own limit, measured beside Safehold in the same run: the rate of minimal write transactions
/// (one single-row INSERT, committed) of the same durability as Safehold's, issued directly over ADO.NET at the
/// same concurrency, with no HTTP and no EF Core. For PostgreSQL also <c>pgbench</c>'s built-in TPC-B-like script.
/// </summary>
public static partial class DatabaseLimit
{
    private const string Table = "bench_minimal_tx";

    /// <summary>
    /// SQLite, on Safehold's own file (WAL, the default synchronous setting, as the host opens it). Measured twice:
    /// every writer retrying on SQLITE_BUSY as Microsoft.Data.Sqlite does (how the host's connections meet), and
    /// writers queued in-process for the one write lock (the best one process can get from SQLite); the limit is
    /// the better of the two.
    /// </summary>
    public static async Task<IReadOnlyList<LimitResult>> SqliteAsync(string databasePath, int clients, TimeSpan duration)
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = databasePath, DefaultTimeout = 30, Pooling = true }.ToString();
        string settings;
        await using (var c = new SqliteConnection(cs))
        {
            await c.OpenAsync();
            settings = $"journal_mode={Scalar(c, "PRAGMA journal_mode")}, synchronous={Scalar(c, "PRAGMA synchronous")} (2 = FULL: the WAL is synced at every commit)";
            Execute(c, $"CREATE TABLE IF NOT EXISTS {Table} (id INTEGER PRIMARY KEY, client INTEGER NOT NULL, at INTEGER NOT NULL, payload TEXT NOT NULL)");
        }
        try
        {
            var results = new List<LimitResult>();
            foreach (var queued in new[] { false, true })
            {
                var gate = queued ? new SemaphoreSlim(1, 1) : null;
                var (count, seconds, p99) = await Task.Run(() => RunThreads(clients, duration, client =>
                {
                    var c = new SqliteConnection(cs);
                    c.Open();
                    var insert = c.CreateCommand();
                    insert.CommandText = $"INSERT INTO {Table} (client, at, payload) VALUES ($client, $at, 'x')";
                    var pClient = insert.Parameters.Add("$client", SqliteType.Integer);
                    var pAt = insert.Parameters.Add("$at", SqliteType.Integer);
                    pClient.Value = client;
                    return (() =>
                    {
                        gate?.Wait();
                        try
                        {
                            using var tx = c.BeginTransaction(deferred: false); // BEGIN IMMEDIATE, as the host's write transactions
                            insert.Transaction = tx;
                            pAt.Value = Stopwatch.GetTimestamp();
                            insert.ExecuteNonQuery();
                            tx.Commit();
                        }
                        finally
                        {
                            gate?.Release();
                        }
                    }, () => c.Dispose());
                }));
                results.Add(new LimitResult(queued ? "SQLite, writers queued in-process" : "SQLite, writers retrying on busy",
                    count / seconds, $"{count:N0} transactions in {seconds:F1} s, p99 {p99:F1} ms; {settings}"));
            }
            return results;
        }
        finally
        {
            await using var c = new SqliteConnection(cs);
            await c.OpenAsync();
            Execute(c, $"DROP TABLE IF EXISTS {Table}");
            SqliteConnection.ClearPool(c);
        }
    }

    /// <summary>PostgreSQL, in Safehold's own database: autocommitted single-row INSERTs from <paramref name="clients"/> connections.</summary>
    public static async Task<LimitResult> PostgresAsync(string connectionString, int clients, TimeSpan duration)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = Math.Max(clients + 2, 10), Pooling = true };
        await using var source = NpgsqlDataSource.Create(builder.ToString());
        string settings;
        await using (var c = await source.OpenConnectionAsync())
        {
            settings = $"synchronous_commit={Scalar(c, "SHOW synchronous_commit")}, fsync={Scalar(c, "SHOW fsync")}, wal_sync_method={Scalar(c, "SHOW wal_sync_method")}";
            Execute(c, $"CREATE TABLE IF NOT EXISTS {Table} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, client int NOT NULL, at bigint NOT NULL, payload text NOT NULL)");
        }
        try
        {
            var stop = Stopwatch.StartNew();
            var latencies = new List<double>[clients];
            var workers = Enumerable.Range(0, clients).Select(async client =>
            {
                var mine = latencies[client] = [];
                await using var c = await source.OpenConnectionAsync();
                await using var insert = new NpgsqlCommand($"INSERT INTO {Table} (client, at, payload) VALUES ($1, $2, 'x')", c);
                insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = client });
                var at = new NpgsqlParameter<long>();
                insert.Parameters.Add(at);
                await insert.PrepareAsync();
                while (stop.Elapsed < duration)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    at.TypedValue = t0;
                    await insert.ExecuteNonQueryAsync(); // one statement, one transaction, one durable commit
                    mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
            }).ToList();
            await Task.WhenAll(workers);
            var seconds = stop.Elapsed.TotalSeconds;
            var all = latencies.SelectMany(l => l).ToArray();
            Array.Sort(all);
            return new LimitResult("PostgreSQL, single-row INSERT transactions", all.Length / seconds,
                $"{all.Length:N0} transactions in {seconds:F1} s, p99 {LatencyRecorder.Percentile(all, 99):F1} ms; {settings}");
        }
        finally
        {
            await using var c = await source.OpenConnectionAsync();
            Execute(c, $"DROP TABLE IF EXISTS {Table}");
        }
    }

    /// <summary>
    /// <c>pgbench</c>'s built-in TPC-B-like script on the same server, at scale = clients (pgbench's advice, so
    /// branches do not serialize the clients). Its tables live in a database of their own, kept between runs
    /// and initialized again only when the scale changes.
    /// </summary>
    public static async Task<LimitResult> PgbenchAsync(string serverConnectionString, int clients, int scale, TimeSpan duration, TextWriter log)
    {
        var pgbench = FindPgbench();
        if (pgbench is null) return new LimitResult("pgbench TPC-B-like", double.NaN, "pgbench was not found (install postgresql's client tools)");
        var server = new NpgsqlConnectionStringBuilder(serverConnectionString);
        const string database = "safehold_bench_pgbench";
        var maintenance = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = "postgres", Pooling = false }.ToString();
        await using (var c = new NpgsqlConnection(maintenance))
        {
            await c.OpenAsync();
            if (Scalar(c, $"SELECT count(*) FROM pg_database WHERE datname = '{database}'") == "0") Execute(c, $"CREATE DATABASE {database}");
        }
        var existingScale = "";
        await using (var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(maintenance) { Database = database }.ToString()))
        {
            await c.OpenAsync();
            if (Scalar(c, "SELECT count(*) FROM pg_tables WHERE tablename = 'pgbench_branches'") == "1")
                existingScale = Scalar(c, "SELECT count(*) FROM pgbench_branches");
        }
        var common = new List<string> { "-h", server.Host ?? "127.0.0.1", "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-U", server.Username ?? "postgres" };
        if (existingScale != scale.ToString(CultureInfo.InvariantCulture))
        {
            log.WriteLine($"  pgbench: initializing scale {scale} in database {database} (once; kept for later runs) ...");
            var init = await RunAsync(pgbench, server.Password, [.. common, "-i", "-q", "-I", "dtGvp", "-s", scale.ToString(CultureInfo.InvariantCulture), database]);
            if (init.Code != 0) return new LimitResult("pgbench TPC-B-like", double.NaN, "pgbench -i failed: " + init.Output.Trim());
        }
        var jobs = Math.Min(Environment.ProcessorCount, clients);
        var run = await RunAsync(pgbench, server.Password, [.. common, "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", jobs.ToString(CultureInfo.InvariantCulture),
            "-T", Math.Max(1, (int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture), "-M", "prepared", database]);
        var tps = TpsLine().Match(run.Output);
        var latency = LatencyLine().Match(run.Output);
        if (run.Code != 0 || !tps.Success) return new LimitResult("pgbench TPC-B-like", double.NaN, "pgbench failed: " + run.Output.Trim());
        return new LimitResult("pgbench TPC-B-like", double.Parse(tps.Groups[1].Value, CultureInfo.InvariantCulture),
            $"scale {scale}, {clients} clients, {jobs} threads, prepared; average latency {(latency.Success ? latency.Groups[1].Value : "?")} ms; "
            + "each transaction: 3 UPDATEs, 1 SELECT, 1 INSERT");
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();

    [GeneratedRegex(@"latency average = ([0-9.]+) ms")]
    private static partial Regex LatencyLine();

    private static string? FindPgbench()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, "pgbench"))) return Path.Combine(dir, "pgbench");
        if (!Directory.Exists("/usr/lib/postgresql")) return null;
        return Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d, StringComparer.Ordinal)
            .Select(d => Path.Combine(d, "bin", "pgbench")).FirstOrDefault(File.Exists);
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string? password, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (password is not null) info.Environment["PGPASSWORD"] = password;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }

    /// <summary>Runs one dedicated thread per client (SQLite's calls block) until the duration is over.</summary>
    private static (long Count, double Seconds, double P99) RunThreads(int clients, TimeSpan duration, Func<int, (Action Step, Action Dispose)> worker)
    {
        var counts = new long[clients];
        var latencies = new List<double>[clients];
        var clock = new Stopwatch();
        using var ready = new CountdownEvent(clients);
        using var go = new ManualResetEventSlim();
        var threads = Enumerable.Range(0, clients).Select(client => new Thread(() =>
        {
            var (step, dispose) = worker(client);
            var mine = latencies[client] = new List<double>(16_384);
            ready.Signal();
            go.Wait();
            try
            {
                while (clock.Elapsed < duration)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    step();
                    mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    counts[client]++;
                }
            }
            finally
            {
                dispose();
            }
        })
        { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        ready.Wait();
        clock.Start();
        go.Set();
        threads.ForEach(t => t.Join());
        var seconds = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return (counts.Sum(), seconds, LatencyRecorder.Percentile(all, 99));
    }

    private static string Scalar(System.Data.Common.DbConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToString(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
    }

    private static void Execute(System.Data.Common.DbConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
