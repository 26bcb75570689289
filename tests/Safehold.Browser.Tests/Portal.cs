using System.Collections.Concurrent;
using System.Text.Json;
using Deque.AxeCore.Commons;
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
        var started = Task.Run(() => App.BaseAddress); // the app starts while the browser does
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        // Each new context opens a browser window, which starts renderers for its address bar's popup, pages of the browser's
        // own that headless never shows: they cost more than the context's page. Chromium reads one --disable-features (the
        // last), so the popup's features join Playwright's own list, which only a launched browser tells (a short first launch).
        var probe = await Launch([.. ChromiumArgs, "--enable-automation"], ignore: []);
        var commandLine = await (await probe.NewBrowserCDPSessionAsync()).SendAsync("Browser.getBrowserCommandLine");
        var playwrights = commandLine!.Value.GetProperty("arguments").EnumerateArray().Select(a => a.GetString()!)
            .LastOrDefault(a => a.StartsWith(DisableFeatures, StringComparison.Ordinal));
        await probe.CloseAsync();
        string[] disabled = [.. playwrights?[DisableFeatures.Length..].Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [], .. OmniboxPopup];
        Browser = await Launch([.. ChromiumArgs, DisableFeatures + string.Join(',', disabled)], ignore: playwrights is null ? [] : [playwrights]);
        BaseAddress = await started;
    }

    private const string DisableFeatures = "--disable-features=";

    private static readonly string[] OmniboxPopup = ["WebUIOmniboxPopup", "WebUIOmniboxFullPopup", "WebUIOmniboxAimPopup"];

    private Task<IBrowser> Launch(IEnumerable<string> args, IEnumerable<string> ignore) => Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = ChromiumPath,
        Headless = true,
        Args = args,
        IgnoreDefaultArgs = ignore,
    });

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

    /// <summary>A page signed in as one of the demo logins, through the sign-in form, on the page the form leads to.</summary>
    public async Task<IPage> SignedIn(string email, string password, bool phone = false)
    {
        var page = await NewPage(phone);
        await SignIn(page, email, password);
        return page;
    }

    private readonly ConcurrentDictionary<string, Task<Cookie[]>> _sessions = new(StringComparer.Ordinal);

    /// <summary>
    /// A fresh browser context signed in as one of the demo logins by <see cref="ResumeSession"/>, on no page yet: for a
    /// test whose subject is not the sign-in nor the page it leads to (those use <see cref="SignedIn"/>).
    /// </summary>
    public async Task<IPage> InSession(string email, string password, bool phone = false)
    {
        var page = await NewPage(phone);
        await ResumeSession(page, email, password);
        return page;
    }

    /// <summary>
    /// Signs the page's context in as one of the demo logins with the session cookie of a real sign-in through the form,
    /// made once per login for this app: the server checks that cookie on every request as it checks any browser's, and a
    /// test no longer pays a sign-in page, a password hash and a landing page each time it needs a signed-in reader.
    /// </summary>
    public async Task ResumeSession(IPage page, string email, string password)
    {
        var session = await _sessions.GetOrAdd(email, _ => SignInOnce(email, password));
        await page.Context.AddCookiesAsync(session);
    }

    private async Task<Cookie[]> SignInOnce(string email, string password)
    {
        var page = await NewPage();
        try
        {
            await SignIn(page, email, password);
            // The sign-in cookie only (split in chunks if it grew large): not the antiforgery or language cookies of this context.
            var cookies = await page.Context.CookiesAsync();
            var session = cookies.Where(c => c.Name.StartsWith("safehold.auth", StringComparison.Ordinal))
                .Select(c => new Cookie { Name = c.Name, Value = c.Value, Url = BaseAddress.ToString(), HttpOnly = c.HttpOnly, SameSite = c.SameSite })
                .ToArray();
            Assert.True(session.Length > 0, $"Signing in as {email} set no sign-in cookie.");
            return session;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
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

    /// <summary>axe-core as Deque's package ships it (the same version as its <c>RunAxe</c>).</summary>
    private static readonly Lazy<string> AxeSource = new(() => new BundledAxeScriptProvider().GetScript());

    /// <summary>Runs axe-core on the page and fails on any serious or critical violation, listing each.</summary>
    /// <remarks>
    /// axe's own <c>axe.run</c> in each frame of the page, with its default options (every rule, frames included), as Deque's
    /// legacy mode runs it. Deque's <c>RunAxe</c> runs the same rules in two halves and finishes them in a new browser context
    /// of its own, which keeps cross-origin frames apart (the portal has none): about 3 s a page on a small machine, against
    /// under 1 s here, and the same violations.
    /// </remarks>
    public static async Task AssertAccessible(IPage page)
    {
        foreach (var frame in page.Frames)
        {
            // Compiled by the browser's debugger, not by eval in the page, so a Content-Security-Policy cannot refuse it.
            await frame.EvaluateAsync($"() => {{ if (window.axe) return; {AxeSource.Value}\n}}");
        }
        var violations = await page.EvaluateAsync<JsonElement>("() => axe.run(document).then(result => result.violations)");
        var bad = violations.EnumerateArray()
            .Where(v => v.GetProperty("impact").ValueKind == JsonValueKind.String && v.GetProperty("impact").GetString() is "serious" or "critical")
            .ToList();
        Assert.True(bad.Count == 0, $"{page.Url}: " + string.Join("\n", bad.Select(Describe)));
    }

    private static string Describe(JsonElement v) =>
        $"{v.GetProperty("impact").GetString()} {v.GetProperty("id").GetString()}: {v.GetProperty("help").GetString()} at "
        + string.Join(", ", v.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("target").ToString()));

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
