using Safehold.Bench;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Npgsql;
using Safehold.Web.Payments;
using Xunit.Abstractions;

namespace Safehold.Web.Tests.Hosting;

/// <summary>
/// Two real host processes on one PostgreSQL database, as behind a load balancer: racing lifecycle requests
/// spread over both, one host killed without warning mid-run and started again, and both hosts' sweepers
/// expiring unpaid orders at once. PostgreSQL only, whatever <c>SAFEHOLD_TEST_DATABASE</c> says.
/// </summary>
[Trait("Database", "PostgreSQL")]
public sealed class MultiHostTests : IDisposable
{
    private const string AdminKey = "multi-host-admin-key-0123456789";
    private const int Orders = 64;
    private const int AtOnce = 8;

    private readonly ITestOutputHelper _output;
    private readonly string _directory = SafeholdApp.NewDirectory();
    private readonly string _database;
    private static readonly Dictionary<string, string> Production = new() { ["ASPNETCORE_ENVIRONMENT"] = "Production" };
    private readonly HostProcess[] _hosts;
    private readonly HttpClient[] _clients;
    private readonly ConcurrentBag<string> _unexpected = [];
    private readonly ConcurrentDictionary<Guid, byte> _cutOff = new(); // orders that had a request cut off by the kill

    public MultiHostTests(ITestOutputHelper output)
    {
        _output = output;
        _database = TestDatabase.DatabaseNameFor(_directory);
        TestDatabase.Created(_database);
        TestDatabase.Execute($"""CREATE DATABASE "{_database}" """); // as in production: the database exists, the hosts migrate it
        var connection = new NpgsqlConnectionStringBuilder(TestDatabase.PostgresDatabase(_database)) { MaxPoolSize = 20 }.ToString();
        string[] settings =
        [
            "--Safehold:Database:Provider=postgres",
            $"--ConnectionStrings:Safehold={connection}",
            "--Safehold:Sandbox=true",
            "--Safehold:Demo=false",
            $"--Safehold:AdminApiKey={AdminKey}",
            $"--Safehold:SandboxProviderStore={Path.Combine(_directory, "sandbox-provider.db")}", // one provider behind both hosts
            "--Safehold:Policy:PayWithinHours=0.005", // unpaid orders expire after 18 s, for both sweepers to race
            "--Safehold:Sweeper:IntervalSeconds=0.2",
            "--Safehold:Payments:LeaseSeconds=5", // a refund claimed by the killed host is taken over by the other within seconds
            "--Logging:LogLevel:Default=Warning",
            "--Safehold:RateLimits:PerAddressPerMinute=100000000", // the test's clients all come from this machine, as fast as they can
            "--Safehold:RateLimits:PerCallerPerMinute=100000000",
        ];
        _hosts = [new HostProcess("host-a", settings, Path.Combine(_directory, "host-a.log"), environment: Production),
            new HostProcess("host-b", settings, Path.Combine(_directory, "host-b.log"), environment: Production)];
        _clients = _hosts.Select(h => new HttpClient { BaseAddress = h.Address, Timeout = TimeSpan.FromSeconds(60) }).ToArray();
    }

    [Fact]
    public async Task Two_hosts_on_one_database_keep_the_ledger_and_every_timeline_straight_while_one_is_killed_and_restarted()
    {
        await Task.WhenAll(_hosts.Select(h => h.StartAsync())); // both migrate and create the admin at the same moment

        var sellers = new List<string>();
        var products = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var seller = await NewUser("seller", i);
            sellers.Add(seller);
            products.Add((await Expect(await Send(i, seller, HttpMethod.Post, "/api/v1/products", new
            {
                title = $"Product {i}",
                description = "Exactly as described.",
                price = new { amount = 1_000 + i * 250, currency = "USD" },
                handlingDays = 7,
            }), HttpStatusCode.Created)).Id());
        }
        var buyers = new List<string>();
        for (var i = 0; i < 6; i++) buyers.Add(await NewUser("buyer", i));

        var finished = 0;
        var restarted = new TaskCompletionSource();
        var killedAndRestarted = Task.Run(async () =>
        {
            while (Volatile.Read(ref finished) < Orders / 4) await Task.Delay(20);
            _hosts[0].Kill();
            _output.WriteLine($"killed host-a after {Volatile.Read(ref finished)} lifecycles");
            while (Volatile.Read(ref finished) < Orders / 2) await Task.Delay(20);
            await _hosts[0].StartAsync();
            restarted.SetResult();
            _output.WriteLine($"restarted host-a after {Volatile.Read(ref finished)} lifecycles");
        });

        var gate = new SemaphoreSlim(AtOnce);
        var lifecycles = Enumerable.Range(0, Orders).Select(async k =>
        {
            if (k >= 3 * Orders / 4) await restarted.Task; // the last quarter runs on both hosts again
            await gate.WaitAsync();
            try
            {
                return await Lifecycle(k, buyers[k % buyers.Count], sellers[k % sellers.Count], products[k % products.Count]);
            }
            finally
            {
                gate.Release();
                Interlocked.Increment(ref finished);
            }
        });
        var orders = await Task.WhenAll(lifecycles);
        await killedAndRestarted;
        Assert.True(_hosts.All(h => h.IsRunning));

        // The unpaid quarter is left to the sweepers of both hosts.
        for (var wait = 0; wait < 600; wait++)
        {
            var states = await Task.WhenAll(orders.Select(o => Status(o.Buyer, o.Id)));
            if (!states.Contains("awaiting_payment")) break;
            await Task.Delay(200);
        }

        // The refunds the cancels and expiries owe are sent by both hosts' instruction workers, one claimed by the killed
        // host among them perhaps: wait until every instruction is settled.
        for (var wait = 0; wait < 600; wait++)
        {
            var open = 0;
            foreach (var status in new[] { "pending", "processing", "failed" })
                open += (await Expect(await Send(wait, AdminKey, HttpMethod.Get, $"/api/v1/payment-instructions?status={status}"), HttpStatusCode.OK))["items"]!.AsArray().Count;
            if (open == 0) break;
            await Task.Delay(200);
        }

        Assert.True(_unexpected.IsEmpty, $"{_unexpected.Count} unexpected answers, among them:\n{string.Join("\n", _unexpected.Take(5))}");
        var check = await Expect(await Send(1, AdminKey, HttpMethod.Get, "/api/v1/ledger/check"), HttpStatusCode.OK);
        Assert.True(check["ok"]!.GetValue<bool>(), check.ToJsonString());

        var atProvider = ProviderOperations();
        var (captured, refunded) = (0, 0);
        foreach (var (buyer, id, plan) in orders)
        {
            var order = await Expect(await Send(id.GetHashCode(), buyer, HttpMethod.Get, $"/api/v1/orders/{id}"), HttpStatusCode.OK);
            var events = order["timeline"]!.AsArray().Select(e => e!["event"]!.GetValue<string>()).ToList();
            Assert.True(Replay(events) == order.Status(), $"order {id} is {order.Status()}, but its timeline says {string.Join(" → ", events)}");
            if (plan == 3) Assert.Equal(["placed", "expire_unpaid"], events); // expired once, by one sweeper

            var ledger = await Expect(await Send(id.GetHashCode(), buyer, HttpMethod.Get, $"/api/v1/orders/{id}/ledger"), HttpStatusCode.OK);
            var kinds = ledger["entries"]!.AsArray().Select(e => e!["kind"]!.GetValue<string>()).ToList();
            var paid = events.Contains("paid");
            Assert.Equal(paid ? 1 : 0, kinds.Count(k => k == "capture"));
            Assert.Equal(paid && order.Status() == "closed" ? 1 : 0, kinds.Count(k => k == "refund"));
            Assert.Equal(paid && order.Status() == "closed" ? 1 : 0, kinds.Count(k => k == "refund_sent")); // sent exactly once
            Assert.Equal(order.Status() == "completed" ? 1 : 0, kinds.Count(k => k == "release"));
            captured += paid ? 1 : 0;
            refunded += paid && order.Status() == "closed" ? 1 : 0;

            // Money in the ledger is money at the provider, and the other way round. A capture whose commit died with
            // the killed host is given back (voided) when its order is cancelled or expires. A refund is owed in the
            // ledger first and sent by its instruction after the commit, so none is ever at the provider unrecorded.
            var voided = atProvider.Contains($"order:{id}:void");
            foreach (var kind in new[] { "capture", "refund" })
            {
                var inLedger = kinds.Contains(kind);
                var atTheProvider = atProvider.Contains($"order:{id}:{kind}");
                if (inLedger) Assert.True(atTheProvider, $"order {id}: a {kind} in the ledger that the provider never made");
                else if (kind == "capture") Assert.True(!atTheProvider || voided, $"order {id}: a capture neither recorded nor given back");
                else if (kind == "refund") Assert.False(atTheProvider, $"order {id}: a refund at the provider that the ledger never saw");
            }
            Assert.False(voided && paid, $"order {id}: a recorded capture was also voided");
            if (voided) _output.WriteLine($"order {id}: a capture lost with the killed host was given back");
        }
        _output.WriteLine($"ledger: {captured} captures, {refunded} refunds; provider: {atProvider.Count(k => k.EndsWith(":capture", StringComparison.Ordinal))} captures, "
            + $"{atProvider.Count(k => k.EndsWith(":refund", StringComparison.Ordinal))} refunds; {_cutOff.Count} orders had a request cut off by the kill");
        Assert.Contains(orders, o => o.Plan != 3); // the run did something
    }

    /// <summary>The idempotency keys of the sandbox provider's successful operations (<c>order:{id}:capture</c>, ...).</summary>
    private HashSet<string> ProviderOperations()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "sandbox-provider.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT idempotency_key FROM operations WHERE succeeded = 1";
        using var reader = command.ExecuteReader();
        var keys = new HashSet<string>();
        while (reader.Read()) keys.Add(reader.GetString(0));
        return keys;
    }

    /// <summary>
    /// One order, driven to the end of its plan with racing requests on both hosts: 0 ships and confirms, 1 races a
    /// cancel against the shipment and a delivery report against the confirmation, 2 races a cancel against the
    /// payment, 3 never pays. After every round the order's state, not the answers, decides what comes next.
    /// </summary>
    private async Task<(string Buyer, Guid Id, int Plan)> Lifecycle(int k, string buyer, string seller, Guid product)
    {
        var plan = k % 4;
        var id = (await Expect(await Send(k, buyer, HttpMethod.Post, "/api/v1/orders", new
        {
            items = new[] { new { productId = product, quantity = 1 + k % 3 } },
            shippingAddress = "1 Test Street, Tbilisi",
        }, idempotencyKey: $"place-{k}"), HttpStatusCode.Created)).Id();
        if (plan == 3) return (buyer, id, plan);

        var pay = new { card = new { number = SandboxPaymentProvider.SuccessCard } };
        for (var round = 0; round < 20; round++)
        {
            var status = await Status(buyer, id);
            var path = $"/api/v1/orders/{id}";
            var race = (status, plan) switch
            {
                ("awaiting_payment", 2) when round == 0 => [Send(k, buyer, HttpMethod.Post, $"{path}/pay", pay), Send(k + 1, buyer, HttpMethod.Post, $"{path}/cancel")],
                ("awaiting_payment", _) => [Send(k, buyer, HttpMethod.Post, $"{path}/pay", pay, $"pay-{k}"), Send(k + 1, buyer, HttpMethod.Post, $"{path}/pay", pay, $"pay-{k}")],
                ("awaiting_shipment", 1) => [Send(k, buyer, HttpMethod.Post, $"{path}/cancel"), Send(k + 1, seller, HttpMethod.Post, $"{path}/ship", Shipment)],
                ("awaiting_shipment", 2) => [Send(k, buyer, HttpMethod.Post, $"{path}/cancel"), Send(k + 1, seller, HttpMethod.Post, $"{path}/cancel")],
                ("awaiting_shipment", _) => [Send(k, seller, HttpMethod.Post, $"{path}/ship", Shipment), Send(k + 1, seller, HttpMethod.Post, $"{path}/ship", Shipment)],
                ("awaiting_delivery", 1) when round < 6 => [Send(k, seller, HttpMethod.Post, $"{path}/mark-delivered"), Send(k + 1, buyer, HttpMethod.Post, $"{path}/confirm-receipt")],
                ("awaiting_delivery", _) => [Send(k, buyer, HttpMethod.Post, $"{path}/confirm-receipt"), Send(k + 1, buyer, HttpMethod.Post, $"{path}/confirm-receipt")],
                _ => Array.Empty<Task<HttpResponseMessage>>(),
            };
            if (race.Length == 0) return (buyer, id, plan); // completed or closed
            var waiting = false;
            foreach (var response in await Task.WhenAll(race)) waiting |= await Note(response);
            // A payment being made (or, its host killed, checked by a worker once its claim runs out): look again in a moment.
            if (waiting) await Task.Delay(TimeSpan.FromSeconds(1));
        }
        _unexpected.Add($"order {id} (plan {plan}) did not finish");
        return (buyer, id, plan);
    }

    private static readonly object Shipment = new { carrier = "DHL", trackingNumber = "JD0146000038" };

    /// <summary>The state the timeline leads to, or a description of the step it could not take.</summary>
    private static string Replay(IEnumerable<string> events)
    {
        var state = "";
        foreach (var e in events)
        {
            state = (e, state) switch
            {
                ("placed", "") => "awaiting_payment",
                ("paid", "awaiting_payment") => "awaiting_shipment",
                ("cancelled" or "expire_unpaid", "awaiting_payment") => "closed",
                ("cancelled" or "ship_by_missed", "awaiting_shipment") => "closed",
                ("shipped", "awaiting_shipment") => "awaiting_delivery",
                ("delivered", "awaiting_delivery") => "awaiting_delivery",
                ("receipt_confirmed", "awaiting_delivery") => "completed",
                ("buyer_reminded" or "seller_reminded", _) => state,
                _ => $"(no '{e}' after '{state}')",
            };
        }
        return state;
    }

    /// <summary>Only 2xx and 409 (a lost race, or a payment another request is making) are answers a racing client may get; anything else is recorded.</summary>
    private async Task<bool> Note(HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode) return false;
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            var code = JsonNode.Parse(body)?["code"]?.GetValue<string>();
            // payment_in_progress: the same pay on the other host took this one's claim on the capture over and has not
            // recorded its answer yet (the pay runs no transaction around the provider call): look again in a moment.
            if (code is "invalid_state" or "concurrent_change") return false;
            if (code is "payment_in_progress") return true;
        }
        _unexpected.Add($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: {(int)response.StatusCode} {body}");
        return false;
    }

    private async Task<string> Status(string apiKey, Guid id) =>
        (await Expect(await Send(id.GetHashCode(), apiKey, HttpMethod.Get, $"/api/v1/orders/{id}"), HttpStatusCode.OK)).Status();

    private async Task<string> NewUser(string role, int i)
    {
        var json = await Expect(await Send(i, AdminKey, HttpMethod.Post, "/api/v1/users", new
        {
            email = $"{role}{i}-{Guid.NewGuid():N}@multi-host.test",
            displayName = $"{role} {i}",
            role,
        }, idempotencyKey: $"{role}-{i}"), HttpStatusCode.Created);
        return json["apiKey"]!.GetValue<string>();
    }

    private async Task<JsonNode> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        await Api.ExpectStatus(response, status);
        return await Api.Json(response);
    }

    /// <summary>
    /// A load balancer's view: the request goes to the preferred host, or, when that host does not answer (killed,
    /// or starting again), to the other. A request cut off by a kill is sent again, as a client would.
    /// </summary>
    private async Task<HttpResponseMessage> Send(int preferred, string apiKey, HttpMethod method, string path, object? body = null, string? idempotencyKey = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var host = (int)(((long)preferred + attempt) % _hosts.Length + _hosts.Length) % _hosts.Length;
            var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
            try
            {
                return await _clients[host].SendAsync(request);
            }
            catch (HttpRequestException e) when (attempt < 50)
            {
                // Refused (the host is down) is harmless; anything else means the host died while it had the request.
                var refused = e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
                var segments = refused ? [] : path.Split('/');
                var order = Array.IndexOf(segments, "orders");
                if (order >= 0 && order + 1 < segments.Length && Guid.TryParse(segments[order + 1], out var id)) _cutOff.TryAdd(id, 0);
                if (attempt % 2 == 1) await Task.Delay(100); // both hosts refused: wait for one to come back
            }
        }
    }

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            if (host.IsRunning) _output.WriteLine($"{host.Name}:\n{host.Tail(15)}");
            host.Dispose();
        }
        foreach (var client in _clients) client.Dispose();
        TestDatabase.Drop(_database);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
