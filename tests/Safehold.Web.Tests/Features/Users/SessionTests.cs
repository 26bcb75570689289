using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Safehold.Web.Features.Users;
using Safehold.Web.Tests.Features.Portal;

namespace Safehold.Web.Tests.Features.Users;

/// <summary>The portal's session lives on the server too: a cookie kept after sign-out opens nothing.</summary>
public sealed class SessionTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task A_sign_in_cookie_kept_from_before_sign_out_no_longer_opens_a_page()
    {
        var buyer = await app.NewUser("buyer", "buyer-password");
        var portal = new PortalClient(app);
        var signIn = await portal.Post("/signin", new() { ["Email"] = buyer.Email, ["Password"] = "buyer-password" });
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("safehold.auth=", StringComparison.Ordinal)).Split(';')[0];

        Assert.Equal(HttpStatusCode.Redirect, (await portal.Post("/signout", [], formPage: "/orders")).StatusCode);

        var replayed = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        replayed.DefaultRequestHeaders.Add("Cookie", cookie);
        var page = await replayed.GetAsync("/orders");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/signin", page.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public void Setting_a_new_password_ends_every_session_signed_in_with_the_old_one()
    {
        var user = new User(Guid.CreateVersion7(), "changes@example.com", "Changes", UserRole.Buyer, DateTimeOffset.UnixEpoch);
        user.SetPasswordHash("first");
        var signedIn = user.SessionStamp;

        user.SetPasswordHash("second");

        Assert.NotEqual(signedIn, user.SessionStamp);
    }
}

/// <summary>Sign-in takes as long for an email nobody has as for a wrong password: the password is always hashed.</summary>
public sealed class SignInTests : IDisposable
{
    private readonly CountingHasher _hasher = new();
    private readonly SafeholdApp _app;

    public SignInTests() => _app = new SafeholdApp { TestServices = s => s.AddSingleton<IPasswordHasher<User>>(_hasher) };

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task An_unknown_email_and_a_user_without_a_password_are_hashed_like_a_wrong_password()
    {
        var noPassword = await _app.NewUser("buyer");
        var withPassword = await _app.NewUser("buyer", "buyer-password");
        foreach (var email in new[] { "nobody@test.example", noPassword.Email, withPassword.Email })
        {
            var before = _hasher.Verified;
            var response = await new PortalClient(_app).Post("/signin", new() { ["Email"] = email, ["Password"] = "not-the-password" });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(before + 1, _hasher.Verified);
        }
    }

    private sealed class CountingHasher : IPasswordHasher<User>
    {
        private readonly PasswordHasher<User> _inner = new();
        private int _verified;

        public int Verified => Volatile.Read(ref _verified);

        public string HashPassword(User user, string password) => _inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(User user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref _verified);
            return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }
}
