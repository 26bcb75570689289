using System.Net;
using System.Net.Http.Headers;

namespace Safehold.Web.Tests.Demo;

public sealed class DemoSeederTests
{
    [Fact]
    public async Task A_sandbox_with_demo_data_has_every_role_the_promised_products_and_orders_in_several_states()
    {
        using var app = SafeholdApp.Over(SafeholdApp.NewDirectory(), demo: true);
        var buyer = app.As("sh_demo_buyer");

        var products = await Api.Json(await buyer.GetAsync("/api/v1/products?limit=100"));
        var titles = products["items"]!.AsArray().Select(p => p!["title"]!.GetValue<string>()).ToList();
        Assert.Contains(titles, t => t.Contains("Mobvoi Ticwatch 2", StringComparison.Ordinal));
        Assert.Contains(titles, t => t.Contains("headphones", StringComparison.OrdinalIgnoreCase));

        var orders = await Api.Json(await buyer.GetAsync("/api/v1/orders?limit=100"));
        var statuses = orders["items"]!.AsArray().Select(o => o!.Status()).ToHashSet();
        Assert.Superset(new HashSet<string> { "awaiting_payment", "awaiting_shipment", "awaiting_delivery", "completed", "closed" }, statuses);

        foreach (var (key, role) in new[] { ("sh_demo_seller", "seller"), ("sh_demo_arbiter", "arbiter"), ("sh_demo_admin", "admin"), ("sh_demo_platform", "platform") })
        {
            var me = await Api.Json(await app.As(key).GetAsync("/api/v1/users/me"));
            Assert.Equal(role, me["role"]!.GetValue<string>());
        }

        var check = await Api.Json(await app.As("sh_demo_admin").GetAsync("/api/v1/ledger/check"));
        Assert.True(check["ok"]!.GetValue<bool>(), check.ToJsonString());
    }

    [Fact]
    public async Task The_demo_seller_has_money_available_from_an_old_order_once_the_clock_has_run_and_an_admin_can_pay_it_out()
    {
        using var app = SafeholdApp.Over(SafeholdApp.NewDirectory(), demo: true);
        var seller = app.As("sh_demo_seller");

        await app.AdvanceAndSweep(TimeSpan.Zero); // what the host's sweeper does at start: the old order's window has closed
        var balance = (await Api.Json(await seller.GetAsync("/api/v1/balance")))["balances"]![0]!;
        var available = balance["available"]!.GetValue<long>();
        Assert.True(available > 0, balance.ToJsonString());

        var run = await Api.Json(await app.As("sh_demo_admin").PostAsync("/api/v1/payouts/run", null));
        var payout = Assert.Single(run["payouts"]!.AsArray())!;
        Assert.Equal(available, payout["amount"]!["amount"]!.GetValue<long>());
        Assert.Equal("paid", payout["status"]!.GetValue<string>());
        var check = await Api.Json(await app.As("sh_demo_admin").GetAsync("/api/v1/ledger/check"));
        Assert.True(check["ok"]!.GetValue<bool>(), check.ToJsonString());
    }

    [Fact]
    public async Task The_demo_has_disputes_waiting_for_the_seller_under_review_for_an_arbiter_and_resolved_and_a_chargeback()
    {
        using var app = SafeholdApp.Over(SafeholdApp.NewDirectory(), demo: true);

        var buyers = (await Api.Json(await app.As("sh_demo_buyer").GetAsync("/api/v1/disputes"))).AsObject()["items"]!.AsArray();
        Assert.Equal(["resolved", "awaiting_seller_response"], buyers.Select(d => d!.Status()).Order().Reverse());
        Assert.Equal(2_500, buyers.Single(d => d!.Status() == "resolved")!["refundAmount"]!["amount"]!.GetValue<long>());
        var seller = await Api.Json(await app.As("sh_demo_seller").GetAsync("/api/v1/disputes?status=awaiting_seller_response"));
        Assert.Equal(["accept", "counter_offer", "reject", "add_evidence", "send_message"], seller["items"]![0]!.Actions());
        var queue = await Api.Json(await app.As("sh_demo_arbiter").GetAsync("/api/v1/disputes?status=under_review"));
        var review = Assert.Single(queue["items"]!.AsArray(), d => d!["kind"]!.GetValue<string>() == "protection")!;
        Assert.Contains("decision", review.Actions());
        var chargeback = Assert.Single(queue["items"]!.AsArray(), d => d!["kind"]!.GetValue<string>() == "chargeback")!;
        Assert.DoesNotContain("decision", chargeback.Actions()); // the card network decides it
        Assert.NotNull(chargeback["deadlines"]!["respondBy"]);

        var check = await Api.Json(await app.As("sh_demo_admin").GetAsync("/api/v1/ledger/check"));
        Assert.True(check["ok"]!.GetValue<bool>(), check.ToJsonString());
    }

    [Fact]
    public async Task Demo_data_is_seeded_once_and_only_into_an_empty_database()
    {
        var directory = SafeholdApp.NewDirectory();
        using (var first = SafeholdApp.Over(directory, demo: true))
        {
            await Api.ExpectStatus(await first.As("sh_demo_buyer").GetAsync("/api/v1/orders"), HttpStatusCode.OK);
        }
        using var second = SafeholdApp.Over(directory, demo: true);
        var products = await Api.Json(await second.As("sh_demo_buyer").GetAsync("/api/v1/products?limit=100"));
        Assert.Equal(6, products["items"]!.AsArray().Count);

        using var notEmpty = new SafeholdApp();
        await notEmpty.NewUser("buyer");
        using var seededLater = SafeholdApp.Over(notEmpty.Directory, demo: true);
        await Api.ExpectProblem(await seededLater.As("sh_demo_buyer").GetAsync("/api/v1/orders"), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task The_home_page_lists_the_demo_catalog_with_the_buyer_protection_explanation_and_the_sandbox_banner()
    {
        using var app = SafeholdApp.Over(SafeholdApp.NewDirectory(), demo: true);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        var html = await client.GetStringAsync("/");
        Assert.Contains("Mobvoi Ticwatch 2 smartwatch", html);
        Assert.Contains("129.99 USD", html);
        Assert.Contains("Every order is protected", html);
        Assert.Contains("Sandbox mode", html);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_contract_paths()
    {
        using var app = new SafeholdApp();
        var doc = await Api.Json(await app.CreateClient().GetAsync("/openapi/v1.json"));
        var paths = doc["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/api/v1/orders/{id}/confirm-receipt", paths);
        Assert.Contains("/api/v1/ledger/check", paths);
        Assert.Contains("/api/v1/balance", paths);
        Assert.Contains("/api/v1/users", paths);
    }

    [Fact]
    public async Task Each_operation_that_takes_a_body_names_a_schema_of_its_own_in_the_openapi_document()
    {
        using var app = new SafeholdApp();
        var doc = await Api.Json(await app.CreateClient().GetAsync("/openapi/v1.json"));
        string? BodyOf(string path) =>
            doc["paths"]![path]!["post"]!["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>();

        Assert.Equal("#/components/schemas/PayInput", BodyOf("/api/v1/orders/{id}/pay"));
        Assert.Equal("#/components/schemas/DecideInput", BodyOf("/api/v1/disputes/{id}/decision"));
        Assert.Equal("#/components/schemas/RequestExtensionInput", BodyOf("/api/v1/orders/{id}/protection-extensions"));
        Assert.Equal("#/components/schemas/ProductEndpointsCreateRequest", BodyOf("/api/v1/products"));
        Assert.Equal("#/components/schemas/UserEndpointsCreateRequest", BodyOf("/api/v1/users"));
        Assert.Equal("#/components/schemas/UserEndpointsPreferencesRequest",
            doc["paths"]!["/api/v1/users/me"]!["patch"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.DoesNotContain("Input", doc["components"]!["schemas"]!.AsObject().Select(s => s.Key));
    }
}
