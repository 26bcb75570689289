using Safehold.Web.Features.Orders;
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
}
