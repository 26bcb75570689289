using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Safehold.Browser.Tests;

/// <summary>
/// One app and one headless Chromium for the portal's tests. The browser is Debian's <c>chromium</c> (or the one in
/// <c>SAFEHOLD_CHROMIUM</c>): Playwright only drives it and never downloads a browser. Without it the tests fail,
/// saying how to install it; they never skip.
/// </summary>
public sealed class Portal : IAsyncLifetime
{
    public static readonly string ChromiumPath = Environment.GetEnvironmentVariable("SAFEHOLD_CHROMIUM") is { Length: > 0 } path
        ? path
        : "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    public PortalApp App { get; } = new();
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"No Chromium at {ChromiumPath}: run 'apt-get install -y chromium' (as .ci/run does) or set SAFEHOLD_CHROMIUM.");
        BaseAddress = App.BaseAddress;
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await App.DisposeAsync();
    }

    /// <summary>A fresh browser context (its own cookies) at a phone's or a desktop's width.</summary>
    public async Task<IPage> NewPage(bool phone = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1280, Height = 900 },
            Locale = "en-US",
        });
        // Generous: the machine may be shared and busy; a wait ends as soon as its condition holds.
        context.SetDefaultTimeout(30_000);
        Assertions.SetDefaultExpectTimeout(15_000);
        return await context.NewPageAsync();
    }

    /// <summary>A fresh browser context <paramref name="width"/> px wide, its pages in <paramref name="culture"/> (the language switch's cookie).</summary>
    public async Task<IPage> NewPage(int width, string culture)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = width < 600 ? 844 : 900 },
            Locale = "en-US",
        });
        await context.AddCookiesAsync([new Cookie { Name = ".AspNetCore.Culture", Value = Uri.EscapeDataString($"c={culture}|uic={culture}"), Url = BaseAddress.ToString() }]);
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>A page signed in as one of the demo logins.</summary>
    public async Task<IPage> SignedIn(string email, string password, bool phone = false)
    {
        var page = await NewPage(phone);
        await SignIn(page, email, password);
        return page;
    }

    public static async Task SignIn(IPage page, string email, string password)
    {
        await page.GotoAsync("/signin");
        // By the fields' ids, not their labels: the page may be in any language.
        await page.Locator("#Email").FillAsync(email);
        await page.Locator("#Password").FillAsync(password);
        await page.Locator("main button[type=submit]").ClickAsync();
        await WaitForPage(page, url => !url.Contains("/signin", StringComparison.Ordinal));
    }

    /// <summary>Waits for the page a form leads to; if the form came back instead, fails with what the page said and why.</summary>
    public static async Task WaitForPage(IPage page, Func<string, bool> expected)
    {
        try
        {
            // Commit, not load: a redirect's page can finish loading before the wait begins, and then no load event comes.
            // What the test reads next is waited for by its own assertion.
            await page.WaitForURLAsync(expected, new() { WaitUntil = WaitUntilState.Commit });
        }
        catch (TimeoutException) when (expected(page.Url))
        {
            // The page got there, but the commit happened before the wait began and its event was missed (seen once in a
            // clean-clone CI run): the page is where the form leads.
        }
        catch (TimeoutException)
        {
            var said = await page.Locator("[role=alert], .field-error, .field-validation-error, h1").AllInnerTextsAsync();
            throw new InvalidOperationException($"The form stayed at {page.Url}, saying: {string.Join(" | ", said)}");
        }
    }

    /// <summary>Goes to <paramref name="path"/> and fails unless it answered <paramref name="status"/> (a broken route answers 404).</summary>
    public static async Task Visit(IPage page, string path, int status = 200)
    {
        var response = await page.GotoAsync(path);
        Assert.True(response?.Status == status, $"{path} answered {response?.Status}, not {status}");
    }

    /// <summary>Runs axe-core on the page and fails on any serious or critical violation, listing each.</summary>
    public static async Task AssertAccessible(IPage page)
    {
        var result = await page.RunAxe();
        var bad = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(bad.Count == 0, $"{page.Url}: " + string.Join("\n", bad.Select(Describe)));
    }

    private static string Describe(AxeResultItem v) =>
        $"{v.Impact} {v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}";

    /// <summary>Saves a full-page screenshot when <c>SAFEHOLD_SCREENSHOTS</c> names a folder (docs/screenshots for the README).</summary>
    public static async Task Screenshot(IPage page, string name)
    {
        var folder = Environment.GetEnvironmentVariable("SAFEHOLD_SCREENSHOTS");
        if (string.IsNullOrEmpty(folder)) return;
        Directory.CreateDirectory(folder);
        // A full page shows what lies below the fold too: lazy images are loaded first.
        await page.EvaluateAsync("""
            () => Promise.all([...document.images].map(i => { i.loading = 'eager'; return i.complete ? null : new Promise(r => { i.onload = r; i.onerror = r; }); }))
            """);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }
}

[CollectionDefinition(Name)]
public sealed class PortalCollection : ICollectionFixture<Portal>
{
    public const string Name = "Portal";
}
