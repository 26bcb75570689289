using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Safehold.Browser.Tests;

/// <summary>The admin's pages: users and keys, the ledger check, payouts, the policy, and the sandbox clock in the banner.</summary>
[Collection(PortalCollection.Name)]
public sealed class AdminTests(Portal portal)
{
    [Fact]
    public async Task The_admin_creates_a_user_sees_the_key_once_checks_the_ledger_runs_payouts_and_advances_the_sandbox_clock()
    {
        var admin = await portal.SignedIn("admin@demo.test", "demo-admin");
        Assert.EndsWith("/admin/users", admin.Url, StringComparison.Ordinal);
        var email = $"new-seller-{Guid.NewGuid():N}@test.example";
        await admin.GetByLabel("Email").FillAsync(email);
        await admin.GetByLabel("Display name").FillAsync("New Seller");
        await admin.GetByLabel("Role").SelectOptionAsync(new SelectOptionValue { Label = "Seller" });
        await admin.GetByLabel("Portal password (optional)").FillAsync("new-seller-password");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create the user" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Status).Filter(new() { HasText = "shown this once" })).ToContainTextAsync("sh_");
        await Assertions.Expect(admin.GetByRole(AriaRole.Row).Filter(new() { HasText = email })).ToBeVisibleAsync();
        await admin.ReloadAsync();
        await Assertions.Expect(admin.GetByText("shown this once")).ToHaveCountAsync(0);

        await admin.GetByRole(AriaRole.Link, new() { Name = "Ledger check" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Status)).ToHaveTextAsync("Every invariant holds.");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Policy" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Row).Filter(new() { HasText = "Commission" }).First).ToContainTextAsync("5 %");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Payouts" }).ClickAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Run payouts now" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Status).Filter(new() { HasText = "payouts" }).Or(
            admin.GetByRole(AriaRole.Status).Filter(new() { HasText = "No seller had enough" }))).ToBeVisibleAsync();

        var before = portal.App.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        await admin.GetByLabel("Advance by days").First.FillAsync("1");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Advance the clock" }).First.ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Status).Filter(new() { HasText = "sandbox clock moved forward" })).ToBeVisibleAsync();
        Assert.Equal(before.AddDays(1), portal.App.Services.GetRequiredService<TimeProvider>().GetUtcNow());
        Assert.EndsWith("/admin/payouts", admin.Url, StringComparison.Ordinal); // back where the banner's form was used
        await admin.Context.CloseAsync();
    }
}
