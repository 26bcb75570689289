using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Safehold.Web.Tests.Features.Disputes;

namespace Safehold.Web.Tests.Features.Chargebacks;

/// <summary>Provider events and the seller's balance through the API, for the chargeback tests.</summary>
public static class ChargebackApi
{
    public static Task<HttpResponseMessage> Event(HttpClient http, string type, Guid orderId, string? id = null, string reason = "fraudulent",
        DateTimeOffset? respondBy = null, object? amount = null) =>
        http.PostAsJsonAsync("/api/v1/payment-events", new
        {
            id = id ?? $"evt_{Guid.NewGuid():N}",
            type,
            orderId,
            reason,
            respondBy = type == "chargeback.opened" ? respondBy ?? new DateTimeOffset(2026, 12, 10, 12, 0, 0, TimeSpan.Zero) : (DateTimeOffset?)null,
            amount,
        });

    public static async Task<JsonNode> EventOk(SafeholdApp app, string type, Guid orderId, string? id = null)
    {
        var response = await Event(app.Admin, type, orderId, id);
        await Api.ExpectStatus(response, HttpStatusCode.OK);
        return await Api.Json(response);
    }

    /// <summary>Opens a chargeback on the order; returns its dispute as the admin sees it.</summary>
    public static async Task<JsonNode> OpenChargeback(this SafeholdApp app, Guid orderId)
    {
        var applied = await EventOk(app, "chargeback.opened", orderId);
        return await DisputeOf(app, Guid.Parse(applied["disputeId"]!.GetValue<string>()));
    }

    public static async Task<JsonNode> DisputeOf(SafeholdApp app, Guid disputeId) =>
        await Api.Json(await app.Admin.GetAsync($"/api/v1/disputes/{disputeId}"));

    public static async Task<(long Pending, long Available, long PaidOut)> Balance(TestUser seller)
    {
        var balances = (await Api.Json(await seller.Http.GetAsync("/api/v1/balance")))["balances"]!.AsArray();
        var usd = balances.SingleOrDefault(b => b!["currency"]!.GetValue<string>() == "USD");
        return usd is null ? (0, 0, 0) : (usd["pending"]!.GetValue<long>(), usd["available"]!.GetValue<long>(), usd["paidOut"]!.GetValue<long>());
    }

    public static async Task<Dictionary<string, long>> SingleEntry(this SafeholdApp app, Guid orderId, string kind) =>
        Assert.Single(await app.Entries(orderId, kind));
}
