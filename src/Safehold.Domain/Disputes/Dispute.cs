using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Process;

namespace Safehold.Domain.Disputes;

/// <summary>The outcome the order settles: what the buyer gets back (the whole total, a part, or nothing).</summary>
public sealed record Settlement(DisputeOutcome Outcome, long RefundAmount)
{
    /// <summary>The amount to pass to <see cref="Order.ResolveDispute"/>: only a partial refund carries one.</summary>
    public long? PartialAmount => Outcome == DisputeOutcome.PartialRefund ? RefundAmount : null;
}

/// <summary>
/// What one step of a dispute asks of its order, in the same transaction: settle an outcome, continue where it
/// was, or nothing; and, for a reminder, whom to remind.
/// </summary>
/// <param name="Settle">The outcome the order settles now, if any.</param>
/// <param name="ResumesOrder">Whether the order continues where it was (the dispute was withdrawn).</param>
/// <param name="Reminded">For a reminder: who is reminded.</param>
/// <param name="Chargeback">For a chargeback the network decided: how, and who bears a loss.</param>
public sealed record DisputeStep(Settlement? Settle, bool ResumesOrder, DisputeParty Reminded = DisputeParty.None,
    (ChargebackOutcome Outcome, ChargebackBearer Bearer)? Chargeback = null)
{
    public static readonly DisputeStep None = new(null, false);

    /// <summary>Carries the step out on the dispute's order; returns the journal entry to post with it, if any.</summary>
    public JournalEntry? ApplyTo(Order order, DateTimeOffset now)
    {
        if (Chargeback is { } chargeback) return order.SettleChargeback(chargeback.Outcome, chargeback.Bearer, now);
        if (ResumesOrder) return order.WithdrawDispute(now);
        // A full refund carries what the dispute claims: its items' value, or the order's total.
        return Settle is { } s ? order.ResolveDispute(s.Outcome, s.Outcome == DisputeOutcome.FullRefund ? s.RefundAmount : s.PartialAmount, now) : null;
    }
}

/// <summary>
/// A buyer's claim against one order (SPEC 3): why, what they ask for, the seller's answers, the arbiter's decision and
/// an appeal. Every change goes through <see cref="DisputeProcess"/>: a change the table does not allow is refused with
/// a named error, and each returns the <see cref="DisputeStep"/> its order must take with it. The dispute's timers are
/// rows beside it, started and cancelled by the same transitions; every step is in its timeline with who did it and when.
/// </summary>
public sealed class Dispute : IProcessSubject<DisputeStatus>
{
    private readonly List<DisputeOffer> _offers = [];
    private readonly List<DisputeEvent> _timeline = [];
    private readonly List<DisputeTimer> _timers = [];
    private readonly List<DisputeItem> _items = [];
    private DisputeTransition? _lastTransition;
    private DisputeTables _process = DisputeProcess.Standard;

    private Dispute()
    {
        Currency = Description = "";
    }

    public Guid Id { get; private set; }
    public Guid OrderId { get; private set; }
    public Guid BuyerId { get; private set; }
    public Guid SellerId { get; private set; }
    public DisputeStatus Status { get; private set; }

    /// <summary>Incremented by every change; the database refuses a write based on a stale copy.</summary>
    public int Version { get; private set; }
    public int EventCount { get; private set; }

    public string Currency { get; private set; }

    /// <summary>The order's total when the dispute was opened.</summary>
    public long OrderTotalAmount { get; private set; }

    /// <summary>For a dispute naming items (SPEC 3): their value, unit price × quantity claimed; null for the whole order.</summary>
    public long? ItemsAmount { get; private set; }

    /// <summary>What the dispute claims: its items' value, or the order's total. The most any refund can be; a full refund is this.</summary>
    public long ClaimedAmount => ItemsAmount ?? OrderTotalAmount;

    /// <summary>The items the dispute names, with the quantity claimed; empty for the whole order.</summary>
    public IReadOnlyList<DisputeItem> Items => _items;

    // The terms of the dispute, copied from the policy when it opened (DisputeTerms).
    public int SellerResponseDays { get; private set; }
    public int SellerReminderDays { get; private set; }
    public int BuyerResponseDays { get; private set; }
    public int NoAgreementDays { get; private set; }
    public int ReturnShipDays { get; private set; }
    public int ReturnReceiptDays { get; private set; }
    public int DecisionTargetDays { get; private set; }
    public int AppealDays { get; private set; }

    /// <summary>The durations this dispute runs on, as copied from the policy when it opened.</summary>
    public DisputeTerms Terms => new(SellerResponseDays, SellerReminderDays, BuyerResponseDays, NoAgreementDays, ReturnShipDays, ReturnReceiptDays,
        DecisionTargetDays, AppealDays);

    public DisputeReason Reason { get; private set; }
    public DisputeOutcome RequestedOutcome { get; private set; }
    public long? RequestedAmount { get; private set; }
    public string Description { get; private set; }
    public DateTimeOffset OpenedAt { get; private set; }

    /// <summary>When the seller first answered (accepted, offered or rejected); from then on either party may escalate.</summary>
    public DateTimeOffset? SellerAnsweredAt { get; private set; }
    public string? RejectionReason { get; private set; }

    /// <summary>When the dispute went to the platform (last time, for an appeal).</summary>
    public DateTimeOffset? EscalatedAt { get; private set; }

    /// <summary>When an arbiter is expected to have decided: a target shown as overdue, never acted on by the system.</summary>
    public DateTimeOffset? DecisionDueAt { get; private set; }

    public DateTimeOffset? ReturnAgreedAt { get; private set; }
    public string? ReturnCarrier { get; private set; }
    public string? ReturnTrackingNumber { get; private set; }
    public DateTimeOffset? ReturnShippedAt { get; private set; }

    /// <summary>When the carrier's scan showed the returned item delivered to the seller: their confirmation window runs from then.</summary>
    public DateTimeOffset? ReturnDeliveredAt { get; private set; }
    public DateTimeOffset? ReturnReceivedAt { get; private set; }

    /// <summary>The arbiter who made the first decision.</summary>
    public Guid? DecidedBy { get; private set; }
    public DateTimeOffset? DecidedAt { get; private set; }
    public DisputeOutcome? DecisionOutcome { get; private set; }
    public long? DecisionAmount { get; private set; }
    public string? DecisionRationale { get; private set; }

    public DisputeParty? AppealedBy { get; private set; }
    public DateTimeOffset? AppealedAt { get; private set; }
    public string? AppealReason { get; private set; }

    /// <summary>The arbiter who decided the appeal: never <see cref="DecidedBy"/>.</summary>
    public Guid? AppealArbiterId { get; private set; }
    public DateTimeOffset? AppealDecidedAt { get; private set; }
    public DisputeOutcome? AppealOutcome { get; private set; }
    public long? AppealAmount { get; private set; }
    public string? AppealRationale { get; private set; }

    /// <summary>How the dispute ended (or, during the appeal window, how it was decided): full, partial, or released to the seller.</summary>
    public DisputeOutcome? Outcome { get; private set; }

    /// <summary>What the buyer gets back: the total for a full refund, the amount of a partial one, 0 when released to the seller.</summary>
    public long? RefundAmount { get; private set; }
    public DateTimeOffset? ResolvedAt { get; private set; }

    /// <summary>When the order settled the outcome (moved the money); a first decision settles once its appeal window closes.</summary>
    public DateTimeOffset? SettledAt { get; private set; }
    public DateTimeOffset? WithdrawnAt { get; private set; }

    /// <summary>
    /// The row of <see cref="DisputeProcess.Table"/> this copy of the dispute last took (in memory only): who must be told
    /// of it (<see cref="DisputeTransition.Notice"/>).
    /// </summary>
    public DisputeTransition? LastTransition => _lastTransition;

    /// <summary>The tables this dispute follows: its order's process's (<see cref="OrderTables.Disputes"/>), normally <see cref="DisputeProcess.Standard"/>.</summary>
    public DisputeTables Process => _process;

    public IReadOnlyList<DisputeOffer> Offers => _offers;
    public DisputeOffer? LatestOffer => _offers.Count == 0 ? null : _offers[^1];
    public IReadOnlyList<DisputeEvent> Timeline => _timeline;

    /// <summary>The timers still pending; each fires once and is then gone.</summary>
    public IReadOnlyList<DisputeTimer> Timers => _timers;

    /// <summary>For a chargeback: what the network took back (what was still captured), in minor units.</summary>
    public long? ChargebackAmount { get; private set; }

    /// <summary>For a chargeback: who bears it if it is lost, decided by the policy when it opened.</summary>
    public ChargebackBearer? ChargebackBearer { get; private set; }

    /// <summary>For a chargeback: the provider's reference of it, if it gave one.</summary>
    public string? ChargebackReference { get; private set; }

    /// <summary>For a dispute a chargeback took over from: that chargeback's dispute.</summary>
    public Guid? SupersededBy { get; private set; }

    /// <summary>A dispute of kind <c>chargeback</c>: reported by the payment provider, decided by the card network.</summary>
    public bool IsChargeback => Reason == DisputeReason.Chargeback;

    /// <summary>The dispute's kind as the API spells it: <c>chargeback</c>, or <c>protection</c> for a buyer's dispute.</summary>
    public string Kind => IsChargeback ? "chargeback" : "protection";

    /// <summary>True until the dispute is withdrawn, superseded or its outcome settled: its order stays frozen meanwhile.</summary>
    public bool IsOpen => Status is not (DisputeStatus.Withdrawn or DisputeStatus.Superseded) && SettledAt is null;

    public Money OrderTotal => new(OrderTotalAmount, Safehold.Domain.Currency.Of(Currency));

    /// <summary>Opens a dispute on <paramref name="order"/>: called by <see cref="Order.OpenDispute"/>, which freezes the order with it.</summary>
    internal static Dispute Open(Guid id, Order order, Actor actor, DateTimeOffset now, DisputeReason reason,
        DisputeOutcome requestedOutcome, long? requestedAmount, string description, DisputeTerms terms,
        (IReadOnlyList<(OrderLine Line, int Quantity)> Lines, long Value)? claim = null)
    {
        var by = DisputeActor.Of(actor);
        var t = order.Process.Disputes.Engine.Authorize(null, DisputeTrigger.Open, new DisputeAct(by, requestedOutcome), now);
        if (!Enum.IsDefined(reason) || reason == DisputeReason.Chargeback)
            throw new DomainException(RefusalKind.Invalid, "validation_failed",
                reason == DisputeReason.Chargeback ? "A chargeback is reported by the payment provider, not opened by a buyer." : "Unknown dispute reason.");
        if (requestedOutcome is not (DisputeOutcome.FullRefund or DisputeOutcome.PartialRefund or DisputeOutcome.ReturnAndRefund))
            throw new DomainException(RefusalKind.Invalid, "validation_failed", "A buyer asks for a full refund, a partial refund or a return and refund.");
        var itemsAmount = claim?.Value; // the items' value, as the order reckoned it (Order.ClaimOf)
        DisputeProcess.CheckAmount(requestedOutcome, requestedAmount, itemsAmount ?? order.TotalAmount);
        Require(description, "A dispute needs a description.");
        var dispute = new Dispute
        {
            _process = order.Process.Disputes,
            Id = id,
            OrderId = order.Id,
            BuyerId = order.BuyerId,
            SellerId = order.SellerId,
            Currency = order.Currency,
            OrderTotalAmount = order.TotalAmount,
            ItemsAmount = itemsAmount,
            Reason = reason,
            RequestedOutcome = requestedOutcome,
            RequestedAmount = requestedAmount,
            Description = description,
            OpenedAt = now,
            SellerResponseDays = terms.SellerResponseDays,
            SellerReminderDays = terms.SellerReminderDays,
            BuyerResponseDays = terms.BuyerResponseDays,
            NoAgreementDays = terms.NoAgreementDays,
            ReturnShipDays = terms.ReturnShipDays,
            ReturnReceiptDays = terms.ReturnReceiptDays,
            DecisionTargetDays = terms.DecisionTargetDays,
            AppealDays = terms.AppealDays,
        };
        foreach (var (line, quantity) in claim?.Lines ?? [])
            dispute._items.Add(new DisputeItem(id, line, quantity));
        dispute.Apply(t, by, now, "opened", DisputeProcess.Name(reason) + ": " + Describe(requestedOutcome, requestedAmount));
        return dispute;
    }

    /// <summary>
    /// Opens the dispute of kind <c>chargeback</c> the provider reported: called by <see cref="Order.OpenChargeback"/>. It goes
    /// to the arbiter's desk with the network's <paramref name="respondBy"/> as its deadline.
    /// </summary>
    internal static Dispute OpenChargeback(Guid id, Order order, DateTimeOffset now, string networkReason, DateTimeOffset respondBy, long amount,
        ChargebackBearer bearer, string? reference, DisputeTerms terms)
    {
        var t = order.Process.Disputes.Engine.Authorize(null, DisputeTrigger.ChargebackOpened, new DisputeAct(DisputeActor.System), now);
        Require(networkReason, "A chargeback needs the network's reason.");
        var dispute = new Dispute
        {
            _process = order.Process.Disputes,
            Id = id,
            OrderId = order.Id,
            BuyerId = order.BuyerId,
            SellerId = order.SellerId,
            Currency = order.Currency,
            OrderTotalAmount = order.TotalAmount,
            Reason = DisputeReason.Chargeback,
            RequestedOutcome = amount == order.TotalAmount ? DisputeOutcome.FullRefund : DisputeOutcome.PartialRefund,
            RequestedAmount = amount == order.TotalAmount ? null : amount,
            Description = networkReason,
            OpenedAt = now,
            ChargebackAmount = amount,
            ChargebackBearer = bearer,
            ChargebackReference = reference,
            DecisionDueAt = respondBy,
            SellerResponseDays = terms.SellerResponseDays,
            SellerReminderDays = terms.SellerReminderDays,
            BuyerResponseDays = terms.BuyerResponseDays,
            NoAgreementDays = terms.NoAgreementDays,
            ReturnShipDays = terms.ReturnShipDays,
            ReturnReceiptDays = terms.ReturnReceiptDays,
            DecisionTargetDays = terms.DecisionTargetDays,
            AppealDays = terms.AppealDays,
        };
        dispute.Apply(t, DisputeActor.System, now, "chargeback_opened", $"{networkReason}: {amount} {order.Currency}");
        return dispute;
    }

    /// <summary>The card network decided this chargeback; the step gives the money back or lets it go, on the order.</summary>
    public DisputeStep DecideChargeback(ChargebackOutcome outcome, DateTimeOffset now, string? detail)
    {
        var trigger = outcome == ChargebackOutcome.Won ? DisputeTrigger.ChargebackWon : DisputeTrigger.ChargebackLost;
        var t = DisputeProcess.Authorize(this, trigger, new DisputeAct(DisputeActor.System), now);
        var step = Apply(t, DisputeActor.System, now, ProcessNames.Of(trigger), detail);
        return step with { Chargeback = (outcome, ChargebackBearer!.Value) };
    }

    /// <summary>A chargeback on the order took over from this dispute: it closes without an outcome, its timers gone.</summary>
    internal void Supersede(DateTimeOffset now, Guid chargebackId)
    {
        var t = DisputeProcess.Authorize(this, DisputeTrigger.Superseded, new DisputeAct(DisputeActor.System), now);
        SupersededBy = chargebackId;
        Outcome = null;
        RefundAmount = null;
        Apply(t, DisputeActor.System, now, "superseded", $"chargeback {chargebackId}");
    }

    /// <summary>The seller accepts the buyer's request: a refund settles at once; a return starts with the buyer shipping the item back.</summary>
    public DisputeStep Accept(DisputeActor actor, DateTimeOffset now)
    {
        var t = DisputeProcess.Authorize(this, DisputeTrigger.Accept, new DisputeAct(actor), now);
        SellerAnsweredAt ??= now;
        return Apply(t, actor, now, "request_accepted", null);
    }

    /// <summary>The seller offers a partial refund of <paramref name="amount"/>, or a return and refund, instead.</summary>
    public DisputeStep CounterOffer(DisputeActor actor, DateTimeOffset now, DisputeOutcome outcome, long? amount, string message)
    {
        var t = DisputeProcess.Authorize(this, DisputeTrigger.CounterOffer, new DisputeAct(actor, outcome), now);
        if (outcome is not (DisputeOutcome.PartialRefund or DisputeOutcome.ReturnAndRefund))
            throw new DomainException(RefusalKind.Invalid, "validation_failed", "A seller offers a partial refund or a return and refund.");
        DisputeProcess.CheckAmount(outcome, amount, ClaimedAmount);
        Require(message, "An offer needs a message.");
        SellerAnsweredAt ??= now;
        _offers.Add(new DisputeOffer(Id, _offers.Count + 1, actor, now, outcome, amount, message));
        return Apply(t, actor, now, "offer_made", Describe(outcome, amount));
    }

    /// <summary>The seller rejects the buyer's request, saying why; the buyer may then escalate (or withdraw).</summary>
    public DisputeStep Reject(DisputeActor actor, DateTimeOffset now, string reason)
    {
        var t = DisputeProcess.Authorize(this, DisputeTrigger.Reject, new DisputeAct(actor), now);
        Require(reason, "A rejection needs a reason.");
        SellerAnsweredAt ??= now;
        RejectionReason = reason;
        return Apply(t, actor, now, "request_rejected", reason);
    }

    /// <summary>The buyer accepts the seller's latest offer.</summary>
    public DisputeStep AcceptOffer(DisputeActor actor, DateTimeOffset now)
    {
        var t = DisputeProcess.Authorize(this, DisputeTrigger.AcceptOffer, new DisputeAct(actor), now);
        return Apply(t, actor, now, "offer_accepted", Describe(LatestOffer!.Outcome, LatestOffer.Amount));
    }

    /// <summary>The buyer or the seller takes the dispute to the platform, once the seller has answered.</summary>
    public DisputeStep Escalate(DisputeActor actor, DateTimeOffset now) =>
        Apply(DisputeProcess.Authorize(this, DisputeTrigger.Escalate, new DisputeAct(actor), now), actor, now, "escalated", null);

    /// <summary>The buyer withdraws the dispute; the order continues where it was.</summary>
    public DisputeStep Withdraw(DisputeActor actor, DateTimeOffset now)
    {
        var t = DisputeProcess.Authorize(this, DisputeTrigger.Withdraw, new DisputeAct(actor), now);
        WithdrawnAt = now;
        return Apply(t, actor, now, "withdrawn", null);
    }

    /// <summary>The buyer shipped the item back with a carrier and tracking number; the seller has some days to confirm it arrived.</summary>
    public DisputeStep ShipReturn(DisputeActor actor, DateTimeOffset now, string carrier, string trackingNumber)
    {
        var t = DisputeProcess.Authorize(this, DisputeTrigger.ReturnShipment, new DisputeAct(actor), now);
        Require(carrier, "A return shipment needs a carrier.");
        Require(trackingNumber, "A return shipment needs a tracking number.");
        ReturnCarrier = carrier;
        ReturnTrackingNumber = trackingNumber;
        ReturnShippedAt = now;
        return Apply(t, actor, now, "return_shipped", $"{carrier} {trackingNumber}");
    }

    /// <summary>
    /// The carrier's scan shows the returned item delivered to the seller: the seller's days to confirm it (and the reminder
    /// before them) start again from now, once. <paramref name="source"/> names the scan.
    /// </summary>
    public DisputeStep ReturnDelivered(DateTimeOffset now, string source)
    {
        var t = DisputeProcess.Authorize(this, DisputeTrigger.ReturnDelivered, new DisputeAct(DisputeActor.System), now);
        return Apply(t, DisputeActor.System, now, "return_delivered", source);
    }

    /// <summary>The seller confirms the returned item arrived: the buyer is refunded in full.</summary>
    public DisputeStep ConfirmReturn(DisputeActor actor, DateTimeOffset now)
    {
        var t = DisputeProcess.Authorize(this, DisputeTrigger.ConfirmReturn, new DisputeAct(actor), now);
        ReturnReceivedAt = now;
        return Apply(t, actor, now, "return_received", null);
    }

    /// <summary>
    /// An arbiter decides, with a rationale. A first decision can be appealed for some days and settles when they are
    /// over; a decision on appeal settles at once. A return and refund sends the item back first.
    /// </summary>
    public DisputeStep Decide(DisputeActor actor, DateTimeOffset now, DisputeOutcome outcome, long? refundAmount, string rationale)
    {
        var t = DisputeProcess.Authorize(this, DisputeTrigger.Decision, new DisputeAct(actor, outcome), now);
        if (actor.UserId is null)
            throw new DomainException(RefusalKind.Invalid, "validation_failed", "A decision needs the arbiter's identity.");
        if (!Enum.IsDefined(outcome))
            throw new DomainException(RefusalKind.Invalid, "validation_failed", "Unknown outcome.");
        DisputeProcess.CheckAmount(outcome, refundAmount, ClaimedAmount);
        Require(rationale, "A decision needs a rationale.");
        if (AppealedAt is null)
        {
            DecidedBy = actor.UserId;
            DecidedAt = now;
            DecisionOutcome = outcome;
            DecisionAmount = refundAmount;
            DecisionRationale = rationale;
        }
        else
        {
            AppealArbiterId = actor.UserId;
            AppealDecidedAt = now;
            AppealOutcome = outcome;
            AppealAmount = refundAmount;
            AppealRationale = rationale;
        }
        return Apply(t, actor, now, AppealedAt is null ? "decided" : "appeal_decided", $"{Describe(outcome, refundAmount)}: {rationale}");
    }

    /// <summary>The buyer or the seller appeals the arbiter's decision, once, within its appeal window; a different arbiter decides.</summary>
    public DisputeStep Appeal(DisputeActor actor, DateTimeOffset now, string reason)
    {
        var t = DisputeProcess.Authorize(this, DisputeTrigger.Appeal, new DisputeAct(actor), now);
        Require(reason, "An appeal needs a reason.");
        AppealedBy = actor.Party;
        AppealedAt = now;
        AppealReason = reason;
        // Under review again: the first decision stays on record (DecisionOutcome), but is no longer the outcome.
        Outcome = null;
        RefundAmount = null;
        ResolvedAt = null;
        return Apply(t, actor, now, "appealed", reason);
    }

    /// <summary>A system transition (a deadline passed) at <paramref name="now"/>.</summary>
    public DisputeStep Fire(DisputeTrigger trigger, DateTimeOffset now) =>
        Apply(DisputeProcess.Authorize(this, trigger, new DisputeAct(DisputeActor.System), now), DisputeActor.System, now, ProcessNames.Of(trigger), null);

    /// <summary>Fires the pending timer of this kind: its system transition, or its reminder. The timer is gone either way.</summary>
    public DisputeStep FireTimer(DisputeTimerKind kind, DateTimeOffset now)
    {
        var timer = _timers.FirstOrDefault(t => t.Kind == kind)
            ?? throw DomainException.InvalidState($"The dispute has no pending {kind} timer.");
        var rule = _process.RuleOf(kind);
        if (rule.Fires is { } trigger)
            return Fire(trigger, now); // the transition removes the timer
        _timers.Remove(timer);
        Version++;
        Record(now, DisputeActor.System, rule.Remind == DisputeParty.Buyer ? "buyer_reminded" : "seller_reminded", null);
        return new DisputeStep(null, false, rule.Remind);
    }

    /// <summary>Drops a pending timer whose transition the process refuses, recorded in the timeline so the discrepancy is visible.</summary>
    public void DiscardTimer(DisputeTimerKind kind, DateTimeOffset now, string why)
    {
        if (_timers.RemoveAll(t => t.Kind == kind) == 0) return;
        Version++;
        Record(now, DisputeActor.System, "timer_discarded", $"{ProcessNames.Of(kind)}: {why}");
    }

    /// <summary>The deadlines ahead of the dispute, by API name: its pending timers that are deadlines, and the arbiter's target.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> PendingDeadlines()
    {
        var deadlines = _timers.Select(t => (Rule: _process.RuleOf(t.Kind), t.DueAt))
            .Where(t => t.Rule.Deadline is not null)
            .ToDictionary(t => t.Rule.Deadline!, t => t.DueAt);
        if (Status == DisputeStatus.UnderReview && DecisionDueAt is { } due) deadlines[IsChargeback ? "respondBy" : "decisionDueAt"] = due;
        return deadlines;
    }

    /// <summary>Whether the arbiter's 7-day target has passed with no decision.</summary>
    public bool IsDecisionOverdue(DateTimeOffset now) => Status == DisputeStatus.UnderReview && now >= DecisionDueAt;

    private DisputeStep Apply(DisputeTransition t, DisputeActor actor, DateTimeOffset now, string eventKind, string? detail)
    {
        var left = Status;
        Status = t.To;
        Version++;
        _lastTransition = t;
        if (t.To == DisputeStatus.UnderReview)
        {
            EscalatedAt = now;
            // A chargeback's deadline is the network's, set when it opened; an arbiter's is the dispute's target.
            if (!IsChargeback) DecisionDueAt = now.AddDays(DecisionTargetDays);
        }
        if (t.To == DisputeStatus.AwaitingReturnShipment && left != DisputeStatus.AwaitingReturnShipment) ReturnAgreedAt = now;
        if (t.Trigger == DisputeTrigger.ReturnDelivered) ReturnDeliveredAt = now;

        var settlement = t.Settles switch
        {
            DisputeSettles.BuyersRequest => Settle(RequestedOutcome, RequestedAmount),
            DisputeSettles.SellersOffer => Settle(LatestOffer!.Outcome, LatestOffer.Amount),
            DisputeSettles.ArbitersDecision => AppealedAt is null ? Settle(DecisionOutcome!.Value, DecisionAmount) : Settle(AppealOutcome!.Value, AppealAmount),
            DisputeSettles.FullRefund => Settle(DisputeOutcome.FullRefund, null),
            DisputeSettles.ReleasedToSeller => Settle(DisputeOutcome.ReleasedToSeller, null),
            DisputeSettles.Chargeback when t.Trigger == DisputeTrigger.ChargebackWon => Settle(DisputeOutcome.ReleasedToSeller, null),
            DisputeSettles.Chargeback => RequestedAmount is { } part ? Settle(DisputeOutcome.PartialRefund, part) : Settle(DisputeOutcome.FullRefund, null),
            _ => null,
        };
        if (t.To == DisputeStatus.Resolved && settlement is null)
        {
            // A first decision: resolved as decided now, settled when its appeal window closes.
            Outcome = DecisionOutcome;
            RefundAmount = AmountOf(DecisionOutcome!.Value, DecisionAmount);
            ResolvedAt = now;
        }
        if (settlement is not null)
        {
            Outcome = settlement.Outcome;
            RefundAmount = settlement.RefundAmount;
            if (t.Trigger != DisputeTrigger.AppealWindowClosed) ResolvedAt = now;
            SettledAt = now;
        }

        // Timers of the state left behind are cancelled, the one fired is gone, and the new ones start.
        _timers.RemoveAll(timer => !_process.RuleOf(timer.Kind).LivesIn.Contains(t.To) || _process.RuleOf(timer.Kind).Fires == t.Trigger);
        var terms = t.Starts.Length == 0 ? null : Terms;
        foreach (var kind in t.Starts)
        {
            var rule = _process.RuleOf(kind);
            var due = now + rule.After(terms!);
            if (rule.Fires is null && due <= now) continue;
            // A timer started again (the return's delivery restarts the seller's window) keeps its row and moves.
            if (_timers.FirstOrDefault(x => x.Kind == kind) is { } running) running.MoveTo(due);
            else _timers.Add(new DisputeTimer(Id, kind, due));
        }
        Record(now, actor, eventKind, detail);
        return new DisputeStep(settlement, t.Settles == DisputeSettles.ResumeOrder);
    }

    private Settlement Settle(DisputeOutcome outcome, long? amount) => new(outcome, AmountOf(outcome, amount));

    private long AmountOf(DisputeOutcome outcome, long? amount) => outcome switch
    {
        DisputeOutcome.FullRefund => ClaimedAmount,
        DisputeOutcome.PartialRefund => amount!.Value,
        DisputeOutcome.ReleasedToSeller => 0,
        _ => throw new InvalidOperationException($"{outcome} is not an outcome that settles."),
    };

    private static string Describe(DisputeOutcome outcome, long? amount) =>
        amount is { } a ? $"{DisputeProcess.Name(outcome)} {a}" : DisputeProcess.Name(outcome);

    private static void Require(string? text, string message)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new DomainException(RefusalKind.Invalid, "validation_failed", message);
    }

    private void Record(DateTimeOffset at, DisputeActor actor, string kind, string? detail) =>
        _timeline.Add(new DisputeEvent(Id, ++EventCount, at, actor, kind, detail));
}

/// <summary>
/// An item a dispute names (SPEC 3): the order's line, the quantity claimed, and its unit price and title as bought, so
/// the claim reads the same whatever happens to the product.
/// </summary>
public sealed class DisputeItem
{
    private DisputeItem()
    {
        Title = "";
    }

    internal DisputeItem(Guid disputeId, OrderLine line, int quantity)
    {
        DisputeId = disputeId;
        LineNumber = line.LineNumber;
        Title = line.Title;
        UnitPriceAmount = line.UnitPriceAmount;
        Quantity = quantity;
    }

    public Guid DisputeId { get; private set; }

    /// <summary>The order's line (<see cref="OrderLine.LineNumber"/>); its API id is <see cref="OrderLine.ItemIdOf"/> of the order and this.</summary>
    public int LineNumber { get; private set; }
    public string Title { get; private set; }
    public long UnitPriceAmount { get; private set; }

    /// <summary>How many of the line's units are claimed: at least 1, at most what was bought.</summary>
    public int Quantity { get; private set; }

    /// <summary>What the item claims: its unit price × the quantity claimed, in minor units.</summary>
    public long Amount => UnitPriceAmount * Quantity;
}

/// <summary>A seller's counter-offer: who made it and when, what it offers and the message with it.</summary>
public sealed class DisputeOffer
{
    private DisputeOffer()
    {
        Message = "";
    }

    internal DisputeOffer(Guid disputeId, int sequence, DisputeActor by, DateTimeOffset at, DisputeOutcome outcome, long? amount, string message)
    {
        DisputeId = disputeId;
        Sequence = sequence;
        By = by.Party;
        ByUserId = by.UserId;
        At = at;
        Outcome = outcome;
        Amount = amount;
        Message = message;
    }

    public Guid DisputeId { get; private set; }
    public int Sequence { get; private set; }
    public DisputeParty By { get; private set; }
    public Guid? ByUserId { get; private set; }
    public DateTimeOffset At { get; private set; }

    /// <summary><c>partial_refund</c> (with <see cref="Amount"/>) or <c>return_and_refund</c>.</summary>
    public DisputeOutcome Outcome { get; private set; }
    public long? Amount { get; private set; }
    public string Message { get; private set; }
}

/// <summary>One step of a dispute: what, when, and who did it (buyer, seller, arbiter or system).</summary>
public sealed class DisputeEvent : ProcessEvent<DisputeParty>
{
    private DisputeEvent()
    {
    }

    internal DisputeEvent(Guid disputeId, int sequence, DateTimeOffset at, DisputeActor actor, string kind, string? detail)
        : base(sequence, at, actor.Party, actor.UserId, actor.Via, kind, detail) => DisputeId = disputeId;

    public Guid DisputeId { get; private set; }
}

/// <summary>A pending timer of a dispute: what it is and when it is due. It is deleted when it fires or its state is left.</summary>
public sealed class DisputeTimer
{
    private DisputeTimer()
    {
    }

    internal DisputeTimer(Guid disputeId, DisputeTimerKind kind, DateTimeOffset dueAt)
    {
        DisputeId = disputeId;
        Kind = kind;
        DueAt = dueAt;
    }

    public Guid DisputeId { get; private set; }
    public DisputeTimerKind Kind { get; private set; }
    public DateTimeOffset DueAt { get; private set; }

    internal void MoveTo(DateTimeOffset dueAt) => DueAt = dueAt;
}
