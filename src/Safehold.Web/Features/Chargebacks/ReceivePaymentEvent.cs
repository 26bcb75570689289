using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Domain.Disputes;
using Safehold.Web.Api;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Chargebacks;

/// <summary>What Safehold did with a provider event: the chargeback's dispute it opened or decided, and its status then.</summary>
public sealed record PaymentEventResponse(string Id, string Type, Guid OrderId, Guid DisputeId, string DisputeStatus, DateTimeOffset ReceivedAt);

/// <summary>
/// <c>POST /api/v1/payment-events</c> (SPEC 5): a provider event, reported by the platform's key (or an admin), applied
/// once under the provider's own event <c>id</c>. The same id again answers the first result and changes nothing; the
/// same id with other content is refused (409 <c>payment_event_reused</c>). An event that arrives before the one it
/// depends on (<c>chargeback.won</c> before <c>chargeback.opened</c>) is refused with 409 <c>chargeback_not_open</c> and
/// not recorded, so the provider's retry applies it once the chargeback is open.
/// </summary>
public sealed class ReceivePaymentEvent(SafeholdDb db, Chargebacks chargebacks, WriteGate gate, TimeProvider clock)
{
    public const string Opened = "chargeback.opened", Won = "chargeback.won", Lost = "chargeback.lost";
    public const string RefundFailed = "refund.failed", PayoutFailed = "payout.failed";

    /// <summary>Every event type of SPEC 5.</summary>
    public static readonly IReadOnlyList<string> Types = [Opened, Won, Lost, RefundFailed, PayoutFailed];

    public sealed record Input(string? Id, string? Type, Guid? OrderId, Guid? InstructionId, string? Reference, MoneyDto? Amount, string? Reason,
        DateTimeOffset? RespondBy);

    /// <summary>Applies the event, or answers its first result again; <c>Replayed</c> says which.</summary>
    public async Task<(PaymentEventResponse Response, bool Replayed)> RunAsync(Caller caller, Input input, CancellationToken ct)
    {
        Chargebacks.RequireReporter(caller);
        var errors = new InputErrors();
        var id = errors.Text("id", input.Id, 255);
        var type = errors.Text("type", input.Type, 32);
        if (type is not null && !Types.Contains(type)) errors.Add("type", $"One of: {string.Join(", ", Types)}.");
        var reference = errors.Text("reference", input.Reference, 100, required: false);
        string? reason = null;
        if (type is Opened or Won or Lost)
        {
            if (input.OrderId is null) errors.Add("orderId", "Required for a chargeback event.");
            if (type == Opened)
            {
                reason = errors.Text("reason", input.Reason, 500);
                if (input.RespondBy is null) errors.Add("respondBy", "Required: the card network's deadline for the seller's response.");
            }
            else
            {
                reason = errors.Text("reason", input.Reason, 500, required: false);
            }
        }
        errors.ThrowIfAny();
        if (type is RefundFailed or PayoutFailed)
            throw new DomainException(RefusalKind.RuleRefused, "event_type_not_supported",
                $"{type} is not applied by this version: failed refunds and payouts are reported with the payment instruction's result.");

        var hash = Hash(input);
        return await gate.InTransactionAsync(db, async () =>
        {
            if (db.Database.IsNpgsql())
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
            var dispute = type == Opened
                ? await chargebacks.OpenAsync(caller, input.OrderId!.Value, reason!, input.RespondBy!.Value, input.Amount, reference, ct)
                : await chargebacks.DecideAsync(caller, input.OrderId!.Value, type == Won ? ChargebackOutcome.Won : ChargebackOutcome.Lost,
                    reason ?? reference, ct);
            var received = new PaymentEvent(id!, type!, dispute.OrderId, dispute.Id, DisputeProcess.StatusName(dispute.Status), caller.Id, hash,
                clock.GetUtcNow());
            db.PaymentEvents.Add(received);
            await db.SaveChangesAsync(CancellationToken.None);
            return (ResponseOf(received), false);
        }, ct);
    }

    private static PaymentEventResponse ResponseOf(PaymentEvent e) => new(e.Id, e.Type, e.OrderId, e.DisputeId, e.Result, e.ReceivedAt);

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
