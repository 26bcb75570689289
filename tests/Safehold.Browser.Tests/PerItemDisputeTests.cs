using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Safehold.Browser.Tests;

/// <summary>
/// A dispute on some of an order's items, opened from the portal: the buyer ticks one item and a quantity, and the dispute's
/// page and the order's page say which items it claims and what it holds; the form fits a phone and a desktop in both languages.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed partial class PerItemDisputeTests(Portal portal)
{
    [GeneratedRegex("/disputes/([0-9a-f-]{36})$")]
    private static partial Regex DisputeUrl();

    private HttpClient Client(string key)
    {
        var client = portal.App.CreateClient();
        client.BaseAddress = portal.BaseAddress;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Two new products of the demo seller, one of the first and two of the second, bought, paid and shipped through the API.</summary>
    private async Task<(Guid OrderId, JsonArray Items)> OrderOfTwoProducts()
    {
        using var buyer = Client("sh_demo_buyer");
        using var seller = Client("sh_demo_seller");
        var two = new List<string>();
        foreach (var (title, price) in new[] { ("Smartwatch charging dock", 2_500L), ("Leather watch strap, brown", 1_500L) })
        {
            var created = await seller.PostAsJsonAsync("/api/v1/products", new
            {
                title,
                description = title + ", new in its box.",
                price = new { amount = price, currency = "USD" },
                handlingDays = 3,
            });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            two.Add((await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        }
        var placed = await buyer.PostAsJsonAsync("/api/v1/orders", new
        {
            items = new object[] { new { productId = two[0], quantity = 1 }, new { productId = two[1], quantity = 2 } },
            shippingAddress = new { fullName = "Nino Beridze", line1 = "1 Rustaveli Ave", city = "Tbilisi", country = "GE" },
        });
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        var order = (await placed.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = Guid.Parse(order["id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await buyer.PostAsJsonAsync($"/api/v1/orders/{id}/pay", new { card = new { number = "4242424242424242" } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await seller.PostAsJsonAsync($"/api/v1/orders/{id}/ship", new { carrier = "DHL", trackingNumber = "JD014600003800000077" })).StatusCode);
        return (id, order["items"]!.AsArray());
    }

    [Fact]
    public async Task The_buyer_disputes_one_of_two_items_and_both_pages_show_what_it_claims_and_holds()
    {
        var (orderId, items) = await OrderOfTwoProducts();
        var second = items[1]!;
        var secondId = second["itemId"]!.GetValue<string>();
        var secondTitle = second["listing"]!["title"]!.GetValue<string>();
        var unit = second["unitPrice"]!["amount"]!.GetValue<long>();

        // The form with its items, at a phone's and a desktop's width, in both languages: nothing scrolls sideways.
        foreach (var (width, culture) in new[] { (390, "en"), (390, "ka-GE"), (1366, "ka-GE") })
        {
            var look = await portal.NewPage(width, culture);
            await SignIn(look);
            await Portal.Visit(look, $"/orders/{orderId}/dispute");
            await Assertions.Expect(look.Locator($"#item-{secondId}")).ToBeVisibleAsync();
            Assert.True(await look.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"the dispute form scrolls sideways at {width} px ({culture})");
            await Portal.Screenshot(look, "open-dispute-items" + (culture == "en" ? "" : "-ka") + (width < 600 ? "-phone" : ""));
            await look.Context.CloseAsync();
        }

        var buyer = await portal.NewPage(1366, "en");
        await SignIn(buyer);
        await Portal.Visit(buyer, $"/orders/{orderId}/dispute");
        await Portal.AssertAccessible(buyer);
        await buyer.Locator($"#item-{secondId}").CheckAsync();
        await buyer.Locator($"#qty-{secondId}").FillAsync("1");
        await buyer.GetByLabel("What is wrong?").SelectOptionAsync(new SelectOptionValue { Label = "Damaged" });
        await buyer.GetByLabel("What do you ask for?").SelectOptionAsync(new SelectOptionValue { Label = "Full refund" });
        await buyer.GetByLabel("Describe the problem").FillAsync("One of the two arrived scratched.");
        Assert.True(await buyer.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        await Portal.Screenshot(buyer, "open-dispute-items");
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Open the dispute" }).ClickAsync();
        await buyer.WaitForURLAsync(DisputeUrl());
        var disputePath = new Uri(buyer.Url).AbsolutePath;

        // The dispute's page: the item claimed, its value, and what is held.
        var claimed = buyer.Locator("ul.claimed-items li");
        await Assertions.Expect(claimed).ToHaveCountAsync(1);
        await Assertions.Expect(claimed).ToContainTextAsync($"1 × {secondTitle}");
        await Assertions.Expect(buyer.Locator("p.held")).ToContainTextAsync("Held while the dispute runs: " + Money(unit));
        await Portal.AssertAccessible(buyer);
        await Portal.Screenshot(buyer, "dispute-items");

        // The order's page: the same, and the rest of the order goes on (confirm receipt is offered).
        await Portal.Visit(buyer, $"/orders/{orderId}");
        await Assertions.Expect(buyer.Locator(".dispute-claim ul.claimed-items li")).ToContainTextAsync(secondTitle);
        await Assertions.Expect(buyer.Locator(".dispute-claim p.held")).ToContainTextAsync(Money(unit));
        await Assertions.Expect(buyer.Locator("[data-action='confirm_receipt']")).ToBeVisibleAsync();
        await Portal.AssertAccessible(buyer);
        await Portal.Screenshot(buyer, "more-details-dispute-items");
        await buyer.Context.CloseAsync();

        // Both pages at a phone's width and in Georgian too: nothing scrolls sideways.
        foreach (var (width, culture) in new[] { (390, "en"), (390, "ka-GE"), (1366, "ka-GE") })
        {
            var look = await portal.NewPage(width, culture);
            await SignIn(look);
            var suffix = (culture == "en" ? "" : "-ka") + (width < 600 ? "-phone" : "");
            foreach (var (path, name) in new[] { (disputePath, "dispute-items"), ($"/orders/{orderId}", "more-details-dispute-items") })
            {
                await Portal.Visit(look, path);
                await Assertions.Expect(look.Locator("p.held").First).ToBeVisibleAsync();
                Assert.True(await look.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"{path} scrolls sideways at {width} px ({culture})");
                await Portal.Screenshot(look, name + suffix);
            }
            await look.Context.CloseAsync();
        }
    }

    /// <summary>Signs the page in as the demo buyer.</summary>
    private Task SignIn(IPage page) => portal.ResumeSession(page, BuyerPathTests.Buyer, BuyerPathTests.BuyerPassword);

    private static string Money(long minor) => (minor / 100m).ToString("N2", System.Globalization.CultureInfo.GetCultureInfo("en-US")) + " USD";
}
