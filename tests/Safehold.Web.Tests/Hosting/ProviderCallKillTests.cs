using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Npgsql;
using Safehold.Bench;
using Safehold.Web.Payments;
using Xunit.Abstractions;

namespace Safehold.Web.Tests.Hosting;

/// <summary>
/// SPEC 4: "a crash at any point neither loses nor doubles" a payment instruction. A real host process is killed (SIGKILL)
/// at the worst moment: the provider has moved the money and made its record, and the host has not yet heard the answer,
/// let alone committed it (the sandbox provider answers 1.5 s after its record, as a slow provider would). Then a host
/// (the same one started again on SQLite; on PostgreSQL another host that was never killed) finds the instruction its
/// claim left behind, asks the provider by the key, and settles it: exactly one operation at the provider, exactly one
/// entry in the journal, and the ledger check holds.
/// </summary>
public sealed class ProviderCallKillTests(ITestOutputHelper output) : IDisposable
{
    private const string AdminKey = "provider-kill-admin-key-0123456789";
    private const long Price = 5_000;

    private readonly string _directory = SafeholdApp.NewDirectory();
    private readonly List<HostProcess> _hosts = [];
    private string? _database;

    [Theory]
    [Trait("Database", "SQLite")]
    [InlineData("capture")]
    [InlineData("refund")]
    [InlineData("payout")]
    public Task A_host_on_SQLite_killed_after_the_provider_moved_the_money_and_before_its_commit_settles_it_exactly_once_when_started_again(string kind) =>
        RunAsync(kind, postgres: false);

    [Theory]
    [Trait("Database", "PostgreSQL")]
    [InlineData("capture")]
    [InlineData("refund")]
    [InlineData("payout")]
    public Task A_host_on_PostgreSQL_killed_after_the_provider_moved_the_money_and_before_its_commit_is_settled_exactly_once_by_another_host(string kind) =>
        RunAsync(kind, postgres: true);

    private async Task RunAsync(string kind, bool postgres)
    {
        var settings = Settings(postgres);
        var first = NewHost("host-a", settings);
        await first.StartAsync();
        var seller = await NewUser(first, "seller");
        var buyer = await NewUser(first, "buyer");
        var product = await Expect(await Post(first, seller, "/api/v1/products", new
        {
            title = "A lamp",
            description = "Brass, with a linen shade.",
            price = new { amount = Price, currency = "USD" },
            handlingDays = 3,
        }), HttpStatusCode.Created);
        var order = (await Expect(await Post(first, buyer, "/api/v1/orders", new
        {
            items = new[] { new { productId = product.Id(), quantity = 1 } },
            shippingAddress = "1 Test Street, Tbilisi",
        }), HttpStatusCode.Created)).Id();
        var pay = new { paymentMethod = SandboxPaymentProvider.Visa };

        // Up to the step whose provider call the kill interrupts: the buyer's pay request waits for its capture; a refund and
        // a payout are sent by the host's instruction worker after the step's request has been answered.
        Task<HttpResponseMessage>? interrupted = null;
        switch (kind)
        {
            case "capture":
                interrupted = Post(first, buyer, $"/api/v1/orders/{order}/pay", pay);
                break;
            case "refund":
                await Expect(await Post(first, buyer, $"/api/v1/orders/{order}/pay", pay), HttpStatusCode.OK);
                await Expect(await Post(first, buyer, $"/api/v1/orders/{order}/cancel", null), HttpStatusCode.OK);
                break;
            default:
                await Expect(await Post(first, buyer, $"/api/v1/orders/{order}/pay", pay), HttpStatusCode.OK);
                await Expect(await Post(first, seller, $"/api/v1/orders/{order}/ship", new { carrier = "DHL", trackingNumber = "JD0000000001" }), HttpStatusCode.OK);
                await Expect(await Post(first, buyer, $"/api/v1/orders/{order}/confirm-receipt", null), HttpStatusCode.OK);
                await Expect(await Post(first, AdminKey, "/api/v1/sandbox/clock/advance", new { days = 16 }), HttpStatusCode.OK); // pending → available
                await Expect(await Post(first, AdminKey, "/api/v1/payouts/run", null), HttpStatusCode.OK);
                break;
        }

        // The provider has the money moved and recorded; its answer is on the way: kill the host now.
        var patience = Stopwatch.StartNew();
        Assert.True(await first.KillWhenAsync(() => ProviderOperations(kind) > 0, TimeSpan.FromSeconds(60)), $"the provider never saw the {kind}:\n{first.Tail()}");
        output.WriteLine($"{kind}: killed host-a {patience.ElapsedMilliseconds} ms after the step began, with the provider's answer on its way");
        if (interrupted is not null) // the pay died with its host, unanswered
        {
            if (await Record.ExceptionAsync(() => interrupted) is not { } died)
                Assert.Fail($"The pay was answered before the kill: {(int)(await interrupted).StatusCode}.");
            else Assert.IsAssignableFrom<HttpRequestException>(died);
        }

        // Nothing was committed after the provider's call: the instruction is still in flight.
        var second = postgres ? NewHost("host-b", settings) : first;
        await second.StartAsync();
        var instruction = await Settled(second, kind, order);

        Assert.Equal("succeeded", instruction["status"]!.GetValue<string>());
        Assert.Equal(1, ProviderOperations(kind));
        Assert.Equal(kind == "payout" ? Price - Price * 5 / 100 : Price, instruction["amount"]!["amount"]!.GetValue<long>());
        var entries = (await Expect(await second.Http.GetAsync($"/api/v1/orders/{order}/ledger"), HttpStatusCode.OK))["entries"]!.AsArray()
            .Select(e => e!["kind"]!.GetValue<string>()).ToList();
        output.WriteLine($"{kind}: settled after {instruction["attempts"]} attempts; the order's journal: {string.Join(", ", entries)}");
        Assert.Single(entries, e => e == "capture");
        var expected = kind switch { "capture" => "awaiting_shipment", "refund" => "closed", _ => "completed" };
        Assert.Equal(expected, (await Expect(await second.Http.GetAsync($"/api/v1/orders/{order}"), HttpStatusCode.OK)).Status());
        if (kind == "refund") Assert.Single(entries, e => e == "refund_sent");
        if (kind == "payout")
        {
            var balance = await Expect(await Get(second, seller, "/api/v1/balance"), HttpStatusCode.OK);
            output.WriteLine($"seller's balance: {balance.ToJsonString()}");
            Assert.Equal(Price - Price * 5 / 100, balance["balances"]![0]!["paidOut"]!.GetValue<long>());
        }
        var check = await Expect(await second.Http.GetAsync("/api/v1/ledger/check"), HttpStatusCode.OK);
        Assert.True(check["ok"]!.GetValue<bool>(), check.ToJsonString());
    }

    /// <summary>The step's instruction once no host holds it any more (it succeeded, or failed for good), read from the API.</summary>
    private async Task<JsonNode> Settled(HostProcess host, string kind, Guid order)
    {
        var patience = Stopwatch.StartNew();
        while (true)
        {
            var items = (await Expect(await host.Http.GetAsync("/api/v1/payment-instructions?limit=100"), HttpStatusCode.OK))["items"]!.AsArray();
            var mine = items.Where(i => i!["kind"]!.GetValue<string>() == kind
                && (kind == "payout" || i["orderId"]?.GetValue<Guid>() == order)).ToList();
            if (mine.Count > 1) Assert.Fail($"{mine.Count} {kind} instructions: {string.Join(", ", mine.Select(m => m!.ToJsonString()))}");
            if (mine is [{ } one] && one["status"]!.GetValue<string>() is "succeeded" or "failed" or "declined") return one;
            Assert.True(patience.Elapsed < TimeSpan.FromSeconds(90), $"the {kind} was never settled: {string.Join(", ", mine.Select(m => m!.ToJsonString()))}\n{host.Tail()}");
            await Task.Delay(200);
        }
    }

    /// <summary>How many operations of this kind the provider made and recorded (successful ones).</summary>
    private long ProviderOperations(string kind)
    {
        var store = Path.Combine(_directory, "sandbox-provider.db");
        if (!File.Exists(store)) return 0;
        using var connection = new SqliteConnection($"Data Source={store};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM operations WHERE kind = $kind AND succeeded = 1";
        command.Parameters.AddWithValue("$kind", kind);
        try
        {
            return (long)command.ExecuteScalar()!;
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 1) // no such table yet: the host is still making it
        {
            return 0;
        }
    }

    private List<string> Settings(bool postgres)
    {
        List<string> settings =
        [
            "--Safehold:Sandbox=true",
            "--Safehold:Demo=false",
            $"--Safehold:AdminApiKey={AdminKey}",
            $"--Safehold:SandboxProviderStore={Path.Combine(_directory, "sandbox-provider.db")}",
            "--Safehold:SandboxProviderDelayMs=1500", // the provider's answer takes this long to come back after its record
            $"--Safehold:EvidenceFolder={Path.Combine(_directory, "evidence")}",
            "--Safehold:Payments:CallTimeoutSeconds=5",
            "--Safehold:Payments:LeaseSeconds=6", // a dead host's claim runs out quickly
            "--Safehold:Payments:PollSeconds=0.2",
            "--Safehold:Payouts:Scheduled=false",
            "--Logging:LogLevel:Default=Warning",
        ];
        if (postgres)
        {
            _database = TestDatabase.DatabaseNameFor(_directory);
            TestDatabase.Created(_database);
            TestDatabase.Execute($"""CREATE DATABASE "{_database}" """);
            var connection = new NpgsqlConnectionStringBuilder(TestDatabase.PostgresDatabase(_database)) { MaxPoolSize = 10 }.ToString();
            settings.AddRange(["--Safehold:Database:Provider=postgres", $"--ConnectionStrings:Safehold={connection}"]);
        }
        else settings.AddRange(["--Safehold:Database:Provider=sqlite", $"--ConnectionStrings:Safehold=Data Source={Path.Combine(_directory, "safehold.db")}"]);
        return settings;
    }

    private HostProcess NewHost(string name, List<string> settings)
    {
        var host = new HostProcess(name, settings, Path.Combine(_directory, $"{name}.log"), adminKey: AdminKey);
        _hosts.Add(host);
        return host;
    }

    private static async Task<string> NewUser(HostProcess host, string role) =>
        (await Expect(await host.Http.PostAsJsonAsync("/api/v1/users", new { email = $"{role}-{Guid.NewGuid():N}@kill.test", displayName = role, role }),
            HttpStatusCode.Created))["apiKey"]!.GetValue<string>();

    private static Task<HttpResponseMessage> Post(HostProcess host, string apiKey, string path, object? body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return host.Http.SendAsync(request);
    }

    private static Task<HttpResponseMessage> Get(HostProcess host, string apiKey, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return host.Http.SendAsync(request);
    }

    private static async Task<JsonNode> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        await Api.ExpectStatus(response, status);
        return await Api.Json(response);
    }

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            output.WriteLine($"{host.Name}:\n{host.Tail(10)}");
            host.Dispose();
        }
        if (_database is not null) TestDatabase.Drop(_database);
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
