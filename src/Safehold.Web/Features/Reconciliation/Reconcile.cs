using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain.Ledger;
using Safehold.Domain.Payments;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Users;
using Safehold.Web.Jobs;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.Reconciliation;

/// <summary>What the journal moved in a period, in one currency.</summary>
/// <param name="CapturedIn">Money in from buyers' payments (what left payment clearing).</param>
/// <param name="RefundsSent">Refunds that left, less those the provider returned.</param>
/// <param name="PayoutsSent">Payouts that left, less those the provider returned.</param>
/// <param name="RefundsOwed">Refunds decided and not yet sent, at the period's end.</param>
/// <param name="PayoutsOwed">Payouts started and not yet sent, at the period's end.</param>
/// <param name="Commission">The platform's commission earned (less what refunds and chargebacks took back).</param>
/// <param name="Chargebacks">Money the card networks took back for lost chargebacks.</param>
public sealed record LedgerTotals(MoneyDto CapturedIn, MoneyDto RefundsSent, MoneyDto PayoutsSent, MoneyDto RefundsOwed, MoneyDto PayoutsOwed,
    MoneyDto Commission, MoneyDto Chargebacks);

/// <summary>The payment instructions' results recorded in a period, in one currency.</summary>
/// <param name="Captured">Captures recorded as succeeded; null on external rails, where the marketplace reports its captures with the pay (no capture instructions).</param>
/// <param name="Refunded">Refund instructions that succeeded (sent, or settled by hand).</param>
/// <param name="PaidOut">Payout instructions that succeeded.</param>
/// <param name="SettledByHand">Of <paramref name="Refunded"/> and <paramref name="PaidOut"/>, what an admin settled by hand (paid another
/// way, so the provider never moved it).</param>
/// <param name="Failed">Instructions that failed in the period and still wait in the admin's queue.</param>
/// <param name="FailedCount">How many those are.</param>
public sealed record InstructionTotals(MoneyDto? Captured, MoneyDto Refunded, MoneyDto PaidOut, MoneyDto SettledByHand, MoneyDto Failed, int FailedCount);

/// <summary>What the payment provider's own records say succeeded in a period, in one currency.</summary>
public sealed record ProviderTotals(MoneyDto Captured, MoneyDto Refunded, MoneyDto PaidOut);

/// <summary>One currency's totals from each side (SPEC 5: ledger totals, instruction results, provider records) and its mismatches.</summary>
/// <param name="Provider">Null when the provider's records cannot be read.</param>
/// <param name="MismatchCount">All the currency's mismatches; <paramref name="Mismatches"/> lists the first <see cref="Reconcile.MaxListed"/>.</param>
public sealed record CurrencyReconciliation(string Currency, LedgerTotals Ledger, InstructionTotals Instructions, ProviderTotals? Provider,
    int MismatchCount, IReadOnlyList<ReconciliationMismatch> Mismatches);

/// <summary>
/// One disagreement between the ledger, the payment instructions and the provider's records. <c>code</c> is one of:
/// <c>succeeded_without_entry</c> (an instruction succeeded and no entry moved its money out),
/// <c>sent_without_success</c> (an entry moved money out for an instruction that has not succeeded),
/// <c>entry_without_instruction</c> (an entry owes or sends money that no instruction carries),
/// <c>instruction_without_entry</c> (an instruction whose money no entry owes),
/// <c>amount_differs</c> (the entry's and the instruction's amounts differ),
/// <c>provider_has_no_record</c> (a succeeded instruction or a capture the provider does not know under its key),
/// <c>provider_not_succeeded</c> (the provider's record of it is a refusal),
/// <c>provider_amount_differs</c> (the provider recorded another amount),
/// <c>provider_succeeded_instruction_failed</c> (the provider moved the money of an instruction waiting in the queue),
/// <c>provider_record_without_entry</c> (the provider moved money under a key Safehold has no entry or instruction for).
/// </summary>
/// <param name="Key">The idempotency key (an instruction's, or an entry's dedupe key) the sides were matched by.</param>
/// <param name="Ledger">What the ledger moved for it, when it is an amount question.</param>
/// <param name="Instructed">What the instruction says.</param>
/// <param name="Provider">What the provider recorded.</param>
/// <param name="Detail">In English, for a person reading the API's answer (the portal writes its own from the code).</param>
public sealed record ReconciliationMismatch(string Code, string Currency, string Key, Guid? InstructionId, Guid? EntryId, Guid? OrderId,
    MoneyDto? Ledger, MoneyDto? Instructed, MoneyDto? Provider, string Detail);

/// <param name="From">The period's start (included).</param>
/// <param name="To">The period's end (excluded).</param>
/// <param name="ProviderRecordsRead">Whether the provider's records were read (the sandbox's are; an external provider's are not).</param>
/// <param name="Ok">No mismatch in any currency.</param>
/// <param name="MismatchCount">The mismatches of every currency.</param>
public sealed record ReconciliationResponse(DateTimeOffset From, DateTimeOffset To, bool ProviderRecordsRead, bool Ok, int MismatchCount,
    IReadOnlyList<CurrencyReconciliation> Currencies);

/// <summary>
/// Reconciliation (SPEC 4, <c>GET /api/v1/reconciliation?from=&amp;to=</c>, admin): for a period, per currency, the
/// journal's money in and out against the payment instructions' results and the provider's records, and each
/// disagreement by the key that ties the three together (an instruction's idempotency key is the entry's that owes it;
/// the entries that send and return it carry it as their prefix; the provider knows it under the same key).
/// </summary>
/// <remarks>
/// Totals are the period's (entries by their time, instructions by when they completed, provider records by when the
/// provider answered), so an instruction answered just before the period's end may fall on either side of it; the
/// mismatches compare each instruction with all its entries, whenever they were written, and do not.
/// Every read goes through an index of what it looks for, never a pass over a table (ReconciliationReadsTests): the
/// period's entries by their instant; the instructions by when they were written, by when they completed and by key;
/// their entries by exact key (those that send and return the money too: <see cref="PaymentInstruction.MovementKeys"/>),
/// a checkout's captures through its orders; the money owed at the period's end from the lines of the two owed accounts
/// alone. What would be one OR is reads of its own (an OR of them is answered by a pass over the table).
/// </remarks>
public sealed class Reconcile(SafeholdDb db, IPaymentProvider provider, PaymentRails rails)
{
    public const int MaxListed = 200;

    public static void Map(RouteGroupBuilder api) => api.MapGet("/reconciliation", Get).WithTags("Ledger");

    public static async Task<Ok<ReconciliationResponse>> Get(HttpContext http, SafeholdDb db, IPaymentProvider provider, IOptions<PaymentOptions> payments,
        TimeProvider clock, string? from, string? to, CancellationToken ct)
    {
        Caller.From(http.User).Require(UserRole.Admin, "reconcile the ledger");
        return TypedResults.Ok(await new Reconcile(db, provider, payments.Value.Rails).RunAsync(Period.Parse(from, to, clock.GetUtcNow()), ct));
    }

    private sealed record Line(Guid EntryId, int LineNumber, string Key, string Kind, Guid? OrderId, DateTimeOffset At, AccountType Type, string Currency, long Amount);

    /// <summary>The period's reconciliation, every figure read from one snapshot of the database.</summary>
    public Task<ReconciliationResponse> RunAsync(Period period, CancellationToken ct) => db.InSnapshotAsync(() => ReconcileAsync(period, ct), ct);

    private async Task<ReconciliationResponse> ReconcileAsync(Period period, CancellationToken ct)
    {
        var (from, to) = (period.From.ToUniversalTime(), period.To.ToUniversalTime()); // PostgreSQL takes UTC instants only
        var inPeriod = await CheckoutKeyed(await Lines(db.JournalEntries.Where(e => e.At >= from && e.At < to), ct), ct);
        var owedAtEnd = await OwedMoney.SumsAsync(db, before: to, ct);

        // The instructions the period touched: written in it, completed in it (written outside it), or named by one of its
        // entries; the last asks only for the keys the first two did not find, usually none. Every list of keys goes as one
        // parameter (EF.Parameter): as one parameter a key each, a long period's would pass SQLite's limit of 32,766.
        var instructions = await db.PaymentInstructions.AsNoTracking().Where(i => i.CreatedAt >= from && i.CreatedAt < to)
            .Concat(db.PaymentInstructions.AsNoTracking().Where(i => i.CompletedAt >= from && i.CompletedAt < to && (i.CreatedAt < from || i.CreatedAt >= to)))
            .ToListAsync(ct);
        var found = instructions.Select(i => i.IdempotencyKey).ToHashSet(StringComparer.Ordinal);
        var named = inPeriod.Select(l => PaymentInstruction.InstructionKeyOf(l.Key)).Where(k => !found.Contains(k)).Distinct().ToList();
        if (named.Count > 0)
            instructions.AddRange(await db.PaymentInstructions.AsNoTracking().Where(i => EF.Parameter(named).Contains(i.IdempotencyKey)).ToListAsync(ct));
        // On sandbox rails every capture is an instruction. On external rails the marketplace reports its captures with the
        // pay, and with no rails none is made: there a period's captures are instructions only if it has one (written
        // before the database changed rails).
        var capturesAreInstructions = rails == PaymentRails.Sandbox || instructions.Any(i => i.Kind == InstructionKind.Capture);

        // Every entry of those instructions, whenever written: the one that owes (its key) and those that send and return
        // it (their keys, one of each per version the instruction has had), read by key unless the period's own; and a
        // checkout's capture, entered once per order it paid under the order's own key (see CheckoutKeyed).
        var keys = instructions.Select(i => i.IdempotencyKey).ToList();
        var inPeriodKeys = inPeriod.Select(l => l.Key).ToHashSet(StringComparer.Ordinal);
        var elsewhere = instructions.SelectMany(i => i.MovementKeys().Prepend(i.IdempotencyKey)).Where(k => !inPeriodKeys.Contains(k)).ToList();
        var checkoutIds = instructions.Where(i => i.CheckoutId != null).Select(i => i.CheckoutId).ToList();
        var related = await CheckoutKeyed(await Lines(db.JournalEntries.Where(e => EF.Parameter(elsewhere).Contains(e.DedupeKey))
            .Concat(from o in db.Orders
                    where EF.Parameter(checkoutIds).Contains(o.CheckoutId)
                    from e in db.JournalEntries
                    where e.OrderId == o.Id && e.Kind == "capture"
                    select e), ct), ct);
        var byInstruction = related.Concat(inPeriod).DistinctBy(l => (l.EntryId, l.LineNumber)).ToLookup(l => PaymentInstruction.InstructionKeyOf(l.Key));
        var instructionByKey = instructions.ToDictionary(i => i.IdempotencyKey);

        var records = provider as IPaymentRecords;
        var providerByKey = new Dictionary<string, ProviderRecord>();
        IReadOnlyList<ProviderRecord> providerInPeriod = [];
        if (records is not null)
        {
            var captureKeys = inPeriod.Where(l => l.Kind == "capture").Select(l => l.Key);
            foreach (var r in await records.FindAsync(keys.Concat(captureKeys).Distinct().ToList(), ct)) providerByKey[r.IdempotencyKey] = r;
            providerInPeriod = await records.ListAsync(from, to, ct);
        }

        var mismatches = new List<ReconciliationMismatch>();
        void Add(string code, string currency, string key, Guid? instructionId, Guid? entryId, Guid? orderId, long? ledger, long? instructed, long? provided, string detail) =>
            mismatches.Add(new(code, currency, key, instructionId, entryId, orderId, Dto(ledger, currency), Dto(instructed, currency), Dto(provided, currency), detail));

        foreach (var i in instructions.OrderBy(i => i.CreatedAt).ThenBy(i => i.Id))
        {
            var lines = byInstruction[i.IdempotencyKey].ToList();
            var owing = lines.Where(l => l.Key == i.IdempotencyKey).ToList();
            var kind = InstructionName(i.Kind);
            if (i.Kind == InstructionKind.Capture)
            {
                var captured = -owing.Where(l => l.Type == AccountType.PaymentClearing).Sum(l => l.Amount);
                var expected = i.Status == InstructionStatus.Succeeded ? i.Amount : 0;
                if (captured != expected)
                    Add(expected == 0 ? "sent_without_success" : captured == 0 ? "succeeded_without_entry" : "amount_differs", i.Currency, i.IdempotencyKey,
                        i.Id, owing.FirstOrDefault()?.EntryId, i.OrderId, captured, i.Amount, null,
                        $"The {i.Status.ToString().ToLowerInvariant()} capture instruction's entry captured {captured}, not {expected} (minor units).");
            }
            else
            {
                var (owedType, outType) = i.Kind == InstructionKind.Refund
                    ? (AccountType.RefundsOwed, AccountType.RefundsOut) : (AccountType.PayoutsOwed, AccountType.PayoutsOut);
                var owed = owing.Where(l => l.Type == owedType).Sum(l => l.Amount);
                if (owing.Count == 0)
                    Add("instruction_without_entry", i.Currency, i.IdempotencyKey, i.Id, null, i.OrderId, null, i.Amount, null,
                        $"No journal entry owes the {kind} instruction's money.");
                else if (owed != i.Amount)
                    Add("amount_differs", i.Currency, i.IdempotencyKey, i.Id, owing[0].EntryId, i.OrderId, owed, i.Amount, null,
                        $"The entry owes {owed} and the {kind} instruction sends {i.Amount} (minor units).");
                var sent = lines.Where(l => l.Key != i.IdempotencyKey && l.Type == outType).ToList();
                var net = sent.Sum(l => l.Amount);
                var expected = i.Status == InstructionStatus.Succeeded ? i.Amount : 0;
                if (net != expected)
                    Add(expected > 0 && net == 0 ? "succeeded_without_entry" : expected == 0 ? "sent_without_success" : "amount_differs",
                        i.Currency, i.IdempotencyKey, i.Id, sent.LastOrDefault()?.EntryId, i.OrderId, net, i.Amount, null,
                        expected > 0 && net == 0 ? $"The {kind} instruction succeeded and no entry sent its money."
                        : expected == 0 ? $"Entries sent {net} (minor units) for a {i.Status.ToString().ToLowerInvariant()} {kind} instruction."
                        : $"Entries sent {net} and the {kind} instruction {i.Amount} (minor units).");
            }

            if (records is null) continue;
            providerByKey.TryGetValue(i.IdempotencyKey, out var record);
            // A refund or payout an admin settled by hand did not go through the provider.
            if (i.Status == InstructionStatus.Succeeded && i.ResolvedBy is null)
            {
                if (record is null)
                    Add("provider_has_no_record", i.Currency, i.IdempotencyKey, i.Id, null, i.OrderId, null, i.Amount, null,
                        $"The provider has no record of the succeeded {kind} instruction's key.");
                else if (!record.Succeeded)
                    Add("provider_not_succeeded", i.Currency, i.IdempotencyKey, i.Id, null, i.OrderId, null, i.Amount, null,
                        $"The provider's record of the succeeded {kind} instruction is a refusal.");
                else if (record.Amount != i.Amount || record.Currency != i.Currency)
                    Add("provider_amount_differs", i.Currency, i.IdempotencyKey, i.Id, null, i.OrderId, null, i.Amount, record.Amount,
                        $"The provider recorded {record.Amount} {record.Currency} for the {kind} instruction of {i.Amount} {i.Currency} (minor units).");
            }
            else if (i.Status == InstructionStatus.Failed && record is { Succeeded: true })
            {
                Add("provider_succeeded_instruction_failed", i.Currency, i.IdempotencyKey, i.Id, null, i.OrderId, null, i.Amount, record.Amount,
                    $"The provider moved the money of a {kind} instruction that waits in the queue as failed: a retry records it.");
            }
        }

        // Entries that owe or send money no instruction carries.
        foreach (var entry in inPeriod.GroupBy(l => l.EntryId))
        {
            var first = entry.First();
            var instructionKey = PaymentInstruction.InstructionKeyOf(first.Key);
            var needs = instructionKey != first.Key // sends or returns an instruction's money
                || entry.Any(l => l.Type is AccountType.RefundsOwed or AccountType.PayoutsOwed && l.Amount > 0)
                || (first.Kind == "capture" && capturesAreInstructions);
            // Every instruction an entry of the period names was loaded above.
            if (needs && !instructionByKey.ContainsKey(instructionKey))
            {
                var moved = entry.Where(l => l.Amount > 0).Sum(l => l.Amount);
                Add("entry_without_instruction", first.Currency, first.Key, null, first.EntryId, first.OrderId, moved, null, null,
                    $"The {first.Kind} entry moves {moved} (minor units) and no payment instruction carries it.");
            }
        }

        // Every capture the period entered against the provider's record under its key (a checkout's: its orders' entries together).
        foreach (var entries in records is null ? [] : inPeriod.Where(l => l.Kind == "capture").GroupBy(l => l.Key))
        {
            var first = entries.First();
            var captured = -entries.Where(l => l.Type == AccountType.PaymentClearing).Sum(l => l.Amount);
            providerByKey.TryGetValue(first.Key, out var capture);
            if (capture is null or { Succeeded: false })
                Add(capture is null ? "provider_has_no_record" : "provider_not_succeeded", first.Currency, first.Key, null, first.EntryId, first.OrderId,
                    captured, null, null, capture is null ? "The provider has no record of the capture's key." : "The provider's record of the capture is a refusal.");
            else if (capture.Amount != captured || capture.Currency != first.Currency)
                Add("provider_amount_differs", first.Currency, first.Key, null, first.EntryId, first.OrderId, captured, null, capture.Amount,
                    $"The provider captured {capture.Amount} {capture.Currency} and the ledger {captured} {first.Currency} (minor units).");
        }

        // Money the provider moved under a key Safehold knows nothing of (a capture whose commit was lost, until it is returned).
        var known = instructionByKey.Keys.Concat(inPeriod.Select(l => l.Key)).ToHashSet(StringComparer.Ordinal);
        var unknown = providerInPeriod.Where(r => r.Succeeded && !known.Contains(r.IdempotencyKey)).ToList();
        if (unknown.Count > 0)
        {
            var unknownKeys = unknown.Select(r => r.IdempotencyKey).ToList();
            var recorded = (await db.JournalEntries.Where(e => EF.Parameter(unknownKeys).Contains(e.DedupeKey)).Select(e => e.DedupeKey).ToListAsync(ct))
                .Concat(await db.PaymentInstructions.Where(i => EF.Parameter(unknownKeys).Contains(i.IdempotencyKey)).Select(i => i.IdempotencyKey).ToListAsync(ct))
                .ToHashSet(StringComparer.Ordinal);
            // A lost capture returned when its unpaid order ended (the instruction worker, after DueTimers.LookForLostCaptureAsync): in and out again, settled.
            var voids = (await records!.FindAsync(unknown.Where(r => r.Kind == "capture").Select(r => CaptureReturns.VoidKeyOf(r.IdempotencyKey)).ToList(), ct))
                .Where(v => v.Succeeded).ToDictionary(v => v.IdempotencyKey, StringComparer.Ordinal);
            bool Voided(ProviderRecord r) => r.Kind == "capture" ? voids.TryGetValue(CaptureReturns.VoidKeyOf(r.IdempotencyKey), out var v) && v.Amount == r.Amount
                : CaptureReturns.IsVoidKey(r.IdempotencyKey);
            foreach (var r in unknown.Where(r => !recorded.Contains(r.IdempotencyKey) && !Voided(r)))
                Add("provider_record_without_entry", r.Currency, r.IdempotencyKey, null, null, null, null, null, r.Amount,
                    $"The provider recorded a {r.Kind} of {r.Amount} {r.Currency} (minor units) that Safehold has no entry or instruction for.");
        }

        var currencies = inPeriod.Select(l => l.Currency).Concat(owedAtEnd.Where(o => o.Sum != 0).Select(o => o.Currency))
            .Concat(instructions.Select(i => i.Currency)).Concat(providerInPeriod.Where(r => r.Succeeded).Select(r => r.Currency))
            .Concat(mismatches.Select(m => m.Currency))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        var rows = currencies.Select(c =>
        {
            long Flow(AccountType type) => inPeriod.Where(l => l.Currency == c && l.Type == type).Sum(l => l.Amount);
            long Owed(AccountType type) => owedAtEnd.Where(o => o.Currency == c && o.AccountType == type).Sum(o => o.Sum);
            var completed = instructions.Where(i => i.Currency == c && i.CompletedAt >= from && i.CompletedAt < to).ToList();
            long Succeeded(InstructionKind kind) => completed.Where(i => i.Kind == kind && i.Status == InstructionStatus.Succeeded).Sum(i => i.Amount);
            var failed = completed.Where(i => i.Status == InstructionStatus.Failed).ToList();
            long Recorded(string kind) => providerInPeriod.Where(r => r.Currency == c && r.Kind == kind && r.Succeeded).Sum(r => r.Amount);
            return new CurrencyReconciliation(c,
                new LedgerTotals(new(-Flow(AccountType.PaymentClearing), c), new(Flow(AccountType.RefundsOut), c), new(Flow(AccountType.PayoutsOut), c),
                    new(Owed(AccountType.RefundsOwed), c), new(Owed(AccountType.PayoutsOwed), c), new(Flow(AccountType.PlatformCommission), c),
                    new(Flow(AccountType.ChargebacksOut), c)),
                new InstructionTotals(capturesAreInstructions ? new(Succeeded(InstructionKind.Capture), c) : null, new(Succeeded(InstructionKind.Refund), c),
                    new(Succeeded(InstructionKind.Payout), c),
                    new(completed.Where(i => i.Status == InstructionStatus.Succeeded && i.ResolvedBy != null).Sum(i => i.Amount), c),
                    new(failed.Sum(i => i.Amount), c), failed.Count),
                records is null ? null : new ProviderTotals(new(Recorded("capture"), c), new(Recorded("refund"), c), new(Recorded("payout"), c)),
                mismatches.Count(m => m.Currency == c), mismatches.Where(m => m.Currency == c).Take(MaxListed).ToList());
        }).ToList();

        return new ReconciliationResponse(from, to, records is not null, mismatches.Count == 0, mismatches.Count, rows);
    }

    /// <summary>The lines of <paramref name="entries"/> with their entry's key, kind and time.</summary>
    private async Task<List<Line>> Lines(IQueryable<JournalEntry> entries, CancellationToken ct) =>
        await (from e in entries
               from l in db.JournalLines.Where(l => l.EntryId == e.Id)
               select new Line(e.Id, l.LineNumber, e.DedupeKey, e.Kind, e.OrderId, e.At, l.AccountType, l.Currency, l.Amount)).ToListAsync(ct);

    /// <summary>
    /// The lines with each capture entry of a checkout's order keyed by the checkout's one capture (<c>checkout:{id}:capture</c>),
    /// the key its instruction and the provider know it by: the order's entry keeps its own key (one capture entry per
    /// order), and all of a checkout's are matched together against the one capture.
    /// </summary>
    private async Task<List<Line>> CheckoutKeyed(List<Line> lines, CancellationToken ct)
    {
        var captureOrders = lines.Where(l => l.Kind == "capture" && l.OrderId != null).Select(l => l.OrderId!.Value).Distinct().ToList();
        if (captureOrders.Count == 0) return lines;
        var checkoutOf = await db.Orders.AsNoTracking().Where(o => EF.Parameter(captureOrders).Contains(o.Id) && o.CheckoutId != null)
            .ToDictionaryAsync(o => o.Id, o => o.CheckoutId!.Value, ct);
        return checkoutOf.Count == 0 ? lines : lines.Select(l => l.Kind == "capture" && l.OrderId is { } id && checkoutOf.TryGetValue(id, out var checkoutId)
            ? l with { Key = CaptureReturns.CheckoutCaptureKey(checkoutId) } : l).ToList();
    }

    private static string InstructionName(InstructionKind kind) => kind.ToString().ToLowerInvariant();

    private static MoneyDto? Dto(long? amount, string currency) => amount is { } a ? new MoneyDto(a, currency) : null;
}
