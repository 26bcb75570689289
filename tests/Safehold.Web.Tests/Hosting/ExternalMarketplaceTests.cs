using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Safehold.Bench;
using Safehold.Web.Tests.Features.Webhooks;
using Xunit.Abstractions;

namespace Safehold.Web.Tests.Hosting;

/// <summary>
/// Issue 14's done-means, as a marketplace's back end lives it: a real Safehold host process on <c>external</c> rails,
/// driven over HTTP by the platform's one key (acting for its buyers and sellers), with its webhooks received, signature
/// checked, on a loopback listener. An order goes from the marketplace's own capture to the seller's payout; another is
/// refunded through a dispute; a chargeback is lost and one won. The ledger check holds after every step, and
/// reconciliation finds no mismatch at the end.
/// </summary>
[Trait("Database", "SQLite")]
public sealed class ExternalMarketplaceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "external-marketplace-admin-key-0123";
    private const long Price = 10_000;

    private readonly string _directory = SafeholdApp.NewDirectory();
    private HostProcess _host = null!;
    private WebhookReceiver _receiver = null!;
    private string _platform = "", _secret = "";
    private int _seen;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _host = new HostProcess("host", [
            "--Safehold:Sandbox=true", // for its clock only: the money moves on the marketplace's side
            "--Safehold:Demo=false",
            "--Safehold:Payments:Provider=external",
            "--Safehold:Webhooks:AllowPrivateAddresses=true", // the marketplace's listener is on this machine
            "--Safehold:Sweeper:IntervalSeconds=0.2",
            "--Safehold:Payouts:Scheduled=false",
            "--Safehold:Database:Provider=sqlite",
            $"--ConnectionStrings:Safehold=Data Source={Path.Combine(_directory, "safehold.db")}",
            $"--Safehold:EvidenceFolder={Path.Combine(_directory, "evidence")}",
            "--Logging:LogLevel:Default=Warning",
        ], Path.Combine(_directory, "host.log"), adminKey: AdminKey);
        await _host.StartAsync();
        _platform = (await Ok(Send(AdminKey, HttpMethod.Post, "/api/v1/users", new { email = "backend@market.test", displayName = "Market", role = "platform" }),
            HttpStatusCode.Created))["apiKey"]!.GetValue<string>();
        _secret = (await Ok(Send(AdminKey, HttpMethod.Post, "/api/v1/webhook-endpoints", new { url = _receiver.Url, events = new[] { "payment_instruction.*" } }),
            HttpStatusCode.Created))["secret"]!.GetValue<string>();
    }

    public async Task DisposeAsync()
    {
        output.WriteLine(_host.Tail(15));
        _host.Dispose();
        await _receiver.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_marketplace_on_external_rails_pays_out_refunds_and_answers_chargebacks_through_the_API_alone_and_reconciles()
    {
        var seller = await NewUser("seller");
        var buyer = await NewUser("buyer");
        var product = (await Ok(Send(_platform, HttpMethod.Post, "/api/v1/products", new
        {
            title = "Felt slippers",
            description = "Hand-felted wool, size 38.",
            price = new { amount = Price, currency = "USD" },
            handlingDays = 3,
        }, actingFor: seller), HttpStatusCode.Created)).Id();

        // 1. From the marketplace's own capture to the seller's payout.
        var paidOut = await PaidOrder(buyer, product, "ch_market_1");
        await Step(Send(_platform, HttpMethod.Post, $"/api/v1/orders/{paidOut}/ship", new { carrier = "DHL", trackingNumber = "JD0000000101" }, actingFor: seller));
        await Step(Send(_platform, HttpMethod.Post, $"/api/v1/orders/{paidOut}/confirm-receipt", null, actingFor: buyer));
        await Step(Send(AdminKey, HttpMethod.Post, "/api/v1/sandbox/clock/advance", new { days = 16 })); // the dispute window passes
        await Step(Send(AdminKey, HttpMethod.Post, "/api/v1/payouts/run", null));
        var payout = await Announced("payment_instruction.created", e => e["instructionKind"]!.GetValue<string>() == "payout");
        Assert.Equal(Price - Price * 5 / 100, payout["amount"]!["amount"]!.GetValue<long>());
        await Report(payout, "po_market_1");
        var balance = await Ok(Send(_platform, HttpMethod.Get, "/api/v1/balance", null, actingFor: seller), HttpStatusCode.OK);
        Assert.Equal(Price - Price * 5 / 100, balance["balances"]![0]!["paidOut"]!.GetValue<long>());

        // 2. A refund through a dispute: the seller accepts, the marketplace sends the money back and says so.
        var disputed = await PaidOrder(buyer, product, "ch_market_2");
        await Step(Send(_platform, HttpMethod.Post, $"/api/v1/orders/{disputed}/ship", new { carrier = "DHL", trackingNumber = "JD0000000102" }, actingFor: seller));
        var dispute = (await Ok(Send(_platform, HttpMethod.Post, $"/api/v1/orders/{disputed}/disputes", new
        {
            reason = "damaged",
            requestedOutcome = "full_refund",
            description = "The sole came off on the first day.",
        }, actingFor: buyer), HttpStatusCode.Created)).Id();
        await CheckLedger();
        await Step(Send(_platform, HttpMethod.Post, $"/api/v1/disputes/{dispute}/accept", null, actingFor: seller));
        var refund = await Announced("payment_instruction.created", e => e["instructionKind"]!.GetValue<string>() == "refund"
            && e["orderId"]!.GetValue<Guid>() == disputed);
        Assert.Equal(Price, refund["amount"]!["amount"]!.GetValue<long>());
        await Report(refund, "re_market_2");

        // 3. Chargebacks the card network decided: one lost (the money stays with the buyer), one won (it comes back).
        var lost = await PaidOrder(buyer, product, "ch_market_3");
        var won = await PaidOrder(buyer, product, "ch_market_4");
        await Step(Send(_platform, HttpMethod.Post, $"/api/v1/orders/{won}/ship", new { carrier = "DHL", trackingNumber = "JD0000000104" }, actingFor: seller));
        foreach (var (order, decision) in new[] { (lost, "chargeback.lost"), (won, "chargeback.won") })
        {
            await Step(Send(_platform, HttpMethod.Post, "/api/v1/payment-events", new
            {
                id = $"evt_{order:N}_opened",
                type = "chargeback.opened",
                orderId = order,
                reason = "fraudulent",
                respondBy = DateTimeOffset.UtcNow.AddDays(60),
            }));
            await Step(Send(_platform, HttpMethod.Post, "/api/v1/payment-events", new { id = $"evt_{order:N}_decided", type = decision, orderId = order }));
        }
        var lostEntries = (await Ok(Send(AdminKey, HttpMethod.Get, $"/api/v1/orders/{lost}/ledger", null), HttpStatusCode.OK))["entries"]!.AsArray();
        Assert.Contains(lostEntries, e => e!["kind"]!.GetValue<string>() == "chargeback_lost");
        Assert.Equal("awaiting_delivery", (await Ok(Send(_platform, HttpMethod.Get, $"/api/v1/orders/{won}", null, actingFor: buyer), HttpStatusCode.OK)).Status());

        // Nothing the marketplace was not told of, and the books agree with what it reported.
        var reconciliation = await Ok(Send(AdminKey, HttpMethod.Get, "/api/v1/reconciliation", null), HttpStatusCode.OK);
        output.WriteLine(reconciliation.ToJsonString());
        Assert.True(reconciliation["ok"]!.GetValue<bool>(), reconciliation.ToJsonString());
        Assert.Equal(0, reconciliation["mismatchCount"]!.GetValue<int>());
        var totals = reconciliation["currencies"]!.AsArray().Single(c => c!["currency"]!.GetValue<string>() == "USD")!;
        Assert.Equal(4 * Price, totals["ledger"]!["capturedIn"]!["amount"]!.GetValue<long>());
        Assert.Null(totals["instructions"]!["captured"]); // the marketplace's captures are reported with the pay, not instructed
        Assert.Equal(Price, totals["instructions"]!["refunded"]!["amount"]!.GetValue<long>());
        Assert.Equal(Price - Price * 5 / 100, totals["instructions"]!["paidOut"]!["amount"]!.GetValue<long>());
    }

    /// <summary>An order of the product placed and paid by the marketplace for the buyer, with its own capture's reference.</summary>
    private async Task<Guid> PaidOrder(Guid buyer, Guid product, string reference)
    {
        var order = (await Ok(Send(_platform, HttpMethod.Post, "/api/v1/orders", new
        {
            items = new[] { new { productId = product, quantity = 1 } },
            shippingAddress = "3 Abashidze St, Tbilisi",
        }, actingFor: buyer), HttpStatusCode.Created)).Id();
        var paid = await Ok(Send(_platform, HttpMethod.Post, $"/api/v1/orders/{order}/pay",
            new { externalPayment = new { reference, amount = new { amount = Price, currency = "USD" } } }, actingFor: buyer), HttpStatusCode.OK);
        Assert.Equal("awaiting_shipment", paid.Status());
        await CheckLedger();
        return order;
    }

    /// <summary>The marketplace sent the instruction's money with its provider, and reports it; the result comes back as an event.</summary>
    private async Task Report(JsonNode announced, string reference)
    {
        var id = announced["instructionId"]!.GetValue<Guid>();
        var result = await Ok(Send(_platform, HttpMethod.Post, $"/api/v1/payment-instructions/{id}/result", new { status = "succeeded", reference }), HttpStatusCode.OK);
        Assert.Equal("succeeded", result["status"]!.GetValue<string>());
        await CheckLedger();
        await Announced("payment_instruction.succeeded", e => e["instructionId"]!.GetValue<Guid>() == id);
    }

    /// <summary>The first webhook event of <paramref name="type"/> not seen before that <paramref name="matches"/>, its signature checked.</summary>
    private async Task<JsonNode> Announced(string type, Func<JsonNode, bool> matches)
    {
        var patience = Stopwatch.StartNew();
        while (true)
        {
            var received = _receiver.Received.ToList();
            for (var i = _seen; i < received.Count; i++)
            {
                var (headers, body) = received[i];
                Assert.True(WebhookReceiver.SignedWith(_secret, headers["Safehold-Signature"], body), "A webhook whose signature does not verify.");
                var e = JsonNode.Parse(body)!;
                if (e["type"]!.GetValue<string>() != type || !matches(e)) continue;
                _seen = i + 1;
                return e;
            }
            Assert.True(patience.Elapsed < TimeSpan.FromSeconds(60), $"No {type} webhook among {received.Count}:\n{string.Join("\n", received.Select(r => r.Body))}");
            await Task.Delay(100);
        }
    }

    private async Task<Guid> NewUser(string role) =>
        (await Ok(Send(AdminKey, HttpMethod.Post, "/api/v1/users", new { email = $"{role}-{Guid.NewGuid():N}@market.test", displayName = role, role }),
            HttpStatusCode.Created)).Id();

    private async Task Step(Task<HttpResponseMessage> request)
    {
        await Ok(request, HttpStatusCode.OK);
        await CheckLedger();
    }

    private async Task CheckLedger()
    {
        var check = await Ok(Send(AdminKey, HttpMethod.Get, "/api/v1/ledger/check", null), HttpStatusCode.OK);
        Assert.True(check["ok"]!.GetValue<bool>(), check.ToJsonString());
    }

    private Task<HttpResponseMessage> Send(string key, HttpMethod method, string path, object? body, Guid? actingFor = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (actingFor is { } user) request.Headers.Add("Safehold-Acting-For", user.ToString());
        return _host.Http.SendAsync(request);
    }

    private static async Task<JsonNode> Ok(Task<HttpResponseMessage> request, HttpStatusCode status)
    {
        var response = await request;
        await Api.ExpectStatus(response, status);
        return await Api.Json(response);
    }
}
