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

    [Fact]
    public async Task A_signed_in_readers_language_and_time_zone_are_kept_on_them_and_follow_them_to_another_browser_and_their_inbox()
    {
        const string seller = "seller@demo.test", password = "demo-seller";
        var first = await portal.SignedIn(seller, password, phone: true);
        await first.GetByRole(AriaRole.Button, new() { Name = "ქართული" }).ClickAsync();
        await Assertions.Expect(first.Locator("html")).ToHaveAttributeAsync("lang", "ka");
        await first.Locator("#zone-choice").SelectOptionAsync("Asia/Tbilisi");
        await first.Locator("form.zone button").ClickAsync();
        await Assertions.Expect(first.Locator("#zone-choice")).ToHaveValueAsync("Asia/Tbilisi");
        await first.Context.CloseAsync();

        // Another browser with no cookie of its own (its languages say English): once signed in, the seller's choice.
        var second = await portal.SignedIn(seller, password, phone: true);
        await second.GotoAsync("/inbox");
        await Assertions.Expect(second.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("შეტყობინებები");
        Assert.Equal("ka", await second.Locator("html").GetAttributeAsync("lang"));
        await Assertions.Expect(second.Locator("#zone-choice")).ToHaveValueAsync("Asia/Tbilisi");
        // The demo's dispute notices, written in Georgian when read, money as Georgian writes it, times at UTC+4.
        var inbox = await second.Locator("main").InnerTextAsync();
        Assert.Contains("გაიხსნა დავა: „", inbox, StringComparison.Ordinal);
        Assert.Contains("10,00 USD", inbox.Replace('\u00A0', ' '), StringComparison.Ordinal);
        Assert.Contains("UTC+4", inbox, StringComparison.Ordinal);
        Assert.DoesNotContain("partial_refund", inbox, StringComparison.Ordinal);
        await Portal.AssertAccessible(second);
        await Portal.Screenshot(second, "inbox-ka-tbilisi-phone");

        // Back to English and UTC, as the other tests of the shared demo expect the seller to read.
        await second.GetByRole(AriaRole.Button, new() { Name = "English" }).ClickAsync();
        await Assertions.Expect(second.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Inbox");
        await second.Locator("#zone-choice").SelectOptionAsync("UTC");
        await second.Locator("form.zone button").ClickAsync();
        await Assertions.Expect(second.Locator("#zone-choice")).ToHaveValueAsync("UTC");
        Assert.Contains("A dispute was opened on \"", await second.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        await second.Context.CloseAsync();
    }
}
