using Safehold.Web.Tests.Features.Disputes;

namespace Safehold.Web.Tests.Features.Orders;

/// <summary>"My orders" and "More details" (<c>OrderQueries</c>): each order whole, with its dispute when it had one.</summary>
public sealed class OrderQueriesTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task My_orders_carries_the_dispute_of_the_order_that_had_one_and_none_on_the_others()
    {
        var (buyer, seller, disputed, dispute) = await app.Disputed(amount: 20_000);
        var plain = (await app.PlaceOrder(buyer, await app.NewProduct(seller, amount: 3_000))).Id();

        var page = await Api.ItemsOf(buyer.Http, "/api/v1/orders");
        var byId = page.ToDictionary(o => o!.Id());

        Assert.Equal(2, byId.Count);
        Assert.Equal(dispute.Id(), byId[disputed]!["dispute"]!.Id());
        Assert.Equal("awaiting_seller_response", byId[disputed]!["dispute"]!["status"]!.GetValue<string>());
        Assert.Null(byId[plain]!["dispute"]);
        Assert.NotEmpty(byId[plain]!["timeline"]!.AsArray()); // read whole: its timeline is there
        Assert.Equal(20_000, byId[disputed]!["items"]![0]!["lineTotal"]!["amount"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_page_with_no_disputed_order_is_answered_whole()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery");

        var order = Assert.Single(await Api.ItemsOf(buyer.Http, "/api/v1/orders"))!;

        Assert.Equal(id, order.Id());
        Assert.Null(order["dispute"]);
        Assert.Equal("awaiting_delivery", order.Status());
        Assert.Equal(["placed", "paid", "shipped"], order["timeline"]!.AsArray().Select(e => e!["event"]!.GetValue<string>()));
        Assert.NotNull(order["deadlines"]!["protectionEndsAt"]);
    }
}
