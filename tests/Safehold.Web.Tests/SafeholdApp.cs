using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Safehold.Web.Data;
using Safehold.Web.Payments;

namespace Safehold.Web.Tests;

/// <summary>
/// Safehold in-process over a real database of its own, with a fake clock and the sandbox provider.
/// The database is a SQLite file, or with <c>SAFEHOLD_TEST_DATABASE=postgres</c> a fresh PostgreSQL
/// database (see <see cref="TestDatabase"/>). Each test class gets its own app (and so its own database);
/// tests inside a class make their own users.
/// </summary>
public sealed class SafeholdApp : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-0123456789";

    public SafeholdApp()
    {
        Directory = NewDirectory();
    }

    /// <summary>An app over an existing directory (to restart on the same database), optionally seeding demo data.</summary>
    public static SafeholdApp Over(string directory, bool demo = false) => new() { Directory = directory, Demo = demo, OwnsDirectory = false };

    /// <summary>Whether disposing deletes the directory (not when another app will reopen it).</summary>
    public bool OwnsDirectory { get; private init; } = true;

    public string Directory { get; private init; }
    public bool Demo { get; private init; }
    public string DatabasePath => Path.Combine(Directory, "safehold.db");

    /// <summary>The connection string the host runs on: the SQLite file, or this app's own PostgreSQL database.</summary>
    public string ConnectionString => TestDatabase.IsPostgres
        ? TestDatabase.PostgresDatabase(TestDatabase.DatabaseNameFor(Directory))
        : $"Data Source={DatabasePath}";
    public FakeTimeProvider Clock { get; init; } = new(Start);

    public static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    public static string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "safehold-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Safehold:Sandbox", "true");
        builder.UseSetting("Safehold:Demo", Demo ? "true" : "false");
        builder.UseSetting("Safehold:AdminApiKey", AdminKey);
        builder.UseSetting("Safehold:Database:Provider", TestDatabase.Provider);
        if (TestDatabase.IsPostgres) TestDatabase.CreateMigrated(TestDatabase.DatabaseNameFor(Directory));
        builder.UseSetting("ConnectionStrings:Safehold", ConnectionString);
        builder.UseSetting("Safehold:SandboxProviderStore", Path.Combine(Directory, "sandbox-provider.db"));
        builder.UseSetting("Safehold:EvidenceFolder", Path.Combine(Directory, "evidence"));
        // The sweeper runs when a test asks (Sweep, or the sandbox clock API), so tests see no background work.
        builder.UseSetting("Safehold:Sweeper:Enabled", SweeperEnabled ? "true" : "false");
        // Payout runs only when a test asks: a scheduled run would otherwise pay out the balances tests look at.
        builder.UseSetting("Safehold:Payouts:Scheduled", "false");
        // The suite sends thousands of requests from one address with one admin key, as fast as it can: budgets no test
        // reaches (the limiter still runs). RateLimitTests set low ones.
        builder.UseSetting("Safehold:RateLimits:PerAddressPerMinute", "100000000");
        builder.UseSetting("Safehold:RateLimits:PerCallerPerMinute", "100000000");
        builder.UseSetting("Safehold:RateLimits:WrongKeysPerAddressPerMinute", "1000000");
        builder.UseSetting("Safehold:RateLimits:SignInsPerAddressPerMinute", "1000000");
        builder.UseSetting("Safehold:RateLimits:SignInsPerEmailPerMinute", "1000000");
        // Webhook tests deliver to a receiver on loopback, which production refuses (SSRF); the tests of that refusal turn it off.
        builder.UseSetting("Safehold:Webhooks:AllowPrivateAddresses", "true");
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        builder.ConfigureTestServices(services =>
        {
            // The fake clock is the "real" clock under the sandbox clock, so both FakeTimeProvider.Advance and the sandbox API move time.
            services.RemoveAllKeyed<TimeProvider>(Safehold.Web.Features.Sandbox.SandboxClock.RealClockKey);
            services.AddKeyedSingleton<TimeProvider>(Safehold.Web.Features.Sandbox.SandboxClock.RealClockKey, Clock);
            TestServices?.Invoke(services);
        });
    }

    /// <summary>Replaces services before the host starts (a fault-injecting payment provider, say).</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    /// <summary>Extra configuration, set before the host starts.</summary>
    public Dictionary<string, string> Settings { get; init; } = [];

    /// <summary>Whether the background sweeper runs (off unless a test turns it on).</summary>
    public bool SweeperEnabled { get; init; }

    /// <summary>
    /// Moves the clock forward by <paramref name="by"/> and fires everything that fell due, as the host's sweeper would, then
    /// sends the payment instructions that are due, as the host's instruction worker would.
    /// </summary>
    public async Task<int> AdvanceAndSweep(TimeSpan by)
    {
        Clock.Advance(by);
        var fired = await Services.GetRequiredService<Safehold.Web.Jobs.DeadlineSweeper>().RunDueAsync(CancellationToken.None);
        await SendPayments();
        return fired;
    }

    /// <summary>Sends the refunds and payouts that are due, as the host's instruction worker does in the background; returns how many answers it recorded.</summary>
    public Task<int> SendPayments() => Services.GetRequiredService<Safehold.Web.Jobs.InstructionWorker>().RunDueAsync(CancellationToken.None);

    /// <summary>The app's own clock (the sandbox clock over the fake one).</summary>
    public DateTimeOffset Now => Services.GetRequiredService<TimeProvider>().GetUtcNow();

    public SandboxPaymentProvider Payments => Services.GetRequiredService<SandboxPaymentProvider>();

    /// <summary>A fresh scope's database, for looking behind the API.</summary>
    public (IServiceScope Scope, SafeholdDb Db) OpenDb()
    {
        var scope = Services.CreateScope();
        return (scope, scope.ServiceProvider.GetRequiredService<SafeholdDb>());
    }

    public HttpClient As(string? apiKey)
    {
        var client = CreateClient();
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    public HttpClient Admin => As(AdminKey);

    public async Task<TestUser> NewUser(string role, string? password = null)
    {
        var email = $"{role}-{Guid.NewGuid():N}@test.example";
        var response = await Admin.PostAsJsonAsync("/api/v1/users", new { email, displayName = $"Test {role}", role, password });
        await Api.ExpectStatus(response, HttpStatusCode.Created);
        var json = await Api.Json(response);
        var key = json["apiKey"]!.GetValue<string>();
        return new TestUser(Guid.Parse(json["id"]!.GetValue<string>()), email, key, As(key));
    }

    /// <summary>
    /// <paramref name="user"/> as the marketplace's back end speaks for them: <paramref name="platform"/>'s key with
    /// <c>Safehold-Acting-For</c> naming the user.
    /// </summary>
    public TestUser ActingFor(TestUser platform, TestUser user)
    {
        var client = As(platform.ApiKey);
        client.DefaultRequestHeaders.Add("Safehold-Acting-For", user.Id.ToString());
        return user with { ApiKey = platform.ApiKey, Http = client };
    }

    public async Task<Guid> NewProduct(TestUser seller, long amount = 10_000, string currency = "USD", string? category = null, int handlingDays = 7)
    {
        var response = await seller.Http.PostAsJsonAsync("/api/v1/products", new
        {
            title = "Test product",
            description = "Exactly as described.",
            price = new { amount, currency },
            handlingDays,
            category,
        });
        await Api.ExpectStatus(response, HttpStatusCode.Created);
        return Guid.Parse((await Api.Json(response))["id"]!.GetValue<string>());
    }

    public async Task<JsonNode> PlaceOrder(TestUser buyer, Guid productId, int quantity = 1)
    {
        var response = await buyer.Http.PostAsJsonAsync("/api/v1/orders", new
        {
            items = new[] { new { productId, quantity } },
            shippingAddress = new { fullName = "Test Buyer", line1 = "1 Test Street", city = "Tbilisi", country = "GE" },
        });
        await Api.ExpectStatus(response, HttpStatusCode.Created);
        return await Api.Json(response);
    }

    public static Task<HttpResponseMessage> Pay(TestUser buyer, Guid orderId, string card = SandboxPaymentProvider.SuccessCard) =>
        buyer.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/pay", new { card = new { number = card } });

    public static Task<HttpResponseMessage> Ship(TestUser seller, Guid orderId) =>
        seller.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/ship", new { carrier = "DHL", trackingNumber = "JD0146000038" });

    /// <summary>A seller with a product, a buyer, and an order of it moved to <paramref name="status"/> through the API.</summary>
    public async Task<(TestUser Buyer, TestUser Seller, Guid OrderId)> OrderIn(string status, long amount = 10_000)
    {
        var seller = await NewUser("seller");
        var buyer = await NewUser("buyer");
        var product = await NewProduct(seller, amount);
        var orderId = Guid.Parse((await PlaceOrder(buyer, product))["id"]!.GetValue<string>());
        if (status == "awaiting_payment") return (buyer, seller, orderId);
        await Api.ExpectStatus(await Pay(buyer, orderId), HttpStatusCode.OK);
        if (status == "awaiting_shipment") return (buyer, seller, orderId);
        if (status == "closed")
        {
            await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/cancel", null), HttpStatusCode.OK);
            return (buyer, seller, orderId);
        }
        await Api.ExpectStatus(await Ship(seller, orderId), HttpStatusCode.OK);
        if (status == "awaiting_delivery") return (buyer, seller, orderId);
        if (status == "delivered")
        {
            await Api.ExpectStatus(await seller.Http.PostAsync($"/api/v1/orders/{orderId}/mark-delivered", null), HttpStatusCode.OK);
            return (buyer, seller, orderId);
        }
        if (status == "completed")
        {
            await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/confirm-receipt", null), HttpStatusCode.OK);
            return (buyer, seller, orderId);
        }
        throw new ArgumentException($"Unknown status {status}", nameof(status));
    }

    /// <summary>A completed order whose post-completion dispute window has passed: the seller's share is available.</summary>
    public async Task<(TestUser Buyer, TestUser Seller, Guid OrderId)> OrderInCompletedPastWindow(long amount = 10_000)
    {
        var order = await OrderIn("completed", amount);
        await AdvanceAndSweep(TimeSpan.FromDays(15) + TimeSpan.FromMinutes(1));
        return order;
    }

    /// <summary>The admin's ledger check; fails the test with its details when any invariant is broken.</summary>
    public async Task AssertLedgerOk()
    {
        var response = await Admin.GetAsync("/api/v1/ledger/check");
        await Api.ExpectStatus(response, HttpStatusCode.OK);
        var json = await Api.Json(response);
        Assert.True(json["ok"]!.GetValue<bool>(), json.ToJsonString());
        Assert.Equal(6, json["checks"]!.AsArray().Count);
    }

    /// <summary>A value for a Guid column in raw SQL: SQLite's EF provider stores Guids as upper-case text, PostgreSQL as <c>uuid</c>.</summary>
    public static object SqlGuid(Guid id) => TestDatabase.IsPostgres ? id : id.ToString().ToUpperInvariant();

    /// <summary>A value for an instant's column in raw SQL: SQLite's columns hold UTC ticks, PostgreSQL's <c>timestamptz</c>.</summary>
    public static object SqlInstant(DateTimeOffset at) => TestDatabase.IsPostgres ? at : at.UtcTicks;

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && TestDatabase.IsPostgres)
        {
            // Another app may reopen a directory it does not own; its database goes when the test process ends.
            if (OwnsDirectory) TestDatabase.Drop(TestDatabase.DatabaseNameFor(Directory));
            else Npgsql.NpgsqlConnection.ClearPool(new Npgsql.NpgsqlConnection(ConnectionString));
        }
        if (disposing && OwnsDirectory)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

public sealed record TestUser(Guid Id, string Email, string ApiKey, HttpClient Http);

/// <summary>Small helpers for reading API responses in assertions.</summary>
public static class Api
{
    public static async Task<JsonNode> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text) ?? throw new InvalidOperationException("Empty JSON body.");
    }

    public static async Task ExpectStatus(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.Fail($"Expected {(int)expected} {expected} from {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} but got {(int)response.StatusCode}: {body}");
        }
    }

    /// <summary>Asserts a problem+json answer with this status and code, and no trace of the server's internals.</summary>
    public static async Task<JsonNode> ExpectProblem(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        await ExpectStatus(response, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        var json = JsonNode.Parse(text)!;
        Assert.Equal(code, json["code"]?.GetValue<string>());
        Assert.Equal((int)status, json["status"]?.GetValue<int>());
        return json;
    }

    public static string Status(this JsonNode order) => order["status"]!.GetValue<string>();

    public static Guid Id(this JsonNode node) => Guid.Parse(node["id"]!.GetValue<string>());

    public static IReadOnlyList<string> Actions(this JsonNode order) =>
        order["actions"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();

    public static async Task<JsonNode> GetOrder(TestUser user, Guid orderId)
    {
        var response = await user.Http.GetAsync($"/api/v1/orders/{orderId}");
        await ExpectStatus(response, HttpStatusCode.OK);
        return await Json(response);
    }

    public static JsonSerializerOptions Web { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>Follows <c>nextCursor</c> of a list to the end, returning the ids of each page.</summary>
    public static async Task<List<List<Guid>>> AllPages(TestUser user, string path)
    {
        var pages = new List<List<Guid>>();
        string? cursor = null;
        do
        {
            var response = await user.Http.GetAsync(cursor is null ? path : $"{path}&cursor={Uri.EscapeDataString(cursor)}");
            await ExpectStatus(response, HttpStatusCode.OK);
            var page = await Json(response);
            pages.Add(page["items"]!.AsArray().Select(o => o!.Id()).ToList());
            cursor = page["nextCursor"]?.GetValue<string>();
            Assert.True(pages.Count <= 20, "The cursor does not advance.");
        }
        while (cursor is not null);
        return pages;
    }

    /// <summary>The <c>items</c> of one page of a list.</summary>
    public static Task<JsonArray> ItemsOf(TestUser user, string path) => ItemsOf(user.Http, path);

    /// <summary>The <c>items</c> of one page of a list, read by <paramref name="client"/> (the admin's, say).</summary>
    public static async Task<JsonArray> ItemsOf(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        await ExpectStatus(response, HttpStatusCode.OK);
        return (await Json(response))["items"]!.AsArray();
    }
}
