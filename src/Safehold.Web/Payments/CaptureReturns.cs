using Safehold.Domain;

namespace Safehold.Web.Payments;

/// <summary>
/// The one way money taken for an order that cannot keep it goes back to the card: a capture the provider made whose order
/// closed (it expired, or was cancelled) before the capture was recorded. The pay request and the instruction worker (to
/// which the order's close hands it, after its commit) both return it here, under the one key per order, so that however
/// many of them find it, the provider returns it once. A checkout's one capture (<see cref="CheckoutCaptureKey"/>) pays all its orders or none:
/// it is returned whole, under the checkout's own key, when one of its orders closed before it was recorded.
/// </summary>
public static class CaptureReturns
{
    private const string CaptureSuffix = ":capture";
    private const string VoidSuffix = ":void";

    /// <summary>The key of an order's capture at the provider: every attempt to pay the order is made under it.</summary>
    public static string CaptureKey(Guid orderId) => $"order:{orderId}{CaptureSuffix}";

    /// <summary>The key of a checkout's one capture, which pays all its orders.</summary>
    public static string CheckoutCaptureKey(Guid checkoutId) => $"checkout:{checkoutId}{CaptureSuffix}";

    /// <summary>The keys a capture for the order may have been made under: its own, and its checkout's if it has one.</summary>
    public static IEnumerable<string> KeysPaying(Guid orderId, Guid? checkoutId) =>
        checkoutId is { } id ? [CaptureKey(orderId), CheckoutCaptureKey(id)] : [CaptureKey(orderId)];

    /// <summary>The return's key of a capture's key (<c>order:{id}:capture</c> → <c>order:{id}:void</c>).</summary>
    public static string VoidKeyOf(string captureKey) =>
        (captureKey.EndsWith(CaptureSuffix, StringComparison.Ordinal) ? captureKey[..^CaptureSuffix.Length] : captureKey) + VoidSuffix;

    /// <summary>Whether the provider's key is a capture's return.</summary>
    public static bool IsVoidKey(string key) => key.EndsWith(VoidSuffix, StringComparison.Ordinal);

    /// <summary>
    /// Returns the capture <paramref name="reference"/> made under <paramref name="captureKey"/> in full (<paramref name="amount"/>),
    /// under the capture's return key; a refusal is the provider's, as <c>refund_failed</c>.
    /// </summary>
    public static async Task ReturnCaptureAsync(this IPaymentProvider payments, string captureKey, string reference, Money amount, CancellationToken ct)
    {
        var voided = await payments.RefundAsync(VoidKeyOf(captureKey), reference, amount, ct);
        if (!voided.Succeeded)
            throw new DomainException(RefusalKind.RuleRefused, "refund_failed", $"Could not return the payment: {voided.DeclineMessage}");
    }
}
