using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Safehold.Web.Jobs;
using Safehold.Web.Payments;

namespace Safehold.Browser.Tests;

/// <summary>
/// The admin's payment instructions queue and reconciliation in a real Chromium, at a phone's and a desktop's width in
/// English and Georgian: the demo's refunds made to fail at the sandbox until they wait for a hand, one tried again and
/// one settled by hand from the queue, and the period reconciled with no mismatch.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class PaymentAdminTests(Portal portal)
{
    private static readonly (int Width, string Culture)[] Sizes = [(1366, "en"), (390, "en"), (390, "ka-GE"), (1366, "ka-GE")];

    private Task SignIn(IPage page) => portal.ResumeSession(page, "admin@demo.test", "demo-admin");

    private static string Suffix(int width, string culture) => (culture == "en" ? "" : "-ka") + (width < 600 ? "-phone" : "");

    /// <summary>Every refund waiting to be sent fails each of its attempts at the sandbox, until it waits in the admin's queue.</summary>
    private async Task FailTheDemosRefunds()
    {
        var sandbox = portal.App.Services.GetRequiredService<SandboxPaymentProvider>();
        var worker = portal.App.Services.GetRequiredService<InstructionWorker>();
        sandbox.FailNext("refund", 1000);
        for (var attempt = 0; attempt < 6; attempt++)
        {
            await worker.RunDueAsync(CancellationToken.None);
            portal.App.Clock.Advance(TimeSpan.FromMinutes(16));
        }
        sandbox.FailNext("refund", 0);
    }

    [Fact]
    public async Task The_admin_retries_one_failed_refund_settles_another_by_hand_and_reconciles_the_period_with_no_mismatch()
    {
        await FailTheDemosRefunds();
        foreach (var (width, culture) in Sizes)
        {
            var page = await portal.NewPage(width, culture);
            await SignIn(page);
            await Portal.Visit(page, "/admin/payment-instructions");
            var failed = page.Locator("main tbody tr").Filter(new() { Has = page.Locator("form[data-action=retry]") });
            Assert.True(await failed.CountAsync() >= 2, $"failed refunds in the queue at {width} px ({culture}): {await failed.CountAsync()}");
            await Assertions.Expect(page.Locator("main")).ToContainTextAsync(culture == "en" ? "the sandbox was told to fail it" : "სატესტო პროვაიდერს ჩაშლა დაევალა");
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"the queue scrolls sideways at {width} px ({culture})");
            await Portal.Screenshot(page, "admin-payment-instructions" + Suffix(width, culture));
            await Portal.AssertAccessible(page);
            await page.Context.CloseAsync();
        }

        var admin = await portal.NewPage(1366, "en");
        await SignIn(admin);
        await admin.GotoAsync("/admin/payment-instructions");
        var first = admin.Locator("main tbody tr").Filter(new() { Has = admin.Locator("form[data-action=retry]") }).First;
        await first.GetByRole(AriaRole.Button, new() { Name = "Try again" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Status).Filter(new() { HasText = "tried again" })).ToBeVisibleAsync();
        await portal.App.Services.GetRequiredService<InstructionWorker>().RunDueAsync(CancellationToken.None);

        var next = admin.Locator("main tbody tr").Filter(new() { Has = admin.Locator("form[data-action=resolve]") }).First;
        await next.GetByLabel("How it was settled (kept with the instruction)").FillAsync("Refunded by bank transfer, ticket 42");
        await next.GetByRole(AriaRole.Button, new() { Name = "Mark settled by hand" }).ClickAsync();
        await Assertions.Expect(admin.Locator(".confirm")).ToContainTextAsync("This cannot be undone.");
        await Portal.Screenshot(admin, "admin-payment-instructions-confirm");
        await Portal.AssertAccessible(admin);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Yes, mark it settled" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Status).Filter(new() { HasText = "settled by hand" })).ToBeVisibleAsync();
        await admin.GotoAsync("/admin/payment-instructions?status=succeeded");
        await Assertions.Expect(admin.Locator("main")).ToContainTextAsync("Settled by hand: Refunded by bank transfer, ticket 42");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Ledger check" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Status)).ToHaveTextAsync("Every invariant holds.");
        await admin.Context.CloseAsync();

        foreach (var (width, culture) in Sizes)
        {
            var page = await portal.NewPage(width, culture);
            await SignIn(page);
            await Portal.Visit(page, "/admin/reconciliation");
            await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToHaveTextAsync(culture == "en"
                ? "Everything agrees: no mismatch in this period." : "ყველაფერი ემთხვევა: ამ პერიოდში შეუსაბამობა არ არის.");
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"reconciliation scrolls sideways at {width} px ({culture})");
            await Portal.Screenshot(page, "admin-reconciliation" + Suffix(width, culture));
            await Portal.AssertAccessible(page);
            if (width > 600 && culture == "en")
            {
                var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download the period's journal (CSV)" }).ClickAsync());
                var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
                Assert.StartsWith("entry_id,at,kind,account,debit,credit,currency,order_id\r\n", csv, StringComparison.Ordinal);
            }
            await page.Context.CloseAsync();
        }
    }
}
