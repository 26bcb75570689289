namespace Safehold.Domain.Ledger;

/// <summary>The kinds of account in the ledger. Signs: an account that holds or has received money is positive.</summary>
public enum AccountType
{
    /// <summary>Money in from the payment provider; negative by what has been captured.</summary>
    PaymentClearing,

    /// <summary>One order's money held for the buyer until the order completes or is refunded.</summary>
    Escrow,

    /// <summary>What a seller is owed but cannot yet be paid (the post-completion dispute window is open).</summary>
    SellerPending,

    /// <summary>What a seller is owed and may be paid out.</summary>
    SellerAvailable,

    /// <summary>The platform's commission.</summary>
    PlatformCommission,

    /// <summary>Money returned to buyers.</summary>
    RefundsOut,

    /// <summary>Money paid out to sellers.</summary>
    PayoutsOut,

    /// <summary>Refunds decided but not yet sent by the payment provider (open refund instructions).</summary>
    RefundsOwed,

    /// <summary>A seller's payouts started but not yet sent by the payment provider (open payout instructions).</summary>
    PayoutsOwed,

    /// <summary>Money the buyers' card networks took back for lost chargebacks.</summary>
    ChargebacksOut,

    /// <summary>What the platform bore of lost chargebacks (negative by it): a seller's share it made good.</summary>
    ChargebackLosses,
}

/// <summary>An account: its type and, for per-order and per-seller accounts, whose it is.</summary>
public readonly record struct Account(AccountType Type, Guid? Owner = null)
{
    public static Account PaymentClearing => new(AccountType.PaymentClearing);
    public static Account PlatformCommission => new(AccountType.PlatformCommission);
    public static Account RefundsOut => new(AccountType.RefundsOut);
    public static Account RefundsOwed => new(AccountType.RefundsOwed);
    public static Account ChargebacksOut => new(AccountType.ChargebacksOut);
    public static Account ChargebackLosses => new(AccountType.ChargebackLosses);

    public static Account Escrow(Guid orderId) => new(AccountType.Escrow, orderId);
    public static Account SellerPending(Guid sellerId) => new(AccountType.SellerPending, sellerId);
    public static Account SellerAvailable(Guid sellerId) => new(AccountType.SellerAvailable, sellerId);
    public static Account PayoutsOut(Guid sellerId) => new(AccountType.PayoutsOut, sellerId);
    public static Account PayoutsOwed(Guid sellerId) => new(AccountType.PayoutsOwed, sellerId);

    /// <summary>The seller this account belongs to, for seller accounts.</summary>
    public Guid? SellerId => Type is AccountType.SellerPending or AccountType.SellerAvailable or AccountType.PayoutsOut or AccountType.PayoutsOwed ? Owner : null;

    /// <summary>A stable readable name, e.g. <c>escrow:0190...</c> or <c>platform_commission</c>.</summary>
    public string Code => Owner is { } owner ? $"{Name(Type)}:{owner}" : Name(Type);

    public override string ToString() => Code;

    private static string Name(AccountType type) => type switch
    {
        AccountType.PaymentClearing => "payment_clearing",
        AccountType.Escrow => "escrow",
        AccountType.SellerPending => "seller_pending",
        AccountType.SellerAvailable => "seller_available",
        AccountType.PlatformCommission => "platform_commission",
        AccountType.RefundsOut => "refunds_out",
        AccountType.PayoutsOut => "payouts_out",
        AccountType.RefundsOwed => "refunds_owed",
        AccountType.PayoutsOwed => "payouts_owed",
        AccountType.ChargebacksOut => "chargebacks_out",
        AccountType.ChargebackLosses => "chargeback_losses",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
