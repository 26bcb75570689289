namespace Safehold.Web.Features.Ledger;

/// <summary>
/// A seller's running balances in one currency, kept beside the journal so "my balance" is one row.
/// The ledger check proves it equals the sum of the seller's journal lines.
/// </summary>
public sealed class SellerBalance
{
    private SellerBalance()
    {
        Currency = "";
    }

    public SellerBalance(Guid sellerId, string currency)
    {
        SellerId = sellerId;
        Currency = currency;
    }

    public Guid SellerId { get; private set; }
    public string Currency { get; private set; }
    public long Pending { get; private set; }
    public long Available { get; private set; }
    public long PaidOut { get; private set; }

    internal void Add(long pending, long available, long paidOut)
    {
        Pending = checked(Pending + pending);
        Available = checked(Available + available);
        PaidOut = checked(PaidOut + paidOut);
    }
}
