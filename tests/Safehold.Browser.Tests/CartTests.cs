using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Safehold.Web.Data;

namespace Safehold.Browser.Tests;

/// <summary>
/// The cart: the buyer adds two sellers' products from their pages, changes a quantity, and pays once (a declined card
/// first, which pays nothing); My orders then shows the two orders under one heading, paid together.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class CartTests(Portal portal)
{
    private const string Headphones = "Wireless noise-cancelling headphones", Bowl = "Hand-painted ceramic bowl";

    [Fact]
    public async Task The_buyer_fills_a_cart_from_two_sellers_and_pays_it_once_for_two_orders_shown_together_in_My_orders()
    {
        var page = await portal.InSession(BuyerPathTests.Buyer, BuyerPathTests.BuyerPassword);
        foreach (var product in new[] { Headphones, Bowl })
        {
            await page.GotoAsync("/");
            await page.GetByRole(AriaRole.Link, new() { Name = product, Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }).ClickAsync();
            await Portal.WaitForPage(page, url => url.EndsWith("/cart", StringComparison.Ordinal));
            await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Added to your cart." })).ToBeVisibleAsync();
        }
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Cart (2)" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "From Gadget Bazaar" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "From Tbilisi Crafts" })).ToBeVisibleAsync();

        var bowl = page.Locator("ul.cart-lines li").Filter(new() { HasText = Bowl });
        await bowl.GetByLabel("Quantity").FillAsync("2");
        await bowl.GetByRole(AriaRole.Button, new() { Name = "Update" }).ClickAsync();
        await Assertions.Expect(page.Locator("p.price")).ToHaveTextAsync("149.99 USD"); // 79.99 + 2 × 35.00
        await Portal.AssertAccessible(page);

        await page.GetByLabel("Full name").FillAsync("Nino Beridze");
        await page.GetByLabel("Street and number").FillAsync("12 Rustaveli Avenue");
        await page.GetByLabel("City").FillAsync("Tbilisi");
        await page.GetByLabel("Country").FillAsync("Georgia");
        await page.GetByLabel("Card number").FillAsync("4000 0000 0000 0002");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay and place the orders" }).ClickAsync();
        await Assertions.Expect(page.Locator("#Card-error")).Not.ToBeEmptyAsync();
        Assert.Equal(0, await PaidCheckouts());

        await page.GetByLabel("Card number").FillAsync("4242 4242 4242 4242");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pay and place the orders" }).ClickAsync();
        await Portal.WaitForPage(page, url => url.EndsWith("/orders", StringComparison.Ordinal));
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Paid." })).ToBeVisibleAsync();
        var together = page.Locator("tbody.together").First;
        await Assertions.Expect(together.Locator("th[scope=rowgroup]")).ToHaveTextAsync("Paid together: 2 orders, 149.99 USD");
        await Assertions.Expect(together).ToContainTextAsync(Headphones);
        await Assertions.Expect(together).ToContainTextAsync(Bowl);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Cart", Exact = true })).ToBeVisibleAsync(); // emptied
        Assert.Equal(1, await PaidCheckouts());
        await Portal.AssertAccessible(page);

        // The pictures: the cart (set in each browser's cookie) and My orders, at a phone's and a desktop's width, in both languages.
        var cart = await CartCookie();
        foreach (var (width, culture) in new[] { (390, "en"), (390, "ka-GE"), (1366, "en"), (1366, "ka-GE") })
        {
            var shot = await portal.NewPage(width, culture);
            await portal.ResumeSession(shot, BuyerPathTests.Buyer, BuyerPathTests.BuyerPassword);
            await shot.Context.AddCookiesAsync([new Cookie { Name = "safehold_cart", Value = cart, Url = portal.BaseAddress.ToString() }]);
            await Portal.Visit(shot, "/cart");
            Assert.True(await shot.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"The cart scrolls sideways at {width} px ({culture}).");
            var suffix = (culture == "ka-GE" ? "-ka" : "") + (width < 600 ? "-phone" : ""); // docs/screenshots' names
            await Portal.Screenshot(shot, "cart" + suffix);
            await Portal.Visit(shot, "/orders");
            await Portal.Screenshot(shot, "my-orders-together" + suffix);
            await shot.Context.CloseAsync();
        }
        await page.Context.CloseAsync();
    }

    private async Task<int> PaidCheckouts()
    {
        using var scope = portal.App.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<SafeholdDb>().Checkouts.CountAsync(c => c.PaidAt != null);
    }

    private async Task<string> CartCookie()
    {
        using var scope = portal.App.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var products = await db.Products.Where(p => p.Title == Headphones || p.Title == Bowl).Select(p => new { p.Id, p.Title }).ToListAsync();
        return string.Join('|', products.Select(p => $"{p.Id}:{(p.Title == Bowl ? 2 : 1)}"));
    }
}
