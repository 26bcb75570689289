using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Safehold.Web.Data;

[assembly: CollectionBehavior(DisableTestParallelization = true)] // one browser at a time on a small machine

namespace Safehold.Browser.Tests;

/// <summary>The buyer's path through the portal: sign in, checkout, My orders, More details; and the seller's side of it.</summary>
[Collection(PortalCollection.Name)]
public sealed partial class BuyerPathTests(Portal portal)
{
    public const string Buyer = "buyer@demo.test", BuyerPassword = "demo-buyer";
    public const string Seller = "seller@demo.test", SellerPassword = "demo-seller";
    public const string Ticwatch = "Mobvoi Ticwatch 2 smartwatch";

    private DateTimeOffset Now => portal.App.Services.GetRequiredService<TimeProvider>().GetUtcNow();

    private string Day(DateTimeOffset at) =>
        at.UtcDateTime.ToString(at.Year == Now.Year ? "d MMMM" : "d MMMM yyyy", System.Globalization.CultureInfo.GetCultureInfo("en"));

    /// <summary>Buys one product through the catalog, the product page and checkout; returns the new order's id.</summary>
    public static async Task<Guid> Checkout(IPage page, string product, string card = "4242 4242 4242 4242", bool accessibility = false)
    {
        await page.GotoAsync("/");
        if (accessibility)
        {
            await Portal.AssertAccessible(page);
            await Portal.Screenshot(page, "catalog");
        }
        await page.GetByRole(AriaRole.Link, new() { Name = product, Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Every order is protected" })).ToBeVisibleAsync();
        if (accessibility) await Portal.AssertAccessible(page);
        await page.GetByRole(AriaRole.Link, new() { Name = "Buy with protection" }).ClickAsync();
        await page.GetByLabel("Full name").FillAsync("Nino Beridze");
        await page.GetByLabel("Street and number").FillAsync("12 Rustaveli Avenue");
        await page.GetByLabel("City").FillAsync("Tbilisi");
        await page.GetByLabel("Country").FillAsync("Georgia");
        await page.GetByLabel("Card number").FillAsync(card);
        if (accessibility) await Portal.AssertAccessible(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay and place the order" }).ClickAsync();
        await Portal.WaitForPage(page, url => OrderUrl().IsMatch(url));
        return Guid.Parse(OrderUrl().Match(page.Url).Groups[1].Value);
    }

    [GeneratedRegex("/orders/([0-9a-f-]{36})$")]
    private static partial Regex OrderUrl();

    [Fact]
    public async Task The_buyer_signs_in_pays_with_a_test_card_and_finds_the_order_in_My_orders_and_More_details()
    {
        var page = await portal.SignedIn(Buyer, BuyerPassword);
        Assert.EndsWith("/orders", page.Url, StringComparison.Ordinal);
        var id = await Checkout(page, Ticwatch, accessibility: true);

        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Paid." })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("More details: " + Ticwatch);
        await Assertions.Expect(page.Locator(".badge").First).ToHaveTextAsync("Awaiting shipment");
        await Assertions.Expect(page.GetByText($"The seller must ship within 5 days, by {Day(Now.AddDays(5))}")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("ol.timeline")).ToContainTextAsync("Paid; the money is held in escrow");
        // Before shipment the buyer may cancel, and nothing else: the page offers the order's actions only.
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel the order" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Confirm receipt" })).ToHaveCountAsync(0);
        await Portal.AssertAccessible(page);
        await Portal.Screenshot(page, "more-details-to-ship");

        await page.GetByRole(AriaRole.Link, new() { Name = "My orders" }).First.ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "To ship" }).ClickAsync();
        await Assertions.Expect(page.Locator($"a[href='/orders/{id}']")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "All", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator($"a[href='/orders/{id}']")).ToBeVisibleAsync();
        await Portal.Screenshot(page, "my-orders");
        await page.GetByRole(AriaRole.Link, new() { Name = "Completed" }).ClickAsync();
        await Assertions.Expect(page.Locator($"a[href='/orders/{id}']")).ToHaveCountAsync(0);
        await Portal.AssertAccessible(page);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_seller_ships_the_buyer_sees_the_protection_countdown_in_words_and_confirms_receipt()
    {
        var buyer = await portal.InSession(Buyer, BuyerPassword);
        var id = await Checkout(buyer, "Wireless noise-cancelling headphones");

        var seller = await portal.SignedIn(Seller, SellerPassword);
        Assert.EndsWith("/seller/to-ship", seller.Url, StringComparison.Ordinal);
        var card = seller.Locator("section").Filter(new() { Has = seller.Locator($"a[href='/orders/{id}']") });
        await card.GetByLabel("Carrier").FillAsync("DHL");
        await card.GetByRole(AriaRole.Button, new() { Name = "Mark as shipped" }).ClickAsync();
        await Assertions.Expect(seller.GetByText("Required.")).ToBeVisibleAsync(); // the tracking number, beside its field
        await Assertions.Expect(seller.GetByRole(AriaRole.Alert)).ToContainTextAsync("Some fields need attention");
        await Portal.AssertAccessible(seller);
        card = seller.Locator("section").Filter(new() { Has = seller.Locator($"a[href='/orders/{id}']") });
        await card.GetByLabel("Carrier").FillAsync("DHL");
        await card.GetByLabel("Tracking number").FillAsync("JD014600003812345678");
        await card.GetByRole(AriaRole.Button, new() { Name = "Mark as shipped" }).ClickAsync();
        await Assertions.Expect(seller.GetByRole(AriaRole.Status).Filter(new() { HasText = "Marked as shipped" })).ToBeVisibleAsync();
        await Assertions.Expect(seller.Locator($"a[href='/orders/{id}']")).ToHaveCountAsync(0);

        await buyer.GotoAsync($"/orders/{id}");
        await Assertions.Expect(buyer.Locator(".countdown")).ToHaveTextAsync($"Protection ends in 40 days, on {Day(Now.AddDays(40))}");
        await Assertions.Expect(buyer.GetByRole(AriaRole.Button, new() { Name = "Extend protection" })).ToBeVisibleAsync();
        await Portal.Screenshot(buyer, "more-details");
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Confirm receipt" }).ClickAsync();
        // Irreversible: asked first, with what happens to the money; the answer's button has the focus (Enter confirms).
        await Assertions.Expect(buyer.Locator(".confirm")).ToContainTextAsync("USD held for this order is paid to the seller");
        await Portal.AssertAccessible(buyer);
        await Assertions.Expect(buyer.GetByRole(AriaRole.Button, new() { Name = "Yes, confirm receipt" })).ToBeFocusedAsync();
        await buyer.Keyboard.PressAsync("Enter");
        await Assertions.Expect(buyer.Locator(".badge").First).ToHaveTextAsync("Completed");
        await Assertions.Expect(buyer.GetByText($"A dispute can still be opened for 15 days, until {Day(Now.AddDays(15))}")).ToBeVisibleAsync();

        await seller.GotoAsync("/seller/balance");
        await Assertions.Expect(seller.GetByRole(AriaRole.Rowheader, new() { Name = "USD", Exact = true })).ToBeVisibleAsync();
        await Portal.AssertAccessible(seller);
        await buyer.Context.CloseAsync();
        await seller.Context.CloseAsync();
    }

    [Fact]
    public async Task A_declined_card_is_explained_beside_the_card_field_and_another_card_pays_the_same_order()
    {
        var page = await portal.InSession(Buyer, BuyerPassword);
        var before = await OrderCount();
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "65 W USB-C charger", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Buy with protection" }).ClickAsync();
        await page.GetByLabel("Street and number").FillAsync("12 Rustaveli Avenue");
        await page.GetByLabel("City").FillAsync("Tbilisi");
        await page.GetByLabel("Country").FillAsync("Georgia");
        await page.GetByLabel("Card number").FillAsync("4000 0000 0000 0002");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay and place the order" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The card was declined. Try another card.");
        await Assertions.Expect(page.Locator("#Card-error")).ToContainTextAsync("The card was declined");
        Assert.Contains("/checkout/", page.Url, StringComparison.Ordinal);
        await Portal.AssertAccessible(page);
        // The order was placed (awaiting payment, as a marketplace's order is) and the payment refused: the next card pays
        // that same order, never a second one.
        Assert.Equal(before + 1, await OrderCount());
        await page.GetByLabel("Card number").FillAsync("4242 4242 4242 4242");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay and place the order" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Paid. Your money is held safely")).ToBeVisibleAsync();
        Assert.Equal(before + 1, await OrderCount());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Someone_elses_order_answers_404()
    {
        var buyer = await portal.InSession(Buyer, BuyerPassword);
        var id = await Checkout(buyer, "65 W USB-C charger");
        await buyer.Context.CloseAsync();

        foreach (var (email, password) in new[] { ("buyer2@demo.test", "demo-buyer2"), ("seller2@demo.test", "demo-seller2"), ("arbiter@demo.test", "demo-arbiter") })
        {
            var other = await portal.InSession(email, password);
            var response = await other.GotoAsync($"/orders/{id}");
            Assert.Equal(404, response!.Status);
            await Assertions.Expect(other.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Not found");
            Assert.DoesNotContain("65 W USB-C charger", await other.ContentAsync(), StringComparison.Ordinal);
            await other.Context.CloseAsync();
        }
    }

    private async Task<int> OrderCount()
    {
        using var scope = portal.App.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<SafeholdDb>().Orders.CountAsync();
    }
}
