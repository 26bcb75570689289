using Safehold.Domain.Ledger;

namespace Safehold.Domain.Payouts;

/// <summary>Where a payout is: its money has left the seller's available balance and is on its way, has arrived, or came back.</summary>
public enum PayoutStatus
{
    /// <summary>Taken from the available balance and owed to the seller until its payment instruction succeeds.</summary>
    Processing,
    Paid,
}

/// <summary>
/// One transfer of a seller's available balance in one currency to the seller (SPEC 4). It happens in two steps so
/// that a crash never pays twice or loses money: <see cref="Start"/> moves the amount from available to payouts owed in
/// the journal and records the payout as processing, in one transaction with its payment instruction; the instruction's
/// worker sends it under the payout's own idempotency key (again after a failure, then by an admin's hand), and
/// <see cref="MarkPaid"/> records it when the money has left.
/// </summary>
public sealed class Payout
{
    private Payout()
    {
        Currency = RunKey = "";
    }

    private Payout(Guid id, Guid sellerId, Money amount, string runKey, DateTimeOffset now)
    {
        Id = id;
        SellerId = sellerId;
        Amount = amount.Amount;
        Currency = amount.Currency.Code;
        RunKey = runKey;
        Status = PayoutStatus.Processing;
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    public Guid SellerId { get; private set; }
    public long Amount { get; private set; }
    public string Currency { get; private set; }

    /// <summary>The run that made it (<c>scheduled:2026-11-23</c> or <c>admin:...</c>): a seller is paid once per run and currency.</summary>
    public string RunKey { get; private set; }
    public PayoutStatus Status { get; private set; }

    /// <summary>Incremented by every change; the database refuses a write based on a stale copy.</summary>
    public int Version { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? CompletedAt { get; private set; }

    /// <summary>The provider's reference for a paid payout.</summary>
    public string? Reference { get; private set; }

    public Money Money => new(Amount, Safehold.Domain.Currency.Of(Currency));

    /// <summary>The key the provider sees: the same payout always carries the same key.</summary>
    public string ProviderKey => $"payout:{Id}";

    /// <summary>
    /// Starts paying out <paramref name="available"/> when it reaches <paramref name="minimum"/>: returns the payout and
    /// the journal entry that moves the money out of the available balance, or null when there is too little to pay.
    /// </summary>
    public static (Payout Payout, JournalEntry Entry)? Start(Guid id, Guid sellerId, Money available, Money minimum, string runKey, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runKey);
        if (available.Currency != minimum.Currency)
            throw new ArgumentException($"The minimum is in {minimum.Currency}, the balance in {available.Currency}.", nameof(minimum));
        if (available.Amount <= 0 || available.Amount < minimum.Amount) return null;
        var payout = new Payout(id, sellerId, available, runKey, now);
        var entry = new JournalEntry(Guid.CreateVersion7(now), $"payout:{id}", "payout", null, now,
        [
            (Account.SellerAvailable(sellerId), -available),
            (Account.PayoutsOwed(sellerId), available),
        ]);
        return (payout, entry);
    }

    /// <summary>The provider paid it.</summary>
    public void MarkPaid(string reference, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        RequireProcessing();
        Status = PayoutStatus.Paid;
        Reference = reference;
        CompletedAt = now;
        Version++;
    }

    private void RequireProcessing()
    {
        if (Status != PayoutStatus.Processing)
            throw new DomainException(RefusalKind.WrongState, "invalid_state", $"The payout is already {Status.ToString().ToLowerInvariant()}.");
    }
}
