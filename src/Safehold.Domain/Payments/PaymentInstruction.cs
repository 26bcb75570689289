using System.Linq.Expressions;
using Safehold.Domain.Ledger;

namespace Safehold.Domain.Payments;

/// <summary>What a payment instruction moves: money in from the buyer, back to the buyer, or out to a seller.</summary>
public enum InstructionKind
{
    Capture,
    Refund,
    Payout,
}

/// <summary>Where a payment instruction is (SPEC 4).</summary>
public enum InstructionStatus
{
    /// <summary>Waiting for a worker: new, or waiting out its back-off after a failed attempt.</summary>
    Pending,

    /// <summary>Claimed by a worker, which is calling the provider; a worker that died is replaced when the claim runs out.</summary>
    Processing,

    /// <summary>The money moved (or an admin resolved it by hand, with a note).</summary>
    Succeeded,

    /// <summary>Every attempt failed: it waits in the admin's queue (retry, or resolve by hand).</summary>
    Failed,

    /// <summary>
    /// A capture that took no money: the buyer's payment method was refused (the buyer has the answer and may pay again),
    /// or the money taken was returned because the order had closed meanwhile. Nothing waits for an admin.
    /// </summary>
    Declined,
}

/// <summary>
/// One movement of money to or from the outside (a capture, a refund, a payout): written in the same transaction as the
/// journal entry that needs it, executed by a worker outside any transaction under its own <see cref="IdempotencyKey"/>,
/// at least once, and settled exactly once. While a refund or payout has not left, its money sits in an owed account
/// (<see cref="AccountType.RefundsOwed"/>, <see cref="AccountType.PayoutsOwed"/>); <see cref="Succeed"/> moves it out.
/// </summary>
/// <remarks>
/// A worker claims an instruction by setting it <see cref="InstructionStatus.Processing"/> until <see cref="NextAttemptAt"/>
/// (the claim's lease): a worker that dies leaves it to be claimed again once that passes, and the provider, asked again
/// under the same key, answers with its first result. A result is recorded only for the attempt that claimed it.
/// </remarks>
public sealed class PaymentInstruction
{
    /// <summary>Attempts before an instruction waits for an admin.</summary>
    public const int MaxAttempts = 5;

    /// <summary>The wait after the first failed attempt; it doubles after each further one.</summary>
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromMinutes(1);

    private PaymentInstruction()
    {
        IdempotencyKey = Currency = "";
    }

    private PaymentInstruction(InstructionKind kind, string key, Money amount, Guid? orderId, Guid? sellerId, Guid? payoutId,
        string? captureReference, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        if (amount.Amount <= 0) throw new ArgumentOutOfRangeException(nameof(amount), "An instruction moves a positive amount.");
        Id = Guid.CreateVersion7(now);
        Kind = kind;
        IdempotencyKey = key;
        Amount = amount.Amount;
        Currency = amount.Currency.Code;
        OrderId = orderId;
        SellerId = sellerId;
        PayoutId = payoutId;
        CaptureReference = captureReference;
        Status = InstructionStatus.Pending;
        CreatedAt = NextAttemptAt = now;
    }

    public Guid Id { get; private set; }
    public InstructionKind Kind { get; private set; }
    public InstructionStatus Status { get; private set; }
    public long Amount { get; private set; }
    public string Currency { get; private set; }

    /// <summary>The order it is for (captures and refunds); none for a checkout's capture, which pays its orders together.</summary>
    public Guid? OrderId { get; private set; }

    /// <summary>The checkout whose orders a capture pays with one payment (<see cref="CheckoutCapture"/>).</summary>
    public Guid? CheckoutId { get; private set; }

    /// <summary>The seller it pays (payouts).</summary>
    public Guid? SellerId { get; private set; }

    /// <summary>The payout it sends (payouts).</summary>
    public Guid? PayoutId { get; private set; }

    /// <summary>The key the provider sees on every attempt: the journal entry's key for a refund, <c>payout:{id}</c> for a payout.</summary>
    public string IdempotencyKey { get; private set; }

    /// <summary>The capture a refund returns money from.</summary>
    public string? CaptureReference { get; private set; }

    public int Attempts { get; private set; }

    /// <summary>Pending: when it may be tried; processing: when the claim runs out.</summary>
    public DateTimeOffset NextAttemptAt { get; private set; }

    /// <summary>The provider's reference once it succeeded.</summary>
    public string? ProviderReference { get; private set; }

    /// <summary>Why the last attempt failed.</summary>
    public string? FailureCode { get; private set; }

    /// <summary>An admin's note when they resolved it by hand.</summary>
    public string? ResolutionNote { get; private set; }
    public Guid? ResolvedBy { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? CompletedAt { get; private set; }

    /// <summary>Incremented by every change; the database refuses a write based on a stale copy.</summary>
    public int Version { get; private set; }

    public Money Money => new(Amount, Safehold.Domain.Currency.Of(Currency));

    /// <summary>Whether money is still owed for it: a refund or payout that has not left.</summary>
    public bool IsOwed => Kind != InstructionKind.Capture && Status != InstructionStatus.Succeeded;

    /// <summary>A refund of <paramref name="amount"/> from the order's capture, keyed by the journal entry that owes it.</summary>
    public static PaymentInstruction Refund(Guid orderId, string key, Money amount, string captureReference, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(captureReference);
        return new(InstructionKind.Refund, key, amount, orderId, null, null, captureReference, now);
    }

    /// <summary>A payout to a seller, keyed by the payout.</summary>
    public static PaymentInstruction ForPayout(Guid payoutId, Guid sellerId, string key, Money amount, DateTimeOffset now) =>
        new(InstructionKind.Payout, key, amount, null, sellerId, payoutId, null, now);

    /// <summary>The order's capture, claimed at once by the request that makes it (the buyer waits for the answer).</summary>
    public static PaymentInstruction Capture(Guid orderId, string key, Money amount, DateTimeOffset now, TimeSpan lease)
    {
        var capture = new PaymentInstruction(InstructionKind.Capture, key, amount, orderId, null, null, null, now);
        capture.Claim(now, lease);
        return capture;
    }

    /// <summary>
    /// A checkout's one capture for all its orders (their totals summed), claimed at once like an order's
    /// (<see cref="Capture"/>); each order's share then enters its own escrow, and is refunded from this capture.
    /// </summary>
    public static PaymentInstruction CheckoutCapture(Guid checkoutId, string key, Money amount, DateTimeOffset now, TimeSpan lease)
    {
        var capture = new PaymentInstruction(InstructionKind.Capture, key, amount, null, null, null, null, now) { CheckoutId = checkoutId };
        capture.Claim(now, lease);
        return capture;
    }

    /// <summary>
    /// The buyer pays again, after a refusal or after an attempt whose answer never came back (its request cut off, its
    /// host dead): the capture is claimed by this request for one more attempt under the same key, taking the claim over
    /// from an earlier attempt even while that one's lease runs (the provider answers every attempt under the key alike:
    /// the first success, once made). Only the newest claim's answer is recorded. Returns the attempt's number.
    /// </summary>
    public int ClaimCaptureAgain(DateTimeOffset now, TimeSpan lease)
    {
        if (Kind != InstructionKind.Capture) throw Wrong("claimed by a payment");
        if (Status == InstructionStatus.Processing) NextAttemptAt = now; // taken over
        if (Status == InstructionStatus.Declined)
        {
            Status = InstructionStatus.Pending;
            NextAttemptAt = now;
            FailureCode = null;
            CompletedAt = null;
        }
        return Claim(now, lease);
    }

    /// <summary>
    /// A capture that may have taken money for orders that closed unpaid (its answer never recorded: claimed by a request or
    /// a worker, or not found when a worker asked): the worker asks the provider under its key again now, and returns to
    /// the card what it finds (the orders are closed). A claim in force is taken over; a capture settled otherwise is left.
    /// Returns whether it changed.
    /// </summary>
    public bool LookAgain(DateTimeOffset now)
    {
        if (Kind != InstructionKind.Capture) throw Wrong("looked for again");
        if (Status is not (InstructionStatus.Processing or InstructionStatus.Pending) && !(Status == InstructionStatus.Declined && FailureCode == NotFound))
            return false;
        Status = InstructionStatus.Pending;
        NextAttemptAt = now;
        FailureCode = null;
        CompletedAt = null;
        Version++;
        return true;
    }

    /// <summary>The failure of a capture the provider had no record of when a worker asked under its key.</summary>
    public const string NotFound = "capture_not_found";

    /// <summary>Whether a worker may claim it at <paramref name="now"/>: pending and due, or processing with its claim run out.</summary>
    public bool IsDue(DateTimeOffset now) => Status is InstructionStatus.Pending or InstructionStatus.Processing && NextAttemptAt <= now;

    /// <summary>
    /// Which instructions a worker may claim at <paramref name="now"/>: pending ones whose back-off is over, and processing
    /// ones whose claim has run out: <see cref="IsDue"/> as a query, for the worker's claim and the backlog the metrics report.
    /// </summary>
    public static Expression<Func<PaymentInstruction, bool>> DueBy(DateTimeOffset now) =>
        i => (i.Status == InstructionStatus.Pending || i.Status == InstructionStatus.Processing) && i.NextAttemptAt <= now;

    /// <summary>A worker takes it for one attempt until <paramref name="now"/> + <paramref name="lease"/>; returns the attempt's number.</summary>
    public int Claim(DateTimeOffset now, TimeSpan lease)
    {
        if (!IsDue(now)) throw Wrong("claimed");
        Status = InstructionStatus.Processing;
        Attempts++;
        NextAttemptAt = now + lease;
        Version++;
        return Attempts;
    }

    /// <summary>Whether <paramref name="attempt"/> is the claim still in force: a late answer from an earlier claim is not recorded.</summary>
    public bool IsClaimedBy(int attempt) => Status == InstructionStatus.Processing && Attempts == attempt;

    /// <summary>
    /// The provider moved the money: returns the entry that moves a refund or payout from owed to out (none for a capture,
    /// whose entry the pay row posts).
    /// </summary>
    public JournalEntry? Succeed(string reference, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        if (Status != InstructionStatus.Processing) throw Wrong("recorded as succeeded");
        return Settle(reference, now);
    }

    /// <summary>
    /// An attempt failed: it waits <see cref="FirstBackoff"/> doubled per earlier attempt, or, after <see cref="MaxAttempts"/>
    /// (or a <paramref name="final"/> answer: the marketplace's in the <c>external</c> mode, which has retried on its own
    /// side), waits for an admin. A capture is <see cref="InstructionStatus.Declined"/> at once: its buyer has the answer.
    /// </summary>
    public void Fail(string failureCode, DateTimeOffset now, bool final = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(failureCode);
        if (Status != InstructionStatus.Processing) throw Wrong("recorded as failed");
        FailureCode = failureCode;
        if (Kind == InstructionKind.Capture)
        {
            Status = InstructionStatus.Declined;
            CompletedAt = now;
        }
        else if (final || Attempts >= MaxAttempts)
        {
            Status = InstructionStatus.Failed;
            CompletedAt = now;
        }
        else
        {
            Status = InstructionStatus.Pending;
            NextAttemptAt = now + FirstBackoff * Math.Pow(2, Attempts - 1);
        }
        Version++;
    }

    /// <summary>An admin tries a failed refund or payout once more, now.</summary>
    public void Retry(DateTimeOffset now)
    {
        if (Status != InstructionStatus.Failed || Kind == InstructionKind.Capture) throw Wrong("retried");
        Status = InstructionStatus.Pending;
        NextAttemptAt = now;
        CompletedAt = null;
        Version++;
    }

    /// <summary>An admin settled a failed refund or payout by hand (paid another way): the money leaves the owed account.</summary>
    public JournalEntry? Resolve(string note, Guid adminId, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(note);
        if (Status != InstructionStatus.Failed || Kind == InstructionKind.Capture) throw Wrong("resolved");
        ResolutionNote = note;
        ResolvedBy = adminId;
        Status = InstructionStatus.Processing; // settled through the one path that moves owed money out
        return Settle("manual", now);
    }

    /// <summary>
    /// The provider says a refund or payout it had reported sent has failed after all (a returned transfer): it goes back
    /// to the admin's queue and its money back to owed. Returns the entry that does so, or none when it had not left.
    /// </summary>
    public JournalEntry? ReportFailed(string failureCode, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(failureCode);
        if (Kind == InstructionKind.Capture || Status == InstructionStatus.Failed) throw Wrong("reported failed");
        var wasOut = Status == InstructionStatus.Succeeded;
        Status = InstructionStatus.Failed;
        FailureCode = failureCode;
        CompletedAt = now;
        Version++;
        return wasOut ? new JournalEntry(Guid.CreateVersion7(now), ReturnedKey(Version), ReturnedKind, OrderId, now,
            [(Out, -Money), (Owed, Money)]) : null;
    }

    private JournalEntry? Settle(string reference, DateTimeOffset now)
    {
        Status = InstructionStatus.Succeeded;
        ProviderReference = reference;
        CompletedAt = now;
        Version++;
        if (Kind == InstructionKind.Capture) return null;
        return new JournalEntry(Guid.CreateVersion7(now), SentKey(Version), SettledKind, OrderId, now,
            [(Owed, -Money), (Out, Money)]);
    }

    /// <summary>
    /// Every key an entry that sent or returned this refund's or payout's money can have: each is the instruction's key with
    /// the version the change made (<c>{key}:sent:{version}</c>, <c>{key}:returned:{version}</c>), so these are one of each
    /// per version it has had. How reconciliation finds those entries by key, whenever they were written; a capture has none.
    /// </summary>
    public IEnumerable<string> MovementKeys() => Kind == InstructionKind.Capture ? []
        : Enumerable.Range(1, Version).SelectMany(version => new[] { SentKey(version), ReturnedKey(version) });

    /// <summary>
    /// The key of the instruction an entry's dedupe key belongs to: the prefix of a sending or returning entry's key
    /// (<see cref="MovementKeys"/>), or the key itself (the entry that owes the money is keyed as its instruction).
    /// </summary>
    public static string InstructionKeyOf(string dedupeKey)
    {
        foreach (var marker in MovementMarkers)
        {
            var at = dedupeKey.LastIndexOf(marker, StringComparison.Ordinal);
            if (at > 0) return dedupeKey[..at];
        }
        return dedupeKey;
    }

    private const string SentMarker = ":sent:", ReturnedMarker = ":returned:";
    private static readonly string[] MovementMarkers = [SentMarker, ReturnedMarker];
    private string SentKey(int version) => $"{IdempotencyKey}{SentMarker}{version}";
    private string ReturnedKey(int version) => $"{IdempotencyKey}{ReturnedMarker}{version}";

    private string SettledKind => Kind == InstructionKind.Refund ? "refund_sent" : "payout_sent";
    private string ReturnedKind => Kind == InstructionKind.Refund ? "refund_returned" : "payout_returned";

    /// <summary>The account the money waits in while it is owed.</summary>
    public Account Owed => Kind == InstructionKind.Refund ? Account.RefundsOwed : Account.PayoutsOwed(SellerId!.Value);

    private Account Out => Kind == InstructionKind.Refund ? Account.RefundsOut : Account.PayoutsOut(SellerId!.Value);

    private DomainException Wrong(string what) =>
        new(RefusalKind.WrongState, "invalid_state", $"A {Status.ToString().ToLowerInvariant()} {Kind.ToString().ToLowerInvariant()} instruction cannot be {what}.");
}
