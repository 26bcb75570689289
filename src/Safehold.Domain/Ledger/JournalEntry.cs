
namespace Safehold.Domain.Ledger;

/// <summary>
/// One balanced movement of money: lines whose amounts sum to zero in every currency.
/// An entry cannot be built unbalanced and is never changed once written; a mistake is
/// corrected by a new entry that reverses it.
/// </summary>
public sealed class JournalEntry
{
    private readonly List<JournalLine> _lines = [];

    private JournalEntry()
    {
        DedupeKey = Kind = "";
    }

    public JournalEntry(Guid id, string dedupeKey, string kind, Guid? orderId, DateTimeOffset at, IEnumerable<(Account Account, Money Amount)> lines)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dedupeKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        Id = id;
        DedupeKey = dedupeKey;
        Kind = kind;
        OrderId = orderId;
        At = at;
        foreach (var (account, amount) in lines)
        {
            if (amount.IsZero) continue; // a zero line moves nothing and only adds noise
            _lines.Add(new JournalLine(id, _lines.Count + 1, account, orderId, at, amount));
        }
        if (_lines.Count < 2)
            throw new InvalidOperationException($"Journal entry '{dedupeKey}' must move money between at least two accounts.");
        foreach (var currency in _lines.GroupBy(l => l.Currency))
        {
            var sum = currency.Aggregate(0L, (s, l) => checked(s + l.Amount));
            if (sum != 0)
                throw new InvalidOperationException($"Journal entry '{dedupeKey}' does not balance in {currency.Key}: off by {sum}.");
        }
    }

    public Guid Id { get; private set; }

    /// <summary>What makes this movement unique, e.g. <c>order:{id}:capture</c>: the same movement can never be written twice.</summary>
    public string DedupeKey { get; private set; }

    /// <summary>What happened: <c>capture</c>, <c>release</c>, <c>refund</c>, ...</summary>
    public string Kind { get; private set; }

    public Guid? OrderId { get; private set; }

    public DateTimeOffset At { get; private set; }

    public IReadOnlyList<JournalLine> Lines => _lines;
}

/// <summary>One side of a journal entry: an amount added to (positive) or taken from (negative) one account.</summary>
public sealed class JournalLine
{
    private JournalLine()
    {
        Account = Currency = "";
    }

    internal JournalLine(Guid entryId, int lineNumber, Account account, Guid? orderId, DateTimeOffset at, Money amount)
    {
        EntryId = entryId;
        LineNumber = lineNumber;
        Account = account.Code;
        AccountType = account.Type;
        OrderId = orderId;
        At = at;
        SellerId = account.SellerId;
        Currency = amount.Currency.Code;
        Amount = amount.Amount;
    }

    /// <summary>The entry this line belongs to; with <see cref="LineNumber"/>, the line's identity (no global sequence to contend on).</summary>
    public Guid EntryId { get; private set; }

    public int LineNumber { get; private set; }

    /// <summary>The account's code (see <see cref="Ledger.Account.Code"/>).</summary>
    public string Account { get; private set; }

    public AccountType AccountType { get; private set; }

    /// <summary>The order the movement belongs to, kept on every line so an order's money can be read with the order.</summary>
    public Guid? OrderId { get; private set; }

    /// <summary>
    /// The entry's instant, kept on every line so a seller's lines can be read in the order of their entries from one index
    /// (a statement's page seeks to its cursor instead of sorting every line the seller has).
    /// </summary>
    public DateTimeOffset At { get; private set; }

    /// <summary>For seller accounts, the seller.</summary>
    public Guid? SellerId { get; private set; }

    public string Currency { get; private set; }

    /// <summary>Signed minor units: positive adds to the account, negative takes from it.</summary>
    public long Amount { get; private set; }
}
