using Safehold.Domain.Disputes;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Policy;
using static Safehold.Domain.Tests.Orders.TestOrders;

namespace Safehold.Domain.Tests.Orders;

/// <summary>
/// The order's side of a dispute: when one may be opened, the order frozen and its timers paused while it is open,
/// resumed when it is withdrawn, and the one journal entry of each outcome, to the unit, before and after completion.
/// </summary>
public sealed class OrderDisputeTests
{
    private static readonly DateTimeOffset PaidAt = T0.AddHours(1);
    private static readonly DateTimeOffset ShippedAt = T0.AddDays(2);
    private static readonly DateTimeOffset DeliveredAt = T0.AddDays(5);
    private static readonly DateTimeOffset DoneAt = T0.AddDays(6);
    private static readonly DateTimeOffset OpenedAt = T0.AddDays(7);

    private static Order InTransit(long price = 12999, string currency = "USD") => Shipped(Paid(PlaceOne(price, currency), PaidAt), ShippedAt);

    private static Order Completed(long price = 12999) => Then(InTransit(price), o => o.ConfirmReceipt(Buyer(o), DoneAt));

    private static Order Then(Order o, Action<Order> step)
    {
        step(o);
        return o;
    }

    private static Dictionary<string, long> Lines(JournalEntry? entry) => entry!.Lines.ToDictionary(l => l.Account, l => l.Amount);

    // ---- When a dispute may be opened -------------------------------------------------------------------------------

    [Theory]
    [InlineData(DisputeReason.NotReceived)]
    [InlineData(DisputeReason.NotAsDescribed)]
    [InlineData(DisputeReason.Damaged)]
    [InlineData(DisputeReason.WrongItem)]
    [InlineData(DisputeReason.Counterfeit)]
    [InlineData(DisputeReason.MissingParts)]
    public void Any_reason_may_be_disputed_from_shipment_until_protection_ends(DisputeReason reason)
    {
        var order = InTransit();
        var lastMoment = order.ProtectionEndsAt!.Value.AddTicks(-1);

        var dispute = Disputed(order, lastMoment, reason);

        Assert.Equal(dispute.Id, order.OpenDisputeId);
        Assert.Equal(lastMoment, order.DisputeOpenedAt);
        Assert.Equal(OrderStatus.AwaitingDelivery, order.Status);
        Assert.Equal(("dispute_opened", Party.Buyer, DisputeProcess.Name(reason)), (order.Timeline[^1].Kind, order.Timeline[^1].Actor, order.Timeline[^1].Detail));
        Assert.Equal((order.Id, order.BuyerId, order.SellerId, 12999L, "USD"),
            (dispute.OrderId, dispute.BuyerId, dispute.SellerId, dispute.OrderTotalAmount, dispute.Currency));
    }

    [Fact]
    public void Once_protection_has_ended_the_dispute_window_is_closed()
    {
        var order = InTransit();
        var before = Snapshot(order);

        var error = Assert.Throws<DomainException>(() => Disputed(order, order.ProtectionEndsAt!.Value));

        Assert.Equal(("dispute_window_closed", RefusalKind.RuleRefused), (error.Code, error.Kind));
        Assert.Equal(before, Snapshot(order));
    }

    [Fact]
    public void Not_received_can_be_disputed_only_before_delivery_is_reported()
    {
        var order = Delivered(InTransit(), DeliveredAt);
        var before = Snapshot(order);

        var error = Assert.Throws<DomainException>(() => Disputed(order, OpenedAt, DisputeReason.NotReceived));

        Assert.Equal("dispute_window_closed", error.Code);
        Assert.Equal(before, Snapshot(order));
        Disputed(order, OpenedAt, DisputeReason.MissingParts); // any other reason still may
    }

    [Theory]
    [InlineData(DisputeReason.NotAsDescribed)]
    [InlineData(DisputeReason.Damaged)]
    [InlineData(DisputeReason.WrongItem)]
    [InlineData(DisputeReason.Counterfeit)]
    [InlineData(DisputeReason.MissingParts)]
    public void Every_reason_but_not_received_may_be_disputed_for_15_days_after_completion(DisputeReason reason)
    {
        var order = Completed();

        Disputed(order, DoneAt.AddDays(15).AddTicks(-1), reason);

        Assert.NotNull(order.OpenDisputeId);
    }

    [Fact]
    public void A_completed_order_cannot_be_disputed_as_not_received()
    {
        var order = Completed();

        var error = Assert.Throws<DomainException>(() => Disputed(order, OpenedAt, DisputeReason.NotReceived));

        Assert.Equal("dispute_window_closed", error.Code);
        Assert.Null(order.OpenDisputeId);
    }

    [Fact]
    public void Fifteen_days_after_completion_the_dispute_window_is_closed_even_before_the_sweeper_runs()
    {
        var order = Completed();

        var error = Assert.Throws<DomainException>(() => Disputed(order, DoneAt.AddDays(15)));

        Assert.Equal("dispute_window_closed", error.Code);
    }

    [Fact]
    public void Once_the_seller_credit_is_available_the_dispute_window_is_closed()
    {
        var order = Completed();
        order.FireTimer(OrderTimerKind.DisputeWindowEnds, DoneAt.AddDays(15));

        var error = Assert.Throws<DomainException>(() => Disputed(order, DoneAt.AddDays(15)));

        Assert.Equal(("dispute_window_closed", RefusalKind.RuleRefused), (error.Code, error.Kind));
    }

    [Fact]
    public void An_order_not_yet_shipped_or_closed_cannot_be_disputed()
    {
        var paid = Paid(PlaceOne(), PaidAt);
        var closed = Then(Paid(PlaceOne(), PaidAt), o => o.Cancel(Buyer(o), ShippedAt, null));

        Assert.Equal("invalid_state", Assert.Throws<DomainException>(() => Disputed(paid, ShippedAt)).Code);
        Assert.Equal("invalid_state", Assert.Throws<DomainException>(() => Disputed(closed, OpenedAt)).Code);
    }

    [Fact]
    public void Only_the_buyer_opens_a_dispute()
    {
        var order = InTransit();

        var error = Assert.Throws<DomainException>(() =>
            order.OpenDispute(Seller(order), OpenedAt, Guid.NewGuid(), DisputeReason.Damaged, DisputeOutcome.FullRefund, null, "?", new DisputeTerms()));

        Assert.Equal(("action_not_allowed", RefusalKind.NotAllowed), (error.Code, error.Kind));
    }

    [Fact]
    public void One_dispute_is_open_at_a_time_and_after_a_withdrawal_another_may_be_opened()
    {
        var order = InTransit();
        Disputed(order, OpenedAt);
        var before = Snapshot(order);

        var error = Assert.Throws<DomainException>(() => Disputed(order, OpenedAt.AddHours(1)));
        Assert.Equal(("dispute_already_open", RefusalKind.RuleRefused), (error.Code, error.Kind));
        Assert.Equal(before, Snapshot(order));

        order.WithdrawDispute(OpenedAt.AddHours(2));
        var second = Disputed(order, OpenedAt.AddHours(3));
        Assert.Equal(second.Id, order.OpenDisputeId);
    }

    [Fact]
    public void An_order_whose_dispute_was_resolved_cannot_be_disputed_again()
    {
        var order = InTransit();
        Disputed(order, OpenedAt);
        order.ResolveDispute(DisputeOutcome.ReleasedToSeller, null, OpenedAt.AddDays(1));

        var error = Assert.Throws<DomainException>(() => Disputed(order, OpenedAt.AddDays(2)));

        Assert.Equal("dispute_already_resolved", error.Code);
    }

    [Theory]
    [InlineData(DisputeOutcome.PartialRefund, 0L, "amount_out_of_range")]
    [InlineData(DisputeOutcome.PartialRefund, -5L, "amount_out_of_range")]
    [InlineData(DisputeOutcome.PartialRefund, 13000L, "amount_out_of_range")]
    [InlineData(DisputeOutcome.PartialRefund, null, "validation_failed")]
    [InlineData(DisputeOutcome.FullRefund, 100L, "validation_failed")]
    [InlineData(DisputeOutcome.ReleasedToSeller, null, "validation_failed")]
    public void A_request_with_a_wrong_amount_or_outcome_is_refused_and_changes_nothing(DisputeOutcome asks, long? amount, string code)
    {
        var order = InTransit(12999);
        var before = Snapshot(order);

        var error = Assert.Throws<DomainException>(() => Disputed(order, OpenedAt, asks: asks, amount: amount));

        Assert.Equal(code, error.Code);
        Assert.Equal(before, Snapshot(order));
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(12999L)]
    public void A_partial_refund_may_be_asked_from_one_unit_to_the_whole_total(long amount)
    {
        var dispute = Disputed(InTransit(12999), OpenedAt, asks: DisputeOutcome.PartialRefund, amount: amount);

        Assert.Equal(amount, dispute.RequestedAmount);
    }

    // ---- Frozen while open ------------------------------------------------------------------------------------------

    [Fact]
    public void While_a_dispute_is_open_confirm_receipt_answers_invalid_state_and_nothing_completes_or_releases()
    {
        var order = Delivered(Asking(InTransit(), DeliveredAt.AddHours(1)), DeliveredAt);
        Disputed(order, OpenedAt);
        var before = Snapshot(order);

        var refusals = new Func<object?>[]
        {
            () => order.ConfirmReceipt(Buyer(order), OpenedAt.AddDays(1)),
            () => order.Fire(OrderTrigger.ProtectionEnded, OpenedAt.AddDays(1)),
            () => order.Fire(OrderTrigger.DeliveryAutoComplete, OpenedAt.AddDays(1)),
            () => order.Fire(OrderTrigger.ExtensionAutoApproved, OpenedAt.AddDays(1)),
            () =>
            {
                order.ApproveExtension(Seller(order), OpenedAt.AddDays(1), order.PendingExtension!.Id);
                return null;
            },
        };

        Assert.All(refusals, refusal =>
        {
            var error = Assert.Throws<DomainException>(refusal);
            Assert.Equal(("invalid_state", RefusalKind.WrongState), (error.Code, error.Kind));
        });
        Assert.Equal(before, Snapshot(order));
    }

    [Fact]
    public void A_dispute_after_completion_freezes_the_seller_pending_credit()
    {
        var order = Completed();
        Disputed(order, OpenedAt);

        var error = Assert.Throws<DomainException>(() => order.Fire(OrderTrigger.DisputeWindowClosed, DoneAt.AddDays(15)));

        Assert.Equal("invalid_state", error.Code);
        Assert.Null(order.CreditAvailableAt);
    }

    // ---- Paused timers ----------------------------------------------------------------------------------------------

    [Fact]
    public void Opening_pauses_every_timer_with_the_time_it_had_left_and_no_due_instant_a_sweeper_would_select()
    {
        var order = Delivered(Asking(InTransit(), DeliveredAt.AddHours(1)), DeliveredAt);
        var due = order.Timers.ToDictionary(t => t.Kind, t => t.DueAt);
        Assert.Equal(4, due.Count); // protection end, its reminder, auto-complete, the extension's answer

        Disputed(order, OpenedAt);

        Assert.All(order.Timers, t =>
        {
            Assert.True(t.IsPaused);
            Assert.Equal(OrderTimer.Never, t.DueAt);
            Assert.Equal(due[t.Kind] - OpenedAt, t.Remaining);
        });
        Assert.DoesNotContain(order.Timers, t => t.DueAt <= DateTimeOffset.MaxValue.AddYears(-1)); // the sweeper's query, however late
        Assert.Empty(order.PendingDeadlines());
        var error = Assert.Throws<DomainException>(() => order.FireTimer(OrderTimerKind.ProtectionEnds, OpenedAt.AddDays(100)));
        Assert.Equal("invalid_state", error.Code);
    }

    [Fact]
    public void Withdrawing_resumes_every_timer_with_the_time_it_had_left_and_moves_the_dates_with_them()
    {
        var order = Delivered(Asking(InTransit(), DeliveredAt.AddHours(1)), DeliveredAt);
        var due = order.Timers.ToDictionary(t => t.Kind, t => t.DueAt);
        var (protectionEnds, autoComplete, answerBy) = (order.ProtectionEndsAt!.Value, order.AutoCompleteAt!.Value, order.PendingExtension!.AnswerBy);
        Disputed(order, OpenedAt);
        var held = TimeSpan.FromDays(9.5);

        order.WithdrawDispute(OpenedAt + held);

        Assert.Equal(due.ToDictionary(d => d.Key, d => d.Value + held), order.Timers.ToDictionary(t => t.Kind, t => t.DueAt));
        Assert.All(order.Timers, t => Assert.False(t.IsPaused));
        Assert.Equal(protectionEnds + held, order.ProtectionEndsAt);
        Assert.Equal(autoComplete + held, order.AutoCompleteAt);
        Assert.Equal(answerBy + held, order.PendingExtension!.AnswerBy);
        Assert.Null(order.OpenDisputeId);
        Assert.Null(order.DisputeOpenedAt);
        Assert.Equal(("dispute_withdrawn", Party.System), (order.Timeline[^1].Kind, order.Timeline[^1].Actor));
        // ...and the order continues where it was.
        Assert.Equal(OrderStatus.AwaitingDelivery, order.Status);
        order.ApproveExtension(Seller(order), OpenedAt + held, order.PendingExtension.Id);
        Assert.Equal("release", order.ConfirmReceipt(Buyer(order), OpenedAt + held + TimeSpan.FromHours(1)).Kind);
    }

    [Fact]
    public void A_reminder_that_fired_before_the_dispute_stays_fired()
    {
        var order = InTransit();
        order.FireTimer(OrderTimerKind.ProtectionEndingReminder, ShippedAt.AddDays(37));
        Disputed(order, ShippedAt.AddDays(38));

        order.WithdrawDispute(ShippedAt.AddDays(40));

        Assert.Equal([OrderTimerKind.ProtectionEnds], order.Timers.Select(t => t.Kind));
        Assert.Equal(ShippedAt.AddDays(42), order.Timers[0].DueAt);
    }

    [Fact]
    public void After_completion_withdrawing_resumes_the_dispute_window_and_the_credit_then_becomes_available()
    {
        var order = Completed();
        Disputed(order, OpenedAt);
        var returnedAt = OpenedAt.AddDays(3);

        order.WithdrawDispute(returnedAt);

        Assert.Equal(DoneAt.AddDays(18), order.DisputeWindowEndsAt);
        Assert.Equal(DoneAt.AddDays(18), Assert.Single(order.Timers).DueAt);
        var entry = order.FireTimer(OrderTimerKind.DisputeWindowEnds, DoneAt.AddDays(18)).Entry;
        Assert.Equal(12349, Lines(entry)[$"seller_available:{order.SellerId}"]);
    }

    [Fact]
    public void Resolving_before_completion_cancels_the_paused_timers_and_starts_the_dispute_window()
    {
        var order = InTransit();
        Disputed(order, OpenedAt);
        var resolvedAt = OpenedAt.AddDays(4);

        order.ResolveDispute(DisputeOutcome.PartialRefund, 5000, resolvedAt);

        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.Equal(resolvedAt, order.CompletedAt);
        Assert.Equal(new Dictionary<OrderTimerKind, DateTimeOffset> { [OrderTimerKind.DisputeWindowEnds] = resolvedAt.AddDays(15) },
            order.Timers.ToDictionary(t => t.Kind, t => t.DueAt));
    }

    // ---- Money: one entry per outcome, to the unit ------------------------------------------------------------------
    // 12,999 at 5%: released in full, commission 650 and the seller 12,349. A partial refund of 2,999 keeps 10,000
    // released: commission 500, the seller 9,500.

    [Fact]
    public void Before_completion_a_full_refund_returns_the_escrow_to_the_buyer_and_closes_the_order()
    {
        var order = InTransit();
        var dispute = Disputed(order, OpenedAt);

        var entry = order.ResolveDispute(DisputeOutcome.FullRefund, null, OpenedAt.AddDays(1));

        Assert.Equal(new Dictionary<string, long> { [$"escrow:{order.Id}"] = -12999, ["refunds_owed"] = 12999 }, Lines(entry));
        Assert.Equal(("dispute_refund", $"order:{order.Id}:dispute:{dispute.Id}:settlement:dispute_refund:12999"), (entry!.Kind, entry.DedupeKey));
        Assert.Equal(OrderStatus.Closed, order.Status);
        Assert.Equal(12999, order.RefundedAmount);
        Assert.Empty(order.Timers);
    }

    [Fact]
    public void Before_completion_a_partial_refund_releases_the_rest_less_commission_on_it_only_and_completes()
    {
        var order = InTransit();
        Disputed(order, OpenedAt);

        var entry = order.ResolveDispute(DisputeOutcome.PartialRefund, 2999, OpenedAt.AddDays(1));

        Assert.Equal(new Dictionary<string, long>
        {
            [$"escrow:{order.Id}"] = -12999,
            ["refunds_owed"] = 2999,
            [$"seller_pending:{order.SellerId}"] = 9500,
            ["platform_commission"] = 500,
        }, Lines(entry));
        Assert.Equal("dispute_partial_refund", entry!.Kind);
        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.Equal(9500, order.SellerShare.Amount);

        var available = order.FireTimer(OrderTimerKind.DisputeWindowEnds, OpenedAt.AddDays(16)).Entry;
        Assert.Equal(new Dictionary<string, long> { [$"seller_pending:{order.SellerId}"] = -9500, [$"seller_available:{order.SellerId}"] = 9500 },
            Lines(available));
    }

    [Fact]
    public void Before_completion_released_to_seller_is_a_completion()
    {
        var order = InTransit();
        Disputed(order, OpenedAt);

        var entry = order.ResolveDispute(DisputeOutcome.ReleasedToSeller, null, OpenedAt.AddDays(1));

        Assert.Equal(new Dictionary<string, long>
        {
            [$"escrow:{order.Id}"] = -12999,
            [$"seller_pending:{order.SellerId}"] = 12349,
            ["platform_commission"] = 650,
        }, Lines(entry));
        Assert.Equal(("release", $"order:{order.Id}:release"), (entry!.Kind, entry.DedupeKey));
        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.Equal(0, order.RefundedAmount);
    }

    [Fact]
    public void After_completion_a_full_refund_takes_back_the_seller_pending_credit_and_the_commission()
    {
        var order = Completed();
        var dispute = Disputed(order, OpenedAt);

        var entry = order.ResolveDispute(DisputeOutcome.FullRefund, null, OpenedAt.AddDays(1));

        Assert.Equal(new Dictionary<string, long>
        {
            [$"seller_pending:{order.SellerId}"] = -12349,
            ["platform_commission"] = -650,
            ["refunds_owed"] = 12999,
        }, Lines(entry));
        Assert.Equal($"order:{order.Id}:dispute:{dispute.Id}:settlement:{entry!.Kind}:12999", entry.DedupeKey);
        Assert.Equal(OrderStatus.Closed, order.Status);
        Assert.Empty(order.Timers);
    }

    [Fact]
    public void After_completion_a_partial_refund_reduces_the_seller_credit_and_recomputes_the_commission_on_what_stays_released()
    {
        var order = Completed();
        Disputed(order, OpenedAt);

        var entry = order.ResolveDispute(DisputeOutcome.PartialRefund, 2999, OpenedAt.AddDays(1));

        Assert.Equal(new Dictionary<string, long>
        {
            [$"seller_pending:{order.SellerId}"] = -2849, // 12,349 → 9,500
            ["platform_commission"] = -150, // 650 → 500
            ["refunds_owed"] = 2999,
        }, Lines(entry));
        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.Equal(DoneAt, order.CompletedAt);
        // The window resumes with what it had left (opened a day after completion: 14 days), then 9,500 becomes available.
        Assert.Equal(OpenedAt.AddDays(15), Assert.Single(order.Timers).DueAt);
        var available = order.FireTimer(OrderTimerKind.DisputeWindowEnds, OpenedAt.AddDays(15)).Entry;
        Assert.Equal(9500, Lines(available)[$"seller_available:{order.SellerId}"]);
    }

    [Fact]
    public void After_completion_released_to_seller_moves_nothing_and_the_window_resumes()
    {
        var order = Completed();
        Disputed(order, OpenedAt);

        var entry = order.ResolveDispute(DisputeOutcome.ReleasedToSeller, null, OpenedAt.AddDays(1));

        Assert.Null(entry);
        Assert.Equal(OrderStatus.Completed, order.Status);
        Assert.Equal(OpenedAt.AddDays(15), Assert.Single(order.Timers).DueAt);
        Assert.Null(order.OpenDisputeId);
    }

    [Fact]
    public void A_partial_refund_of_the_whole_total_is_a_full_refund()
    {
        var order = InTransit();
        Disputed(order, OpenedAt);

        var entry = order.ResolveDispute(DisputeOutcome.PartialRefund, 12999, OpenedAt.AddDays(1));

        Assert.Equal("dispute_refund", entry!.Kind);
        Assert.Equal(OrderStatus.Closed, order.Status);
    }

    [Theory]
    [InlineData(DisputeOutcome.PartialRefund, 0L, "amount_out_of_range")]
    [InlineData(DisputeOutcome.PartialRefund, 13000L, "amount_out_of_range")]
    [InlineData(DisputeOutcome.PartialRefund, null, "validation_failed")]
    [InlineData(DisputeOutcome.FullRefund, 13000L, "amount_out_of_range")] // a full refund carries at most what is claimed
    [InlineData(DisputeOutcome.ReleasedToSeller, 1L, "validation_failed")]
    [InlineData(DisputeOutcome.ReturnAndRefund, null, "validation_failed")]
    public void Resolving_with_a_wrong_amount_or_outcome_is_refused_and_changes_nothing(DisputeOutcome outcome, long? amount, string code)
    {
        var order = InTransit();
        Disputed(order, OpenedAt);
        var before = Snapshot(order);

        var error = Assert.Throws<DomainException>(() => order.ResolveDispute(outcome, amount, OpenedAt.AddDays(1)));

        Assert.Equal(code, error.Code);
        Assert.Equal(before, Snapshot(order));
    }

    [Fact]
    public void Without_an_open_dispute_there_is_nothing_to_resolve_or_withdraw()
    {
        var order = InTransit();
        var before = Snapshot(order);

        Assert.Equal("invalid_state", Assert.Throws<DomainException>(() => order.ResolveDispute(DisputeOutcome.FullRefund, null, OpenedAt)).Code);
        Assert.Equal("invalid_state", Assert.Throws<DomainException>(() => order.WithdrawDispute(OpenedAt)).Code);
        Assert.Equal(before, Snapshot(order));
    }

    [Theory]
    [InlineData(OrderTrigger.DisputeWithdrawn)]
    [InlineData(OrderTrigger.DisputeRefundedInFull)]
    [InlineData(OrderTrigger.DisputeRefundedInPart)]
    [InlineData(OrderTrigger.DisputeReleasedToSeller)]
    public void A_dispute_ending_is_not_a_timer_and_Fire_refuses_it(OrderTrigger trigger)
    {
        var order = InTransit();
        Disputed(order, OpenedAt);

        Assert.Throws<InvalidOperationException>(() => order.Fire(trigger, OpenedAt.AddDays(1)));
        Assert.NotNull(order.OpenDisputeId);
    }

    // ---- No unit created or lost -------------------------------------------------------------------------------------

    public static TheoryData<int> Seeds() => new(Enumerable.Range(1, 25));

    /// <summary>
    /// Random totals, currencies and commissions, each order disputed before or after completion and settled in full,
    /// in part (any amount from one unit to the total) or released; the credit then made available. For every order the
    /// refund, the seller's share and the commission add up to the total; every account the order touched ends where
    /// it should, and the books sum to zero per currency.
    /// </summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_dispute_settlements_never_create_or_lose_a_unit(int seed)
    {
        var random = new Random(seed);
        string[] currencies = ["USD", "JPY", "KWD", "GEL"];
        var books = new Dictionary<(string Account, string Currency), long>();
        for (var i = 0; i < 200; i++)
        {
            var policy = new ProtectionPolicy { CommissionBasisPoints = random.Next(0, 3_001) };
            var price = random.Next(3) == 0 ? random.Next(1, 20) : random.NextInt64(1, 10_000_000);
            var currency = currencies[random.Next(currencies.Length)];
            var order = Order.Place(Guid.NewGuid(), BuyerId, [(Listing(price, currency), random.Next(1, 4))], "addr", policy, T0);
            var total = order.TotalAmount;
            var entries = new List<JournalEntry?> { order.Pay(Buyer(order), PaidAt, "pay") };
            order.Ship(Seller(order), ShippedAt, "DHL", "1");
            if (random.Next(2) == 0) entries.Add(order.ConfirmReceipt(Buyer(order), DoneAt));
            Disputed(order, OpenedAt);
            var (outcome, amount) = random.Next(3) switch
            {
                0 => (DisputeOutcome.FullRefund, (long?)null),
                1 => (DisputeOutcome.PartialRefund, random.NextInt64(1, total + 1)),
                _ => (DisputeOutcome.ReleasedToSeller, null),
            };

            entries.Add(order.ResolveDispute(outcome, amount, OpenedAt.AddDays(1)));
            if (order.Status == OrderStatus.Completed) entries.Add(order.FireTimer(OrderTimerKind.DisputeWindowEnds, OpenedAt.AddDays(30)).Entry);

            var refund = outcome switch { DisputeOutcome.FullRefund => total, DisputeOutcome.PartialRefund => amount!.Value, _ => 0 };
            var released = total - refund;
            var commission = ExpectedCommission(released, order.CommissionBasisPoints);
            var lines = entries.SelectMany(e => e?.Lines ?? []).ToList();
            Assert.All(lines, l => Assert.Equal(currency, l.Currency));
            Assert.All(entries, e => Assert.Equal(0, e?.Lines.Sum(l => l.Amount) ?? 0));
            long Balance(string account) => lines.Where(l => l.Account == account).Sum(l => l.Amount);
            Assert.Equal(new Dictionary<string, long>
            {
                ["payment_clearing"] = -total,
                [$"escrow:{order.Id}"] = 0,
                ["refunds_owed"] = refund,
                [$"seller_pending:{order.SellerId}"] = 0,
                [$"seller_available:{order.SellerId}"] = released - commission,
                ["platform_commission"] = commission,
            }, new[] { "payment_clearing", $"escrow:{order.Id}", "refunds_owed", $"seller_pending:{order.SellerId}", $"seller_available:{order.SellerId}", "platform_commission" }
                .ToDictionary(a => a, Balance));
            Assert.Equal(refund, order.RefundedAmount);
            Assert.Equal(refund == total ? OrderStatus.Closed : OrderStatus.Completed, order.Status);
            foreach (var line in lines)
                books[(line.Account, line.Currency)] = checked(books.GetValueOrDefault((line.Account, line.Currency)) + line.Amount);
        }

        // Across every order: what came in went out as refunds, seller credit and commission, and the books balance.
        foreach (var currency in currencies)
        {
            var captured = -books.GetValueOrDefault(("payment_clearing", currency));
            var refunded = books.GetValueOrDefault(("refunds_owed", currency));
            var commission = books.GetValueOrDefault(("platform_commission", currency));
            var sellers = books.Where(b => b.Key.Currency == currency && b.Key.Account.StartsWith("seller_", StringComparison.Ordinal)).Sum(b => b.Value);
            Assert.Equal(captured, refunded + commission + sellers);
            Assert.Equal(0, books.Where(b => b.Key.Currency == currency).Sum(b => b.Value));
            Assert.All(books.Where(b => b.Key.Currency == currency), b => Assert.True(b.Value >= 0 || b.Key.Account == "payment_clearing", $"{b.Key} is {b.Value}"));
        }
    }
}
