using Microsoft.Playwright;

namespace Safehold.Browser.Tests;

/// <summary>
/// Chargebacks in the portal, on the demo's chargeback: the admin's list with each case's evidence pack, the seller's
/// order showing it, and the seller's balance, at a phone's and a desktop's width in English and Georgian.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class ChargebackTests(Portal portal)
{
    [Fact]
    public async Task The_admin_lists_chargebacks_and_downloads_a_cases_evidence_pack_and_the_seller_sees_the_chargeback_on_the_order()
    {
        foreach (var (width, culture) in new[] { (1366, "en"), (390, "en"), (390, "ka-GE"), (1366, "ka-GE") })
        {
            var suffix = (culture == "en" ? "" : "-ka") + (width < 600 ? "-phone" : "");
            var admin = await portal.NewPage(width, culture);
            await portal.ResumeSession(admin, "admin@demo.test", "demo-admin");
            await admin.GotoAsync("/admin/chargebacks");
            var row = admin.Locator("main tbody tr").Filter(new() { HasText = "Mobvoi Ticwatch 2" });
            await Assertions.Expect(row).ToHaveCountAsync(1);
            await Assertions.Expect(row).ToContainTextAsync(culture == "en" ? "The seller" : "გამყიდველი");
            Assert.True(await admin.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"chargebacks scroll sideways at {width} px");
            await Portal.Screenshot(admin, "admin-chargebacks" + suffix);
            if (width > 600 && culture == "en")
            {
                var download = await admin.RunAndWaitForDownloadAsync(() => row.Locator("a[href$='/evidence-pack']").ClickAsync());
                var path = await download.PathAsync();
                Assert.StartsWith("%PDF", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(path!).AsSpan(0, 4)));
            }
            await admin.Context.CloseAsync();

            var seller = await portal.NewPage(width, culture);
            await portal.ResumeSession(seller, "seller@demo.test", "demo-seller");
            await seller.GotoAsync("/seller/balance");
            await Assertions.Expect(seller.Locator("main")).ToContainTextAsync(culture == "en" ? "Chargeback: taken back and held" : "ჩარჯბექი: თანხა ჩამოიჭრა და დაკავებულია");
            var order = await seller.Locator("main tr").Filter(new() { HasText = culture == "en" ? "Chargeback: taken back and held" : "ჩარჯბექი" })
                .Locator("a[href^='/orders/']").First.GetAttributeAsync("href");
            await Portal.Screenshot(seller, "seller-balance-chargeback" + suffix);
            await seller.GotoAsync(order!);
            await Assertions.Expect(seller.Locator("main")).ToContainTextAsync(culture == "en"
                ? "The buyer's bank reversed the payment."
                : "მყიდველის ბანკმა გადახდა უკან დააბრუნა.");
            Assert.True(await seller.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"the order scrolls sideways at {width} px");
            await Portal.Screenshot(seller, "seller-order-chargeback" + suffix);
            await seller.Context.CloseAsync();
        }
    }
}
