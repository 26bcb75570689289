using System.Net;
using System.Reflection;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Safehold.Web.Payments;

namespace Safehold.Web.Tests.Hosting;

/// <summary>
/// The database goes away under a running host: before a request, and in the middle of one. PostgreSQL only
/// (whatever <c>SAFEHOLD_TEST_DATABASE</c> says): the host reaches its database through a <see cref="TcpProxy"/>
/// that the test cuts and restores, as a network failure or a database restart would.
/// </summary>
[Trait("Database", "PostgreSQL")]
public sealed class DatabaseOutageTests : IDisposable
{
    private readonly string _database = TestDatabase.DatabaseNameFor(SafeholdApp.NewDirectory());
    private readonly TcpProxy _proxy;
    private readonly CutAfterCapture _payments;
    private readonly SafeholdApp _app;

    public DatabaseOutageTests()
    {
        var server = new NpgsqlConnectionStringBuilder(TestDatabase.Server);
        _proxy = new TcpProxy(server.Host ?? "127.0.0.1", server.Port);
        _payments = new CutAfterCapture(_proxy);
        TestDatabase.Created(_database);
        var viaProxy = new NpgsqlConnectionStringBuilder(TestDatabase.PostgresDatabase(_database)) { Host = "127.0.0.1", Port = _proxy.Port };
        _app = new SafeholdApp
        {
            Settings = { ["Safehold:Database:Provider"] = "postgres", ["ConnectionStrings:Safehold"] = viaProxy.ToString() },
            TestServices = services =>
            {
                services.RemoveAll<IPaymentProvider>();
                services.AddSingleton<IPaymentProvider>(sp => _payments.Over(sp.GetRequiredService<SandboxPaymentProvider>()));
            },
        };
    }

    [Fact]
    public async Task While_the_database_is_unreachable_requests_answer_503_and_the_host_serves_again_when_it_is_back()
    {
        var (buyer, seller, id) = await _app.OrderIn("awaiting_delivery");

        _proxy.Cut();
        var read = await buyer.Http.GetAsync($"/api/v1/orders/{id}");
        await Api.ExpectProblem(read, HttpStatusCode.ServiceUnavailable, "database_unavailable");
        Assert.True(read.Headers.RetryAfter is not null);
        await Api.ExpectProblem(await buyer.Http.PostAsync($"/api/v1/orders/{id}/confirm-receipt", null), HttpStatusCode.ServiceUnavailable, "database_unavailable");

        _proxy.Restore(); // no restart of the host
        Assert.Equal("awaiting_delivery", (await Api.GetOrder(buyer, id)).Status());
        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{id}/confirm-receipt", null), HttpStatusCode.OK);
        var balance = await Api.Json(await seller.Http.GetAsync("/api/v1/balance"));
        Assert.Equal(9_500, balance["balances"]![0]!["pending"]!.GetValue<long>());
        await _app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_connection_lost_after_the_capture_answers_503_changes_nothing_and_the_retry_pays_with_that_capture()
    {
        var (buyer, _, id) = await _app.OrderIn("awaiting_payment");
        HttpRequestMessage Pay() => new(HttpMethod.Post, $"/api/v1/orders/{id}/pay")
        {
            Content = JsonContent.Create(new { card = new { number = SandboxPaymentProvider.SuccessCard } }),
            Headers = { { "Idempotency-Key", "pay-once" } },
        };

        _payments.CutAfterNextCapture();
        await Api.ExpectProblem(await buyer.Http.SendAsync(Pay()), HttpStatusCode.ServiceUnavailable, "database_unavailable");
        _proxy.Restore();

        // The card was charged, but nothing of the request reached the database.
        Assert.Equal(1, _app.Payments.CountSucceeded("capture"));
        var order = await Api.GetOrder(buyer, id);
        Assert.Equal("awaiting_payment", order.Status());
        Assert.DoesNotContain(order["timeline"]!.AsArray(), e => e!["event"]!.GetValue<string>() == "paid");
        var ledger = await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}/ledger"));
        Assert.Empty(ledger["entries"]!.AsArray());

        // The client retries as told: the provider replays its capture, and the order is paid once.
        await Api.ExpectStatus(await buyer.Http.SendAsync(Pay()), HttpStatusCode.OK);
        Assert.Equal("awaiting_shipment", (await Api.GetOrder(buyer, id)).Status());
        Assert.Equal(1, _app.Payments.CountSucceeded("capture"));
        await _app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_capture_whose_commit_was_lost_goes_back_to_the_card_when_the_buyer_cancels_instead_of_retrying()
    {
        var (buyer, _, id) = await _app.OrderIn("awaiting_payment");
        _payments.CutAfterNextCapture();
        await Api.ExpectProblem(await SafeholdApp.Pay(buyer, id), HttpStatusCode.ServiceUnavailable, "database_unavailable");
        _proxy.Restore();
        Assert.Equal(1, _app.Payments.CountSucceeded("capture"));

        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{id}/cancel", null), HttpStatusCode.OK);
        await _app.SendPayments(); // the capture, looked for again by the close, is returned after it

        Assert.Equal("closed", (await Api.GetOrder(buyer, id)).Status());
        Assert.Equal(1, _app.Payments.CountSucceeded("refund")); // the money taken is given back
        var ledger = await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}/ledger"));
        Assert.Empty(ledger["entries"]!.AsArray()); // and the ledger never held it
        await _app.AssertLedgerOk();
    }

    public void Dispose()
    {
        _app.Dispose();
        _proxy.Dispose();
        TestDatabase.Drop(_database);
    }

    /// <summary>The sandbox provider, except that it can cut the database's connections right after a capture succeeds.</summary>
    private sealed class CutAfterCapture(TcpProxy proxy)
    {
        private int _armed;

        /// <summary>The payment provider the host gets: every call goes to <paramref name="inner"/>, whatever the interface grows to.</summary>
        public IPaymentProvider Over(IPaymentProvider inner)
        {
            var provider = DispatchProxy.Create<IPaymentProvider, Interceptor>();
            ((Interceptor)(object)provider).Init(inner, () =>
            {
                if (Interlocked.Exchange(ref _armed, 0) == 1) proxy.Cut();
            });
            return provider;
        }

        public void CutAfterNextCapture() => Interlocked.Exchange(ref _armed, 1);
    }

    /// <summary>Forwards every call of the provider's interface and runs an action after each capture.</summary>
    public class Interceptor : DispatchProxy
    {
        private IPaymentProvider? _inner;
        private Action? _afterCapture;

        internal void Init(IPaymentProvider inner, Action afterCapture) => (_inner, _afterCapture) = (inner, afterCapture);

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            var result = method!.Invoke(_inner, args);
            return method.Name == nameof(IPaymentProvider.CaptureAsync) ? AfterCapture((Task<PaymentResult>)result!) : result;
        }

        private async Task<PaymentResult> AfterCapture(Task<PaymentResult> capture)
        {
            var result = await capture;
            _afterCapture!();
            return result;
        }
    }
}
