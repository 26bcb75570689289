namespace Safehold.Web.Payments;

/// <summary>One operation as the payment provider recorded it, under the idempotency key Safehold sent it with.</summary>
/// <param name="Kind"><c>capture</c>, <c>refund</c> or <c>payout</c>.</param>
/// <param name="Succeeded">Whether its last answer was a success (a refused attempt may be tried again under the same key).</param>
/// <param name="At">When the provider last answered it, on the provider's clock.</param>
public sealed record ProviderRecord(string IdempotencyKey, string Kind, long Amount, string Currency, bool Succeeded, string? Reference, DateTimeOffset At);

/// <summary>
/// A provider whose records can be read back: what reconciliation compares the ledger with. A provider that implements
/// <see cref="IPaymentProvider"/> alone (none configured, or the marketplace's own in <c>external</c> mode) is reconciled
/// against the payment instructions only.
/// </summary>
public interface IPaymentRecords
{
    /// <summary>The records under <paramref name="keys"/> (a key the provider never saw has none).</summary>
    Task<IReadOnlyList<ProviderRecord>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken ct);

    /// <summary>The records the provider last answered in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    Task<IReadOnlyList<ProviderRecord>> ListAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct);
}
