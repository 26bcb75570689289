using Safehold.Domain.Disputes;

namespace Safehold.Domain.Policy;

/// <summary>
/// The numbers of buyer protection in force: how long each party has and what the platform keeps.
/// An order copies what it needs from the policy when it is placed, and a dispute its <see cref="Disputes"/> terms when it
/// opens, so a later change of policy never rewrites the terms of an order or dispute already running.
/// </summary>
public sealed record ProtectionPolicy
{
    /// <summary>An unpaid order expires this long after it is placed.</summary>
    public TimeSpan PayWithin { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Days the seller has to ship after payment, when the product does not say.</summary>
    public int DefaultHandlingDays { get; init; } = 7;

    /// <summary>Days of protection from shipment, when the product does not say.</summary>
    public int DefaultProtectionDays { get; init; } = 40;

    /// <summary>Days after a reported delivery at which the order completes on its own.</summary>
    public int AutoCompleteDaysAfterDelivery { get; init; } = 15;

    /// <summary>Days after completion during which the buyer may still open a dispute.</summary>
    public int PostCompletionDisputeDays { get; init; } = 15;

    /// <summary>The most days one extension request may add to protection.</summary>
    public int MaxExtensionDays { get; init; } = 30;

    /// <summary>How many extension requests an order may have.</summary>
    public int MaxExtensions { get; init; } = 2;

    /// <summary>Days the seller has to answer an extension request; silence approves it.</summary>
    public int ExtensionResponseDays { get; init; } = 3;

    /// <summary>The buyer is reminded this many days before protection ends.</summary>
    public int BuyerReminderDaysBeforeProtectionEnds { get; init; } = 3;

    /// <summary>The seller is reminded this many days before the ship-by date.</summary>
    public int SellerReminderDaysBeforeShipBy { get; init; } = 1;

    /// <summary>The platform's commission on what is released to a seller, in basis points (500 = 5%).</summary>
    public int CommissionBasisPoints { get; init; } = 500;

    /// <summary>Commission overrides per product category (category names compared case-insensitively).</summary>
    public IReadOnlyDictionary<string, int> CategoryCommissionBasisPoints { get; init; } =
        new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Who bears a lost chargeback on money already released to the seller (SPEC 4); copied onto the chargeback when it opens.</summary>
    public ChargebackLiability ChargebackLiability { get; init; } = ChargebackLiability.SellerUnlessArbiterDecided;

    /// <summary>The durations of a dispute (SPEC 3), copied onto each dispute as its terms when it opens.</summary>
    public DisputeTerms Disputes { get; init; } = new();

    /// <summary>Who bears a chargeback opened now, on an order an arbiter of the platform had (or had not) decided for the seller.</summary>
    public ChargebackBearer BearerOfChargeback(bool arbiterDecidedForSeller) => ChargebackLiability switch
    {
        ChargebackLiability.Seller => ChargebackBearer.Seller,
        ChargebackLiability.Platform => ChargebackBearer.Platform,
        _ => arbiterDecidedForSeller ? ChargebackBearer.Platform : ChargebackBearer.Seller,
    };

    /// <summary>The commission for a product of this category.</summary>
    public int CommissionFor(string? category) =>
        category is not null && CategoryCommissionBasisPoints.TryGetValue(category, out var bps) ? bps : CommissionBasisPoints;
}

/// <summary>Who bears a lost chargeback on money already released to the seller (configuration <c>Safehold:Policy:ChargebackLiability</c>).</summary>
public enum ChargebackLiability
{
    /// <summary>The seller, unless Safehold's own arbiter had decided the order for the seller: then the platform, which told them to keep it.</summary>
    SellerUnlessArbiterDecided,

    /// <summary>Always the seller.</summary>
    Seller,

    /// <summary>Always the platform.</summary>
    Platform,
}
