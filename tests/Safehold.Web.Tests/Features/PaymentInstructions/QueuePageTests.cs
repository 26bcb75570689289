using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Tests.Features.Portal;

namespace Safehold.Web.Tests.Features.PaymentInstructions;

/// <summary>The admin's payment instructions page: the failed ones listed with a retry and a resolve form, each doing what the API's does.</summary>
public sealed partial class QueuePageTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    /// <summary>A cancelled order's refund, failed every attempt (written so behind the API's back, as the worker would leave it).</summary>
    private async Task<(Guid OrderId, Guid InstructionId)> FailedRefund(long amount = 4_321)
    {
        var (_, _, orderId) = await app.OrderIn("closed", amount);
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""UPDATE "PaymentInstructions" SET "Status" = 'Failed', "FailureCode" = 'sandbox_failure', "Attempts" = 5 WHERE "OrderId" = {SafeholdApp.SqlGuid(orderId)} AND "Kind" = 'Refund'""");
            return (orderId, await db.PaymentInstructions.Where(i => i.OrderId == orderId && i.Kind == Safehold.Domain.Payments.InstructionKind.Refund).Select(i => i.Id).SingleAsync());
        }
    }

    private async Task<JsonNode> Instruction(Guid id) => await Api.Json(await app.Admin.GetAsync($"/api/v1/payment-instructions/{id}"));

    private static IEnumerable<string> FormsOf(string html, Guid id) =>
        Regex.Matches(html, "<form data-action=\"([a-z_]+)\"[^>]*>\\s*<input type=\"hidden\" name=\"id\" value=\"" + id + "\"").Select(m => m.Groups[1].Value);

    [Fact]
    public async Task A_failed_refund_waits_in_the_queue_with_a_retry_and_a_resolve_form_in_english_and_georgian()
    {
        var (_, id) = await FailedRefund();
        var admin = await PortalClient.As(app, await app.NewUser("admin"));

        var html = await admin.Page("/admin/payment-instructions");
        var text = PortalClient.Text(html);

        Assert.Equal(["retry", "resolve"], FormsOf(html, id));
        Assert.Contains("Refund to a buyer", text);
        Assert.Contains("43.21 USD", text);
        Assert.Contains("Last failure: the sandbox was told to fail it", text);
        Assert.Contains("Attempts: 5", text);
        var sent = await admin.Page("/admin/payment-instructions?status=succeeded");
        Assert.Empty(FormsOf(sent, id));
        var georgian = PortalClient.Text(await (await PortalClient.As(app, await app.NewUser("admin"), "ka-GE")).Page("/admin/payment-instructions"));
        Assert.Contains("ელოდება ადმინისტრატორს", georgian);
        Assert.Contains("თანხის დაბრუნება მყიდველისთვის", georgian);
        Assert.Contains("43,21 USD", georgian);
    }

    [Fact]
    public async Task Retry_from_the_page_sends_the_refund_again()
    {
        var (_, id) = await FailedRefund();
        var admin = await PortalClient.As(app, await app.NewUser("admin"));

        var retried = await admin.Post("/admin/payment-instructions?handler=Retry", new() { ["id"] = id.ToString(), ["status"] = "failed" });

        Assert.Equal(HttpStatusCode.Redirect, retried.StatusCode);
        Assert.Equal("pending", (await Instruction(id))["status"]!.GetValue<string>());
        await app.SendPayments();
        Assert.Equal("succeeded", (await Instruction(id))["status"]!.GetValue<string>());
        await app.AssertLedgerOk();
        var again = await admin.Post("/admin/payment-instructions?handler=Retry", new() { ["id"] = id.ToString() });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("Nothing was changed.", PortalClient.Text(await again.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Resolve_asks_first_saying_what_happens_to_the_money_and_only_the_confirmed_form_settles_it_with_the_note()
    {
        var (_, id) = await FailedRefund(2_500);
        var admin = await PortalClient.As(app, await app.NewUser("admin"));
        var fields = new Dictionary<string, string> { ["id"] = id.ToString(), ["note"] = "Paid by bank transfer, ticket 7", ["status"] = "failed" };

        var asked = await admin.Post("/admin/payment-instructions?handler=Resolve", fields);
        var question = PortalClient.Text(await asked.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        Assert.Contains("Mark this instruction settled by hand?", question);
        Assert.Contains("The 25.00 USD refund is recorded as paid another way", question);
        Assert.Contains("This cannot be undone.", question);
        Assert.Equal("failed", (await Instruction(id))["status"]!.GetValue<string>());

        var confirmed = await admin.Post("/admin/payment-instructions?handler=Resolve", new(fields) { ["confirmed"] = "true" });

        Assert.Equal(HttpStatusCode.Redirect, confirmed.StatusCode);
        var resolved = await Instruction(id);
        Assert.Equal(("succeeded", "Paid by bank transfer, ticket 7"), (resolved["status"]!.GetValue<string>(), resolved["resolutionNote"]!.GetValue<string>()));
        await app.AssertLedgerOk();
        Assert.Contains("Settled by hand: Paid by bank transfer, ticket 7", PortalClient.Text(await admin.Page("/admin/payment-instructions?status=succeeded")));
    }

    [Fact]
    public async Task Resolve_without_a_note_is_refused_beside_the_field_and_changes_nothing()
    {
        var (_, id) = await FailedRefund();
        var admin = await PortalClient.As(app, await app.NewUser("admin"));

        var refused = await admin.Post("/admin/payment-instructions?handler=Resolve", new() { ["id"] = id.ToString(), ["note"] = " ", ["confirmed"] = "true" });

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains($"id=\"note-error-{id}\"", await refused.Content.ReadAsStringAsync());
        Assert.Equal("failed", (await Instruction(id))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_queue_pages_by_key_and_the_next_page_repeats_and_skips_nothing()
    {
        using var own = new SafeholdApp();
        var (buyer, _, first) = await own.OrderIn("awaiting_payment");
        var product = (await Api.GetOrder(buyer, first))["items"]![0]!["productId"]!.GetValue<Guid>();
        for (var n = 0; n < Safehold.Web.Features.PaymentInstructions.QueueModel.PageSize + 1; n++)
        {
            var id = Guid.Parse((await own.PlaceOrder(buyer, product))["id"]!.GetValue<string>());
            await Api.ExpectStatus(await SafeholdApp.Pay(buyer, id), HttpStatusCode.OK);
            await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{id}/cancel", null), HttpStatusCode.OK);
        }
        var admin = await PortalClient.As(own, await own.NewUser("admin"));

        var one = await admin.Page("/admin/payment-instructions?status=pending");
        var next = Regex.Match(one, "href=\"(/admin/payment-instructions\\?status=pending&(?:amp;)?cursor=[^\"]+)\"").Groups[1].Value;
        var two = await admin.Page(System.Net.WebUtility.HtmlDecode(next));

        var orders = new[] { one, two }.Select(p => Regex.Matches(p, "href=\"/orders/([0-9a-f-]{36})\"").Select(m => m.Groups[1].Value).ToList()).ToList();
        Assert.Equal(Safehold.Web.Features.PaymentInstructions.QueueModel.PageSize, orders[0].Count);
        Assert.Single(orders[1]);
        Assert.Equal(orders[0].Count + 1, orders[0].Concat(orders[1]).Distinct().Count());
        Assert.Contains("More instructions", PortalClient.Text(one));
        Assert.DoesNotContain("More instructions", PortalClient.Text(two));
    }

    [Fact]
    public async Task Only_an_admin_sees_the_queue()
    {
        var seller = await PortalClient.As(app, await app.NewUser("seller"));
        var response = await seller.Http.GetAsync("/admin/payment-instructions");
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }
}
