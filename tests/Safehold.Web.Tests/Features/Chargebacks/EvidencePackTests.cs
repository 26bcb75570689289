using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using UglyToad.PdfPig;
using static Safehold.Web.Tests.Features.Chargebacks.ChargebackApi;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Chargebacks;

/// <summary><c>GET /disputes/{id}/evidence-pack</c>: the case assembled from Safehold's own records, as JSON and as a PDF that reads back.</summary>
public sealed class EvidencePackTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private const string GeorgianMessage = "ამანათი მივიღე, მადლობა!";

    private async Task<(TestUser Buyer, TestUser Seller, Guid OrderId, Guid DisputeId, Guid ChargebackId)> Case()
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed(orderStatus: "delivered");
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/messages", new { body = GeorgianMessage }), HttpStatusCode.Created);
        await Api.ExpectStatus(await seller.Http.PostAsJsonAsync($"/api/v1/disputes/{dispute.Id()}/messages", new { body = "Shipped with tracking, signed for." }),
            HttpStatusCode.Created);
        var chargeback = await app.OpenChargeback(orderId);
        return (buyer, seller, orderId, dispute.Id(), chargeback.Id());
    }

    [Fact]
    public async Task The_pack_as_json_holds_the_listing_shipment_delivery_messages_and_every_disputes_history()
    {
        var (_, seller, orderId, disputeId, chargebackId) = await Case();

        var response = await seller.Http.GetAsync($"/api/v1/disputes/{chargebackId}/evidence-pack");

        await Api.ExpectStatus(response, HttpStatusCode.OK);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var pack = await Api.Json(response);
        Assert.Equal("chargeback", pack["case"]!["kind"]!.GetValue<string>());
        Assert.Equal("fraudulent", pack["case"]!["description"]!.GetValue<string>());
        Assert.Equal(10_000, pack["case"]!["disputed"]!["amount"]!.GetValue<long>());
        Assert.NotNull(pack["case"]!["respondBy"]);
        Assert.Equal(orderId, pack["order"]!.Id());
        Assert.Equal("Test product", pack["items"]![0]!["listing"]!["title"]!.GetValue<string>());
        Assert.Equal("Exactly as described.", pack["items"]![0]!["listing"]!["description"]!.GetValue<string>());
        Assert.Equal("JD0146000038", pack["shipment"]!["trackingNumber"]!.GetValue<string>());
        Assert.Equal("seller", pack["shipment"]!["deliveryReportedBy"]!.GetValue<string>());
        Assert.Null(pack["buyerConfirmation"]);
        var messages = pack["messages"]!.AsArray().Select(m => m!["body"]!.GetValue<string>()).ToList();
        Assert.Equal([GeorgianMessage, "Shipped with tracking, signed for."], messages);
        var disputes = pack["disputes"]!.AsArray();
        Assert.Equal([disputeId, chargebackId], disputes.Select(d => d!.Id()));
        Assert.Equal("superseded", disputes[0]!["status"]!.GetValue<string>());
        Assert.Contains(disputes[0]!["history"]!.AsArray(), e => e!["event"]!.GetValue<string>() == "superseded");
        Assert.Contains(pack["orderHistory"]!.AsArray(), e => e!["event"]!.GetValue<string>() == "delivered");
    }

    [Fact]
    public async Task The_pack_as_a_pdf_parses_and_carries_the_georgian_text_as_written()
    {
        var (_, seller, orderId, _, chargebackId) = await Case();
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/disputes/{chargebackId}/evidence-pack");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/pdf"));

        var response = await seller.Http.SendAsync(request);

        await Api.ExpectStatus(response, HttpStatusCode.OK);
        Assert.Equal("application/pdf", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        using var pdf = PdfDocument.Open(bytes);
        var text = string.Join("\n", pdf.GetPages().Select(p => string.Join(" ", p.GetWords().Select(w => w.Text))));
        Assert.Contains("ამანათი", text);
        Assert.Contains("მადლობა", text);
        Assert.Contains("JD0146000038", text);
        Assert.Contains("Test product", text);
        Assert.Contains(orderId.ToString(), text);
        Assert.Contains("DejaVu Sans", pdf.GetPage(1).Letters.First().FontName, StringComparison.Ordinal); // the shipped font, embedded
    }

    [Fact]
    public async Task The_buyer_never_reads_the_pack_and_another_seller_is_told_it_does_not_exist()
    {
        var (buyer, _, _, _, chargebackId) = await Case();
        await Api.ExpectProblem(await buyer.Http.GetAsync($"/api/v1/disputes/{chargebackId}/evidence-pack"), HttpStatusCode.Forbidden,
            "action_not_allowed");
        var stranger = await app.NewUser("seller");
        await Api.ExpectProblem(await stranger.Http.GetAsync($"/api/v1/disputes/{chargebackId}/evidence-pack"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectStatus(await (await app.NewUser("arbiter")).Http.GetAsync($"/api/v1/disputes/{chargebackId}/evidence-pack"), HttpStatusCode.OK);
        await Api.ExpectStatus(await app.Admin.GetAsync($"/api/v1/disputes/{chargebackId}/evidence-pack"), HttpStatusCode.OK);
    }
}

/// <summary><c>POST /sandbox/chargebacks</c>: a chargeback as the provider would raise it, through the same code as the provider's events.</summary>
public sealed class SandboxChargebackTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task An_admin_raises_a_chargeback_in_the_sandbox_with_the_networks_usual_deadline()
    {
        var (_, seller, orderId) = await app.OrderIn("completed");

        var response = await app.Admin.PostAsJsonAsync("/api/v1/sandbox/chargebacks", new { orderId, reason = "product_unacceptable" });

        await Api.ExpectStatus(response, HttpStatusCode.OK);
        var applied = await Api.Json(response);
        Assert.Equal("chargeback.opened", applied["type"]!.GetValue<string>());
        var chargeback = await DisputeOf(app, Guid.Parse(applied["disputeId"]!.GetValue<string>()));
        Assert.Equal("product_unacceptable", chargeback["description"]!.GetValue<string>());
        Assert.Equal(app.Now.AddDays(7), chargeback["deadlines"]!["respondBy"]!.GetValue<DateTimeOffset>());
        Assert.Equal((0, 0, 0), await Balance(seller));
        await app.AssertLedgerOk();
        await Api.ExpectProblem(await seller.Http.PostAsJsonAsync("/api/v1/sandbox/chargebacks", new { orderId }), HttpStatusCode.Forbidden,
            "action_not_allowed");
        await Api.ExpectProblem(await app.Admin.PostAsJsonAsync("/api/v1/sandbox/chargebacks", new { reason = "x" }), HttpStatusCode.BadRequest,
            "validation_failed");
    }

    [Fact]
    public async Task Outside_sandbox_mode_sandbox_chargebacks_do_not_exist()
    {
        using var live = new SafeholdApp { Settings = { ["Safehold:Sandbox"] = "false" } };
        await Api.ExpectProblem(await live.Admin.PostAsJsonAsync("/api/v1/sandbox/chargebacks", new { orderId = Guid.NewGuid() }), HttpStatusCode.NotFound,
            "not_found");
    }
}
