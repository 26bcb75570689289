using Microsoft.Playwright;

namespace Safehold.Browser.Tests;

/// <summary>axe-core finds no serious or critical violation on any page, for any role, at a desktop's and a phone's width.</summary>
[Collection(PortalCollection.Name)]
public sealed class AccessibilityTests(Portal portal)
{
    public static TheoryData<string, string, string> Pages => new()
    {
        { "", "", "/" },
        { "", "", "/signin" },
        { "", "", "/no-such-page" },
        { "buyer@demo.test", "demo-buyer", "/orders" },
        { "buyer@demo.test", "demo-buyer", "/orders?tab=to_pay" },
        { "buyer@demo.test", "demo-buyer", "/inbox" },
        { "buyer@demo.test", "demo-buyer", "/denied" },
        { "seller@demo.test", "demo-seller", "/seller/to-ship" },
        { "seller@demo.test", "demo-seller", "/seller/extensions" },
        { "seller@demo.test", "demo-seller", "/seller/balance" },
        { "seller@demo.test", "demo-seller", "/seller/products" },
        { "seller@demo.test", "demo-seller", "/orders" },
        { "buyer@demo.test", "demo-buyer", "/disputes" },
        { "buyer@demo.test", "demo-buyer", "/orders?tab=disputes" },
        { "seller@demo.test", "demo-seller", "/disputes" },
        { "arbiter@demo.test", "demo-arbiter", "/arbiter" },
        { "arbiter@demo.test", "demo-arbiter", "/arbiter/appeals" },
        { "arbiter@demo.test", "demo-arbiter", "/inbox" },
        { "admin@demo.test", "demo-admin", "/disputes" },
        { "admin@demo.test", "demo-admin", "/admin/users" },
        { "admin@demo.test", "demo-admin", "/admin/ledger" },
        { "admin@demo.test", "demo-admin", "/admin/policy" },
        { "admin@demo.test", "demo-admin", "/admin/payouts" },
        { "admin@demo.test", "demo-admin", "/admin/payment-instructions" },
        { "admin@demo.test", "demo-admin", "/admin/reconciliation" },
        { "admin@demo.test", "demo-admin", "/sandbox/clock" },
        { "admin@demo.test", "demo-admin", "/orders" },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Every_page_has_no_serious_or_critical_accessibility_violation(string email, string password, string path)
    {
        foreach (var phone in new[] { false, true })
        {
            var page = email.Length == 0 ? await portal.NewPage(phone) : await portal.InSession(email, password, phone);
            // A broken route renders the 404 page, which is accessible too: the page must be the one named.
            await Portal.Visit(page, path, path switch { "/no-such-page" => 404, "/denied" => 403, _ => 200 });
            await Portal.AssertAccessible(page);
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Each_order_page_the_demo_buyer_and_seller_see_is_accessible_in_both_languages()
    {
        foreach (var (email, password) in new[] { ("buyer@demo.test", "demo-buyer"), ("seller2@demo.test", "demo-seller2") })
        {
            var page = await portal.InSession(email, password);
            foreach (var language in new[] { "English", "ქართული" })
            {
                await page.GotoAsync("/orders");
                await page.GetByRole(AriaRole.Button, new() { Name = language }).ClickAsync();
                var links = await page.Locator("a[href^='/orders/']").EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))");
                Assert.NotEmpty(links);
                foreach (var href in links.Distinct().Take(8))
                {
                    await Portal.Visit(page, href);
                    await Portal.AssertAccessible(page);
                }
            }
            await page.GetByRole(AriaRole.Button, new() { Name = "English" }).ClickAsync();
            await page.Context.CloseAsync();
        }
    }
}
