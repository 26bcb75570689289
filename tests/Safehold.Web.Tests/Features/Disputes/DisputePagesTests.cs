using System.Net;
using Safehold.Web.Features.Orders;
using Safehold.Web.Tests.Features.Portal;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>The dispute's pages in the portal over a real database: confirmation of irreversible steps, amounts, whose turn it is.</summary>
public sealed class DisputePagesTests : IDisposable
{
    private readonly SafeholdApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Accepting_the_sellers_offer_asks_first_saying_how_the_money_is_split()
    {
        var (buyer, seller, _, dispute) = await _app.Disputed();
        await DisputeApi.PostOk(seller, dispute.Id(), "counter-offer", new { outcome = "partial_refund", amount = DisputeApi.Usd(4_000), message = "Forty back?" });
        var portal = await PortalClient.As(_app, buyer);
        var page = $"/disputes/{dispute.Id()}";
        var asked = await portal.Post(page + "?handler=AcceptOffer", [], formPage: page);
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        var text = PortalClient.Text(await asked.Content.ReadAsStringAsync());
        Assert.Contains("Accept the seller's offer?", text, StringComparison.Ordinal);
        Assert.Contains("40.00 USD is refunded to the buyer and 60.00 USD is paid to the seller", text, StringComparison.Ordinal);
        Assert.Null((await DisputeApi.Get(buyer, dispute.Id())).Outcome());

        await portal.Post(page + "?handler=AcceptOffer", new() { ["confirmed"] = "true" }, formPage: page);
        Assert.Equal("partial_refund", (await DisputeApi.Get(buyer, dispute.Id())).Outcome());
        var timeline = PortalClient.Text(await portal.Page(page));
        Assert.Contains("Offer accepted (buyer): Partial refund 40.00 USD", timeline, StringComparison.Ordinal);
        Assert.DoesNotContain("partial_refund", timeline, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_arbiters_decision_asks_first_with_what_happens_to_the_money_and_keeps_what_was_typed()
    {
        var (buyer, seller, _, dispute) = await _app.Disputed();
        await DisputeApi.PostOk(seller, dispute.Id(), "reject", new { reason = "It left here intact." });
        await DisputeApi.PostOk(buyer, dispute.Id(), "escalate");
        var arbiter = await _app.NewUser("arbiter");
        var portal = await PortalClient.As(_app, arbiter);
        var page = $"/disputes/{dispute.Id()}";
        var fields = new Dictionary<string, string> { ["outcome"] = "partial_refund", ["amount"] = "30.00", ["rationale"] = "Scratched, still works." };
        var asked = PortalClient.Text(await (await portal.Post(page + "?handler=Decision", fields, formPage: page)).Content.ReadAsStringAsync());
        Assert.Contains("Record this decision?", asked, StringComparison.Ordinal);
        Assert.Contains("30.00 USD is refunded to the buyer and 70.00 USD is paid to the seller", asked, StringComparison.Ordinal);
        Assert.Null((await DisputeApi.Get(buyer, dispute.Id())).Outcome());

        var decided = await portal.Post(page + "?handler=Decision", new(fields) { ["confirmed"] = "true" }, formPage: page);
        Assert.Equal(HttpStatusCode.Redirect, decided.StatusCode);
        Assert.Equal(3_000, (await DisputeApi.Get(buyer, dispute.Id())).Amount("refundAmount"));
    }

    [Fact]
    public async Task An_amount_typed_with_a_comma_on_an_English_page_is_refused_beside_its_field_never_read_as_a_hundred_times_more()
    {
        var (buyer, _, orderId) = await _app.OrderIn("awaiting_delivery");
        var portal = await PortalClient.As(_app, buyer);
        var response = await portal.Post($"/orders/{orderId}/dispute", new()
        {
            ["reason"] = "damaged",
            ["requestedOutcome"] = "partial_refund",
            ["amount"] = "40,00",
            ["description"] = "Cracked.",
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<span class=\"field-error\" id=\"amount-error\">Write the amount with a point before the cents, like 19.50.</span>", html, StringComparison.Ordinal);
        Assert.Empty((await Api.GetOrder(buyer, orderId))["dispute"] is null ? [] : new[] { 1 });
    }

    [Fact]
    public async Task An_amount_over_the_orders_total_is_refused_beside_the_field_in_money()
    {
        var (buyer, _, orderId) = await _app.OrderIn("awaiting_delivery");
        var portal = await PortalClient.As(_app, buyer);
        var response = await portal.Post($"/orders/{orderId}/dispute", new()
        {
            ["reason"] = "damaged",
            ["requestedOutcome"] = "partial_refund",
            ["amount"] = "400",
            ["description"] = "Cracked.",
        });
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("id=\"amount-error\">A partial refund is more than nothing and at most the order&#x27;s total, 100.00 USD.</span>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Withdraw_and_escalate_are_not_the_readers_turn()
    {
        var (buyer, seller, _, dispute) = await _app.Disputed();
        // Waiting for the seller: the buyer may only withdraw (or add evidence, write), which is not a turn.
        var buyerList = PortalClient.Text(await (await PortalClient.As(_app, buyer)).Page("/disputes"));
        Assert.DoesNotContain("Your turn", buyerList, StringComparison.Ordinal);
        var sellerList = PortalClient.Text(await (await PortalClient.As(_app, seller)).Page("/disputes"));
        Assert.Contains("Your turn", sellerList, StringComparison.Ordinal);
        Assert.Contains("Order " + OrderNumber.Of(dispute["orderId"]!.GetValue<Guid>()), sellerList, StringComparison.Ordinal);
    }
}
