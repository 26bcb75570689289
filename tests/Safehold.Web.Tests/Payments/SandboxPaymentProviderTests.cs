using System.Net;
using Safehold.Domain;
using Safehold.Web.Payments;

namespace Safehold.Web.Tests.Payments;

public sealed class SandboxPaymentProviderTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static readonly Money Ten = new(1_000, Currency.Usd);

    [Fact]
    public async Task A_capture_that_reached_the_provider_before_a_crash_is_not_charged_again_on_retry()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_payment", amount: 10_000);
        // The provider charged the card, then the host died before its commit: the order is still unpaid.
        var beforeCrash = await app.Payments.CaptureAsync($"order:{id}:capture", new Money(10_000, Currency.Usd), SandboxPaymentProvider.Visa, default);
        Assert.True(beforeCrash.Succeeded);
        var captures = app.Payments.CountSucceeded("capture");

        var retry = await SafeholdApp.Pay(buyer, id);

        await Api.ExpectStatus(retry, HttpStatusCode.OK);
        Assert.Equal(captures, app.Payments.CountSucceeded("capture"));
        Assert.Equal("awaiting_shipment", (await Api.GetOrder(buyer, id)).Status());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task The_test_payment_methods_and_the_cards_they_stand_for_succeed_decline_and_fail_for_insufficient_funds()
    {
        Assert.Equal([SandboxPaymentProvider.Visa, SandboxPaymentProvider.Declined, SandboxPaymentProvider.InsufficientFunds],
            new[] { "4242424242424242", "4000000000000002", "4000000000009995" }.Select(SandboxPaymentProvider.MethodForCard));
        var ok = await app.Payments.CaptureAsync(Guid.NewGuid().ToString(), Ten, "pm_sandbox_visa", default);
        var declined = await app.Payments.CaptureAsync(Guid.NewGuid().ToString(), Ten, "pm_sandbox_declined", default);
        var poor = await app.Payments.CaptureAsync(Guid.NewGuid().ToString(), Ten, "pm_sandbox_insufficient_funds", default);
        var unknown = await app.Payments.CaptureAsync(Guid.NewGuid().ToString(), Ten, SandboxPaymentProvider.MethodForCard("5555555555554444"), default);

        Assert.True(ok.Succeeded);
        Assert.StartsWith("ch_sandbox_", ok.Reference);
        Assert.Equal(("card_declined", false), (declined.DeclineCode, declined.Succeeded));
        Assert.Equal(("insufficient_funds", false), (poor.DeclineCode, poor.Succeeded));
        Assert.False(unknown.Succeeded);
    }

    [Fact]
    public async Task A_declined_attempt_may_be_retried_with_another_card_under_the_same_key()
    {
        var key = Guid.NewGuid().ToString();
        Assert.False((await app.Payments.CaptureAsync(key, Ten, SandboxPaymentProvider.Declined, default)).Succeeded);
        var second = await app.Payments.CaptureAsync(key, Ten, SandboxPaymentProvider.Visa, default);
        var third = await app.Payments.CaptureAsync(key, Ten, SandboxPaymentProvider.Declined, default);
        Assert.True(second.Succeeded);
        Assert.Equal(second, third); // once captured, the key answers with that capture
    }

    [Fact]
    public async Task Refunds_are_idempotent_and_never_exceed_the_capture()
    {
        var capture = await app.Payments.CaptureAsync(Guid.NewGuid().ToString(), Ten, SandboxPaymentProvider.Visa, default);
        var key = Guid.NewGuid().ToString();
        var first = await app.Payments.RefundAsync(key, capture.Reference!, new Money(600, Currency.Usd), default);
        var replay = await app.Payments.RefundAsync(key, capture.Reference!, new Money(600, Currency.Usd), default);
        var tooMuch = await app.Payments.RefundAsync(Guid.NewGuid().ToString(), capture.Reference!, new Money(401, Currency.Usd), default);
        var rest = await app.Payments.RefundAsync(Guid.NewGuid().ToString(), capture.Reference!, new Money(400, Currency.Usd), default);

        Assert.True(first.Succeeded);
        Assert.Equal(first, replay);
        Assert.Equal("refund_exceeds_capture", tooMuch.DeclineCode);
        Assert.True(rest.Succeeded);
    }
}
