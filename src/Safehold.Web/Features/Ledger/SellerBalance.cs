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

    // Written only by the upsert in Posting, one atomic statement per seller and currency; read by "my balance".
    public Guid SellerId { get; private set; }
    public string Currency { get; private set; }
    public long Pending { get; private set; }
    public long Available { get; private set; }
    public long PaidOut { get; private set; }
}
