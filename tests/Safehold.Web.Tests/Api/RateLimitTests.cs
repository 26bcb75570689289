using System.Net;
using Safehold.Web.Tests.Features.Portal;

namespace Safehold.Web.Tests.Http;

/// <summary>
/// ASP.NET Core's rate limiter with low budgets (a minute's budget at once, refilled over the minute): a caller's, wrong
/// keys' and sign-ins' per address and per email. Each over-budget answer is 429 <c>rate_limited</c> with <c>Retry-After</c>.
/// </summary>
public sealed class RateLimitTests(RateLimitTests.App app) : IClassFixture<RateLimitTests.App>
{
    public sealed class App : IDisposable
    {
        public SafeholdApp Host { get; } = new()
        {
            Settings =
            {
                ["Safehold:RateLimits:PerCallerPerMinute"] = "5",
                ["Safehold:RateLimits:WrongKeysPerAddressPerMinute"] = "3",
                ["Safehold:RateLimits:SignInsPerEmailPerMinute"] = "2",
            },
        };

        public void Dispose() => Host.Dispose();
    }

    private SafeholdApp Host => app.Host;

    private static async Task ExpectRateLimited(HttpResponseMessage response)
    {
        await Api.ExpectProblem(response, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.InRange(response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 60);
    }

    [Fact]
    public async Task A_caller_past_its_budget_gets_429_with_Retry_After_and_others_go_on()
    {
        // The admin spends from its own budget making the users: each test here makes one.
        var buyer = await Host.NewUser("buyer");
        // A burst, all at once (sent one by one, a slow machine would refill the budget as they go).
        var answers = await Task.WhenAll(Enumerable.Range(0, 15).Select(_ => buyer.Http.GetAsync("/api/v1/orders")));
        Assert.InRange(answers.Count(a => a.StatusCode == HttpStatusCode.OK), 5, 7); // the budget, and what refills meanwhile
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a => Assert.Equal(HttpStatusCode.TooManyRequests, a.StatusCode));
        await ExpectRateLimited(answers.First(a => a.StatusCode == HttpStatusCode.TooManyRequests));

        var seller = await Host.NewUser("seller");
        Assert.Equal(HttpStatusCode.OK, (await seller.Http.GetAsync("/api/v1/orders")).StatusCode);
    }

    [Fact]
    public async Task Wrong_keys_from_one_address_are_slowed_and_a_valid_key_is_not()
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Host.As($"sh_not-a-key-of-anyone-{i}").GetAsync("/api/v1/orders")));
        Assert.InRange(answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized), 3, 5);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Unauthorized), a => Assert.Equal(HttpStatusCode.TooManyRequests, a.StatusCode));
        await ExpectRateLimited(answers.First(a => a.StatusCode == HttpStatusCode.TooManyRequests));

        var buyer = await Host.NewUser("buyer");
        Assert.Equal(HttpStatusCode.OK, (await buyer.Http.GetAsync("/api/v1/orders")).StatusCode);
    }

    [Fact]
    public async Task Sign_in_attempts_for_one_email_are_slowed_even_with_the_right_password()
    {
        var buyer = await Host.NewUser("buyer", "buyer-password");
        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.BadRequest, (await new PortalClient(Host).Post("/signin", new() { ["Email"] = buyer.Email, ["Password"] = "wrong-password" })).StatusCode);

        var refused = await new PortalClient(Host).Post("/signin", new() { ["Email"] = buyer.Email.ToUpperInvariant(), ["Password"] = "buyer-password" });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Contains("Too many attempts", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Another account from the same address is not held up by this one.
        var other = await Host.NewUser("buyer", "other-password");
        Assert.Equal(HttpStatusCode.Redirect, (await new PortalClient(Host).Post("/signin", new() { ["Email"] = other.Email, ["Password"] = "other-password" })).StatusCode);
    }
}

/// <summary>A budget per address, whoever the callers are, and one for sign-ins from it.</summary>
public sealed class AddressRateLimitTests : IDisposable
{
    private readonly SafeholdApp _app = new()
    {
        Settings =
        {
            ["Safehold:RateLimits:PerAddressPerMinute"] = "12",
            ["Safehold:RateLimits:SignInsPerAddressPerMinute"] = "2",
        },
    };

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task One_address_past_its_budget_gets_429_whichever_key_it_sends()
    {
        var buyer = await _app.NewUser("buyer"); // 1 request
        var seller = await _app.NewUser("seller"); // 2
        // A burst, all at once: the address's budget is spent whichever of them sends.
        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => (i % 2 == 0 ? buyer : seller).Http.GetAsync("/api/v1/orders")));
        Assert.InRange(answers.Count(a => a.StatusCode == HttpStatusCode.OK), 1, 15); // 10 left of 12, and what refills meanwhile
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a => Assert.Equal(HttpStatusCode.TooManyRequests, a.StatusCode));
        await Api.ExpectProblem(answers.First(a => a.StatusCode == HttpStatusCode.TooManyRequests), HttpStatusCode.TooManyRequests, "rate_limited");
        // The orchestrator's probe is never limited.
        Assert.Equal(HttpStatusCode.OK, (await _app.As(null).GetAsync("/health/live")).StatusCode);
    }
}

/// <summary>Sign-ins per address: guessing many accounts' passwords from one place.</summary>
public sealed class SignInAddressRateLimitTests : IDisposable
{
    private readonly SafeholdApp _app = new() { Settings = { ["Safehold:RateLimits:SignInsPerAddressPerMinute"] = "2" } };

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Sign_in_attempts_from_one_address_are_slowed_whatever_the_email()
    {
        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.BadRequest, (await new PortalClient(_app).Post("/signin", new() { ["Email"] = $"nobody{i}@test.example", ["Password"] = "guess" })).StatusCode);
        var refused = await new PortalClient(_app).Post("/signin", new() { ["Email"] = "nobody9@test.example", ["Password"] = "guess" });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await new PortalClient(_app).Http.GetAsync("/signin")).StatusCode); // the form itself is still shown
    }
}
