using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Payments;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Orders;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Ledger;

public sealed record BalanceLine(string Currency, long Pending, long Available, long PaidOut);
public sealed record BalanceResponse(IReadOnlyList<BalanceLine> Balances);
/// <summary>One invariant's result.</summary>
/// <param name="Detail">In English, for a person reading the API's answer (the portal writes its own, in the reader's language, from the values).</param>
/// <param name="Counted">What a holding check counted: journal entries, currencies or seller balances (0 where it counts nothing).</param>
/// <param name="Failing">What breaks a broken check (at most 5): entry ids, escrow accounts, order ids, "sellerId currency"; or, for
/// <c>ledger_sums_to_zero</c>, the currencies that do not sum to zero.</param>
/// <param name="OffBy">For <c>ledger_sums_to_zero</c>: how far each failing currency is from zero.</param>
public sealed record LedgerCheckItem(string Name, bool Ok, string Detail, long Counted, IReadOnlyList<string> Failing, IReadOnlyList<MoneyDto> OffBy);
public sealed record LedgerCheckResponse(bool Ok, IReadOnlyList<LedgerCheckItem> Checks);
public sealed record LedgerLineResponse(string Account, MoneyDto Amount);
public sealed record LedgerEntryResponse(Guid Id, string Kind, DateTimeOffset At, IReadOnlyList<LedgerLineResponse> Lines);
public sealed record OrderLedgerResponse(Guid OrderId, IReadOnlyList<LedgerEntryResponse> Entries);

/// <summary>Balances, an order's journal, and the admin's check of the ledger's invariants (SPEC 4).</summary>
public static class LedgerEndpoints
{
    public static void MapLedger(this RouteGroupBuilder api)
    {
        api.MapGet("/balance", GetBalance).WithTags("Ledger");
        api.MapGet("/ledger/check", Check).WithTags("Ledger");
        api.MapGet("/orders/{id:guid}/ledger", GetOrderLedger).WithTags("Ledger");
        Reconciliation.Reconcile.Map(api);
        Reconciliation.JournalExport.Map(api);
    }

    public static async Task<Ok<BalanceResponse>> GetBalance(HttpContext http, SafeholdDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        caller.Require(UserRole.Seller, "see a seller's balance");
        var rows = await db.SellerBalances.AsNoTracking().Where(b => b.SellerId == caller.Id).OrderBy(b => b.Currency).ToListAsync(ct);
        return TypedResults.Ok(new BalanceResponse(rows.Select(b => new BalanceLine(b.Currency, b.Pending, b.Available, b.PaidOut)).ToList()));
    }

    public static async Task<Ok<OrderLedgerResponse>> GetOrderLedger(Guid id, HttpContext http, SafeholdDb db, CancellationToken ct)
    {
        var order = await OrderAccess.LoadVisibleAsync(db, id, Caller.From(http.User), tracked: false, ct);
        var entries = await db.JournalEntries.AsNoTracking().Where(e => e.OrderId == order.Id).ToListAsync(ct);
        // Posting order: by time, then (for entries at one instant) by the order money moves in an order's life.
        return TypedResults.Ok(new OrderLedgerResponse(order.Id, entries.OrderBy(e => e.At).ThenBy(e => KindOrder(e.Kind)).Select(e => new LedgerEntryResponse(e.Id, e.Kind, e.At,
            e.Lines.Select(l => new LedgerLineResponse(l.Account, new MoneyDto(l.Amount, l.Currency))).ToList())).ToList()));
    }

    private static int KindOrder(string kind) => kind switch
    {
        "capture" => 0,
        "refund" or "release" => 1,
        _ => 2,
    };

    public static async Task<Ok<LedgerCheckResponse>> Check(HttpContext http, SafeholdDb db, TimeProvider clock, CancellationToken ct)
    {
        Caller.From(http.User).Require(UserRole.Admin, "check the ledger");
        return TypedResults.Ok(await RunChecksAsync(db, clock.GetUtcNow(), ct));
    }

    /// <summary>
    /// Every invariant of SPEC 4, each computed by the database from the journal itself, all from one snapshot: the
    /// worker that sends a refund meanwhile (refund_sent and the instruction's success, in one commit) is seen wholly
    /// or not at all, never as owed money with no open instruction.
    /// </summary>
    public static Task<LedgerCheckResponse> RunChecksAsync(SafeholdDb db, DateTimeOffset now, CancellationToken ct) =>
        db.InSnapshotAsync(() => ChecksAsync(db, now, ct), ct);

    private static async Task<LedgerCheckResponse> ChecksAsync(SafeholdDb db, DateTimeOffset now, CancellationToken ct)
    {
        var checks = new List<LedgerCheckItem>();

        var unbalanced = await db.JournalLines.GroupBy(l => new { l.EntryId, l.Currency })
            .Where(g => g.Sum(l => l.Amount) != 0).Select(g => g.Key.EntryId).Distinct().OrderBy(id => id).Take(5).ToListAsync(ct);
        var entryCount = await db.JournalEntries.CountAsync(ct);
        checks.Add(new("entries_balance", unbalanced.Count == 0, unbalanced.Count == 0
            ? $"All {entryCount} journal entries balance in every currency."
            : $"Unbalanced entries: {string.Join(", ", unbalanced)}.", entryCount, unbalanced.Select(id => id.ToString()).ToList(), []));

        var perCurrency = await db.JournalLines.GroupBy(l => l.Currency)
            .Select(g => new { Currency = g.Key, Sum = g.Sum(l => l.Amount) }).ToListAsync(ct);
        var off = perCurrency.Where(c => c.Sum != 0).ToList();
        checks.Add(new("ledger_sums_to_zero", off.Count == 0, off.Count == 0
            ? $"The ledger sums to zero in each of {perCurrency.Count} currencies."
            : string.Join("; ", off.Select(c => $"{c.Currency} is off by {c.Sum} (minor units)")), perCurrency.Count,
            off.Select(c => c.Currency).ToList(), off.Select(c => new MoneyDto(c.Sum, c.Currency)).ToList()));

        var negativeEscrow = await db.JournalLines.Where(l => l.AccountType == AccountType.Escrow)
            .GroupBy(l => new { l.Account, l.Currency }).Where(g => g.Sum(l => l.Amount) < 0)
            .Select(g => g.Key.Account).OrderBy(a => a).Take(5).ToListAsync(ct);
        checks.Add(new("no_negative_escrow", negativeEscrow.Count == 0, negativeEscrow.Count == 0
            ? "No order's escrow is negative."
            : $"Negative escrow: {string.Join(", ", negativeEscrow)}.", 0, negativeEscrow, []));

        // Closed orders, and completed orders whose dispute window has passed, must hold nothing in escrow; but a completed
        // order under an open chargeback holds what was released, taken back and frozen there until the network decides.
        var settled = db.Orders.Where(o => o.Status == OrderStatus.Closed
            || (o.Status == OrderStatus.Completed && o.DisputeWindowEndsAt <= now && o.OpenDisputeId == null)).Select(o => o.Id);
        var heldAfterSettling = await db.JournalLines
            .Where(l => l.AccountType == AccountType.Escrow && l.OrderId != null && settled.Contains(l.OrderId.Value))
            .GroupBy(l => l.OrderId).Where(g => g.Sum(l => l.Amount) != 0).Select(g => g.Key).OrderBy(id => id).Take(5).ToListAsync(ct);
        checks.Add(new("settled_orders_escrow_zero", heldAfterSettling.Count == 0, heldAfterSettling.Count == 0
            ? "Every closed order, and every completed order past its dispute window, holds nothing in escrow."
            : $"Orders still holding escrow: {string.Join(", ", heldAfterSettling)}.", 0, heldAfterSettling.Select(id => id.ToString()!).ToList(), []));

        var fromJournal = await db.JournalLines.Where(l => l.SellerId != null)
            .GroupBy(l => new { l.SellerId, l.Currency })
            .Select(g => new
            {
                g.Key.SellerId,
                g.Key.Currency,
                Pending = g.Where(l => l.AccountType == AccountType.SellerPending).Sum(l => l.Amount),
                Available = g.Where(l => l.AccountType == AccountType.SellerAvailable).Sum(l => l.Amount),
                PaidOut = g.Where(l => l.AccountType == AccountType.PayoutsOut).Sum(l => l.Amount),
            }).ToListAsync(ct);
        var stored = await db.SellerBalances.AsNoTracking().ToListAsync(ct);
        var mismatches = new List<string>();
        foreach (var b in stored)
        {
            var j = fromJournal.FirstOrDefault(x => x.SellerId == b.SellerId && x.Currency == b.Currency);
            if ((j?.Pending ?? 0) != b.Pending || (j?.Available ?? 0) != b.Available || (j?.PaidOut ?? 0) != b.PaidOut)
                mismatches.Add($"{b.SellerId} {b.Currency}");
        }
        mismatches.AddRange(fromJournal.Where(j => !stored.Any(b => b.SellerId == j.SellerId && b.Currency == j.Currency))
            .Select(j => $"{j.SellerId} {j.Currency} (no balance row)"));
        checks.Add(new("seller_balances_match_entries", mismatches.Count == 0, mismatches.Count == 0
            ? $"All {stored.Count} seller balances equal the sum of their journal lines."
            : $"Mismatched seller balances: {string.Join(", ", mismatches.Take(5))}.", stored.Count, mismatches.Take(5).ToList(), []));

        // Money owed to buyers and sellers is exactly what their open refund and payout instructions will send.
        var owedInLedger = await OwedMoney.SumsAsync(db, before: null, ct);
        var open = await db.PaymentInstructions.Where(i => i.Kind != InstructionKind.Capture && i.Status != InstructionStatus.Succeeded)
            .GroupBy(i => new { i.Kind, i.Currency }).Select(g => new { g.Key.Kind, g.Key.Currency, Sum = g.Sum(i => i.Amount) }).ToListAsync(ct);
        var owedOff = new List<string>();
        var owedBy = new List<MoneyDto>();
        foreach (var (type, kind) in new[] { (AccountType.RefundsOwed, InstructionKind.Refund), (AccountType.PayoutsOwed, InstructionKind.Payout) })
        {
            foreach (var currency in owedInLedger.Where(o => o.AccountType == type).Select(o => o.Currency).Union(open.Where(o => o.Kind == kind).Select(o => o.Currency)))
            {
                var ledger = owedInLedger.Where(o => o.AccountType == type && o.Currency == currency).Sum(o => o.Sum);
                var instructed = open.Where(o => o.Kind == kind && o.Currency == currency).Sum(o => o.Sum);
                if (ledger == instructed) continue;
                owedOff.Add($"{kind.ToString().ToLowerInvariant()}s owed in {currency}: ledger {ledger}, open instructions {instructed}");
                owedBy.Add(new MoneyDto(ledger - instructed, currency));
            }
        }
        checks.Add(new("owed_matches_open_instructions", owedOff.Count == 0, owedOff.Count == 0
            ? "Refunds and payouts owed equal the open payment instructions that will send them."
            : string.Join("; ", owedOff), open.Count, owedOff, owedBy));

        return new LedgerCheckResponse(checks.All(c => c.Ok), checks);
    }
}
