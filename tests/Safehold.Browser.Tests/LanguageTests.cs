using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Safehold.Browser.Tests;

/// <summary>English and Georgian: the switch on every page, a choice that stays, and formats that follow it.</summary>
[Collection(PortalCollection.Name)]
public sealed class LanguageTests(Portal portal)
{
    [Fact]
    public async Task The_Georgian_switch_stays_chosen_across_pages_and_sign_in_and_formats_money_for_Georgian()
    {
        var page = await portal.NewPage(phone: true);
        await page.GotoAsync("/");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Catalog");
        await Assertions.Expect(page.Locator(".card").Filter(new() { HasText = "Mobvoi Ticwatch 2 smartwatch" }).Locator(".price")).ToHaveTextAsync("129.99 USD");

        await page.GetByRole(AriaRole.Button, new() { Name = "ქართული" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("კატალოგი");
        Assert.Equal("ka", await page.Locator("html").GetAttributeAsync("lang"));
        await Assertions.Expect(page.Locator(".card").Filter(new() { HasText = "Mobvoi Ticwatch 2 smartwatch" }).Locator(".price")).ToHaveTextAsync("129,99 USD");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "ყველა შეკვეთა დაცულია" })).ToBeVisibleAsync();
        await Portal.AssertAccessible(page);
        await Portal.Screenshot(page, "catalog-ka-phone");

        // Another page, a validation error beside its field, then signing in: still Georgian.
        await page.GotoAsync("/signin");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("შესვლა");
        await page.Locator("main").GetByRole(AriaRole.Button, new() { Name = "შესვლა" }).ClickAsync();
        await Assertions.Expect(page.Locator("#Email-error")).ToHaveTextAsync("სავალდებულოა.");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("ზოგიერთი ველი შესასწორებელია");
        await page.GetByLabel("ელფოსტა").FillAsync(BuyerPathTests.Buyer);
        await page.GetByLabel("პაროლი").FillAsync(BuyerPathTests.BuyerPassword);
        await page.Locator("main").GetByRole(AriaRole.Button, new() { Name = "შესვლა" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("ჩემი შეკვეთები");
        await page.GetByRole(AriaRole.Link, new() { Name = "დასრულებული" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "შეკვეთის დეტალები" }).First.ClickAsync();
        await Assertions.Expect(page.Locator(".badge").First).ToHaveTextAsync(new Regex("^დასრულებული"));
        Assert.Matches(@"\d{4} წლის \d{1,2} (იანვარი|თებერვალი|მარტი|აპრილი|მაისი|ივნისი|ივლისი|აგვისტო|სექტემბერი|ოქტომბერი|ნოემბერი|დეკემბერი)", await page.Locator("ol.timeline").InnerTextAsync());
        await Portal.AssertAccessible(page);

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator(".badge").First).ToHaveTextAsync(new Regex("^დასრულებული"));
        await page.GetByRole(AriaRole.Button, new() { Name = "English" }).ClickAsync();
        await Assertions.Expect(page.Locator(".badge").First).ToHaveTextAsync(new Regex("^Completed"));
        Assert.Equal("en", await page.Locator("html").GetAttributeAsync("lang"));
        await page.Context.CloseAsync();
    }
}
