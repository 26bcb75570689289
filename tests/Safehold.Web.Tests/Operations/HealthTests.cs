using System.Net;
using Microsoft.Data.Sqlite;
using Npgsql;
using Safehold.Web.Tests.Hosting;

namespace Safehold.Web.Tests.Operations;

/// <summary><c>/health/live</c> and <c>/health/ready</c>, as an orchestrator asks them: without a key.</summary>
public sealed class HealthTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task The_liveness_probe_answers_without_a_key()
    {
        var response = await app.As(null).GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("healthy", (await Api.Json(response))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_readiness_probe_checks_the_database_and_the_timed_work_and_names_each()
    {
        var response = await app.As(null).GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Api.Json(response);
        Assert.Equal("healthy", json["checks"]!["database"]!["status"]!.GetValue<string>());
        // The test host runs its sweeper by hand: switched off here, which is ready (another host would sweep).
        Assert.Contains("Switched off", json["checks"]!["sweeper"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}

/// <summary>The timed work stops making progress: the host is not ready until it moves again.</summary>
[Trait("Database", "SQLite")]
public sealed class StuckSweeperHealthTests : IDisposable
{
    private readonly SafeholdApp _app = new()
    {
        SweeperEnabled = true,
        Settings = { ["Safehold:Sweeper:IntervalSeconds"] = "1", ["Safehold:Sweeper:StaleAfterSeconds"] = "60" },
    };

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task A_sweeper_stuck_behind_the_write_lock_makes_the_host_unready_until_it_moves_again()
    {
        await _app.OrderIn("awaiting_payment"); // a payment deadline, due in a day
        await WaitForReady(_app);

        // Another writer holds SQLite's write lock: the sweeper finds the deadline due and waits to write it.
        await using (var holder = new SqliteConnection($"Data Source={_app.DatabasePath}"))
        {
            await holder.OpenAsync();
            await using var lockIt = holder.CreateCommand();
            lockIt.CommandText = "BEGIN IMMEDIATE;";
            await lockIt.ExecuteNonQueryAsync();
            _app.Clock.Advance(TimeSpan.FromHours(25));

            // The sweeper may still be finishing the run it began before the jump (a run with nothing due progresses at
            // the new time) and then wait an interval: time goes on until it wakes, finds the deadline and waits behind
            // the lock, and from then on its last progress only grows older.
            var json = await UnreadyWithin(_app, TimeSpan.FromSeconds(30));
            Assert.Equal("unhealthy", json["status"]!.GetValue<string>());
            Assert.Equal("unhealthy", json["checks"]!["sweeper"]!["status"]!.GetValue<string>());
            Assert.Equal("healthy", json["checks"]!["database"]!["status"]!.GetValue<string>());

            lockIt.CommandText = "ROLLBACK;";
            await lockIt.ExecuteNonQueryAsync();
        }
        await WaitForReady(_app);
    }

    /// <summary>Moves the clock on half a minute at a time until the host answers 503, and returns its readiness report.</summary>
    private static async Task<System.Text.Json.Nodes.JsonNode> UnreadyWithin(SafeholdApp app, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var response = await app.As(null).GetAsync("/health/ready");
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable) return await Api.Json(response);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (DateTime.UtcNow > deadline) Assert.Fail("Still ready with the sweeper behind the lock: " + await response.Content.ReadAsStringAsync());
            app.Clock.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(100);
        }
    }

    internal static async Task WaitForReady(SafeholdApp app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        HttpResponseMessage response;
        while ((response = await app.As(null).GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("Never ready: " + await response.Content.ReadAsStringAsync());
            await Task.Delay(100);
        }
    }
}

/// <summary>The database goes away under a running host (through a <see cref="TcpProxy"/>): unready, then ready again.</summary>
[Trait("Database", "PostgreSQL")]
public sealed class DatabaseOutageHealthTests : IDisposable
{
    private readonly TcpProxy _proxy;
    private readonly SafeholdApp _app;

    public DatabaseOutageHealthTests()
    {
        var database = TestDatabase.DatabaseNameFor(SafeholdApp.NewDirectory());
        var server = new NpgsqlConnectionStringBuilder(TestDatabase.Server);
        _proxy = new TcpProxy(server.Host ?? "127.0.0.1", server.Port);
        TestDatabase.Created(database);
        var viaProxy = new NpgsqlConnectionStringBuilder(TestDatabase.PostgresDatabase(database)) { Host = "127.0.0.1", Port = _proxy.Port, Timeout = 3 };
        _app = new SafeholdApp { Settings = { ["Safehold:Database:Provider"] = "postgres", ["ConnectionStrings:Safehold"] = viaProxy.ToString() } };
    }

    public void Dispose()
    {
        _app.Dispose();
        _proxy.Dispose();
    }

    [Fact]
    public async Task The_host_is_unready_while_the_database_is_unreachable_and_ready_when_it_is_back()
    {
        await StuckSweeperHealthTests.WaitForReady(_app);

        _proxy.Cut();
        var response = await _app.As(null).GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("unhealthy", (await Api.Json(response))["checks"]!["database"]!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await _app.As(null).GetAsync("/health/live")).StatusCode); // alive all the same

        _proxy.Restore();
        await StuckSweeperHealthTests.WaitForReady(_app);
    }
}
