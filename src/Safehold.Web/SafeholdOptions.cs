using Safehold.Domain.Disputes;
using Safehold.Domain.Policy;

namespace Safehold.Web;

/// <summary>The <c>Safehold</c> configuration section (appsettings, <c>Safehold__...</c> variables, command line).</summary>
public sealed class SafeholdOptions
{
    public const string Section = "Safehold";

    /// <summary>Sandbox mode: the sandbox payment provider, the sandbox banner and clock.</summary>
    public bool Sandbox { get; set; }

    /// <summary>Seed demo data into an empty database. Defaults to on in sandbox mode.</summary>
    public bool? Demo { get; set; }

    /// <summary>When set, an admin with exactly this API key exists (created at start if missing).</summary>
    public string? AdminApiKey { get; set; }

    public DatabaseOptions Database { get; set; } = new();

    /// <summary>Where the sandbox payment provider keeps its records (a SQLite file of its own).</summary>
    public string? SandboxProviderStore { get; set; }

    /// <summary>
    /// How long the sandbox provider takes to answer, in milliseconds, after it has made its record: a real provider's
    /// round trip, for benchmarks (<c>--provider-delay</c>) and for tests that kill a host between the call and the commit.
    /// </summary>
    public double SandboxProviderDelayMs { get; set; }

    /// <summary>Where dispute evidence files are kept (outside the database); by default <c>evidence</c> beside the SQLite file, or <c>data/evidence</c>.</summary>
    public string? EvidenceFolder { get; set; }

    public PolicyOptions Policy { get; set; } = new();

    public bool SeedDemo => Demo ?? Sandbox;
}

public sealed class DatabaseOptions
{
    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";
}

/// <summary>The protection policy as configured; defaults are the SPEC's.</summary>
public sealed class PolicyOptions
{
    public double PayWithinHours { get; set; } = 24;
    public int DefaultHandlingDays { get; set; } = 7;
    public int DefaultProtectionDays { get; set; } = 40;
    public int AutoCompleteDaysAfterDelivery { get; set; } = 15;
    public int PostCompletionDisputeDays { get; set; } = 15;
    public int CommissionBasisPoints { get; set; } = 500;
    public int MaxExtensionDays { get; set; } = 30;
    public int MaxExtensions { get; set; } = 2;
    public int ExtensionResponseDays { get; set; } = 3;
    public int BuyerReminderDaysBeforeProtectionEnds { get; set; } = 3;
    public int SellerReminderDaysBeforeShipBy { get; set; } = 1;
    public Dictionary<string, int> CategoryCommissionBasisPoints { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Who bears a lost chargeback on released money: <c>SellerUnlessArbiterDecided</c> (the default), <c>Seller</c> or <c>Platform</c>.</summary>
    public ChargebackLiability ChargebackLiability { get; set; } = ChargebackLiability.SellerUnlessArbiterDecided;

    /// <summary>The durations of a dispute (<c>Safehold:Policy:Disputes:SellerResponseDays</c>, ...), copied onto each dispute when it opens.</summary>
    public DisputeTermsOptions Disputes { get; set; } = new();

    /// <summary>The policy, refusing at start a configuration that would break a rule later (a negative period, commission over 100%).</summary>
    public ProtectionPolicy ToPolicy()
    {
        var problems = new List<string>();
        if (PayWithinHours <= 0) problems.Add("PayWithinHours must be positive");
        foreach (var (name, days) in new[]
        {
            ("DefaultHandlingDays", DefaultHandlingDays), ("DefaultProtectionDays", DefaultProtectionDays),
            ("AutoCompleteDaysAfterDelivery", AutoCompleteDaysAfterDelivery), ("PostCompletionDisputeDays", PostCompletionDisputeDays),
            ("MaxExtensionDays", MaxExtensionDays), ("ExtensionResponseDays", ExtensionResponseDays),
        })
        {
            if (days < 1 || days > 3650) problems.Add($"{name} must be from 1 to 3650 days");
        }
        if (MaxExtensions < 0) problems.Add("MaxExtensions cannot be negative");
        if (BuyerReminderDaysBeforeProtectionEnds < 0 || SellerReminderDaysBeforeShipBy < 0) problems.Add("reminder days cannot be negative");
        foreach (var (category, bps) in CategoryCommissionBasisPoints.Append(KeyValuePair.Create("(default)", CommissionBasisPoints)))
        {
            // Below 50% so that a one-unit sale still leaves the seller a unit.
            if (bps < 0 || bps >= 5_000) problems.Add($"commission for {category} must be from 0 to 4999 basis points");
        }
        problems.AddRange(Disputes.ToTerms().Problems().Select(p => "Disputes:" + p));
        if (problems.Count > 0)
            throw new InvalidOperationException("Safehold:Policy is invalid: " + string.Join("; ", problems) + ".");
        return Build();
    }

    private ProtectionPolicy Build() => new()
    {
        PayWithin = TimeSpan.FromHours(PayWithinHours),
        DefaultHandlingDays = DefaultHandlingDays,
        DefaultProtectionDays = DefaultProtectionDays,
        AutoCompleteDaysAfterDelivery = AutoCompleteDaysAfterDelivery,
        PostCompletionDisputeDays = PostCompletionDisputeDays,
        CommissionBasisPoints = CommissionBasisPoints,
        MaxExtensionDays = MaxExtensionDays,
        MaxExtensions = MaxExtensions,
        ExtensionResponseDays = ExtensionResponseDays,
        BuyerReminderDaysBeforeProtectionEnds = BuyerReminderDaysBeforeProtectionEnds,
        SellerReminderDaysBeforeShipBy = SellerReminderDaysBeforeShipBy,
        CategoryCommissionBasisPoints = new Dictionary<string, int>(CategoryCommissionBasisPoints, StringComparer.OrdinalIgnoreCase),
        ChargebackLiability = ChargebackLiability,
        Disputes = Disputes.ToTerms(),
    };
}

/// <summary>A dispute's durations as configured; defaults are the SPEC's (section 3).</summary>
public sealed class DisputeTermsOptions
{
    private static readonly DisputeTerms Spec = new();

    public int SellerResponseDays { get; set; } = Spec.SellerResponseDays;
    public int SellerReminderDays { get; set; } = Spec.SellerReminderDays;
    public int BuyerResponseDays { get; set; } = Spec.BuyerResponseDays;
    public int NoAgreementDays { get; set; } = Spec.NoAgreementDays;
    public int ReturnShipDays { get; set; } = Spec.ReturnShipDays;
    public int ReturnReceiptDays { get; set; } = Spec.ReturnReceiptDays;
    public int DecisionTargetDays { get; set; } = Spec.DecisionTargetDays;
    public int AppealDays { get; set; } = Spec.AppealDays;

    public DisputeTerms ToTerms() => new(SellerResponseDays, SellerReminderDays, BuyerResponseDays, NoAgreementDays, ReturnShipDays, ReturnReceiptDays,
        DecisionTargetDays, AppealDays);
}
