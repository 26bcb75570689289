using System.Net;
using System.Net.Http.Json;

namespace Safehold.Web.Tests.Http;

/// <summary>
/// Keyset paging as a client pages: page after page by the cursor, until there is none. Many rows share an instant
/// (the test clock stands still between them), so the id decides their order, and the order is the database's own.
/// </summary>
public sealed class KeysetTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task An_oldest_first_list_paged_two_at_a_time_gives_every_row_once_in_the_order_of_one_page_of_all()
    {
        var (buyer, seller, order) = await app.OrderIn("awaiting_shipment");
        foreach (var i in Enumerable.Range(0, 9))
        {
            var writer = i % 2 == 0 ? buyer : seller;
            await Api.ExpectStatus(await writer.Http.PostAsJsonAsync($"/api/v1/orders/{order}/messages", new { body = $"message {i}" }), HttpStatusCode.Created);
            if (i % 3 == 2) app.Clock.Advance(TimeSpan.FromSeconds(1)); // three instants of three messages each
        }

        var path = $"/api/v1/orders/{order}/messages";
        var paged = await EveryPage(buyer.Http, path, 2);
        var whole = await EveryPage(buyer.Http, path, 100);

        Assert.Equal(9, whole.Count);
        Assert.Equal(whole, paged);
        var sent = whole.Select(m => m.At).ToList();
        Assert.Equal(sent.Order(), sent);
    }

    [Fact]
    public async Task A_newest_first_list_paged_two_at_a_time_gives_every_row_once_in_the_order_of_one_page_of_all()
    {
        var (_, seller, _) = await app.OrderIn("awaiting_payment");
        var product = await app.NewProduct(seller);
        var buyer = await app.NewUser("buyer");
        foreach (var i in Enumerable.Range(0, 8))
        {
            await app.PlaceOrder(buyer, product);
            if (i % 3 == 2) app.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        var paged = await EveryPage(seller.Http, "/api/v1/orders", 2);
        var whole = await EveryPage(seller.Http, "/api/v1/orders", 100);

        Assert.Equal(9, whole.Count);
        Assert.Equal(whole, paged);
        var created = whole.Select(o => o.At).ToList();
        Assert.Equal(created.OrderDescending(), created);
    }

    [Fact]
    public async Task A_sellers_statement_paged_one_entry_at_a_time_gives_every_entry_once_in_the_order_of_one_page_of_all()
    {
        var (buyer, seller, first) = await app.OrderIn("completed");
        var second = Guid.Parse((await app.PlaceOrder(buyer, await app.NewProduct(seller)))["id"]!.GetValue<string>());
        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, second), HttpStatusCode.OK);
        await Api.ExpectStatus(await SafeholdApp.Ship(seller, second), HttpStatusCode.OK);
        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{second}/confirm-receipt", null), HttpStatusCode.OK);
        await app.AdvanceAndSweep(TimeSpan.FromDays(16)); // both orders' money made available in one sweep: entries of one instant

        var paged = await EveryPage(seller.Http, "/api/v1/balance/statement", 1);
        var whole = await EveryPage(seller.Http, "/api/v1/balance/statement", 100);

        Assert.Equal(4, whole.Count); // each order's completion and its money made available
        Assert.Equal(whole, paged);
        var at = whole.Select(e => e.At).ToList();
        Assert.Equal(at.OrderDescending(), at);
        Assert.True(at.Distinct().Count() < at.Count, "Two entries share an instant.");
    }

    /// <summary>Every item of the list, page after page of <paramref name="limit"/>: each one's id and instant.</summary>
    private static async Task<List<(string Id, DateTimeOffset At)>> EveryPage(HttpClient client, string path, int limit)
    {
        var items = new List<(string, DateTimeOffset)>();
        string? cursor = null;
        do
        {
            var response = await client.GetAsync($"{path}?limit={limit}" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"));
            await Api.ExpectStatus(response, HttpStatusCode.OK);
            var json = await Api.Json(response);
            var page = json["items"]!.AsArray();
            Assert.InRange(page.Count, 0, limit);
            items.AddRange(page.Select(i => ((i!["id"] ?? i["entryId"])!.GetValue<string>(), (i["sentAt"] ?? i["createdAt"] ?? i["at"])!.GetValue<DateTimeOffset>())));
            cursor = json["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        return items;
    }
}
