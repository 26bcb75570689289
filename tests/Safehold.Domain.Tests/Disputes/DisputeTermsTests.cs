using Safehold.Domain.Orders;
using static Safehold.Domain.Tests.Disputes.TestDisputes;
using static Safehold.Domain.Tests.Orders.TestOrders;

namespace Safehold.Domain.Tests.Disputes;

public sealed class DisputeTermsTests
{
    private static Dispute OpenWith(DisputeTerms terms)
    {
        var order = Shipped(Paid(PlaceOne(), T0.AddHours(1)), ShippedAt);
        return order.OpenDispute(Buyer(order), OpenedAt, Guid.NewGuid(), DisputeReason.Damaged, DisputeOutcome.FullRefund, null, "Cracked.", terms);
    }

    [Fact]
    public void A_dispute_falls_due_by_the_durations_of_the_terms_it_opened_with()
    {
        var dispute = OpenWith(new DisputeTerms(SellerResponseDays: 3, SellerReminderDays: 1, NoAgreementDays: 9));

        Assert.Equal(OpenedAt.AddDays(3), dispute.Timers.Single(t => t.Kind == DisputeTimerKind.SellerResponse).DueAt);
        Assert.Equal(OpenedAt.AddDays(2), dispute.Timers.Single(t => t.Kind == DisputeTimerKind.SellerResponseReminder).DueAt);
        Assert.Equal(OpenedAt.AddDays(9), dispute.Timers.Single(t => t.Kind == DisputeTimerKind.NoAgreement).DueAt);
    }

    [Fact]
    public void The_decision_target_and_the_appeal_window_come_from_the_terms()
    {
        var dispute = OpenWith(new DisputeTerms(DecisionTargetDays: 2, AppealDays: 4));
        dispute.Reject(SellerOf(dispute), OpenedAt.AddDays(1), "No.");
        dispute.Escalate(BuyerOf(dispute), OpenedAt.AddDays(2));
        Assert.Equal(OpenedAt.AddDays(4), dispute.DecisionDueAt);

        dispute.Decide(DisputeActor.Arbiter(ArbiterA), OpenedAt.AddDays(3), DisputeOutcome.ReleasedToSeller, null, "As described.");

        Assert.Equal(OpenedAt.AddDays(7), dispute.PendingDeadlines()["appealBy"]);
        Assert.Equal("appeal_window_closed",
            Assert.Throws<DomainException>(() => dispute.Appeal(BuyerOf(dispute), OpenedAt.AddDays(7), "Late.")).Code);
    }

    [Fact]
    public void A_dispute_keeps_its_terms_when_the_policy_changes_later()
    {
        var before = OpenWith(new Domain.Policy.ProtectionPolicy().Disputes);
        var after = OpenWith(new Domain.Policy.ProtectionPolicy { Disputes = new DisputeTerms(SellerResponseDays: 2, SellerReminderDays: 1) }.Disputes);

        Assert.Equal(new DisputeTerms(), before.Terms);
        Assert.Equal(OpenedAt.AddDays(5), before.PendingDeadlines()["sellerResponseBy"]);
        Assert.Equal(OpenedAt.AddDays(2), after.PendingDeadlines()["sellerResponseBy"]);
    }

    [Theory]
    [InlineData(0, 1, "SellerResponseDays")]
    [InlineData(5, 5, "SellerReminderDays")]
    [InlineData(5, -1, "SellerReminderDays")]
    public void Terms_that_would_break_a_rule_later_are_named(int responseDays, int reminderDays, string problem)
    {
        var terms = new DisputeTerms(SellerResponseDays: responseDays, SellerReminderDays: reminderDays);

        Assert.Contains(terms.Problems(), p => p.StartsWith(problem, StringComparison.Ordinal));
        Assert.Empty(new DisputeTerms().Problems());
    }
}
