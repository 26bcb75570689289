using System.Net;
using Safehold.Web.Features.Orders;
using Safehold.Web.Tests.Features.Disputes;
using Safehold.Web.Tests.Features.Portal;

namespace Safehold.Web.Tests.Features.Orders;

/// <summary>The order's pages in the portal, rendered over a real database: what the buyer and the seller read there.</summary>
public sealed class OrderPagesTests : IDisposable
{
    private readonly SafeholdApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public void The_order_number_is_the_ids_last_eight_hex_digits_grouped_by_four()
    {
        Assert.Equal("7C41-09AF", OrderNumber.Of(Guid.Parse("019a2b3c-4d5e-7f60-8a1b-2c3d7c4109af")));
    }

    [Fact]
    public void An_address_reads_as_the_lines_of_a_parcel_label()
    {
        Assert.Equal(["Nino Beridze", "12 Rustaveli Avenue", "0108 Tbilisi", "GE"],
            ShippingAddress.Lines("""{"fullName":"Nino Beridze","line1":"12 Rustaveli Avenue","city":"Tbilisi","postalCode":"0108","country":"GE"}"""));
        Assert.Equal(["1 Main St", "Springfield"], ShippingAddress.Lines("\"1 Main St\\nSpringfield\""));
    }

    [Fact]
    public async Task The_page_of_an_unpaid_checkouts_order_pays_the_whole_checkout_with_one_payment()
    {
        var buyer = await _app.NewUser("buyer");
        var first = await _app.NewProduct(await _app.NewUser("seller"), 1_000);
        var second = await _app.NewProduct(await _app.NewUser("seller"), 2_000);
        var placed = await Checkouts.CheckoutTests.Place(buyer, (first, 1), (second, 1));
        var orderId = placed["orders"]![0]!.Id();
        var portal = await PortalClient.As(_app, buyer);

        Assert.Contains("This order was placed in one cart of 2 orders: one payment of 30.00 USD pays them all.",
            PortalClient.Text(await portal.Page($"/orders/{orderId}")), StringComparison.Ordinal);
        var paid = await portal.Post($"/orders/{orderId}?handler=Pay", new() { ["card"] = "4242 4242 4242 4242" }, formPage: $"/orders/{orderId}");

        Assert.Equal(HttpStatusCode.Redirect, paid.StatusCode);
        var checkout = await Api.Json(await buyer.Http.GetAsync($"/api/v1/checkouts/{placed.Id()}"));
        Assert.Equal("paid", checkout.Status());
        Assert.All(checkout["orders"]!.AsArray(), o => Assert.Equal("awaiting_shipment", o!.Status()));
        await _app.AssertLedgerOk();
    }

    [Fact]
    public async Task The_seller_sees_the_shipping_address_and_the_order_number_on_orders_to_ship_and_on_the_order_page()
    {
        var (_, seller, orderId) = await _app.OrderIn("awaiting_shipment");
        var portal = await PortalClient.As(_app, seller);
        var number = OrderNumber.Of(orderId);
        foreach (var path in new[] { "/seller/to-ship", $"/orders/{orderId}", "/orders" })
        {
            var text = PortalClient.Text(await portal.Page(path));
            Assert.Contains("Order " + number, text, StringComparison.Ordinal);
            if (path != "/orders") Assert.Contains("Test Buyer 1 Test Street Tbilisi GE", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_buyer_sees_the_shipping_address_and_the_order_number_on_more_details_and_my_orders()
    {
        var (buyer, _, orderId) = await _app.OrderIn("awaiting_delivery");
        var portal = await PortalClient.As(_app, buyer);
        var details = PortalClient.Text(await portal.Page($"/orders/{orderId}"));
        Assert.Contains("Shipping address Test Buyer 1 Test Street Tbilisi GE", details, StringComparison.Ordinal);
        Assert.Contains("Order " + OrderNumber.Of(orderId), details, StringComparison.Ordinal);
        Assert.Contains("Order " + OrderNumber.Of(orderId), PortalClient.Text(await portal.Page("/orders")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Confirm_receipt_asks_first_saying_the_money_goes_to_the_seller_and_only_the_confirmed_form_completes_the_order()
    {
        var (buyer, _, orderId) = await _app.OrderIn("awaiting_delivery");
        var portal = await PortalClient.As(_app, buyer);
        var asked = await portal.Post($"/orders/{orderId}?handler=ConfirmReceipt", [], formPage: $"/orders/{orderId}");
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        var text = PortalClient.Text(await asked.Content.ReadAsStringAsync());
        Assert.Contains("Confirm that the order arrived as described?", text, StringComparison.Ordinal);
        Assert.Contains("The 100.00 USD held for this order is paid to the seller (less the platform's commission). This cannot be undone.", text, StringComparison.Ordinal);
        Assert.Contains("No, go back", text, StringComparison.Ordinal);
        Assert.Equal("awaiting_delivery", (await Api.GetOrder(buyer, orderId)).Status());

        var confirmed = await portal.Post($"/orders/{orderId}?handler=ConfirmReceipt", new() { ["confirmed"] = "true" }, formPage: $"/orders/{orderId}");
        Assert.Equal(HttpStatusCode.Redirect, confirmed.StatusCode);
        Assert.Equal("completed", (await Api.GetOrder(buyer, orderId)).Status());
    }

    [Fact]
    public async Task Cancelling_a_paid_order_asks_first_saying_the_buyer_is_refunded_and_the_closed_order_then_says_how_much_went_back()
    {
        var (buyer, _, orderId) = await _app.OrderIn("awaiting_shipment");
        var portal = await PortalClient.As(_app, buyer);
        var asked = await portal.Post($"/orders/{orderId}?handler=Cancel", new() { ["reason"] = "changed my mind" }, formPage: $"/orders/{orderId}");
        var text = PortalClient.Text(await asked.Content.ReadAsStringAsync());
        Assert.Contains("The order is cancelled and the 100.00 USD paid is refunded in full to the buyer's card.", text, StringComparison.Ordinal);
        Assert.Contains("value=\"changed my mind\"", await asked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("awaiting_shipment", (await Api.GetOrder(buyer, orderId)).Status());

        await portal.Post($"/orders/{orderId}?handler=Cancel", new() { ["reason"] = "changed my mind", ["confirmed"] = "true" }, formPage: $"/orders/{orderId}");
        var closed = PortalClient.Text(await portal.Page($"/orders/{orderId}"));
        Assert.Contains("Closed, refunded", closed, StringComparison.Ordinal);
        Assert.Contains("Refund on its way: 100.00 USD is being returned to the buyer's card.", closed, StringComparison.Ordinal);
        await _app.SendPayments(); // the refund's instruction leaves
        var sent = PortalClient.Text(await portal.Page($"/orders/{orderId}"));
        Assert.Contains("Refunded in full: 100.00 USD went back to the buyer's card.", sent, StringComparison.Ordinal);
        Assert.DoesNotContain("Refund on its way", sent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_delivered_order_says_delivered_not_on_its_way()
    {
        var (buyer, _, orderId) = await _app.OrderIn("delivered");
        var text = PortalClient.Text(await (await PortalClient.As(_app, buyer)).Page($"/orders/{orderId}"));
        Assert.Contains("Delivered", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Shipped, on its way", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_order_in_dispute_shows_the_disputes_deadline_and_a_partly_refunded_one_says_how_much_in_money()
    {
        var (buyer, seller, orderId, dispute) = await _app.Disputed(outcome: "partial_refund", requested: 2_500);
        var portal = await PortalClient.As(_app, buyer);
        var text = PortalClient.Text(await portal.Page($"/orders/{orderId}"));
        Assert.Contains("In dispute", text, StringComparison.Ordinal);
        Assert.Contains("The seller must answer within 5 days", text, StringComparison.Ordinal);
        Assert.DoesNotContain("No deadline is running", text, StringComparison.Ordinal);

        await DisputeApi.PostOk(seller, dispute.Id(), "accept");
        await _app.SendPayments();
        text = PortalClient.Text(await portal.Page($"/orders/{orderId}"));
        Assert.Contains("Dispute: refunded in part (Safehold): Refunded 25.00 USD", text, StringComparison.Ordinal);
        Assert.Contains("Refunded in part: 25.00 USD of the 100.00 USD paid went back to the buyer's card.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("2500", text, StringComparison.Ordinal);
        Assert.DoesNotContain("A dispute can still be opened", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task My_orders_says_an_order_in_dispute_is_in_dispute_with_its_deadline_not_on_its_way()
    {
        var (buyer, _, _, dispute) = await _app.Disputed();
        var portal = await PortalClient.As(_app, buyer);
        var list = PortalClient.Text(await portal.Page("/orders"));
        Assert.Contains("In dispute The seller must answer within 5 days", list, StringComparison.Ordinal);
        Assert.DoesNotContain("Shipped, on its way", list, StringComparison.Ordinal);

        await DisputeApi.PostOk(buyer, dispute.Id(), "withdraw");
        list = PortalClient.Text(await portal.Page("/orders"));
        Assert.DoesNotContain("In dispute", list, StringComparison.Ordinal);
        Assert.Contains("Shipped, on its way", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Times_are_shown_in_the_time_zone_the_reader_chose_and_in_UTC_until_then()
    {
        var (buyer, _, orderId) = await _app.OrderIn("awaiting_shipment");
        var portal = await PortalClient.As(_app, buyer);
        Assert.Contains("Placed 24 November 2026, 09:00 UTC", PortalClient.Text(await portal.Page($"/orders/{orderId}")), StringComparison.Ordinal);

        var chosen = await portal.Post("/culture?handler=Zone", new() { ["zone"] = "Asia/Tbilisi", ["returnUrl"] = $"/orders/{orderId}" }, formPage: "/orders");
        Assert.Equal(HttpStatusCode.Redirect, chosen.StatusCode);
        Assert.Contains("Placed 24 November 2026, 13:00 UTC+4", PortalClient.Text(await portal.Page($"/orders/{orderId}")), StringComparison.Ordinal);
    }
}
