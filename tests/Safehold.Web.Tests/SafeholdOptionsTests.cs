using Safehold.Web.Jobs;

namespace Safehold.Web.Tests;

public sealed class SafeholdOptionsTests
{
    [Fact]
    public void The_default_policy_is_the_specs()
    {
        var policy = new PolicyOptions().ToPolicy();
        Assert.Equal(TimeSpan.FromHours(24), policy.PayWithin);
        Assert.Equal((7, 40, 15, 15, 500), (policy.DefaultHandlingDays, policy.DefaultProtectionDays, policy.AutoCompleteDaysAfterDelivery,
            policy.PostCompletionDisputeDays, policy.CommissionBasisPoints));
        Assert.Equal((30, 2, 3, 3, 1), (policy.MaxExtensionDays, policy.MaxExtensions, policy.ExtensionResponseDays,
            policy.BuyerReminderDaysBeforeProtectionEnds, policy.SellerReminderDaysBeforeShipBy));
    }

    [Fact]
    public void A_policy_that_would_break_a_rule_later_is_refused_at_start()
    {
        var tooMuch = new PolicyOptions { CategoryCommissionBasisPoints = { ["electronics"] = 5_000 } };
        var negative = new PolicyOptions { DefaultProtectionDays = 0 };
        Assert.Contains("electronics", Assert.Throws<InvalidOperationException>(tooMuch.ToPolicy).Message);
        Assert.Contains("DefaultProtectionDays", Assert.Throws<InvalidOperationException>(negative.ToPolicy).Message);
        Assert.Equal(800, new PolicyOptions { CategoryCommissionBasisPoints = { ["electronics"] = 800 } }.ToPolicy().CommissionFor("Electronics"));
    }

    [Fact]
    public void The_payment_rails_default_to_the_sandbox_in_sandbox_mode_and_refuse_what_cannot_run()
    {
        Assert.Equal(PaymentRails.Sandbox, new PaymentOptions().RailsFor(sandbox: true));
        Assert.Equal(PaymentRails.None, new PaymentOptions().RailsFor(sandbox: false));
        Assert.Equal(PaymentRails.External, new PaymentOptions { Provider = "External" }.RailsFor(sandbox: false));
        Assert.Equal(PaymentRails.External, new PaymentOptions { Provider = "external" }.RailsFor(sandbox: true));
        Assert.Contains("sandbox mode", Assert.Throws<InvalidOperationException>(() => new PaymentOptions { Provider = "sandbox" }.RailsFor(false)).Message);
        Assert.Contains("stripe", Assert.Throws<InvalidOperationException>(() => new PaymentOptions { Provider = "stripe" }.RailsFor(true)).Message);
    }
}
