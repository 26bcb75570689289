using System.Net;
using System.Net.Http.Json;
using Safehold.Web.Tests.Features.Portal;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Tracking;

/// <summary>The carrier's scans in the portal: the order's timeline of scans, the arbiter's flag, the sandbox's form.</summary>
public sealed class TrackingPagesTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private async Task<(TestUser Buyer, TestUser Seller, Guid OrderId, string Number)> Shipped()
    {
        var (buyer, seller, orderId) = await app.OrderIn("awaiting_shipment");
        var number = "PG" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();
        await Api.ExpectStatus(await seller.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/ship", new { carrier = "DHL", trackingNumber = number }), HttpStatusCode.OK);
        app.Clock.Advance(TimeSpan.FromHours(6));
        return (buyer, seller, orderId, number);
    }

    private async Task Report(params object[] events) =>
        await Api.ExpectStatus(await app.Admin.PostAsJsonAsync("/api/v1/tracking-events", new { events }), HttpStatusCode.OK);

    [Fact]
    public async Task The_order_page_shows_the_scans_by_when_they_happened_in_the_readers_language_to_both_parties()
    {
        var (buyer, seller, orderId, number) = await Shipped();
        await Report(
            new { carrier = "DHL", trackingNumber = number, status = "delivered", occurredAt = app.Now.AddHours(-1), signedBy = "Nino B.", location = "Tbilisi" },
            new { carrier = "DHL", trackingNumber = number, status = "exception", occurredAt = app.Now.AddHours(-3) });

        foreach (var user in new[] { buyer, seller })
        {
            var text = PortalClient.Text(await (await PortalClient.As(app, user)).Page($"/orders/{orderId}"));
            Assert.Contains("Carrier's scans", text, StringComparison.Ordinal);
            var problem = text.IndexOf("Delivery problem", StringComparison.Ordinal);
            var delivered = text.IndexOf("Delivered (DHL " + number + ", Tbilisi): Signed by Nino B.", StringComparison.Ordinal);
            Assert.True(problem >= 0 && delivered > problem, text);
            Assert.Contains("Carrier's scan: DHL " + number + ", signed by Nino B.", text, StringComparison.Ordinal);
        }
        var georgian = PortalClient.Text(await (await PortalClient.As(app, buyer, "ka-GE")).Page($"/orders/{orderId}"));
        Assert.Contains("კურიერის სკანირებები", georgian, StringComparison.Ordinal);
        Assert.Contains("ხელი მოაწერა: Nino B.", georgian, StringComparison.Ordinal);
        Assert.DoesNotContain("signed by", georgian, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_arbiters_case_page_flags_a_not_received_dispute_on_an_order_the_carrier_shows_signed_for()
    {
        var (buyer, seller, orderId, number) = await Shipped();
        var dispute = await OpenOk(buyer, orderId, reason: "not_received");
        await Report(new { carrier = "DHL", trackingNumber = number, status = "delivered", occurredAt = app.Now.AddHours(-1), signedBy = "Front desk" });
        await PostOk(seller, dispute.Id(), "reject", new { reason = "The carrier says it was signed for." });
        await PostOk(buyer, dispute.Id(), "escalate");
        var arbiter = await app.NewUser("arbiter");

        var text = PortalClient.Text(await (await PortalClient.As(app, arbiter)).Page($"/disputes/{dispute.Id()}"));

        Assert.Contains("The carrier's scan shows this order delivered and signed for by Front desk", text, StringComparison.Ordinal);
        var buyers = PortalClient.Text(await (await PortalClient.As(app, buyer)).Page($"/disputes/{dispute.Id()}"));
        Assert.DoesNotContain("signed for by Front desk", buyers, StringComparison.Ordinal);
        Assert.Contains("Carrier's scans", buyers, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_admin_sends_a_delivered_scan_from_the_sandbox_page()
    {
        var (buyer, _, orderId, _) = await Shipped();
        var admin = await PortalClient.As(app, await app.NewUser("admin"));

        var response = await admin.Post("/sandbox/clock?handler=Scan", new() { ["orderId"] = orderId.ToString(), ["status"] = "delivered", ["signedBy"] = "Lobby" },
            formPage: "/sandbox/clock");

        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Redirect or HttpStatusCode.Found, response.StatusCode.ToString());
        Assert.NotNull((await Api.GetOrder(buyer, orderId))["deliveredAt"]);
    }
}
