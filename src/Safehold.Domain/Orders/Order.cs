using Safehold.Domain.Disputes;
using Safehold.Domain.Ledger;
using Safehold.Domain.Policy;
using Safehold.Domain.Process;

namespace Safehold.Domain.Orders;

/// <summary>Who did something: their relation to the order and, for a person, their user id.</summary>
public readonly record struct Actor(Party Party, Guid? UserId, ActingPlatform? Via = null)
{
    public static Actor System => new(Party.System, null);
}

/// <summary>
/// The marketplace's back end acting for a buyer or seller (SPEC 1: a platform key and <c>Safehold-Acting-For</c>):
/// the platform user and the key it used. The audit trail records it beside the user it acted for.
/// </summary>
public readonly record struct ActingPlatform(Guid UserId, Guid KeyId);

/// <summary>What firing a timer did: the journal entry to post and whom to remind, either possibly none.</summary>
public sealed record TimerOutcome(JournalEntry? Entry, Party Reminded, ProviderCall Calls = ProviderCall.None);

/// <summary>
/// A buyer's order from one seller, in one currency, and the protection around it. Every change goes
/// through <see cref="OrderProcess"/>: a change the table does not allow is refused with a named error,
/// and a change that moves money returns the one balanced journal entry to write with it. The order's
/// timers are rows beside it, started and cancelled by the same transitions.
/// </summary>
public sealed class Order : IProcessSubject<OrderStatus>
{
    private readonly List<OrderLine> _lines = [];
    private readonly List<OrderEvent> _timeline = [];
    private readonly List<OrderTimer> _timers = [];
    private readonly List<ProtectionExtension> _extensions = [];

    // Dispute state. Read-only properties over fields, so that the web's EF model does not pick them up by
    // convention before it maps them (with a migration) when disputes are wired in.
    private Guid? _openDisputeId;
    private DateTimeOffset? _disputeOpenedAt;
    private DateTimeOffset? _disputeResolvedAt;
    private long _refundedAmount;
    private long _partAmount;
    private Guid? _chargebackId;
    private ChargebackBearer? _chargebackBearer; // in memory: who bears the chargeback being settled
    private OrderTransition? _lastTransition;
    private OrderTables _process = OrderProcess.Standard;

    private Order()
    {
        Currency = ShippingAddress = "";
    }

    public Guid Id { get; private set; }
    public Guid BuyerId { get; private set; }
    public Guid SellerId { get; private set; }
    public OrderStatus Status { get; private set; }

    /// <summary>Incremented by every change; the database refuses a write based on a stale copy.</summary>
    public int Version { get; private set; }

    /// <summary>How many events the timeline has, so an event can be appended without loading the timeline.</summary>
    public int EventCount { get; private set; }

    public string Currency { get; private set; }
    public long TotalAmount { get; private set; }
    public Money Total => new(TotalAmount, Safehold.Domain.Currency.Of(Currency));

    // The terms of protection, copied from the policy when the order was placed.
    /// <summary>The commission, in basis points, agreed when the order was placed.</summary>
    public int CommissionBasisPoints { get; private set; }
    public int HandlingDays { get; private set; }
    public int ProtectionDays { get; private set; }
    public int AutoCompleteDaysAfterDelivery { get; private set; }
    public int PostCompletionDisputeDays { get; private set; }
    public int MaxExtensions { get; private set; }
    public int MaxExtensionDays { get; private set; }
    public int ExtensionResponseDays { get; private set; }
    public int BuyerReminderDays { get; private set; }
    public int SellerReminderDays { get; private set; }

    public string ShippingAddress { get; private set; }

    /// <summary>The marketplace's own id for the order, unique among orders; Safehold never reads it.</summary>
    public string? ExternalId { get; private set; }

    /// <summary>The marketplace's notes on the order, as JSON text of string pairs; Safehold never reads them.</summary>
    public string? Metadata { get; private set; }
    public string? PaymentReference { get; private set; }

    /// <summary>The checkout that placed it with other sellers' orders, paid with one payment; none for an order placed alone.</summary>
    public Guid? CheckoutId { get; private set; }
    public string? Carrier { get; private set; }
    public string? TrackingNumber { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset PayBy { get; private set; }
    public DateTimeOffset? PaidAt { get; internal set; }
    public DateTimeOffset? ShipBy { get; internal set; }
    public DateTimeOffset? ShippedAt { get; internal set; }
    public DateTimeOffset? ProtectionEndsAt { get; internal set; }
    public DateTimeOffset? DeliveredAt { get; internal set; }
    public DateTimeOffset? AutoCompleteAt { get; internal set; }
    public DateTimeOffset? CompletedAt { get; internal set; }

    /// <summary>When the post-completion dispute window closes and the seller's credit becomes available.</summary>
    public DateTimeOffset? DisputeWindowEndsAt { get; internal set; }
    public DateTimeOffset? CreditAvailableAt { get; internal set; }
    public DateTimeOffset? ClosedAt { get; internal set; }

    public IReadOnlyList<OrderLine> Lines => _lines;
    public IReadOnlyList<OrderEvent> Timeline => _timeline;

    /// <summary>The timers still pending; each fires once and is then gone.</summary>
    public IReadOnlyList<OrderTimer> Timers => _timers;
    public IReadOnlyList<ProtectionExtension> Extensions => _extensions;
    public ProtectionExtension? PendingExtension => _extensions.FirstOrDefault(e => e.Status == ExtensionStatus.Pending);

    /// <summary>The dispute open on this order, if any: while it is open the order is frozen and its timers paused.</summary>
    public Guid? OpenDisputeId => _openDisputeId;

    /// <summary>When the open dispute was opened: the order's timers have been paused since.</summary>
    public DateTimeOffset? DisputeOpenedAt => _disputeOpenedAt;

    /// <summary>When a dispute on this order was resolved; an order has at most one resolved dispute.</summary>
    public DateTimeOffset? DisputeResolvedAt => _disputeResolvedAt;

    /// <summary>
    /// The row of <see cref="OrderProcess.Table"/> this copy of the order last took (in memory only): the caller carries out
    /// what it asks outside the database, its <see cref="OrderTransition.Calls"/> (a refund, a lost capture to return).
    /// </summary>
    public OrderTransition? LastTransition => _lastTransition;

    /// <summary>The tables this order follows: <see cref="OrderProcess.Standard"/>, unless it was placed under others.</summary>
    public OrderTables Process => _process;

    /// <summary>What a dispute refunded to the buyer, in minor units; the seller is credited the rest less commission.</summary>
    public long RefundedAmount => _refundedAmount;

    /// <summary>
    /// The value, in minor units, of the items a per-item dispute holds apart in escrow (SPEC 3; after completion, taken
    /// back from the seller's pending credit); 0 when the order's money is one. The rest of the order (<see cref="Rest"/>) goes on by its own clock, and the
    /// dispute's outcome posts against this part only.
    /// </summary>
    public long PartAmount => _partAmount;

    /// <summary>
    /// What the open dispute holds from the seller: a per-item dispute's part while it is held apart; for a dispute (or
    /// chargeback) on the whole order, all that is captured; nothing when no dispute is open.
    /// </summary>
    public Money HeldByDispute => _openDisputeId is null ? Money.Zero(Total.Currency) : PartHeld ? Part : Captured;

    /// <summary>When the part a per-item dispute held apart was refunded or released; null while it is held (or there is none).</summary>
    public DateTimeOffset? PartSettledAt { get; internal set; }

    /// <summary>The chargeback's dispute, once the provider has reported one; an order has at most one.</summary>
    public Guid? ChargebackId => _chargebackId;

    /// <summary>Whether the dispute holding the order now is its chargeback.</summary>
    public bool ChargebackIsOpen => _chargebackId is not null && _openDisputeId == _chargebackId;

    /// <summary>
    /// Places an order for <paramref name="lines"/>, all from one seller and in one currency, with the
    /// listing of each product copied as it is now.
    /// </summary>
    /// <param name="process">The tables it follows; <see cref="OrderProcess.Standard"/> unless a change to them is being tried.</param>
    public static Order Place(Guid id, Guid buyerId, IReadOnlyList<(ListingSnapshot Listing, int Quantity)> lines,
        string shippingAddress, ProtectionPolicy policy, DateTimeOffset now, ActingPlatform? via = null, OrderTables? process = null)
    {
        if (lines.Count == 0)
            throw new DomainException(RefusalKind.Invalid, "validation_failed", "An order needs at least one item.");
        var sellers = lines.Select(l => l.Listing.SellerId).Distinct().Count();
        if (sellers != 1)
            throw new DomainException(RefusalKind.RuleRefused, "multiple_sellers", "All items of an order must come from one seller.");
        var currencies = lines.Select(l => l.Listing.Price.Currency).Distinct().Count();
        if (currencies != 1)
            throw new DomainException(RefusalKind.RuleRefused, "mixed_currencies", "All items of an order must be priced in one currency.");
        if (lines.Any(l => l.Listing.Price.Amount <= 0))
            throw new DomainException(RefusalKind.Invalid, "validation_failed", "Every price must be at least one minor unit.");
        if (lines.Any(l => l.Quantity <= 0))
            throw new DomainException(RefusalKind.Invalid, "validation_failed", "Every quantity must be at least 1.");
        if (lines.Any(l => l.Listing.BuyerCannotBuy(buyerId)))
            throw new DomainException(RefusalKind.RuleRefused, "own_product", "A seller cannot buy their own product.");

        var currency = lines[0].Listing.Price.Currency;
        Money total;
        Int128 weightedBps = 0;
        try
        {
            total = Money.Zero(currency);
            foreach (var (listing, quantity) in lines)
            {
                var lineTotal = listing.Price * quantity;
                total += lineTotal;
                weightedBps += (Int128)lineTotal.Amount * policy.CommissionFor(listing.Category);
            }
        }
        catch (OverflowException)
        {
            throw new DomainException(RefusalKind.Invalid, "amount_too_large", "The order's total is too large.");
        }

        var order = new Order
        {
            Id = id,
            BuyerId = buyerId,
            SellerId = lines[0].Listing.SellerId,
            Status = OrderStatus.AwaitingPayment,
            Version = 1,
            Currency = currency.Code,
            TotalAmount = total.Amount,
            // A mixed-category order pays the amount-weighted commission, rounded half up.
            CommissionBasisPoints = total.Amount == 0 ? policy.CommissionBasisPoints : (int)((weightedBps + total.Amount / 2) / total.Amount),
            HandlingDays = lines.Max(l => l.Listing.HandlingDays ?? policy.DefaultHandlingDays),
            ProtectionDays = lines.Max(l => l.Listing.ProtectionDays ?? policy.DefaultProtectionDays),
            AutoCompleteDaysAfterDelivery = policy.AutoCompleteDaysAfterDelivery,
            PostCompletionDisputeDays = policy.PostCompletionDisputeDays,
            MaxExtensions = policy.MaxExtensions,
            MaxExtensionDays = policy.MaxExtensionDays,
            ExtensionResponseDays = policy.ExtensionResponseDays,
            BuyerReminderDays = policy.BuyerReminderDaysBeforeProtectionEnds,
            SellerReminderDays = policy.SellerReminderDaysBeforeShipBy,
            ShippingAddress = shippingAddress,
            CreatedAt = now,
            PayBy = now + policy.PayWithin,
            _process = process ?? OrderProcess.Standard,
        };
        var lineNo = 0;
        foreach (var (listing, quantity) in lines)
            order._lines.Add(new OrderLine(id, ++lineNo, listing, quantity));
        order.Record(now, new Actor(Party.Buyer, buyerId, via), "placed", null);
        order.Reschedule(OrderTimerKind.PayBy, now);
        return order;
    }

    /// <summary>Marks the order as one of a checkout's (placed with other sellers' orders, to be paid together).</summary>
    public void PlacedBy(Guid checkoutId) => CheckoutId = CheckoutId is null ? checkoutId : throw new InvalidOperationException("The order already belongs to a checkout.");

    /// <summary>Keeps the marketplace's id and notes, checked by the caller (they are the marketplace's, not the process's).</summary>
    public void SetExternalReference(string? externalId, string? metadata) => (ExternalId, Metadata) = (externalId, metadata);

    /// <summary>The buyer paid; the total moves into this order's escrow. An order of a checkout is paid with it (<see cref="Checkout.Pay"/>).</summary>
    public JournalEntry Pay(OrderAct act, DateTimeOffset now, string paymentReference)
    {
        var t = OrderProcess.Authorize(this, OrderTrigger.Pay, act, now);
        PaymentReference = paymentReference;
        return Apply(t, act.By, now, "paid", null)!;
    }

    /// <summary>Cancelled by a party before shipment; a paid order is refunded in full at once.</summary>
    public JournalEntry? Cancel(Actor actor, DateTimeOffset now, string? reason) =>
        Apply(OrderProcess.Authorize(this, OrderTrigger.Cancel, actor, now), actor, now, "cancelled", reason);

    /// <summary>The seller shipped with a carrier and tracking number; protection starts.</summary>
    public void Ship(Actor actor, DateTimeOffset now, string carrier, string trackingNumber)
    {
        var t = OrderProcess.Authorize(this, OrderTrigger.Ship, actor, now);
        Carrier = carrier;
        TrackingNumber = trackingNumber;
        Apply(t, actor, now, "shipped", $"{carrier} {trackingNumber}");
    }

    /// <summary>Delivery was reported; the order will complete on its own some days later.</summary>
    /// <param name="source">Where the report came from when it was not a person: the carrier's scan (<c>tracking: ...</c>).</param>
    public void MarkDelivered(Actor actor, DateTimeOffset now, string? source = null)
    {
        Apply(OrderProcess.Authorize(this, OrderTrigger.MarkDelivered, actor, now), actor, now, "delivered", source);
    }

    /// <summary>The buyer confirmed the order arrived as described; escrow is released to the seller.</summary>
    public JournalEntry ConfirmReceipt(Actor actor, DateTimeOffset now) =>
        Apply(OrderProcess.Authorize(this, OrderTrigger.ConfirmReceipt, actor, now), actor, now, "receipt_confirmed", null)!;

    /// <summary>The buyer asks for <paramref name="days"/> more days of protection; the seller has some days to answer.</summary>
    public ProtectionExtension RequestExtension(Actor actor, DateTimeOffset now, Guid extensionId, int days, string reason)
    {
        var t = OrderProcess.Authorize(this, OrderTrigger.ExtendProtection, new OrderAct(actor, Days: days), now);
        // The seller's silence approves: it must fall due no later than the protection it would extend.
        var answerBy = now.AddDays(ExtensionResponseDays);
        if (ProtectionEndsAt is { } ends && ends < answerBy) answerBy = ends;
        var extension = new ProtectionExtension(extensionId, Id, days, reason, now, answerBy);
        _extensions.Add(extension);
        Apply(t, actor, now, "extension_requested", $"{days} days: {reason}");
        return extension;
    }

    /// <summary>The seller approves the waiting extension: protection ends later by its days.</summary>
    public void ApproveExtension(Actor actor, DateTimeOffset now, Guid extensionId) =>
        DecideExtension(OrderTrigger.ApproveExtension, actor, now, extensionId);

    /// <summary>The seller declines the waiting extension: protection ends when it would have.</summary>
    public void DeclineExtension(Actor actor, DateTimeOffset now, Guid extensionId) =>
        DecideExtension(OrderTrigger.DeclineExtension, actor, now, extensionId);

    /// <summary>
    /// The buyer opens a dispute on this order: from shipment until protection ends, or (for every reason but
    /// <c>not_received</c>) until the post-completion window closes. The order is frozen while the dispute is open:
    /// it cannot complete or release, and its timers are paused with the time they have left.
    /// </summary>
    /// <remarks>
    /// A dispute naming <paramref name="items"/> (none: the whole order) claims at most their value. On items worth less than
    /// the total, only that value stays in escrow (<see cref="PartAmount"/>; after completion it is taken back there, see
    /// <see cref="OpenDisputeWithEntry"/>): the order is not frozen, and the rest goes on by its own clock (<see cref="OrderPart.Items"/> rows).
    /// </remarks>
    /// <param name="terms">The dispute's terms (its durations), copied from the policy in force when it opens.</param>
    /// <param name="items">The items claimed, by <see cref="OrderLine.ItemId"/>, with the quantity of each; null or empty: the whole order.</param>
    public Dispute OpenDispute(Actor actor, DateTimeOffset now, Guid disputeId, DisputeReason reason,
        DisputeOutcome requestedOutcome, long? requestedAmount, string description, DisputeTerms terms,
        IReadOnlyList<(Guid ItemId, int Quantity)>? items = null)
    {
        var (dispute, entry) = OpenDisputeWithEntry(actor, now, disputeId, reason, requestedOutcome, requestedAmount, description, terms, items);
        return entry is null ? dispute
            : throw new InvalidOperationException($"Opening this dispute moves money: use {nameof(OpenDisputeWithEntry)} and post its entry.");
    }

    /// <summary>
    /// Opens a dispute as <see cref="OpenDispute"/> does, with the journal entry to post with it: a per-item dispute opened
    /// after completion takes its part back into escrow (<see cref="MoneyMovement.PartHoldFromCredit"/>); otherwise none.
    /// </summary>
    public (Dispute Dispute, JournalEntry? Entry) OpenDisputeWithEntry(Actor actor, DateTimeOffset now, Guid disputeId, DisputeReason reason,
        DisputeOutcome requestedOutcome, long? requestedAmount, string description, DisputeTerms terms,
        IReadOnlyList<(Guid ItemId, int Quantity)>? items = null)
    {
        var claim = ClaimOf(items);
        var t = OrderProcess.Authorize(this, OrderTrigger.OpenDispute, new OrderAct(actor, Reason: reason, Claim: claim?.Value), now);
        var dispute = Dispute.Open(disputeId, this, actor, now, reason, requestedOutcome, requestedAmount, description, terms, claim);
        _openDisputeId = disputeId;
        if (t.Clock == OrderClock.Pauses) _disputeOpenedAt = now; // the order's clock stops only when the whole order is held
        if (t.Part == OrderPart.Items) _partAmount = claim!.Value.Value;
        var entry = Apply(t, actor, now, "dispute_opened", DisputeProcess.Name(reason)); // the items claimed are the dispute's (Dispute.Items)
        return (dispute, entry);
    }

    /// <summary>
    /// The lines and value a dispute naming <paramref name="items"/> claims: each item of this order, once, with a quantity
    /// of 1 to what was bought; null when none is named (the whole order). Bad input is refused with a named error.
    /// </summary>
    public (IReadOnlyList<(OrderLine Line, int Quantity)> Lines, long Value)? ClaimOf(IReadOnlyList<(Guid ItemId, int Quantity)>? items)
    {
        if (items is null || items.Count == 0) return null;
        var lines = new List<(OrderLine Line, int Quantity)>();
        foreach (var (itemId, quantity) in items)
        {
            var line = _lines.FirstOrDefault(l => l.ItemId == itemId)
                ?? throw new DomainException(RefusalKind.Invalid, "unknown_item", $"The order has no item {itemId}.");
            if (lines.Any(l => l.Line == line))
                throw new DomainException(RefusalKind.Invalid, "duplicate_item", $"The item {itemId} is named more than once.");
            if (quantity < 1 || quantity > line.Quantity)
                throw new DomainException(RefusalKind.Invalid, "quantity_out_of_range",
                    $"The quantity of item {itemId} must be between 1 and {line.Quantity}, what was bought.");
            lines.Add((line, quantity));
        }
        return (lines, lines.Sum(l => (l.Line.UnitPrice * l.Quantity).Amount));
    }

    /// <summary>
    /// The open dispute was withdrawn: the order continues where it was, its timers running again with the time they had
    /// left. A per-item dispute's part rejoins the rest, or, once the rest was released, is released too: its entry.
    /// </summary>
    public JournalEntry? WithdrawDispute(DateTimeOffset now)
    {
        var t = OrderProcess.Authorize(this, OrderTrigger.DisputeWithdrawn, Actor.System, now);
        return Apply(t, Actor.System, now, "dispute_withdrawn", null);
    }

    /// <summary>
    /// The open dispute ended with <paramref name="outcome"/> (<c>full_refund</c>, <c>partial_refund</c> of
    /// <paramref name="refundAmount"/>, or <c>released_to_seller</c>); returns the one journal entry that settles it, or
    /// null when no money moves. Before completion the money comes from escrow; after it, from the seller's pending
    /// credit (frozen while the dispute was open) and the commission. In every case the refund, the seller's share and
    /// the commission add up to the total, and commission is charged only on what stays released. A per-item dispute
    /// holding its part apart (<see cref="PartAmount"/>) settles against the part only.
    /// </summary>
    /// <param name="refundAmount">
    /// For a partial refund, its amount; for a full refund, what the dispute claimed (its items' value), null for the whole
    /// order: a full refund of fewer items than the order has is a partial refund of the order.
    /// </param>
    public JournalEntry? ResolveDispute(DisputeOutcome outcome, long? refundAmount, DateTimeOffset now)
    {
        var claimed = _partAmount > 0 ? _partAmount : TotalAmount;
        if (outcome is not (DisputeOutcome.FullRefund or DisputeOutcome.PartialRefund or DisputeOutcome.ReleasedToSeller))
            throw new DomainException(RefusalKind.Invalid, "validation_failed",
                "A return and refund settles as a full refund once the item is back, or as released to the seller.");
        if (outcome == DisputeOutcome.FullRefund && _partAmount > 0 && refundAmount is { } part && part != _partAmount)
            throw new InvalidOperationException($"A full refund of a per-item dispute is its part ({_partAmount}), not {part}.");
        var refund = outcome == DisputeOutcome.FullRefund ? refundAmount ?? claimed : refundAmount;
        DisputeProcess.CheckAmount(outcome == DisputeOutcome.ReleasedToSeller ? outcome : DisputeOutcome.PartialRefund, refund, claimed);
        var trigger = refund switch
        {
            null => OrderTrigger.DisputeReleasedToSeller,
            { } all when all == claimed => OrderTrigger.DisputeRefundedInFull, // all that is claimed is a full refund
            _ => OrderTrigger.DisputeRefundedInPart,
        };
        var t = OrderProcess.Authorize(this, trigger, Actor.System, now);
        _refundedAmount = refund ?? 0;
        _disputeResolvedAt = now;
        return Apply(t, Actor.System, now, ProcessNames.Of(trigger), refundAmount is { } r ? $"{r} {Currency}" : null);
    }

    /// <summary>
    /// The payment provider reported a chargeback on this order (SPEC 4): it opens a dispute of kind <c>chargeback</c>,
    /// with the network's <paramref name="respondBy"/> deadline, for what is still captured (the total less what a dispute
    /// refunded). The order is frozen as by a dispute; money already released is taken back into its escrow
    /// (<see cref="MoneyMovement.ChargebackHold"/>). An open dispute is superseded: the chargeback takes over from it.
    /// </summary>
    /// <param name="open">The dispute open on the order now, if any: it must be the one <see cref="OpenDisputeId"/> names.</param>
    /// <param name="reportedAmount">The amount the provider reported, if any: it must be what is still captured.</param>
    /// <param name="bearer">Who bears the loss if it is lost, decided by the policy now (<see cref="ProtectionPolicy.BearerOfChargeback"/>).</param>
    public (Dispute Chargeback, JournalEntry? Entry) OpenChargeback(DateTimeOffset now, Guid disputeId, Dispute? open, string networkReason,
        DateTimeOffset respondBy, long? reportedAmount, ChargebackBearer bearer, string? reference, DisputeTerms terms)
    {
        var t = OrderProcess.Authorize(this, OrderTrigger.ChargebackOpened, Actor.System, now);
        if (open?.Id != _openDisputeId)
            throw new InvalidOperationException("The dispute open on the order must be passed to be superseded.");
        var captured = Captured.Amount;
        if (reportedAmount is { } reported && reported != captured)
            throw new DomainException(RefusalKind.RuleRefused, "chargeback_amount_mismatch",
                $"A chargeback takes back what is still captured for the order ({captured} {Currency}), not {reported}.");
        var chargeback = Dispute.OpenChargeback(disputeId, this, now, networkReason, respondBy, captured, bearer, reference, terms);
        var partHeld = PartHeld;
        open?.Supersede(now, disputeId);
        _chargebackId = disputeId;
        _openDisputeId = disputeId;
        _disputeOpenedAt ??= now; // a dispute it takes over from paused the clock already: it stays paused from then
        var entry = Apply(t, Actor.System, now, "chargeback_opened", networkReason);
        // A per-item dispute's part still held is superseded with its dispute: once the hold has taken back what was
        // released of the rest, the part rejoins it, and the whole order is frozen in escrow for the network to decide.
        if (partHeld) RejoinPart();
        return (chargeback, entry);
    }

    /// <summary>
    /// The card network decided the open chargeback: <see cref="ChargebackOutcome.Won"/> gives the money back where it
    /// was and the order continues; <see cref="ChargebackOutcome.Lost"/> leaves it with the buyer's card and closes the
    /// order, the seller's released share made good by the platform when <paramref name="bearer"/> says so.
    /// </summary>
    public JournalEntry? SettleChargeback(ChargebackOutcome outcome, ChargebackBearer bearer, DateTimeOffset now)
    {
        var trigger = outcome == ChargebackOutcome.Won ? OrderTrigger.ChargebackWon : OrderTrigger.ChargebackLost;
        var t = OrderProcess.Authorize(this, trigger, Actor.System, now);
        _chargebackBearer = bearer;
        _disputeResolvedAt = now;
        return Apply(t, Actor.System, now, ProcessNames.Of(trigger), null);
    }

    /// <summary>A system transition (unpaid expiry, missed ship-by, protection end, auto-complete, ...) at <paramref name="now"/>.</summary>
    public JournalEntry? Fire(OrderTrigger trigger, DateTimeOffset now)
    {
        if (trigger is OrderTrigger.DisputeWithdrawn or OrderTrigger.DisputeRefundedInFull or OrderTrigger.DisputeRefundedInPart
            or OrderTrigger.DisputeReleasedToSeller or OrderTrigger.ChargebackOpened or OrderTrigger.ChargebackWon or OrderTrigger.ChargebackLost)
            throw new InvalidOperationException($"{trigger} comes from a dispute: use {nameof(ResolveDispute)} or {nameof(WithdrawDispute)}.");
        var t = OrderProcess.Authorize(this, trigger, Actor.System, now);
        return trigger == OrderTrigger.ExtensionAutoApproved
            ? Apply(t, Actor.System, now, "extension_auto_approved", $"{PendingExtension!.Days} days")
            : Apply(t, Actor.System, now, ProcessNames.Of(trigger), null);
    }

    /// <summary>
    /// Fires the pending timer of this kind: its system transition, or its reminder. The timer is removed
    /// whatever it does, so it can never fire twice.
    /// </summary>
    public TimerOutcome FireTimer(OrderTimerKind kind, DateTimeOffset now)
    {
        var timer = _timers.FirstOrDefault(t => t.Kind == kind)
            ?? throw DomainException.InvalidState($"The order has no pending {kind} timer.");
        if (timer.IsPaused)
            throw DomainException.InvalidState($"The order's {kind} timer is paused while a dispute is open.");
        var rule = _process.RuleOf(kind);
        if (rule.Fires is { } trigger)
            return new TimerOutcome(Fire(trigger, now), Party.None, _lastTransition!.Calls); // the transition removes the timer
        _timers.Remove(timer);
        Version++;
        Record(now, Actor.System, rule.Remind == Party.Buyer ? "buyer_reminded" : "seller_reminded", null);
        return new TimerOutcome(null, rule.Remind);
    }

    /// <summary>
    /// Drops a pending timer whose transition the process refuses (it should have been cancelled with its state);
    /// recorded in the timeline so the discrepancy is visible rather than retried for ever.
    /// </summary>
    public void DiscardTimer(OrderTimerKind kind, DateTimeOffset now, string why)
    {
        if (_timers.RemoveAll(t => t.Kind == kind) == 0) return;
        Version++;
        Record(now, Actor.System, "timer_discarded", $"{ProcessNames.Of(kind)}: {why}");
    }

    /// <summary>The deadlines still ahead of the order: one per pending timer that is a deadline, by API name.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> PendingDeadlines() =>
        _timers.Where(t => !t.IsPaused).Select(t => (Rule: _process.RuleOf(t.Kind), t.DueAt))
            .Where(t => t.Rule.Deadline is not null)
            .OrderBy(t => t.DueAt)
            .ToDictionary(t => t.Rule.Deadline!, t => t.DueAt);

    private void DecideExtension(OrderTrigger trigger, Actor actor, DateTimeOffset now, Guid extensionId)
    {
        var t = OrderProcess.Authorize(this, trigger, actor, now);
        var pending = PendingExtension!;
        if (pending.Id != extensionId)
            throw new DomainException(RefusalKind.NotFound, "not_found", "Extension request was not found.");
        if (trigger == OrderTrigger.ApproveExtension)
        {
            Apply(t, actor, now, "extension_approved", $"{pending.Days} days");
        }
        else
        {
            pending.Decide(ExtensionStatus.Declined, now);
            Apply(t, actor, now, "extension_declined", null);
        }
    }

    /// <summary>The waiting extension is granted (<see cref="OrderDate.Extended"/>): protection ends later by its days.</summary>
    internal void Extend(ExtensionStatus status, DateTimeOffset now)
    {
        var extension = PendingExtension!;
        extension.Decide(status, now);
        ProtectionEndsAt = ProtectionEndsAt!.Value.AddDays(extension.Days);
        if (AutoCompleteAt is { } auto) AutoCompleteAt = auto.AddDays(extension.Days);
        Reschedule(OrderTimerKind.ProtectionEnds, now);
        Reschedule(OrderTimerKind.ProtectionEndingReminder, now);
        Reschedule(OrderTimerKind.AutoComplete, now);
    }

    private JournalEntry? Apply(OrderTransition t, Actor actor, DateTimeOffset now, string eventKind, string? detail)
    {
        Status = t.To;
        Version++;
        _lastTransition = t;
        if (t.Sets != OrderDate.None)
        {
            foreach (var (date, _, set) in OrderProcess.Dates)
                if ((t.Sets & date) != 0) set(this, t, now);
        }

        // Timers of the state left behind are cancelled, the one fired or answered is gone, and the new ones start.
        _timers.RemoveAll(timer => _process.RuleOf(timer.Kind).LivesIn != t.To
            || _process.RuleOf(timer.Kind).Fires == t.Trigger
            || (timer.Kind == OrderTimerKind.ExtensionDecision && t.Trigger is OrderTrigger.ApproveExtension or OrderTrigger.DeclineExtension));
        foreach (var kind in t.Starts)
            Reschedule(kind, now);
        if (t.Clock == OrderClock.Pauses)
            foreach (var timer in _timers) timer.Pause(now);
        if (t.Clock == OrderClock.Resumes) ResumeTimers(now);
        Record(now, actor, eventKind, detail);
        var entry = OrderMoney.Of(t.Money).Post(this, now);
        if (t.Trigger is OrderTrigger.DisputeWithdrawn or OrderTrigger.DisputeRefundedInFull or OrderTrigger.DisputeRefundedInPart
            or OrderTrigger.DisputeReleasedToSeller or OrderTrigger.ChargebackWon or OrderTrigger.ChargebackLost)
        {
            _openDisputeId = null;
            _disputeOpenedAt = null;
        }
        return entry;
    }

    /// <summary>
    /// What the seller is credited for the order: what is released (the total, less what a dispute refunded) less
    /// commission on it; with a per-item dispute's part, the commission is on each part, the rest and what stays of the part.
    /// </summary>
    public Money SellerShare => _partAmount == 0
        ? (Total - Refunded).SplitCommission(CommissionBasisPoints).SellerShare
        : RestSplit.SellerShare + PartSplit.SellerShare;

    internal Money Refunded => new(_refundedAmount, Total.Currency);

    /// <summary>The part a per-item dispute holds apart (<see cref="PartAmount"/>), as money.</summary>
    internal Money Part => new(_partAmount, Total.Currency);

    /// <summary>The rest of the order: the total less the part a per-item dispute holds apart (the total when there is none).</summary>
    internal Money Rest => Total - Part;

    /// <summary>Whether a per-item dispute's part is still held in escrow: not yet refunded, released, or rejoined.</summary>
    internal bool PartHeld => _partAmount > 0 && PartSettledAt is null;

    internal (Money SellerShare, Money Commission) RestSplit => Rest.SplitCommission(CommissionBasisPoints);

    /// <summary>What of the part stays released (the part less its refund), split into the seller's share and commission.</summary>
    internal (Money SellerShare, Money Commission) PartSplit => (Part - Refunded).SplitCommission(CommissionBasisPoints);

    /// <summary>
    /// What of the order's money has been released to the seller and commission so far: the rest once the order completed,
    /// and a per-item dispute's part (less its refund) once it settled; without a part, what is captured once completed.
    /// </summary>
    internal Money Released => _partAmount == 0
        ? (CompletedAt is null ? Money.Zero(Total.Currency) : Captured)
        : (CompletedAt is null ? Money.Zero(Total.Currency) : Rest) + (PartHeld ? Money.Zero(Total.Currency) : Part - Refunded);

    /// <summary>The seller's share of <see cref="Released"/>: where the order's credit sits now.</summary>
    internal Money ReleasedShare => _partAmount == 0
        ? (CompletedAt is null ? Money.Zero(Total.Currency) : SellerShare)
        : (CompletedAt is null ? Money.Zero(Total.Currency) : RestSplit.SellerShare) + (PartHeld ? Money.Zero(Total.Currency) : PartSplit.SellerShare);

    /// <summary>The part a per-item dispute held apart rejoins the rest: the dispute ended with no money moved.</summary>
    internal void RejoinPart() => _partAmount = 0;

    /// <summary>What is still captured from the buyer's card: the total less what a dispute refunded.</summary>
    internal Money Captured => Total - Refunded;

    /// <summary>Where the order's released credit sits: pending while its dispute window is open, then available.</summary>
    internal Account CreditAccount => CreditAvailableAt is null ? Account.SellerPending(SellerId) : Account.SellerAvailable(SellerId);

    /// <summary>Whether the platform makes good the seller's share of the chargeback being lost: only money that had been released.</summary>
    internal bool PlatformBearsChargeback => _chargebackBearer == ChargebackBearer.Platform && CompletedAt is not null;

    internal (Money SellerShare, Money Commission) FullShare => Total.SplitCommission(CommissionBasisPoints);

    /// <summary>
    /// Runs the paused timers again with the time they had left, and moves the order's dates by the time the
    /// dispute held them, so that the dates and the timers keep agreeing.
    /// </summary>
    private void ResumeTimers(DateTimeOffset now)
    {
        var pausedFor = now - _disputeOpenedAt!.Value;
        if (ProtectionEndsAt is { } ends && Status == OrderStatus.AwaitingDelivery) ProtectionEndsAt = ends + pausedFor;
        if (AutoCompleteAt is { } auto && Status == OrderStatus.AwaitingDelivery) AutoCompleteAt = auto + pausedFor;
        if (DisputeWindowEndsAt is { } window && Status == OrderStatus.Completed) DisputeWindowEndsAt = window + pausedFor;
        PendingExtension?.Postpone(pausedFor);
        foreach (var timer in _timers.Where(t => t.IsPaused)) timer.Resume(now);
    }

    /// <summary>(Re)computes a timer's due instant by its rule in the process table and writes it; a reminder already past is not scheduled.</summary>
    private void Reschedule(OrderTimerKind kind, DateTimeOffset now)
    {
        var rule = _process.RuleOf(kind);
        var due = rule.DueAt(this);
        var existing = _timers.FirstOrDefault(t => t.Kind == kind);
        var isReminder = rule.Fires is null;
        if (due is null || (isReminder && due <= now))
        {
            if (existing is not null) _timers.Remove(existing);
            return;
        }
        if (existing is null) _timers.Add(new OrderTimer(Id, kind, due.Value));
        else existing.MoveTo(due.Value);
    }

    private void Record(DateTimeOffset at, Actor actor, string kind, string? detail) =>
        _timeline.Add(new OrderEvent(Id, ++EventCount, at, actor, kind, detail));
}

/// <summary>A pending timer of an order: what it is and when it is due. It is deleted when it fires.</summary>
public sealed class OrderTimer
{
    private OrderTimer()
    {
    }

    internal OrderTimer(Guid orderId, OrderTimerKind kind, DateTimeOffset dueAt)
    {
        OrderId = orderId;
        Kind = kind;
        DueAt = dueAt;
    }

    // Not a settable property, so the web's EF model does not map it by convention before disputes are wired in.
    private TimeSpan? _remaining;

    /// <summary>The due instant of a paused timer: later than any <c>now</c>, so no <c>DueAt &lt;= now</c> query selects it.</summary>
    public static readonly DateTimeOffset Never = DateTimeOffset.MaxValue;

    public Guid OrderId { get; private set; }
    public OrderTimerKind Kind { get; private set; }

    /// <summary>When it fires; <see cref="Never"/> while it is paused.</summary>
    public DateTimeOffset DueAt { get; private set; }

    /// <summary>For a paused timer, the time it had left when it was paused; null while it runs.</summary>
    public TimeSpan? Remaining => _remaining;

    public bool IsPaused => _remaining is not null;

    internal void MoveTo(DateTimeOffset dueAt) => DueAt = dueAt;

    internal void Pause(DateTimeOffset now)
    {
        if (IsPaused) return;
        _remaining = DueAt - now;
        DueAt = Never;
    }

    internal void Resume(DateTimeOffset now)
    {
        DueAt = now + _remaining!.Value;
        _remaining = null;
    }
}

public enum ExtensionStatus
{
    Pending,
    Approved,
    Declined,
    AutoApproved,

    /// <summary>The order completed or closed before the seller answered.</summary>
    Lapsed,
}

/// <summary>A buyer's request for more protection time, and the seller's answer (or the silence that approved it).</summary>
public sealed class ProtectionExtension
{
    private ProtectionExtension()
    {
        Reason = "";
    }

    internal ProtectionExtension(Guid id, Guid orderId, int days, string reason, DateTimeOffset requestedAt, DateTimeOffset answerBy)
    {
        Id = id;
        OrderId = orderId;
        Days = days;
        Reason = reason;
        RequestedAt = requestedAt;
        AnswerBy = answerBy;
        Status = ExtensionStatus.Pending;
    }

    public Guid Id { get; private set; }
    public Guid OrderId { get; private set; }
    public int Days { get; private set; }
    public string Reason { get; private set; }
    public ExtensionStatus Status { get; private set; }
    public DateTimeOffset RequestedAt { get; private set; }
    public DateTimeOffset AnswerBy { get; private set; }
    public DateTimeOffset? DecidedAt { get; private set; }

    internal void Postpone(TimeSpan by) => AnswerBy += by;

    internal void Decide(ExtensionStatus status, DateTimeOffset at)
    {
        Status = status;
        DecidedAt = at;
    }
}

/// <summary>One thing that happened to an order: what, when, and who did it.</summary>
public sealed class OrderEvent : ProcessEvent<Party>
{
    private OrderEvent()
    {
    }

    internal OrderEvent(Guid orderId, int sequence, DateTimeOffset at, Actor actor, string kind, string? detail)
        : base(sequence, at, actor.Party, actor.UserId, actor.Via, kind, detail) => OrderId = orderId;

    public Guid OrderId { get; private set; }
}
