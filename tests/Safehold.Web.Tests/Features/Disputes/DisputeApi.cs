using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>Steps of a dispute through the API, for the dispute tests.</summary>
public static class DisputeApi
{
    public static Task<HttpResponseMessage> Open(TestUser buyer, Guid orderId, string reason = "damaged", string outcome = "full_refund",
        long? amount = null, string currency = "USD", string description = "Arrived with a cracked screen.") =>
        buyer.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/disputes", new
        {
            reason,
            requestedOutcome = outcome,
            requestedAmount = amount is { } a ? new { amount = a, currency } : null,
            description,
        });

    public static async Task<JsonNode> OpenOk(TestUser buyer, Guid orderId, string reason = "damaged", string outcome = "full_refund", long? amount = null)
    {
        var response = await Open(buyer, orderId, reason, outcome, amount);
        await Api.ExpectStatus(response, HttpStatusCode.Created);
        return await Api.Json(response);
    }

    public static Task<HttpResponseMessage> Post(TestUser user, Guid disputeId, string action, object? body = null) =>
        body is null
            ? user.Http.PostAsync($"/api/v1/disputes/{disputeId}/{action}", null)
            : user.Http.PostAsJsonAsync($"/api/v1/disputes/{disputeId}/{action}", body);

    public static async Task<JsonNode> PostOk(TestUser user, Guid disputeId, string action, object? body = null)
    {
        var response = await Post(user, disputeId, action, body);
        await Api.ExpectStatus(response, HttpStatusCode.OK);
        return await Api.Json(response);
    }

    public static async Task<JsonNode> Get(TestUser user, Guid disputeId)
    {
        var response = await user.Http.GetAsync($"/api/v1/disputes/{disputeId}");
        await Api.ExpectStatus(response, HttpStatusCode.OK);
        return await Api.Json(response);
    }

    public static object Usd(long amount) => new { amount, currency = "USD" };

    public static long? Amount(this JsonNode node, string field) => node[field]?["amount"]?.GetValue<long>();

    public static string? Outcome(this JsonNode dispute) => dispute["outcome"]?.GetValue<string>();

    public static IReadOnlyList<(string Actor, string Event)> Timeline(this JsonNode dispute) =>
        dispute["timeline"]!.AsArray().Select(e => (e!["actor"]!.GetValue<string>(), e["event"]!.GetValue<string>())).ToList();

    /// <summary>A seller's order in <paramref name="orderStatus"/> and a dispute the buyer opened on it.</summary>
    public static async Task<(TestUser Buyer, TestUser Seller, Guid OrderId, JsonNode Dispute)> Disputed(this SafeholdApp app, long amount = 10_000,
        string orderStatus = "awaiting_delivery", string outcome = "full_refund", long? requested = null, string reason = "damaged")
    {
        var (buyer, seller, orderId) = await app.OrderIn(orderStatus, amount);
        var dispute = await OpenOk(buyer, orderId, reason, outcome, requested);
        return (buyer, seller, orderId, dispute);
    }

    /// <summary>The lines of the order's journal entries of <paramref name="kind"/>: account type to amount.</summary>
    public static async Task<List<Dictionary<string, long>>> Entries(this SafeholdApp app, Guid orderId, string kind)
    {
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var entries = await db.JournalEntries.AsNoTracking().Where(e => e.OrderId == orderId && e.Kind == kind).ToListAsync();
            return entries.Select(e => e.Lines.GroupBy(l => l.AccountType.ToString()).ToDictionary(g => g.Key, g => g.Sum(l => l.Amount))).ToList();
        }
    }

    public static async Task<int> Notifications(this SafeholdApp app, Guid userId, string kind)
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.Notifications.CountAsync(n => n.UserId == userId && n.Kind == kind);
    }
}
