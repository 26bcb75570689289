using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Safehold.Web.Tests.Http;

/// <summary>
/// The README's tour of the API, as the marketplace's back end takes it: the demo data, one platform key acting for the
/// demo buyer and seller (found by the marketplace's own ids), and an admin for what only an admin may do.
/// </summary>
public sealed class ReadmeTourTests : IDisposable
{
    private readonly string _directory = SafeholdApp.NewDirectory();
    private readonly SafeholdApp _app;

    public ReadmeTourTests() => _app = SafeholdApp.Over(_directory, demo: true);

    [Fact]
    public async Task The_platform_key_takes_the_readme_tour_for_the_demo_buyer_and_seller_and_every_step_records_it()
    {
        var platform = _app.As("sh_demo_platform");
        var admin = _app.As("sh_demo_admin");
        var platformId = (await Api.Json(await platform.GetAsync("/api/v1/users/me"))).Id();
        var buyerId = (await Api.Json(await platform.GetAsync("/api/v1/users?externalId=cust_1001")))["items"]!.AsArray().Single()!.Id();
        var sellerId = (await Api.Json(await platform.GetAsync("/api/v1/users?externalId=shop_2001")))["items"]!.AsArray().Single()!.Id();
        var buyer = Acting(buyerId);
        var seller = Acting(sellerId);

        // The catalog; the buyer places an order and pays with a sandbox payment method.
        var products = await Api.Json(await buyer.GetAsync("/api/v1/products"));
        var product = products["items"]!.AsArray().First(p => p!["title"]!.GetValue<string>().Contains("Ticwatch", StringComparison.Ordinal))!.Id();
        var placed = await buyer.PostAsJsonAsync("/api/v1/orders", new
        {
            items = new[] { new { productId = product, quantity = 1 } },
            shippingAddress = new { fullName = "Nino", line1 = "12 Rustaveli Ave", city = "Tbilisi", country = "GE" },
            externalId = "order_9001",
        });
        await Api.ExpectStatus(placed, HttpStatusCode.Created);
        var order = (await Api.Json(placed)).Id();
        var pay = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/orders/{order}/pay") { Content = JsonContent.Create(new { paymentMethod = "pm_sandbox_visa" }) };
        pay.Headers.Add("Idempotency-Key", "pay-1");
        await Api.ExpectStatus(await buyer.SendAsync(pay), HttpStatusCode.OK);

        // The seller ships; the buyer confirms receipt; escrow is released less commission.
        await Api.ExpectStatus(await seller.PostAsJsonAsync($"/api/v1/orders/{order}/ship", new { carrier = "DHL", trackingNumber = "JD0146000038" }), HttpStatusCode.OK);
        await Api.ExpectStatus(await buyer.PostAsync($"/api/v1/orders/{order}/confirm-receipt", null), HttpStatusCode.OK);

        // "More details", the order's journal entries, the seller's balance, the ledger check, "My orders" by status.
        var details = await Api.Json(await buyer.GetAsync($"/api/v1/orders/{order}"));
        Assert.Equal(("completed", "order_9001"), (details.Status(), details["externalId"]!.GetValue<string>()));
        var steps = details["timeline"]!.AsArray().Where(e => e!["actor"]!.GetValue<string>() is "buyer" or "seller").ToList();
        Assert.Equal(4, steps.Count); // placed, paid, shipped, receipt confirmed
        Assert.All(steps, e => Assert.Equal(platformId, Guid.Parse(e!["platformUserId"]!.GetValue<string>())));
        var ledger = await Api.Json(await buyer.GetAsync($"/api/v1/orders/{order}/ledger"));
        Assert.Contains(ledger["entries"]!.AsArray(), e => e!["kind"]!.GetValue<string>() == "release");
        var balance = await Api.Json(await seller.GetAsync("/api/v1/balance"));
        Assert.True(balance["balances"]!.AsArray().Single(b => b!["currency"]!.GetValue<string>() == "USD")!["pending"]!.GetValue<long>() > 0);
        var found = await Api.Json(await buyer.GetAsync("/api/v1/orders?externalId=order_9001"));
        Assert.Equal(order, found["items"]!.AsArray().Single()!.Id());
        var toShip = await Api.Json(await buyer.GetAsync("/api/v1/orders?status=awaiting_shipment&limit=10"));
        Assert.All(toShip["items"]!.AsArray(), o => Assert.Equal("awaiting_shipment", o!.Status()));

        // Someone else's order is not the buyer's: acting for the demo's other buyer, the platform does not find it.
        var otherBuyer = (await Api.Json(await platform.GetAsync("/api/v1/users?externalId=cust_1002")))["items"]!.AsArray().Single()!.Id();
        await Api.ExpectProblem(await Acting(otherBuyer).GetAsync($"/api/v1/orders/{order}"), HttpStatusCode.NotFound, "not_found");

        // A dispute on a second order, shipped: the buyer opens it, the seller rejects it, the buyer escalates.
        var second = await Shipped(buyer, seller, product);
        var opened = await buyer.PostAsJsonAsync($"/api/v1/orders/{second}/disputes", new
        {
            reason = "damaged",
            requestedOutcome = "partial_refund",
            requestedAmount = new { amount = 3000, currency = "USD" },
            description = "Cracked strap",
        });
        await Api.ExpectStatus(opened, HttpStatusCode.Created);
        var dispute = (await Api.Json(opened)).Id();
        await Api.ExpectStatus(await seller.PostAsJsonAsync($"/api/v1/disputes/{dispute}/reject", new { reason = "It left intact" }), HttpStatusCode.OK);
        await Api.ExpectStatus(await buyer.PostAsync($"/api/v1/disputes/{dispute}/escalate", null), HttpStatusCode.OK);
        Assert.Equal("under_review", (await Api.Json(await seller.GetAsync($"/api/v1/disputes/{dispute}")))["status"]!.GetValue<string>());

        // What only an admin may do stays the admin's: the platform acting for a user has that user's rights exactly.
        await Api.ExpectProblem(await buyer.GetAsync("/api/v1/ledger/check"), HttpStatusCode.Forbidden, "action_not_allowed");
        var check = await Api.Json(await admin.GetAsync("/api/v1/ledger/check"));
        Assert.True(check["ok"]!.GetValue<bool>(), check.ToJsonString());
    }

    private HttpClient Acting(Guid userId)
    {
        var client = _app.As("sh_demo_platform");
        client.DefaultRequestHeaders.Add("Safehold-Acting-For", userId.ToString());
        return client;
    }

    private static async Task<Guid> Shipped(HttpClient buyer, HttpClient seller, Guid product)
    {
        var placed = await buyer.PostAsJsonAsync("/api/v1/orders", new { items = new[] { new { productId = product, quantity = 1 } }, shippingAddress = "12 Rustaveli Ave, Tbilisi" });
        await Api.ExpectStatus(placed, HttpStatusCode.Created);
        var id = (await Api.Json(placed)).Id();
        await Api.ExpectStatus(await buyer.PostAsJsonAsync($"/api/v1/orders/{id}/pay", new { paymentMethod = "pm_sandbox_visa" }), HttpStatusCode.OK);
        await Api.ExpectStatus(await seller.PostAsJsonAsync($"/api/v1/orders/{id}/ship", new { carrier = "DHL", trackingNumber = "JD0146000039" }), HttpStatusCode.OK);
        return id;
    }

    public void Dispose()
    {
        _app.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
