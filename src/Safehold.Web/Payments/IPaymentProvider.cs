using Safehold.Domain;

namespace Safehold.Web.Payments;

/// <summary>The outcome of a call to the payment provider.</summary>
public sealed record PaymentResult(bool Succeeded, string? Reference, string? DeclineCode, string? DeclineMessage)
{
    public static PaymentResult Success(string reference) => new(true, reference, null, null);
    public static PaymentResult Declined(string code, string message) => new(false, null, code, message);
}

/// <summary>
/// Where money really enters and leaves: card captures, refunds and payouts to sellers. Every call carries an idempotency
/// key derived from what it is for (<c>order:{id}:capture</c>), so calling again after a crash
/// between the call and the database commit returns the first result instead of moving money twice.
/// </summary>
public interface IPaymentProvider
{
    /// <summary>
    /// Charges a payment method: a token from the provider's own front end (<c>pm_...</c>), never a card number. A key that
    /// already succeeded returns that success, whatever method is sent.
    /// </summary>
    Task<PaymentResult> CaptureAsync(string idempotencyKey, Money amount, string paymentMethod, CancellationToken ct);

    /// <summary>Returns money of an earlier capture to the card it came from.</summary>
    Task<PaymentResult> RefundAsync(string idempotencyKey, string captureReference, Money amount, CancellationToken ct);

    /// <summary>The successful capture made under this key, if any: how a capture whose commit was lost is found again.</summary>
    Task<PaymentResult?> FindCaptureAsync(string idempotencyKey, CancellationToken ct);

    /// <summary>Pays a seller. A key already answered returns that answer and pays nothing more.</summary>
    Task<PaymentResult> PayoutAsync(string idempotencyKey, Guid sellerId, Money amount, CancellationToken ct);
}

/// <summary>Outside sandbox mode and with no provider integration configured, payments are refused honestly.</summary>
public sealed class NoPaymentProvider : IPaymentProvider
{
    public Task<PaymentResult> CaptureAsync(string idempotencyKey, Money amount, string paymentMethod, CancellationToken ct) =>
        throw Unavailable();

    public Task<PaymentResult> RefundAsync(string idempotencyKey, string captureReference, Money amount, CancellationToken ct) =>
        throw Unavailable();

    public Task<PaymentResult?> FindCaptureAsync(string idempotencyKey, CancellationToken ct) => Task.FromResult<PaymentResult?>(null);

    public Task<PaymentResult> PayoutAsync(string idempotencyKey, Guid sellerId, Money amount, CancellationToken ct) =>
        throw Unavailable();

    private static DomainException Unavailable() => new(RefusalKind.RuleRefused, "payment_provider_unavailable",
        "No payment provider is configured. Run with Safehold:Sandbox=true to use the sandbox provider.");
}
