using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Users;
using Safehold.Web.Jobs;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.PaymentInstructions;

/// <summary>
/// <c>POST /api/v1/payment-instructions/{id}/result</c> (SPEC 5, external rails): the marketplace executed a refund or payout
/// it was sent and reports how it went, with the platform's own key. <c>succeeded</c> (with the marketplace's
/// <c>reference</c>) moves the owed money out exactly as the worker's success does; <c>failed</c> (with a
/// <c>failureCode</c>) leaves it owed and puts the instruction in the admin's queue. The same result again answers the
/// instruction as it is (<c>Idempotent-Replayed</c>), another result for a reported one is refused (409
/// <c>result_already_reported</c>), another amount (422 <c>result_amount_mismatch</c>); nothing changes then.
/// </summary>
public sealed class ReportResult(SafeholdDb db, InstructionChanges changes, WriteGate gate, IOptions<PaymentOptions> payments)
{
    public const string Succeeded = "succeeded", Failed = "failed";

    /// <summary>
    /// What the marketplace reports: <c>status</c> <c>succeeded</c> or <c>failed</c>; <c>reference</c> (its provider's
    /// reference of the refund or payout, required on success); <c>failureCode</c> (required on failure, kept for the
    /// admin); <c>amount</c> (optional: when sent, it must be the instruction's).
    /// </summary>
    public sealed record Input([property: ApiValues(ReportResult.Succeeded, ReportResult.Failed)] string? Status, [property: StringLength(100)] string? Reference = null, [property: StringLength(64)] string? FailureCode = null, MoneyDto? Amount = null);

    public async Task<(InstructionResponse Response, bool Replayed)> RunAsync(Caller caller, Guid id, Input input, CancellationToken ct)
    {
        if (caller.Role != UserRole.Platform)
            throw new DomainException(RefusalKind.NotAllowed, "action_not_allowed",
                "Only the platform's own key (not acting for a user) reports the result of a payment instruction.");
        if (!payments.Value.External)
            throw new DomainException(RefusalKind.RuleRefused, "external_rails_only",
                "Results are reported on external payment rails only (Safehold:Payments:Provider=external); here Safehold's worker sends the money.");
        var errors = new InputErrors();
        if (input.Status is not (Succeeded or Failed)) errors.Add("status", $"One of: {Succeeded}, {Failed}.");
        var reference = errors.Text("reference", input.Reference, Limits.Length<Input>(nameof(Input.Reference)), required: input.Status == Succeeded);
        var failureCode = errors.Text("failureCode", input.FailureCode, Limits.Length<Input>(nameof(Input.FailureCode)), required: input.Status == Failed);
        if (input.Status == Succeeded && failureCode is not null) errors.Add("failureCode", "Only with status failed.");
        if (input.Status == Failed && reference is not null) errors.Add("reference", "Only with status succeeded.");
        errors.ThrowIfAny();

        return await gate.InTransactionAsync(db, async () =>
        {
            if (input.Amount is { } amount
                && await db.PaymentInstructions.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, ct) is { } found
                && (found.Amount != amount.Amount || found.Currency != amount.Currency))
                throw new DomainException(RefusalKind.RuleRefused, "result_amount_mismatch",
                    $"The instruction moves {found.Amount} {found.Currency}, not {amount.Amount} {amount.Currency}.");
            var answer = input.Status == Succeeded
                ? PaymentResult.Success(reference!)
                : PaymentResult.Declined(failureCode!, "The marketplace reported the payment failed.");
            var (instruction, replayed) = await changes.ReportResultAsync(id, answer, ct);
            return (InstructionResponse.From(instruction), replayed);
        }, ct);
    }

    public static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<InstructionResponse>> Post(Guid id, Input input, HttpContext http, ReportResult report,
        CancellationToken ct)
    {
        var (response, replayed) = await report.RunAsync(Caller.From(http.User), id, input, ct);
        if (replayed) http.Response.Headers["Idempotent-Replayed"] = "true";
        return TypedResults.Ok(response);
    }
}
