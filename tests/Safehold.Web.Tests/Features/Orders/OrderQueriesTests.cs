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

    [Fact]
    public async Task A_sellers_list_and_an_admins_page_through_the_orders_each_sees_newest_first_by_status()
    {
        var (seller, otherSeller) = (await app.NewUser("seller"), await app.NewUser("seller"));
        var (first, second) = (await app.NewUser("buyer"), await app.NewUser("buyer"));
        var product = await app.NewProduct(seller);
        var ids = new List<Guid>();
        foreach (var buyer in new[] { first, second, first, second }) ids.Add((await app.PlaceOrder(buyer, product)).Id()); // at one instant
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var newest = (await app.PlaceOrder(second, product)).Id();
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var elsewhere = (await app.PlaceOrder(first, await app.NewProduct(otherSeller))).Id();
        await Api.ExpectStatus(await SafeholdApp.Pay(second, newest), System.Net.HttpStatusCode.OK);

        var sellers = (await Api.AllPages(seller, "/api/v1/orders?limit=1")).SelectMany(p => p).ToList();
        var unpaid = (await Api.AllPages(seller, "/api/v1/orders?limit=3&status=awaiting_payment")).SelectMany(p => p).ToList();
        var admin = await app.NewUser("admin");
        var all = (await Api.AllPages(admin, "/api/v1/orders?limit=2")).SelectMany(p => p).ToList();

        Assert.Equal(newest, sellers[0]);
        Assert.Equal(ids.Append(newest).Order(), sellers.Order());
        Assert.Equal(ids.Order(), unpaid.Order());
        Assert.Equal(sellers.Where(id => id != newest), unpaid); // the same order, the paid one left out
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(elsewhere, all[0]);
        Assert.Equal(sellers, all.Where(sellers.Contains));
    }
}
