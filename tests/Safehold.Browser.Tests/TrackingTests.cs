using Microsoft.Playwright;

namespace Safehold.Browser.Tests;

/// <summary>
/// The carrier's scans on the order page, on the demo's pendant (delivered by its carrier's feed): a timeline by when each
/// scan happened, at a phone's and a desktop's width in English and Georgian, with nothing scrolling sideways.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class TrackingTests(Portal portal)
{
    [Fact]
    public async Task The_buyer_reads_the_carriers_scans_of_a_delivered_order_as_a_timeline()
    {
        foreach (var (width, culture) in new[] { (1366, "en"), (390, "ka-GE") })
        {
            var page = await portal.NewPage(width, culture);
            await portal.ResumeSession(page, "buyer@demo.test", "demo-buyer");
            await page.GotoAsync("/orders?tab=shipped");
            var href = await page.Locator("main tr").Filter(new() { HasText = "Minankari enamel pendant" }).Locator("a[href^='/orders/']").First
                .GetAttributeAsync("href");
            await page.GotoAsync(href!);
            var scans = page.Locator("main ol.tracking-scans li");
            await Assertions.Expect(scans).ToHaveCountAsync(2);
            await Assertions.Expect(scans.Nth(1)).ToContainTextAsync(culture == "en" ? "Signed by N. Beridze" : "ხელი მოაწერა: N. Beridze");
            await Assertions.Expect(page.Locator("main")).ToContainTextAsync(culture == "en" ? "Carrier's scans" : "კურიერის სკანირებები");
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"the order scrolls sideways at {width} px");
            await Portal.Screenshot(page, "order-tracking" + (culture == "en" ? "" : "-ka") + (width < 600 ? "-phone" : ""));
            await page.Context.CloseAsync();
        }
    }
}
