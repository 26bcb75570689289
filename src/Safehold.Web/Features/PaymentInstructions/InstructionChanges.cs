using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Payments;
using Safehold.Domain.Payouts;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Notifications;
using Safehold.Web.Jobs;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.PaymentInstructions;

/// <summary>
/// Every change to a payment instruction after it was written, in the caller's transaction: the worker's answer from the
/// provider, an admin's retry or resolution, and the provider saying later that one failed. Each loads the instruction
/// under its row lock (PostgreSQL) and its version, posts the entry that moves its money, and tells whom it concerns.
/// </summary>
public sealed class InstructionChanges(SafeholdDb db, Notifier notifier, TimeProvider clock, IOptions<PaymentOptions> payments,
    Orders.OrderChange orders, ILogger<InstructionChanges> log)
{
    /// <summary>
    /// Records what the provider answered to <paramref name="attempt"/>; false (and nothing changed) when that claim is no
    /// longer in force (another worker claimed it after the lease ran out and records its own answer).
    /// </summary>
    public async Task<bool> RecordAsync(Guid id, int attempt, PaymentResult answer, CancellationToken ct)
    {
        var instruction = await LoadAsync(id, ct);
        if (!instruction.IsClaimedBy(attempt)) return false;
        await ApplyAsync(instruction, answer, final: false, clock.GetUtcNow(), ct);
        await db.SaveChangesAsync(CancellationToken.None);
        return true;
    }

    /// <summary>
    /// <c>external</c> rails: the marketplace reports the result of a pending refund or payout it executed. It is recorded as
    /// the worker records a provider's answer (one attempt, claimed and answered at once); a failure is final and waits in
    /// the admin's queue, since the marketplace has retried on its side. The same result again changes nothing
    /// (<c>Replayed</c>); another result for one already recorded is refused (409 <c>result_already_reported</c>).
    /// </summary>
    public async Task<(PaymentInstruction Instruction, bool Replayed)> ReportResultAsync(Guid id, PaymentResult answer, CancellationToken ct)
    {
        var instruction = await LoadAsync(id, ct);
        if (instruction.Kind == InstructionKind.Capture)
            throw new DomainException(RefusalKind.RuleRefused, "instruction_not_external",
                "A capture is reported with the order's pay (externalPayment), not as an instruction's result.");
        switch (instruction.Status)
        {
            case InstructionStatus.Succeeded when answer.Succeeded && instruction.ProviderReference == answer.Reference:
            case InstructionStatus.Failed when !answer.Succeeded && instruction.FailureCode == answer.DeclineCode:
                return (instruction, true);
            case InstructionStatus.Succeeded or InstructionStatus.Failed:
                throw new DomainException(RefusalKind.WrongState, "result_already_reported",
                    $"This instruction's result was reported already ({InstructionResponse.Name(instruction.Status)}" +
                    $"{(instruction.ProviderReference ?? instruction.FailureCode) switch { { } said => $", {said}", null => "" }}). " +
                    "A refund or payout that failed after it succeeded is reported with a refund.failed or payout.failed payment event.");
        }
        var now = clock.GetUtcNow();
        // The claim is the request's own: the worker does not run on external rails, and the row lock (PostgreSQL) or the
        // single writer (SQLite) keeps a second report out until this one is committed.
        instruction.Claim(now, TimeSpan.FromMinutes(1));
        await ApplyAsync(instruction, answer, final: true, now, ct);
        await db.SaveChangesAsync(ct);
        return (instruction, false);
    }

    /// <summary>
    /// Records an answer to the attempt that claimed <paramref name="instruction"/>: the one path for a provider's answer and
    /// the marketplace's result. Success posts the entry that moves the money out (<c>refund_sent</c>, <c>payout_sent</c>).
    /// </summary>
    private async Task ApplyAsync(PaymentInstruction instruction, PaymentResult answer, bool final, DateTimeOffset now, CancellationToken ct)
    {
        if (answer.Succeeded && instruction.Kind == InstructionKind.Capture)
        {
            // A capture found by its key: it pays the order, unless the order closed since the worker read it. Then it is
            // looked for again at once, and the worker's next pass, finding the order closed, returns the money.
            if (!await orders.SettleFoundCaptureAsync(instruction, answer.Reference!, now, ct)) instruction.LookAgain(now);
        }
        else if (answer.Succeeded)
        {
            await PostAsync(instruction.Succeed(answer.Reference!, now), ct);
            await PaidAsync(instruction, now, ct);
            await AnnounceAsync(instruction, PaymentInstructionEvent.Succeeded, now, ct);
        }
        else
        {
            instruction.Fail(answer.DeclineCode ?? "provider_refused", now, final);
            if (instruction.Status == InstructionStatus.Failed) await WaitsForAdminAsync(instruction, now, ct);
            else log.LogWarning("Payment instruction {Id} ({Kind}) failed attempt {Attempt} with {Code}; next at {Next}",
                instruction.Id, instruction.Kind, instruction.Attempts, instruction.FailureCode, instruction.NextAttemptAt);
        }
    }

    /// <summary>
    /// An admin tries a failed refund or payout again: the worker sends it on its next pass, or on external rails the
    /// marketplace, told by a <c>payment_instruction.retried</c> event in the same transaction.
    /// </summary>
    public async Task<PaymentInstruction> RetryAsync(Guid id, CancellationToken ct)
    {
        var instruction = await LoadAsync(id, ct);
        var now = clock.GetUtcNow();
        instruction.Retry(now);
        if (payments.Value.External) await AnnounceAsync(instruction, PaymentInstructionEvent.Retried, now, ct);
        await db.SaveChangesAsync(ct);
        return instruction;
    }

    /// <summary>An admin settled a failed refund or payout by hand: it leaves the owed account, with the admin's note.</summary>
    public async Task<PaymentInstruction> ResolveAsync(Guid id, string note, Guid adminId, CancellationToken ct)
    {
        var instruction = await LoadAsync(id, ct);
        var now = clock.GetUtcNow();
        await PostAsync(instruction.Resolve(note, adminId, now), ct);
        await PaidAsync(instruction, now, ct);
        await AnnounceAsync(instruction, PaymentInstructionEvent.Resolved, now, ct);
        await db.SaveChangesAsync(ct);
        return instruction;
    }

    /// <summary>
    /// The instructions the provider knows by <paramref name="reference"/> (its id of the capture, refund or payout), found
    /// through their index: a provider's report of a failure names the instruction so, inside its write transaction.
    /// </summary>
    public static IQueryable<PaymentInstruction> WithProviderReference(SafeholdDb db, string reference) =>
        db.PaymentInstructions.Where(i => i.ProviderReference == reference);

    /// <summary>
    /// The provider says a refund or payout failed (by Safehold's instruction id or by the provider's reference): it waits
    /// in the admin's queue and its money is owed again. Refused (409 <c>invalid_state</c>) when it is already failed, and
    /// (409 <c>instruction_not_sent</c>) when it has not been sent yet: the report arrived before the result it contradicts,
    /// and the provider's retry applies it once that result is recorded.
    /// </summary>
    public async Task<PaymentInstruction> ProviderFailedAsync(Guid? id, string? reference, string failureCode, CancellationToken ct)
    {
        var found = id ?? (reference is null ? null : await WithProviderReference(db, reference).Select(i => (Guid?)i.Id).FirstOrDefaultAsync(ct))
            ?? throw Problems.NotFound("Payment instruction");
        var instruction = await LoadAsync(found, ct);
        if (instruction.Status is InstructionStatus.Pending or InstructionStatus.Processing)
            throw new DomainException(RefusalKind.WrongState, "instruction_not_sent",
                $"The {InstructionResponse.Name(instruction.Kind)} instruction has not been sent yet: report its failure once it has succeeded.");
        var now = clock.GetUtcNow();
        await PostAsync(instruction.ReportFailed(failureCode, now), ct);
        await WaitsForAdminAsync(instruction, now, ct);
        await db.SaveChangesAsync(ct);
        return instruction;
    }

    private async Task<PaymentInstruction> LoadAsync(Guid id, CancellationToken ct)
    {
        if (db.OnPostgres && db.Database.CurrentTransaction is not null)
            await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "PaymentInstructions" WHERE "Id" = {id} FOR UPDATE""", ct);
        return await db.PaymentInstructions.FirstOrDefaultAsync(i => i.Id == id, ct) ?? throw Problems.NotFound("Payment instruction");
    }

    private async Task PostAsync(JournalEntry? entry, CancellationToken ct)
    {
        if (entry is not null) await db.PostAsync(entry, ct);
    }

    private async Task PaidAsync(PaymentInstruction instruction, DateTimeOffset now, CancellationToken ct)
    {
        if (instruction is not { Kind: InstructionKind.Payout, PayoutId: { } payoutId }) return;
        var payout = await db.Payouts.FirstAsync(p => p.Id == payoutId, ct);
        if (payout.Status != PayoutStatus.Processing) return; // paid before, and returned and sent again since
        payout.MarkPaid(instruction.ProviderReference!, now);
        await notifier.AddAsync(payout.SellerId, null, "payout_paid",
            new NoticeValues().Id("payoutId", payout.Id).Money("amount", payout.Money).Text("reference", instruction.ProviderReference), now, ct);
    }

    /// <summary>
    /// The instruction's next event in the log (<c>payment_instruction.{kind}</c>), in the caller's transaction: the webhooks
    /// deliver it. Results (<c>succeeded</c>, <c>failed</c>, <c>resolved</c>) are facts on any rails: a marketplace tells the
    /// buyer that the refund has left, or its finance team that a payout bounced.
    /// </summary>
    private async Task AnnounceAsync(PaymentInstruction instruction, string kind, DateTimeOffset now, CancellationToken ct)
    {
        var sequence = await db.PaymentInstructionEvents.CountAsync(e => e.InstructionId == instruction.Id, ct)
            + db.ChangeTracker.Entries<PaymentInstructionEvent>().Count(e => e.State == EntityState.Added && e.Entity.InstructionId == instruction.Id) + 1;
        db.PaymentInstructionEvents.Add(new PaymentInstructionEvent(instruction.Id, sequence, kind, now));
    }

    private async Task WaitsForAdminAsync(PaymentInstruction instruction, DateTimeOffset now, CancellationToken ct)
    {
        await AnnounceAsync(instruction, PaymentInstructionEvent.Failed, now, ct);
        log.LogWarning("Payment instruction {Id} ({Kind}, {Amount} {Currency}) failed ({Code}) and waits for an admin",
            instruction.Id, instruction.Kind, instruction.Amount, instruction.Currency, instruction.FailureCode);
        if (instruction.Kind == InstructionKind.Payout)
        {
            await notifier.AddAsync(instruction.SellerId!.Value, null, "payout_failed",
                new NoticeValues().Id("payoutId", instruction.PayoutId ?? instruction.Id).Money("amount", instruction.Money).Text("declineCode", instruction.FailureCode), now, ct);
        }
    }
}
