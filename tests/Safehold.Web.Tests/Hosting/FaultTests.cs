using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Npgsql;
using Safehold.Bench;
using Safehold.Domain.Orders;
using Safehold.Domain.Process;
using Xunit.Abstractions;

namespace Safehold.Web.Tests.Hosting;

/// <summary>
/// Faults in the spirit of TigerBeetle's simulator and Jepsen: seeded random lifecycles (pay, ship, deliver, confirm,
/// extensions, disputes with offers, returns, decisions and appeals) driven by several clients at once from what the API
/// offers each party (<c>actions</c>), and sandbox clock advances, against real host processes (two on one PostgreSQL
/// database, one on SQLite) while hosts are killed (SIGKILL) and started again and, on PostgreSQL, every database
/// connection of the hosts is cut once (<c>pg_terminate_backend</c>). Every POST carries an Idempotency-Key and is sent
/// again after a cut-off, as a client would. Afterwards: the ledger check holds; every order's timeline, replayed
/// through <see cref="OrderProcess.Table"/>, leads to its status and explains its journal entries one for one; no timer
/// fired twice; and the sandbox provider's records match the ledger (no retry was charged twice).
/// </summary>
/// <remarks>
/// The seed is printed; <c>SAFEHOLD_FAULT_SEED</c> replays it and <c>SAFEHOLD_FAULT_SECONDS</c> (default 45) runs the
/// workload longer, e.g. <c>SAFEHOLD_FAULT_SECONDS=900</c> for a quarter of an hour.
/// </remarks>
public sealed class FaultTests(ITestOutputHelper output) : IDisposable
{
    private const string AdminKey = "fault-suite-admin-key-0123456789";
    private const int Clients = 4;
    private static readonly Dictionary<string, string> Production = new() { ["ASPNETCORE_ENVIRONMENT"] = "Production" };

    private readonly string _directory = SafeholdApp.NewDirectory();
    private readonly List<HostProcess> _hosts = [];
    private readonly List<HttpClient> _clients = [];
    private readonly ConcurrentBag<string> _unexpected = [];
    private readonly ConcurrentDictionary<Guid, byte> _cutOff = new(); // orders that had a request cut off by a kill or a lost connection
    private readonly ConcurrentDictionary<Guid, Guid> _disputeOrders = new(); // dispute → order, for requests cut off on a dispute
    private readonly ConcurrentDictionary<string, int> _answers = new();
    private string? _database;
    private volatile bool _hostsDown;

    [Fact]
    [Trait("Database", "SQLite")]
    public Task One_host_on_SQLite_killed_and_restarted_under_random_lifecycles_keeps_every_order_s_money_explained() =>
        RunAsync(postgres: false);

    [Fact]
    [Trait("Database", "PostgreSQL")]
    public Task Two_hosts_on_PostgreSQL_killed_restarted_and_cut_off_under_random_lifecycles_keep_every_order_s_money_explained() =>
        RunAsync(postgres: true);

    private async Task RunAsync(bool postgres)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("SAFEHOLD_FAULT_SEED"), out var s) ? s : Environment.TickCount & 0xFFFFF;
        var seconds = double.TryParse(Environment.GetEnvironmentVariable("SAFEHOLD_FAULT_SECONDS"), out var d) ? d : 45;
        output.WriteLine($"Fault suite on {(postgres ? "PostgreSQL, two hosts" : "SQLite, one host")}: seed {seed}, {seconds} s "
            + $"(replay: SAFEHOLD_FAULT_SEED={seed} SAFEHOLD_FAULT_SECONDS={seconds})");
        var random = new Random(seed);
        StartHosts(postgres);
        await Task.WhenAll(_hosts.Select(h => h.StartAsync()));

        // The cast: sellers with products at odd prices (commission and partial refunds must not lose a unit), buyers, arbiters.
        var sellers = new List<string>();
        var products = new List<(Guid Id, string Seller, long Price)>();
        for (var i = 0; i < 3; i++)
        {
            var seller = await NewUser("seller", i);
            sellers.Add(seller);
            for (var p = 0; p < 2; p++)
            {
                var price = 999 + random.Next(50_000);
                var product = await Expect(await Send(i, seller, HttpMethod.Post, "/api/v1/products", new
                {
                    title = $"Product {i}.{p}",
                    description = "Exactly as described.",
                    price = new { amount = price, currency = "USD" },
                    handlingDays = 1 + random.Next(7),
                }), HttpStatusCode.Created);
                products.Add((product.Id(), seller, price));
            }
        }
        var buyers = new List<string>();
        for (var i = 0; i < 5; i++) buyers.Add(await NewUser("buyer", i));
        var arbiters = new List<string> { await NewUser("arbiter", 0), await NewUser("arbiter", 1) };

        var stopwatch = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var chaos = Task.Run(() => Chaos(new Random(random.Next()), postgres, seconds));
        var ending = Task.Run(async () =>
        {
            await Task.WhenAll(chaos, Task.Delay(TimeSpan.FromSeconds(seconds)));
            await stop.CancelAsync();
        });
        var orders = new ConcurrentBag<(Guid Id, string Buyer)>();
        var clientSeeds = Enumerable.Range(0, Clients).Select(_ => random.Next()).ToList();
        var workers = clientSeeds.Select((clientSeed, c) => Task.Run(async () =>
        {
            var r = new Random(clientSeed);
            while (!stop.IsCancellationRequested)
            {
                var product = products[r.Next(products.Count)];
                var buyer = buyers[r.Next(buyers.Count)];
                var order = await Expect(await Send(r.Next(), buyer, HttpMethod.Post, "/api/v1/orders", new
                {
                    items = new[] { new { productId = product.Id, quantity = 1 + r.Next(3) } },
                    shippingAddress = "1 Test Street, Tbilisi",
                }), HttpStatusCode.Created);
                orders.Add((order.Id(), buyer));
                await Lifecycle(r, order.Id(), buyer, product.Seller, arbiters[r.Next(arbiters.Count)], stop.Token);
            }
        })).ToList();
        var clock = Task.Run(async () =>
        {
            var r = new Random(random.Next());
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(1_000 + r.Next(3_000));
                await Note(await Send(r.Next(), AdminKey, HttpMethod.Post, "/api/v1/sandbox/clock/advance", new { hours = 1 + r.Next(96) }));
            }
        });
        await Task.WhenAll(workers.Append(clock).Append(ending));
        output.WriteLine($"workload and faults: {stopwatch.Elapsed.TotalSeconds:F0} s, {orders.Count} orders");

        // Everything left running out: two advances of 60 days fire every timer still ahead (arbiters' decisions are never automatic).
        for (var i = 0; i < 2; i++) await Note(await Send(i, AdminKey, HttpMethod.Post, "/api/v1/sandbox/clock/advance", new { days = 60 }));
        await CapturesSettled();

        output.WriteLine("answers: " + string.Join(", ", _answers.OrderBy(a => a.Key).Select(a => $"{a.Key}×{a.Value}")));
        Assert.True(_unexpected.IsEmpty, $"seed {seed}: {_unexpected.Count} unexpected answers, among them:\n{string.Join("\n", _unexpected.Take(8))}");
        var check = await Expect(await Send(0, AdminKey, HttpMethod.Get, "/api/v1/ledger/check"), HttpStatusCode.OK);
        Assert.True(check["ok"]!.GetValue<bool>(), $"seed {seed}: {check.ToJsonString()}");
        await CheckEveryOrder(seed, orders.ToList());
        output.WriteLine($"total: {stopwatch.Elapsed.TotalSeconds:F0} s");
    }

    private void StartHosts(bool postgres)
    {
        List<string> settings =
        [
            "--Safehold:Sandbox=true",
            "--Safehold:Demo=false",
            $"--Safehold:AdminApiKey={AdminKey}",
            $"--Safehold:SandboxProviderStore={Path.Combine(_directory, "sandbox-provider.db")}", // one provider behind every host
            $"--Safehold:EvidenceFolder={Path.Combine(_directory, "evidence")}",
            "--Safehold:Sweeper:IntervalSeconds=0.5",
            "--Safehold:Payouts:Scheduled=false",
            "--Logging:LogLevel:Default=Warning",
            "--Safehold:RateLimits:PerAddressPerMinute=100000000", // the workload and the checks all come from this machine, as fast as they can
            "--Safehold:RateLimits:PerCallerPerMinute=100000000",
        ];
        if (postgres)
        {
            _database = TestDatabase.DatabaseNameFor(_directory);
            TestDatabase.Created(_database);
            TestDatabase.Execute($"""CREATE DATABASE "{_database}" """);
            var connection = new NpgsqlConnectionStringBuilder(TestDatabase.PostgresDatabase(_database)) { MaxPoolSize = 20 }.ToString();
            settings.AddRange(["--Safehold:Database:Provider=postgres", $"--ConnectionStrings:Safehold={connection}"]);
        }
        else settings.AddRange(["--Safehold:Database:Provider=sqlite", $"--ConnectionStrings:Safehold=Data Source={Path.Combine(_directory, "safehold.db")}"]);
        foreach (var name in postgres ? new[] { "host-a", "host-b" } : ["host-a"])
        {
            var host = new HostProcess(name, settings, Path.Combine(_directory, $"{name}.log"), environment: Production);
            _hosts.Add(host);
            _clients.Add(new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(90) });
        }
    }

    /// <summary>
    /// Three kills of a random host, each started again at once, and on PostgreSQL one cut of every connection the hosts
    /// hold, a few seconds of work apart (a restart takes its own time, longer on a loaded machine: the workload goes on
    /// until the faults are over and its time is up).
    /// </summary>
    private async Task Chaos(Random r, bool postgres, double seconds)
    {
        var plan = new List<string> { "kill", "kill", "kill" };
        if (postgres) plan.Insert(1 + r.Next(3), "cut");
        var started = Stopwatch.StartNew();
        foreach (var what in plan)
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds / 8 * (0.5 + r.NextDouble())));
            if (what == "cut")
            {
                int cut;
                using (var connection = new NpgsqlConnection(TestDatabase.PostgresDatabase("postgres", pooling: false)))
                {
                    await connection.OpenAsync();
                    await using var command = new NpgsqlCommand(
                        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid()", connection);
                    command.Parameters.AddWithValue("db", _database!);
                    cut = Convert.ToInt32(await command.ExecuteScalarAsync());
                }
                output.WriteLine($"{started.Elapsed.TotalSeconds:F1} s: cut {cut} database connections of the hosts");
                continue;
            }
            var host = _hosts[r.Next(_hosts.Count)];
            _hostsDown = _hosts.Count == 1;
            host.Kill();
            output.WriteLine($"{started.Elapsed.TotalSeconds:F1} s: killed {host.Name}");
            await host.StartAsync();
            _hostsDown = false;
            output.WriteLine($"{started.Elapsed.TotalSeconds:F1} s: {host.Name} answers again");
        }
    }

    /// <summary>
    /// One order driven at random from what the API offers its buyer, its seller and an arbiter, step by step, sometimes
    /// with two parties at once or the same request sent twice (one Idempotency-Key), until nobody can do anything or
    /// the workload's time is up.
    /// </summary>
    private async Task Lifecycle(Random r, Guid orderId, string buyer, string seller, string arbiter, CancellationToken stop)
    {
        for (var step = 0; step < 25 && !stop.IsCancellationRequested; step++)
        {
            var choices = new List<(string Key, string Action, Guid? Dispute)>();
            foreach (var who in new[] { buyer, seller })
            {
                var order = (await Read(r.Next(), who, $"/api/v1/orders/{orderId}"))!;
                choices.AddRange(order.Actions().Select(a => (who, a, (Guid?)null)));
                if (order["dispute"] is { } summary && summary["status"]!.GetValue<string>() is not ("resolved" or "withdrawn"))
                {
                    var disputeId = summary.Id();
                    _disputeOrders.TryAdd(disputeId, orderId);
                    foreach (var party in who == buyer ? new[] { buyer, arbiter } : [seller])
                    {
                        var dispute = await Read(r.Next(), party, $"/api/v1/disputes/{disputeId}", allowNotFound: party == arbiter);
                        if (dispute is null) continue;
                        choices.AddRange(dispute.Actions().Where(a => a is not ("add_evidence" or "send_message")).Select(a => (party, a, (Guid?)disputeId)));
                    }
                }
            }
            if (choices.Count == 0) return; // nothing left for a person to do: the clock finishes it
            // Paying is what nearly every buyer does; a few orders are left to expire.
            var (actor, action, on) = choices.Any(c => c.Action == "pay") && r.Next(8) > 0 ? choices.First(c => c.Action == "pay") : choices[r.Next(choices.Count)];
            var (path, body) = Request(r, orderId, action, on, await Read(r.Next(), buyer, $"/api/v1/orders/{orderId}"));
            var key = Guid.NewGuid().ToString();
            var sends = new List<Task<HttpResponseMessage>> { Send(r.Next(), actor, HttpMethod.Post, path, body, key) };
            if (r.Next(4) == 0) sends.Add(Send(r.Next(), actor, HttpMethod.Post, path, body, key)); // a client's retry racing the first
            else if (r.Next(3) == 0 && choices.FirstOrDefault(c => c.Key != actor) is { Key: not null } other)
            {
                var (otherPath, otherBody) = Request(r, orderId, other.Action, other.Dispute, null);
                sends.Add(Send(r.Next(), other.Key, HttpMethod.Post, otherPath, otherBody, Guid.NewGuid().ToString())); // two parties racing
            }
            foreach (var response in await Task.WhenAll(sends)) await Note(response);
        }
    }

    /// <summary>The path and a valid body of an action the API offered.</summary>
    private static (string Path, object? Body) Request(Random r, Guid orderId, string action, Guid? disputeId, JsonNode? order)
    {
        var total = order?["total"]?["amount"]?.GetValue<long>() ?? 1_000;
        var part = Math.Max(1, total * (1 + r.Next(90)) / 100);
        var money = new { amount = Math.Min(part, total - 1 < 1 ? 1 : total - 1), currency = "USD" };
        var o = $"/api/v1/orders/{orderId}";
        var dp = $"/api/v1/disputes/{disputeId}";
        var pendingExtension = order?["extensions"]?.AsArray().FirstOrDefault(e => e!["status"]!.GetValue<string>() == "pending")?.Id();
        return action switch
        {
            "pay" => ($"{o}/pay", new { card = new { number = "4242424242424242" } }),
            "cancel" => ($"{o}/cancel", null),
            "ship" => ($"{o}/ship", new { carrier = "DHL", trackingNumber = $"JD{r.Next():D10}" }),
            "mark_delivered" => ($"{o}/mark-delivered", null),
            "confirm_receipt" => ($"{o}/confirm-receipt", null),
            "extend_protection" => ($"{o}/protection-extensions", new { days = 1 + r.Next(30), reason = "Customs are slow." }),
            "approve_extension" => ($"{o}/protection-extensions/{pendingExtension ?? Guid.Empty}/approve", null),
            "decline_extension" => ($"{o}/protection-extensions/{pendingExtension ?? Guid.Empty}/decline", null),
            "open_dispute" => ($"{o}/disputes", r.Next(3) switch
            {
                0 => new { reason = "damaged", requestedOutcome = "full_refund", requestedAmount = (object?)null, description = "Broken on arrival." },
                1 => new { reason = "not_as_described", requestedOutcome = "partial_refund", requestedAmount = (object?)money, description = "Smaller than shown." },
                _ => new { reason = "wrong_item", requestedOutcome = "return_and_refund", requestedAmount = (object?)null, description = "Not what I ordered." },
            }),
            "accept" => ($"{dp}/accept", null),
            "counter_offer" => ($"{dp}/counter-offer", new { outcome = "partial_refund", amount = money, message = "Part of it back?" }),
            "reject" => ($"{dp}/reject", new { reason = "It left here intact." }),
            "accept_offer" => ($"{dp}/accept-offer", null),
            "escalate" => ($"{dp}/escalate", null),
            "withdraw" => ($"{dp}/withdraw", null),
            "return_shipment" => ($"{dp}/return-shipment", new { carrier = "DHL", trackingNumber = $"RT{r.Next():D10}" }),
            "confirm_return" => ($"{dp}/confirm-return", null),
            "decision" => ($"{dp}/decision", r.Next(3) switch
            {
                0 => new { outcome = "full_refund", refundAmount = (object?)null, rationale = "The photos show the damage." },
                1 => new { outcome = "partial_refund", refundAmount = (object?)money, rationale = "Partly as described." },
                _ => new { outcome = "released_to_seller", refundAmount = (object?)null, rationale = "As described." },
            }),
            "appeal" => ($"{dp}/appeal", new { reason = "The evidence was not read." }),
            _ => throw new InvalidOperationException($"The fault suite does not know the action '{action}': teach FaultTests.Request it."),
        };
    }

    /// <summary>
    /// Every order's timeline replayed through <see cref="OrderProcess.Table"/>: each event is a row taken from the state
    /// the previous ones led to, the last state is the order's status, the rows' money movements are the order's journal
    /// entries one for one, and no timer's transition or reminder happened more often than its timer could have been set.
    /// The sandbox provider's records agree with the journal.
    /// </summary>
    private async Task CheckEveryOrder(int seed, List<(Guid Id, string Buyer)> orders)
    {
        var provider = ProviderOperations();
        var wrong = new List<string>();
        var counts = new Dictionary<string, int>();
        foreach (var (id, buyer) in orders)
        {
            var order = (await Read(0, buyer, $"/api/v1/orders/{id}"))!;
            var events = order["timeline"]!.AsArray().Select(e => e!["event"]!.GetValue<string>()).ToList();
            var entries = (await Read(0, buyer, $"/api/v1/orders/{id}/ledger"))!["entries"]!.AsArray();
            var (state, expectedKinds, problem) = Replay(events);
            if (problem is not null) wrong.Add($"order {id}: {problem} in {string.Join(" → ", events)}");
            else if (state != order.Status()) wrong.Add($"order {id} is {order.Status()} but its timeline leads to {state}: {string.Join(" → ", events)}");
            var kinds = entries.Select(e => e!["kind"]!.GetValue<string>()).Order().ToList();
            // The payment worker's entries (a refund owed, then sent, or sent and returned) follow the refunds the timeline
            // explains; the provider's records below check their money.
            var sentOrReturned = kinds.Where(k => k is "refund_sent" or "refund_returned").ToList();
            kinds = kinds.Where(k => k is not ("refund_sent" or "refund_returned")).ToList();
            if (sentOrReturned.Count(k => k == "refund_sent") > expectedKinds.Count(k => k.Contains("refund", StringComparison.Ordinal)))
                wrong.Add($"order {id}: more refunds sent ({sentOrReturned.Count(k => k == "refund_sent")}) than its timeline decided");
            if (problem is null && !kinds.SequenceEqual(expectedKinds.Order()))
                wrong.Add($"order {id}: journal [{string.Join(", ", kinds)}], timeline explains [{string.Join(", ", expectedKinds.Order())}]: {string.Join(" → ", events)}");
            counts[order.Status()] = counts.GetValueOrDefault(order.Status()) + 1;
            foreach (var e in events.Where(e => e.StartsWith("dispute_") || e.StartsWith("extension_"))) counts[e] = counts.GetValueOrDefault(e) + 1;

            // No timer twice: the transitions that stay in their state can be told apart only by count.
            var extensionsGranted = events.Count(e => e is "extension_approved" or "extension_auto_approved");
            if (events.Count(e => e == "dispute_window_closed") > 1) wrong.Add($"order {id}: the dispute window closed twice");
            if (events.Count(e => e == "extension_auto_approved") > events.Count(e => e == "extension_requested")) wrong.Add($"order {id}: an extension approved by silence twice");
            if (events.Count(e => e == "buyer_reminded") > 1 + extensionsGranted) wrong.Add($"order {id}: the buyer reminded more often than protection's end was set");
            if (events.Count(e => e == "seller_reminded") > 1) wrong.Add($"order {id}: the seller reminded of the ship-by date twice");
            if (events.Contains("timer_discarded")) wrong.Add($"order {id}: a timer was discarded: {string.Join(" → ", events)}");

            // The provider's records: one capture of the order's total, kept or given back; refunds as the journal says.
            var total = order["total"]!["amount"]!.GetValue<long>();
            var captured = provider.Where(p => p.Order == id && p.Kind == "capture").ToList();
            var voided = provider.Any(p => p.Order == id && p.Key.EndsWith(":void", StringComparison.Ordinal));
            var refundedAtProvider = provider.Where(p => p.Order == id && p.Kind == "refund" && !p.Key.EndsWith(":void", StringComparison.Ordinal)).Sum(p => p.Amount);
            var refundedInLedger = entries.SelectMany(e => e!["lines"]!.AsArray())
                .Where(l => l!["account"]!.GetValue<string>().Contains("refund", StringComparison.OrdinalIgnoreCase)).Sum(l => l!["amount"]!["amount"]!.GetValue<long>());
            var paidInLedger = kinds.Contains("capture");
            if (captured.Count > 1 || captured.Any(c => c.Amount != total)) wrong.Add($"order {id}: captured {string.Join(" + ", captured.Select(c => c.Amount))} at the provider for a total of {total}");
            if (paidInLedger && captured.Count == 0) wrong.Add($"order {id}: a capture in the journal that the provider never made");
            if (!paidInLedger && captured.Count == 1 && !voided) wrong.Add($"order {id}: a capture at the provider neither recorded nor given back");
            if (paidInLedger && voided) wrong.Add($"order {id}: a recorded capture was also given back");
            if (refundedAtProvider < refundedInLedger) wrong.Add($"order {id}: the journal refunds {refundedInLedger}, the provider refunded {refundedAtProvider}");
            if (refundedAtProvider > refundedInLedger)
            {
                // A refund made by a host killed (or cut off) before its commit, whose order then went another way (docs/scaling.md).
                if (_cutOff.ContainsKey(id)) output.WriteLine($"order {id}: {refundedAtProvider - refundedInLedger} refunded at the provider by a request cut off, not in the journal");
                else wrong.Add($"order {id}: the provider refunded {refundedAtProvider}, the journal {refundedInLedger}");
            }
        }
        output.WriteLine("orders: " + string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        Assert.True(wrong.Count == 0, $"seed {seed}: {wrong.Count} orders whose history does not explain them:\n{string.Join("\n", wrong.Take(15))}");
        Assert.True(counts.GetValueOrDefault("completed") + counts.GetValueOrDefault("dispute_opened") > 0, $"seed {seed}: the run did too little to prove anything");
    }

    private static readonly Dictionary<string, OrderTrigger> Triggers = new()
    {
        ["paid"] = OrderTrigger.Pay,
        ["cancelled"] = OrderTrigger.Cancel,
        ["shipped"] = OrderTrigger.Ship,
        ["delivered"] = OrderTrigger.MarkDelivered,
        ["receipt_confirmed"] = OrderTrigger.ConfirmReceipt,
        ["extension_requested"] = OrderTrigger.ExtendProtection,
        ["extension_approved"] = OrderTrigger.ApproveExtension,
        ["extension_declined"] = OrderTrigger.DeclineExtension,
        ["dispute_opened"] = OrderTrigger.OpenDispute,
    };

    private static readonly Dictionary<MoneyMovement, string> EntryKinds = new()
    {
        [MoneyMovement.CaptureIntoEscrow] = "capture",
        [MoneyMovement.RefundInFull] = "refund",
        [MoneyMovement.ReleaseToSeller] = "release",
        [MoneyMovement.PendingToAvailable] = "credit_available",
        [MoneyMovement.DisputeRefundFromEscrow] = "dispute_refund",
        [MoneyMovement.DisputeSplitEscrow] = "dispute_partial_refund",
        [MoneyMovement.DisputeRefundFromPending] = "dispute_refund",
        [MoneyMovement.DisputePartRefundFromPending] = "dispute_partial_refund",
    };

    /// <summary>The state a timeline leads to through the order's table and the journal entries its rows post, or the step it could not take.</summary>
    private static (string State, List<string> Entries, string? Problem) Replay(List<string> events)
    {
        var entries = new List<string>();
        if (events.FirstOrDefault() != "placed") return ("", entries, "it does not start with 'placed'");
        var state = OrderStatus.AwaitingPayment;
        foreach (var e in events.Skip(1))
        {
            if (e is "buyer_reminded" or "seller_reminded" or "timer_discarded") continue;
            if (!Triggers.TryGetValue(e, out var trigger) && !ProcessNames.TryParse(e, out trigger))
                return (ProcessNames.Of(state), entries, $"an event '{e}' that is no trigger of the order's table");
            var row = OrderProcess.Table.FirstOrDefault(t => t.Trigger == trigger && t.From == state);
            if (row is null) return (ProcessNames.Of(state), entries, $"'{e}' in {ProcessNames.Of(state)}, which no row allows");
            state = row.To;
            if (row.Money != MoneyMovement.None) entries.Add(EntryKinds[row.Money]);
        }
        return (ProcessNames.Of(state), entries, null);
    }

    /// <summary>The sandbox provider's successful operations: key, kind, amount and the order the key names.</summary>
    private List<(string Key, string Kind, long Amount, Guid Order)> ProviderOperations()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "sandbox-provider.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT idempotency_key, kind, amount FROM operations WHERE succeeded = 1";
        using var reader = command.ExecuteReader();
        var operations = new List<(string, string, long, Guid)>();
        while (reader.Read())
        {
            var key = reader.GetString(0);
            var parts = key.Split(':');
            if (parts is ["order", var id, ..] && Guid.TryParse(id, out var order)) operations.Add((key, reader.GetString(1), reader.GetInt64(2), order));
        }
        return operations;
    }

    /// <summary>A lost race (409), a rule that the clock made true meanwhile (422) and a moment without the database (503) are a client's lot; nothing else.</summary>
    private async Task Note(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync();
        var code = status >= 400 ? TryCode(body) : null;
        _answers.AddOrUpdate(code is null ? $"{status}" : $"{status} {code}", 1, (_, n) => n + 1);
        if (response.IsSuccessStatusCode || status is 409 or 422 or 503) return;
        // An action offered a moment ago whose object a timer or the other party has since moved on (an extension answered).
        if (status == 404 && response.RequestMessage!.RequestUri!.AbsolutePath.Contains("/protection-extensions/", StringComparison.Ordinal)) return;
        _unexpected.Add($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: {status} {body}");
    }

    private static string? TryCode(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["code"]?.GetValue<string>();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private async Task<JsonNode?> Read(int preferred, string apiKey, string path, bool allowNotFound = false)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await Send(preferred + attempt, apiKey, HttpMethod.Get, path);
            if (response.StatusCode == HttpStatusCode.OK) return await Api.Json(response);
            if (allowNotFound && response.StatusCode == HttpStatusCode.NotFound) return null;
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt > 250) return await Expect(response, HttpStatusCode.OK);
            await Task.Delay(200);
        }
    }

    private async Task<string> NewUser(string role, int i)
    {
        var json = await Expect(await Send(i, AdminKey, HttpMethod.Post, "/api/v1/users", new
        {
            email = $"{role}{i}-{Guid.NewGuid():N}@faults.test",
            displayName = $"{role} {i}",
            role,
        }, idempotencyKey: $"{role}-{i}"), HttpStatusCode.Created);
        return json["apiKey"]!.GetValue<string>();
    }

    /// <summary>
    /// Waits (a minute at most) until no capture waits for the instruction worker: a capture lost by a killed host, whose
    /// order then closed, is returned by the worker after the close (its claim runs out with the clock's advances).
    /// </summary>
    private async Task CapturesSettled()
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var unsettled = 0;
            foreach (var status in new[] { "pending", "processing" })
            {
                string? cursor = null;
                do
                {
                    var page = await Expect(await Send(0, AdminKey, HttpMethod.Get,
                        $"/api/v1/payment-instructions?status={status}&limit=100" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")), HttpStatusCode.OK);
                    unsettled += page["items"]!.AsArray().Count(i => i!["kind"]!.GetValue<string>() == "capture");
                    cursor = page["nextCursor"]?.GetValue<string>();
                }
                while (cursor is not null);
            }
            if (unsettled == 0) return;
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(1), $"{unsettled} captures still wait for the instruction worker after a minute");
            await Task.Delay(250);
        }
    }

    private static async Task<JsonNode> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        await Api.ExpectStatus(response, status);
        return await Api.Json(response);
    }

    /// <summary>
    /// A load balancer and a patient client: the request goes to the preferred host, or to another when that one does not
    /// answer; a request cut off (by a kill, or a database that went away: 503) is sent again with the same Idempotency-Key.
    /// </summary>
    private async Task<HttpResponseMessage> Send(int preferred, string apiKey, HttpMethod method, string path, object? body = null, string? idempotencyKey = null)
    {
        idempotencyKey ??= method == HttpMethod.Post ? Guid.NewGuid().ToString() : null;
        var patience = Stopwatch.StartNew(); // a restart takes two minutes on a machine loaded to 80
        for (var attempt = 0; ; attempt++)
        {
            var host = (int)(((long)preferred + attempt) % _hosts.Count + _hosts.Count) % _hosts.Count;
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
            try
            {
                var response = await _clients[host].SendAsync(request);
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable || method == HttpMethod.Get || patience.Elapsed > Patience) return response;
                MarkCutOff(path);
                await Task.Delay(200);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && patience.Elapsed < Patience)
            {
                // Refused (the host is down) is harmless; anything else means the host died while it had the request.
                if (e.InnerException is not SocketException { SocketErrorCode: SocketError.ConnectionRefused }) MarkCutOff(path);
                if (_hostsDown || attempt % _hosts.Count == _hosts.Count - 1) await Task.Delay(150);
            }
        }
    }

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    private void MarkCutOff(string path)
    {
        var segments = path.Split('/');
        if (segments.Length > 4 && Guid.TryParse(segments[4], out var id))
        {
            if (segments[3] == "orders") _cutOff.TryAdd(id, 0);
            else if (segments[3] == "disputes" && _disputeOrders.TryGetValue(id, out var order)) _cutOff.TryAdd(order, 0);
        }
    }

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            output.WriteLine($"{host.Name}:\n{host.Tail(200)}"); // enough for a failure's whole stack trace, not only its last frames
            host.Dispose();
        }
        foreach (var client in _clients) client.Dispose();
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
