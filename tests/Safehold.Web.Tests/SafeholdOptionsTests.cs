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
}
