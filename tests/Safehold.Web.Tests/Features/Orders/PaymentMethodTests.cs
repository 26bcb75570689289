using System.Net;
using System.Net.Http.Json;
using System.Text;
using Safehold.Web.Payments;

namespace Safehold.Web.Tests.Features.Orders;

/// <summary>Paying with a payment method (a provider's token); in the sandbox also a test card, which no record keeps.</summary>
public sealed class PaymentMethodTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Theory]
    [InlineData(SandboxPaymentProvider.Visa, HttpStatusCode.OK, null)]
    [InlineData(SandboxPaymentProvider.Declined, HttpStatusCode.PaymentRequired, "card_declined")]
    [InlineData(SandboxPaymentProvider.InsufficientFunds, HttpStatusCode.PaymentRequired, "insufficient_funds")]
    [InlineData("pm_someone_elses_token", HttpStatusCode.PaymentRequired, "card_declined")]
    public async Task The_sandbox_payment_methods_pay_or_are_refused_with_their_own_code(string method, HttpStatusCode status, string? code)
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");

        var response = await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{id}/pay", new { paymentMethod = method });

        if (code is null) Assert.Equal("awaiting_shipment", (await Api.Json(response)).Status());
        else await Api.ExpectProblem(response, status, code);
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task No_card_number_is_echoed_in_an_answer_or_kept_in_either_database()
    {
        // A valid number the sandbox declines, and one it accepts: neither may be found anywhere afterwards.
        const string declined = "5555555555554444";
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");

        var refused = await SafeholdApp.Pay(buyer, id, declined);
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        Assert.DoesNotContain(declined, await refused.Content.ReadAsStringAsync());
        Assert.DoesNotContain("4444", await refused.Content.ReadAsStringAsync());
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/orders/{id}/pay")
        {
            Content = JsonContent.Create(new { card = new { number = SandboxPaymentProvider.SuccessCard } }),
            Headers = { { "Idempotency-Key", Guid.NewGuid().ToString() } },
        };
        var paid = await buyer.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        Assert.DoesNotContain(SandboxPaymentProvider.SuccessCard, await paid.Content.ReadAsStringAsync());

        if (TestDatabase.IsPostgres) return; // the files below are SQLite's; the answers above hold on both
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // let WAL contents reach the files (or stay in the WAL, read below too)
        foreach (var file in Directory.GetFiles(app.Directory, "*.db*"))
        {
            var bytes = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file));
            Assert.DoesNotContain(declined, bytes);
            Assert.DoesNotContain(SandboxPaymentProvider.SuccessCard, bytes);
        }
    }

    [Fact]
    public async Task Outside_the_sandbox_a_card_number_is_refused_and_a_payment_method_is_asked_for()
    {
        Assert.Equal(SandboxPaymentProvider.Visa, Web.Features.Orders.Pay.MethodOf(new(PaymentMethod: SandboxPaymentProvider.Visa), sandbox: false));
        var refused = Assert.Throws<Domain.DomainException>(() =>
            Web.Features.Orders.Pay.MethodOf(new(Card: new(SandboxPaymentProvider.SuccessCard)), sandbox: false));
        Assert.Equal("card_not_accepted", refused.Code);
        Assert.DoesNotContain(SandboxPaymentProvider.SuccessCard, refused.Message);
    }
}
