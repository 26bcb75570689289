using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;
using Safehold.Web.Jobs;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.Reconciliation;

/// <summary>
/// The admin's reconciliation: a period of days in the reader's time zone (both ends included), the API's reconciliation
/// of it per currency, its mismatches in words, and its journal as CSV.
/// </summary>
[Authorize(Roles = nameof(Users.UserRole.Admin))]
public sealed class IndexModel(SafeholdDb db, IPaymentProvider provider, IOptions<PaymentOptions> payments, TimeProvider clock) : PortalPage
{
    [BindProperty(SupportsGet = true, Name = "from")]
    public string? From { get; set; }

    [BindProperty(SupportsGet = true, Name = "to")]
    public string? To { get; set; }

    public ReconciliationResponse? Result { get; private set; }
    public DateTimeOffset Now { get; private set; }

    /// <summary>The period's link to the journal's CSV (the same days).</summary>
    public string CsvLink => $"/admin/reconciliation?handler=Csv&from={Uri.EscapeDataString(From ?? "")}&to={Uri.EscapeDataString(To ?? "")}";

    public async Task OnGetAsync()
    {
        if (ReadPeriod() is not { } period) return;
        await Attempt(async ct => Result = (await Reconcile.Get(HttpContext, db, provider, payments, clock, Iso(period.From), Iso(period.To), ct)).Value,
            ownTransactions: true);
    }

    /// <summary>The period's journal as CSV, streamed; a bad period shows the page with its errors instead.</summary>
    public async Task<IActionResult> OnGetCsvAsync()
    {
        if (ReadPeriod() is { } period)
        {
            Period? checkedPeriod = null;
            if (await Attempt(_ => Task.FromResult(checkedPeriod = Period.Parse(Iso(period.From), Iso(period.To), clock.GetUtcNow())), ownTransactions: true))
            {
                Response.ContentType = "text/csv; charset=utf-8";
                Response.Headers.ContentDisposition = $"attachment; filename=\"journal-{From}-{To}.csv\"";
                await JournalExport.WriteAsync(db, checkedPeriod!, Response.Body, HttpContext.RequestAborted);
                return new EmptyResult();
            }
        }
        return Page();
    }

    /// <summary>
    /// The period from the picker: local midnight of <see cref="From"/> to local midnight after <see cref="To"/>, in the
    /// reader's time zone; the last 30 days to today when nothing was picked. Null (with the errors beside the fields) when
    /// a day cannot be read.
    /// </summary>
    private Period? ReadPeriod()
    {
        Now = clock.GetUtcNow();
        var today = DateOnly.FromDateTime(Words.Local(Now).DateTime);
        var (toDay, fromDay) = (Day("to", To), Day("from", From));
        if (!ModelState.IsValid)
        {
            Refuse(400, "validation_failed");
            return null;
        }
        var to = toDay ?? today;
        var from = fromDay ?? to.AddDays(-(Period.DefaultDays - 1));
        From = from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        To = to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (to < from)
        {
            ModelState.AddModelError("to", L["The last day cannot be before the first."]);
            Refuse(400, "validation_failed");
            return null;
        }
        return new Period(Midnight(from), Midnight(to.AddDays(1)));
    }

    private DateOnly? Day(string field, string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)) return day;
        ModelState.AddModelError(field, L["Not a day."]);
        return null;
    }

    private static DateTimeOffset Midnight(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Words.Zone.GetUtcOffset(local));
    }

    private static string Iso(DateTimeOffset at) => at.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>What a mismatch means, in the reader's language.</summary>
    public string Says(ReconciliationMismatch m) => Words.Name(L, "mismatch", m.Code);
}
