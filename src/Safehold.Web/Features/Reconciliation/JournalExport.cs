using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Reconciliation;

/// <summary>
/// <c>GET /api/v1/ledger/journal.csv?from=&amp;to=</c> (admin): every posting of the journal entries written in a period,
/// one line each, as RFC 4180 CSV for an accountant's tools, streamed from the database as it is read.
/// </summary>
/// <remarks>
/// Columns: <c>entry_id, at, kind, account, debit, credit, currency, order_id</c>. A line's positive amount (money into the
/// account) is its debit, a negative one its credit, in minor units; so each entry's debits equal its credits in every
/// currency. Times are UTC. Entries come in time order, each entry's lines in their order.
/// </remarks>
public static class JournalExport
{
    public const string Header = "entry_id,at,kind,account,debit,credit,currency,order_id";

    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("/ledger/journal.csv", Get).WithTags("Ledger").WithName("exportJournal")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");

    public static IResult Get(HttpContext http, SafeholdDb db, TimeProvider clock, string? from, string? to)
    {
        Caller.From(http.User).Require(UserRole.Admin, "export the journal");
        var period = Period.Parse(from, to, clock.GetUtcNow()); // refused before a byte is written
        var name = $"journal-{period.From.UtcDateTime:yyyyMMdd'T'HHmm}-{period.To.UtcDateTime:yyyyMMdd'T'HHmm}.csv";
        return TypedResults.Stream(body => WriteAsync(db, period, body, http.RequestAborted), "text/csv; charset=utf-8", name);
    }

    /// <summary>Writes the period's postings to <paramref name="body"/>, a row at a time as the database returns them.</summary>
    public static async Task WriteAsync(SafeholdDb db, Period period, Stream body, CancellationToken ct)
    {
        var (start, end) = (period.From.ToUniversalTime(), period.To.ToUniversalTime()); // PostgreSQL takes UTC instants only
        var rows = (from e in db.JournalEntries.AsNoTracking().IgnoreAutoIncludes()
                    where e.At >= start && e.At < end
                    from l in db.JournalLines.Where(l => l.EntryId == e.Id)
                    orderby e.At, e.Id, l.LineNumber
                    select new { e.Id, e.At, e.Kind, l.Account, l.Amount, l.Currency, e.OrderId }).AsAsyncEnumerable();
        await using var writer = new StreamWriter(body, new UTF8Encoding(false), 16 * 1024, leaveOpen: true) { NewLine = "\r\n" };
        await writer.WriteLineAsync(Header);
        await foreach (var r in rows.WithCancellation(ct))
        {
            await writer.WriteLineAsync(string.Join(',',
                r.Id.ToString(), r.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture), Field(r.Kind), Field(r.Account),
                r.Amount > 0 ? r.Amount.ToString(CultureInfo.InvariantCulture) : "", r.Amount < 0 ? (-r.Amount).ToString(CultureInfo.InvariantCulture) : "",
                Field(r.Currency), r.OrderId?.ToString() ?? ""));
        }
        await writer.FlushAsync(ct);
    }

    /// <summary>A field as RFC 4180 writes it: in double quotes (doubled inside) when it holds a comma, a quote or a line break.</summary>
    public static string Field(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
