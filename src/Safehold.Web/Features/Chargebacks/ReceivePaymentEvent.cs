using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Domain.Disputes;
using Safehold.Domain.Payments;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.PaymentInstructions;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Chargebacks;

/// <summary>
/// What Safehold did with a provider event: for a chargeback event, the dispute it opened or decided and its status then
/// (<c>disputeStatus</c>); for <c>refund.failed</c> or <c>payout.failed</c>, the instruction it took back and its status
/// then (<c>instructionStatus</c>, <c>failed</c>).
/// </summary>
public sealed record PaymentEventResponse(string Id, string Type, Guid? OrderId, Guid? DisputeId, string? DisputeStatus, DateTimeOffset ReceivedAt,
    Guid? InstructionId = null, string? InstructionStatus = null);

/// <summary>
/// <c>POST /api/v1/payment-events</c> (SPEC 5): a provider event, reported by the platform's key (or an admin), applied
/// once under the provider's own event <c>id</c>. The same id again answers the first result and changes nothing; the
/// same id with other content is refused (409 <c>payment_event_reused</c>). An event that arrives before the one it
/// depends on (<c>chargeback.won</c> before <c>chargeback.opened</c>) is refused with 409 <c>chargeback_not_open</c> and
/// not recorded, so the provider's retry applies it once the chargeback is open. <c>refund.failed</c> and
/// <c>payout.failed</c> take a sent refund or payout back (<see cref="InstructionChanges.ProviderFailedAsync"/>): its
/// money is owed again and it waits in the admin's queue; one for an instruction that has not been sent yet is refused
/// (409 <c>instruction_not_sent</c>), unrecorded, in the same way.
/// </summary>
public sealed class ReceivePaymentEvent(SafeholdDb db, Chargebacks chargebacks, InstructionChanges instructions, WriteGate gate, TimeProvider clock)
{
    public const string Opened = "chargeback.opened", Won = "chargeback.won", Lost = "chargeback.lost";
    public const string RefundFailed = "refund.failed", PayoutFailed = "payout.failed";

    /// <summary>Every event type of SPEC 5.</summary>
    public static readonly IReadOnlyList<string> Types = [Opened, Won, Lost, RefundFailed, PayoutFailed];

    public sealed record Input([property: StringLength(255)] string? Id, [property: StringLength(32)] string? Type, Guid? OrderId, Guid? InstructionId, [property: StringLength(100)] string? Reference, MoneyDto? Amount, [property: StringLength(500)] string? Reason,
        DateTimeOffset? RespondBy);

    /// <summary>Applies the event, or answers its first result again; <c>Replayed</c> says which.</summary>
    public async Task<(PaymentEventResponse Response, bool Replayed)> RunAsync(Caller caller, Input input, CancellationToken ct)
    {
        Chargebacks.RequireReporter(caller);
        var errors = new InputErrors();
        var id = errors.Text("id", input.Id, Limits.Length<Input>(nameof(Input.Id)));
        var type = errors.Text("type", input.Type, Limits.Length<Input>(nameof(Input.Type)));
        if (type is not null && !Types.Contains(type)) errors.Add("type", $"One of: {string.Join(", ", Types)}.");
        var reference = errors.Text("reference", input.Reference, Limits.Length<Input>(nameof(Input.Reference)), required: false);
        string? reason = null;
        if (type is Opened or Won or Lost)
        {
            if (input.OrderId is null) errors.Add("orderId", "Required for a chargeback event.");
            if (type == Opened)
            {
                reason = errors.Text("reason", input.Reason, Limits.Length<Input>(nameof(Input.Reason)));
                if (input.RespondBy is null) errors.Add("respondBy", "Required: the card network's deadline for the seller's response.");
            }
            else
            {
                reason = errors.Text("reason", input.Reason, Limits.Length<Input>(nameof(Input.Reason)), required: false);
            }
        }
        else if (type is RefundFailed or PayoutFailed)
        {
            if (input.InstructionId is null && reference is null)
                errors.Add("instructionId", "Give the payment instruction's id, or the provider's reference of the refund or payout (reference).");
            // The provider's failure code, kept on the instruction for the admin's queue: as long as a reported result's.
            reason = errors.Text("reason", input.Reason, Limits.Length<PaymentInstructions.ReportResult.Input>(nameof(PaymentInstructions.ReportResult.Input.FailureCode)), required: false);
        }
        errors.ThrowIfAny();

        var hash = Hash(input);
        return await gate.InTransactionAsync(db, async () =>
        {
            if (db.OnPostgres)
            {
                // The provider may deliver one event to several hosts at once: the first applies it, the others find it.
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({"payment-event/" + id}, 0))", ct);
            }
            var previous = await db.PaymentEvents.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct);
            if (previous is not null)
            {
                if (previous.RequestHash != hash)
                    throw new DomainException(RefusalKind.WrongState, "payment_event_reused", $"Event {id} was received before with other content.");
                return (ResponseOf(previous), true);
            }
            PaymentEvent received;
            if (type is RefundFailed or PayoutFailed)
            {
                var instruction = await FailAsync(caller, type, input, reference, reason ?? type.Replace('.', '_'), ct);
                received = new PaymentEvent(id!, type, instruction.OrderId, null, instruction.Id, InstructionResponse.Name(instruction.Status), caller.Id,
                    hash, clock.GetUtcNow());
            }
            else
            {
                var dispute = type == Opened
                    ? await chargebacks.OpenAsync(caller, input.OrderId!.Value, reason!, input.RespondBy!.Value, input.Amount, reference, ct)
                    : await chargebacks.DecideAsync(caller, input.OrderId!.Value, type == Won ? ChargebackOutcome.Won : ChargebackOutcome.Lost,
                        reason ?? reference, ct);
                received = new PaymentEvent(id!, type!, dispute.OrderId, dispute.Id, null, DisputeProcess.StatusName(dispute.Status), caller.Id, hash,
                    clock.GetUtcNow());
            }
            db.PaymentEvents.Add(received);
            await db.SaveChangesAsync(CancellationToken.None);
            return (ResponseOf(received), false);
        }, ct);
    }

    /// <summary>
    /// Checks a failure event against the instruction it names (its kind, order and amount; someone else's is 404 to a key
    /// acting for a user) and takes the sent refund or payout back, in the caller's transaction.
    /// </summary>
    private async Task<PaymentInstruction> FailAsync(Caller caller, string type, Input input, string? reference, string failureCode, CancellationToken ct)
    {
        var instruction = await (input.InstructionId is { } instructionId
                ? db.PaymentInstructions.Where(i => i.Id == instructionId)
                : InstructionChanges.WithProviderReference(db, reference!).Where(i => i.Kind != InstructionKind.Capture))
            .AsNoTracking().FirstOrDefaultAsync(ct) ?? throw Problems.NotFound("Payment instruction");
        if (caller.Role is not (UserRole.Admin or UserRole.Platform) && !await ConcernsAsync(caller, instruction, ct))
            throw Problems.NotFound("Payment instruction");
        var kind = type == RefundFailed ? InstructionKind.Refund : InstructionKind.Payout;
        if (instruction.Kind != kind)
            throw new DomainException(RefusalKind.RuleRefused, "event_instruction_mismatch",
                $"{type} names a {InstructionResponse.Name(instruction.Kind)} instruction.");
        if (input.InstructionId is not null && reference is not null && instruction.ProviderReference != reference)
            throw new DomainException(RefusalKind.RuleRefused, "event_instruction_mismatch", "The reference is not the instruction's provider reference.");
        if (input.OrderId is { } orderId && instruction.OrderId != orderId)
            throw new DomainException(RefusalKind.RuleRefused, "event_instruction_mismatch", "The instruction is not of this order.");
        if (input.Amount is { } amount && (amount.Amount != instruction.Amount || amount.Currency != instruction.Currency))
            throw new DomainException(RefusalKind.RuleRefused, "event_amount_mismatch",
                $"The instruction moves {instruction.Amount} {instruction.Currency}, not {amount.Amount} {amount.Currency}.");
        return await instructions.ProviderFailedAsync(instruction.Id, null, failureCode, ct);
    }

    /// <summary>Whether a key acting for a user may report on this instruction: a refund of the user's order, or the seller's payout.</summary>
    private async Task<bool> ConcernsAsync(Caller caller, PaymentInstruction instruction, CancellationToken ct) =>
        instruction.SellerId == caller.Id
        || (instruction.OrderId is { } orderId && await db.Orders.AnyAsync(o => o.Id == orderId && (o.BuyerId == caller.Id || o.SellerId == caller.Id), ct));

    private static PaymentEventResponse ResponseOf(PaymentEvent e) => e.InstructionId is null
        ? new(e.Id, e.Type, e.OrderId, e.DisputeId, e.Result, e.ReceivedAt)
        : new(e.Id, e.Type, e.OrderId, null, null, e.ReceivedAt, e.InstructionId, e.Result);

    private static string Hash(Input input) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(input))));

    public static void Map(IEndpointRouteBuilder api) =>
        api.MapPost("/payment-events", async (Input input, HttpContext http, ReceivePaymentEvent receive, CancellationToken ct) =>
        {
            var (response, replayed) = await receive.RunAsync(Caller.From(http.User), input, ct);
            if (replayed) http.Response.Headers["Idempotent-Replayed"] = "true";
            return TypedResults.Ok(response);
        }).WithTags("Payment events");
}
