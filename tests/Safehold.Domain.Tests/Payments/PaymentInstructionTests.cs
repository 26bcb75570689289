using Safehold.Domain.Ledger;
using Safehold.Domain.Payments;

namespace Safehold.Domain.Tests.Payments;

public sealed class PaymentInstructionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private static readonly Guid OrderId = Guid.NewGuid();
    private static readonly Guid SellerId = Guid.NewGuid();

    private static PaymentInstruction NewRefund() =>
        PaymentInstruction.Refund(OrderId, $"order:{OrderId}:refund", new Money(4_000, Currency.Usd), "ch_1", Now);

    private static Dictionary<string, long> Moves(JournalEntry entry) => entry.Lines.ToDictionary(l => l.Account, l => l.Amount);

    [Fact]
    public void A_new_refund_is_pending_owed_and_due_at_once()
    {
        var refund = NewRefund();

        Assert.Equal(InstructionStatus.Pending, refund.Status);
        Assert.True(refund.IsOwed);
        Assert.True(refund.IsDue(Now));
        Assert.Equal(0, refund.Attempts);
        Assert.Equal(Account.RefundsOwed, refund.Owed);
    }

    [Fact]
    public void A_succeeded_refund_moves_its_money_from_owed_to_refunds_out_once()
    {
        var refund = NewRefund();
        var attempt = refund.Claim(Now, Lease);

        var entry = refund.Succeed("re_1", Now.AddSeconds(1))!;

        Assert.Equal(1, attempt);
        Assert.Equal(InstructionStatus.Succeeded, refund.Status);
        Assert.False(refund.IsOwed);
        Assert.Equal("re_1", refund.ProviderReference);
        Assert.Equal("refund_sent", entry.Kind);
        Assert.Equal(OrderId, entry.OrderId);
        Assert.Equal(new Dictionary<string, long> { ["refunds_owed"] = -4_000, ["refunds_out"] = 4_000 }, Moves(entry));
        Assert.Equal("invalid_state", Assert.Throws<DomainException>(() => refund.Succeed("re_2", Now)).Code);
        Assert.False(refund.IsClaimedBy(attempt));
    }

    [Fact]
    public void A_failed_attempt_waits_a_doubling_back_off_then_the_admins_queue()
    {
        var refund = NewRefund();
        var at = Now;
        var waits = new List<TimeSpan>();
        for (var i = 0; i < PaymentInstruction.MaxAttempts - 1; i++)
        {
            refund.Claim(at, Lease);
            refund.Fail("provider_error", at);
            Assert.Equal(InstructionStatus.Pending, refund.Status);
            waits.Add(refund.NextAttemptAt - at);
            Assert.False(refund.IsDue(refund.NextAttemptAt.AddTicks(-1)));
            at = refund.NextAttemptAt;
        }
        refund.Claim(at, Lease);
        refund.Fail("provider_error", at);

        Assert.Equal([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(8)], waits);
        Assert.Equal(InstructionStatus.Failed, refund.Status);
        Assert.Equal(PaymentInstruction.MaxAttempts, refund.Attempts);
        Assert.False(refund.IsDue(at.AddYears(1)));
        Assert.True(refund.IsOwed);
    }

    [Fact]
    public void A_claim_whose_lease_ran_out_is_claimed_again_and_the_first_claims_answer_is_not_recorded()
    {
        var refund = NewRefund();
        var first = refund.Claim(Now, Lease);

        Assert.False(refund.IsDue(Now.Add(Lease).AddTicks(-1)));
        var second = refund.Claim(Now.Add(Lease), Lease);

        Assert.False(refund.IsClaimedBy(first));
        Assert.True(refund.IsClaimedBy(second));
    }

    [Fact]
    public void An_admin_retries_a_failed_refund_once_more_or_resolves_it_with_a_note()
    {
        var retried = Failed(NewRefund());
        retried.Retry(Now.AddHours(1));
        Assert.Equal(InstructionStatus.Pending, retried.Status);
        Assert.True(retried.IsDue(Now.AddHours(1)));
        retried.Claim(Now.AddHours(1), Lease);
        retried.Fail("provider_error", Now.AddHours(1));
        Assert.Equal(InstructionStatus.Failed, retried.Status); // one more attempt, not a new round of five

        var admin = Guid.NewGuid();
        var entry = retried.Resolve("Refunded by bank transfer, ticket 42", admin, Now.AddHours(2))!;
        Assert.Equal(InstructionStatus.Succeeded, retried.Status);
        Assert.Equal("Refunded by bank transfer, ticket 42", retried.ResolutionNote);
        Assert.Equal(admin, retried.ResolvedBy);
        Assert.Equal(new Dictionary<string, long> { ["refunds_owed"] = -4_000, ["refunds_out"] = 4_000 }, Moves(entry));
        Assert.Throws<DomainException>(() => retried.Resolve("again", admin, Now));
        Assert.Throws<DomainException>(() => retried.Retry(Now));
        Assert.Throws<ArgumentException>(() => Failed(NewRefund()).Resolve(" ", admin, Now));
    }

    [Fact]
    public void Only_a_failed_instruction_is_retried_or_resolved()
    {
        var pending = NewRefund();
        Assert.Equal("invalid_state", Assert.Throws<DomainException>(() => pending.Retry(Now)).Code);
        Assert.Equal("invalid_state", Assert.Throws<DomainException>(() => pending.Resolve("note", Guid.NewGuid(), Now)).Code);
    }

    [Fact]
    public void A_payout_the_provider_returns_after_sending_is_owed_to_the_seller_again()
    {
        var payout = PaymentInstruction.ForPayout(Guid.NewGuid(), SellerId, "payout:1", new Money(9_500, Currency.Usd), Now);
        payout.Claim(Now, Lease);
        var sent = payout.Succeed("po_1", Now)!;

        var returned = payout.ReportFailed("account_closed", Now.AddDays(2))!;

        Assert.Equal(new Dictionary<string, long> { [$"payouts_owed:{SellerId}"] = -9_500, [$"payouts_out:{SellerId}"] = 9_500 }, Moves(sent));
        Assert.Equal(new Dictionary<string, long> { [$"payouts_out:{SellerId}"] = -9_500, [$"payouts_owed:{SellerId}"] = 9_500 }, Moves(returned));
        Assert.Equal(InstructionStatus.Failed, payout.Status);
        Assert.Equal("account_closed", payout.FailureCode);
        Assert.Equal("invalid_state", Assert.Throws<DomainException>(() => payout.ReportFailed("again", Now)).Code);
        payout.Retry(Now.AddDays(3));
        payout.Claim(Now.AddDays(3), Lease);
        Assert.NotEqual(sent.DedupeKey, payout.Succeed("po_2", Now.AddDays(3))!.DedupeKey); // sent again: a second entry
    }

    [Fact]
    public void The_movement_keys_name_every_entry_that_sent_or_returned_the_money_whatever_the_attempts_between_and_a_capture_has_none()
    {
        var refund = NewRefund();
        var entries = new List<JournalEntry>();
        refund.Claim(Now, Lease);
        refund.Fail("provider_error", Now);
        refund.Claim(Now.AddMinutes(1), Lease);
        entries.Add(refund.Succeed("re_1", Now.AddMinutes(1))!);
        entries.Add(refund.ReportFailed("account_closed", Now.AddDays(1))!);
        refund.Retry(Now.AddDays(2));
        refund.Claim(Now.AddDays(2), Lease);
        refund.Fail("account_closed", Now.AddDays(2), final: true);
        entries.Add(refund.Resolve("Paid by bank transfer", Guid.NewGuid(), Now.AddDays(3))!);

        var keys = refund.MovementKeys().ToList();

        Assert.All(entries, e => Assert.Contains(e.DedupeKey, keys));
        Assert.All(entries, e => Assert.Equal(refund.IdempotencyKey, PaymentInstruction.InstructionKeyOf(e.DedupeKey)));
        Assert.Equal(2 * refund.Version, keys.Count);
        Assert.All(keys, k => Assert.StartsWith(refund.IdempotencyKey + ":", k));
        var capture = PaymentInstruction.Capture(OrderId, $"order:{OrderId}:capture", new Money(4_000, Currency.Usd), Now, Lease);
        capture.Succeed("ch_1", Now);
        Assert.Empty(capture.MovementKeys());
    }

    [Fact]
    public void The_query_of_what_is_due_finds_exactly_the_instructions_that_are_due()
    {
        var pending = PaymentInstruction.Refund(OrderId, $"order:{OrderId}:refund", new Money(4_000, Currency.Usd), "ch_1", Now);
        var claimed = PaymentInstruction.Refund(OrderId, $"order:{OrderId}:refund:2", new Money(4_000, Currency.Usd), "ch_1", Now);
        claimed.Claim(Now, Lease);
        var backingOff = PaymentInstruction.Refund(OrderId, $"order:{OrderId}:refund:3", new Money(4_000, Currency.Usd), "ch_1", Now);
        backingOff.Claim(Now, Lease);
        backingOff.Fail("timeout", Now);
        var succeeded = PaymentInstruction.Refund(OrderId, $"order:{OrderId}:refund:4", new Money(4_000, Currency.Usd), "ch_1", Now);
        succeeded.Claim(Now, Lease);
        succeeded.Succeed("re_1", Now);
        var failed = PaymentInstruction.Refund(OrderId, $"order:{OrderId}:refund:5", new Money(4_000, Currency.Usd), "ch_1", Now);
        failed.Claim(Now, Lease);
        failed.Fail("account_closed", Now, final: true);
        var all = new[] { pending, claimed, backingOff, succeeded, failed };

        foreach (var at in new[] { Now, Now + PaymentInstruction.FirstBackoff, Now + Lease, Now.AddDays(1) })
        {
            var due = PaymentInstruction.DueBy(at).Compile();
            Assert.All(all, i => Assert.Equal(i.IsDue(at), due(i)));
        }
        Assert.Equal([pending], all.Where(PaymentInstruction.DueBy(Now).Compile()));
        Assert.Equal([pending, claimed, backingOff], all.Where(PaymentInstruction.DueBy(Now.AddDays(1)).Compile()));
    }

    [Fact]
    public void A_capture_moves_no_owed_money_and_a_declined_one_waits_for_no_admin_but_for_the_buyer_to_pay_again_under_the_newest_claim()
    {
        var capture = PaymentInstruction.Capture(OrderId, $"order:{OrderId}:capture", new Money(4_000, Currency.Usd), Now, Lease);

        Assert.Equal(InstructionStatus.Processing, capture.Status);
        Assert.False(capture.IsOwed);
        capture.Fail("card_declined", Now);
        Assert.Equal((InstructionStatus.Declined, "card_declined"), (capture.Status, capture.FailureCode));
        Assert.Throws<DomainException>(() => capture.Retry(Now)); // not the admin's: the buyer pays again
        Assert.Throws<DomainException>(() => capture.Resolve("paid by hand", Guid.NewGuid(), Now));

        Assert.Equal(2, capture.ClaimCaptureAgain(Now.AddMinutes(1), Lease));
        Assert.Equal((InstructionStatus.Processing, (string?)null), (capture.Status, capture.FailureCode));
        Assert.Equal(3, capture.ClaimCaptureAgain(Now.AddMinutes(1), Lease)); // taken over while its lease runs: its answer may never come
        Assert.False(capture.IsClaimedBy(2)); // the earlier attempt's answer, if it comes, is not recorded
        Assert.Equal(4, capture.ClaimCaptureAgain(Now.AddMinutes(1) + Lease, Lease)); // and after the lease ran out
        Assert.Null(capture.Succeed("ch_1", Now.AddMinutes(2))); // the pay row posts the capture's entry
        Assert.Equal(InstructionStatus.Succeeded, capture.Status);
    }

    [Fact]
    public void A_capture_looked_for_again_is_due_at_once_whether_claimed_or_not_found_and_its_claim_in_force_answers_no_more()
    {
        var claimed = PaymentInstruction.Capture(OrderId, $"order:{OrderId}:capture", new Money(4_000, Currency.Usd), Now, Lease);
        Assert.True(claimed.LookAgain(Now.AddSeconds(5)));
        Assert.Equal(InstructionStatus.Pending, claimed.Status);
        Assert.True(claimed.IsDue(Now.AddSeconds(5))); // not when its lease would have run out
        Assert.False(claimed.IsClaimedBy(1)); // the request that held it records nothing

        var notFound = PaymentInstruction.Capture(OrderId, $"order:{OrderId}:capture", new Money(4_000, Currency.Usd), Now, Lease);
        notFound.Fail(PaymentInstruction.NotFound, Now);
        Assert.True(notFound.LookAgain(Now.AddMinutes(1)));
        Assert.Equal((InstructionStatus.Pending, null), (notFound.Status, notFound.FailureCode));
        Assert.Equal(2, notFound.Claim(Now.AddMinutes(1), Lease));
    }

    [Fact]
    public void A_capture_declined_by_the_card_or_already_returned_or_succeeded_is_not_looked_for_again_and_a_refund_never_is()
    {
        foreach (var code in new[] { "card_declined", "capture_returned" })
        {
            var declined = PaymentInstruction.Capture(OrderId, $"order:{OrderId}:capture", new Money(4_000, Currency.Usd), Now, Lease);
            declined.Fail(code, Now);
            Assert.False(declined.LookAgain(Now));
            Assert.Equal((InstructionStatus.Declined, code), (declined.Status, declined.FailureCode));
        }
        var paid = PaymentInstruction.Capture(OrderId, $"order:{OrderId}:capture", new Money(4_000, Currency.Usd), Now, Lease);
        paid.Succeed("ch_1", Now);
        Assert.False(paid.LookAgain(Now));
        Assert.Equal(InstructionStatus.Succeeded, paid.Status);
        Assert.Throws<DomainException>(() => NewRefund().LookAgain(Now));
    }

    private static PaymentInstruction Failed(PaymentInstruction instruction)
    {
        var at = Now;
        while (instruction.Status != InstructionStatus.Failed)
        {
            instruction.Claim(at, Lease);
            instruction.Fail("provider_error", at);
            at = instruction.NextAttemptAt;
        }
        return instruction;
    }

    [Fact]
    public void A_final_failure_waits_for_an_admin_at_once_and_keeps_its_money_owed()
    {
        var refund = NewRefund();
        refund.Claim(Now, Lease);

        refund.Fail("card_expired", Now.AddSeconds(1), final: true);

        Assert.Equal((InstructionStatus.Failed, "card_expired", 1), (refund.Status, refund.FailureCode, refund.Attempts));
        Assert.True(refund.IsOwed);
        Assert.False(refund.IsDue(Now.AddDays(1)));
        refund.Retry(Now.AddDays(1));
        Assert.True(refund.IsDue(Now.AddDays(1)));
    }
}
