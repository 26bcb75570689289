using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Payments;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Users;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.PaymentInstructions;

/// <summary>
/// A payment instruction as the API shows it: kind <c>capture</c>, <c>refund</c> or <c>payout</c>; status <c>pending</c>,
/// <c>processing</c>, <c>succeeded</c> or <c>failed</c>. <c>CaptureReference</c> is the capture a refund returns money from
/// (on external rails, the reference the marketplace reported when it charged the buyer).
/// </summary>
public sealed record InstructionResponse(Guid Id, string Kind, string Status, MoneyDto Amount, Guid? OrderId, Guid? SellerId,
    Guid? PayoutId, string IdempotencyKey, int Attempts, DateTimeOffset? NextAttemptAt, string? ProviderReference, string? FailureCode,
    string? ResolutionNote, Guid? ResolvedBy, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, string? CaptureReference = null)
{
    public static InstructionResponse From(PaymentInstruction i) => new(i.Id, Name(i.Kind), Name(i.Status),
        new MoneyDto(i.Amount, i.Currency), i.OrderId, i.SellerId, i.PayoutId, i.IdempotencyKey, i.Attempts,
        i.Status is InstructionStatus.Pending or InstructionStatus.Processing ? i.NextAttemptAt : null, i.ProviderReference, i.FailureCode,
        i.ResolutionNote, i.ResolvedBy, i.CreatedAt, i.CompletedAt, i.CaptureReference);

    public static string Name(Enum value) => value.ToString().ToLowerInvariant();
}

public sealed record InstructionListResponse(IReadOnlyList<InstructionResponse> Items, string? NextCursor);

/// <summary>
/// The payment instructions (SPEC 4, 5): the list, newest first (by status), and one instruction, for an admin or the
/// platform's own key; the admin's hand on a failed one: retry it, or resolve it with a note; and on external rails the
/// marketplace's result (<see cref="ReportResult"/>).
/// </summary>
public static class InstructionEndpoints
{
    public sealed record ResolveRequest([property: StringLength(2000)] string? Note);
    public sealed record FailuresRequest([property: ApiValues("refund", "payout")] string? Kind, [property: Range(0, 1000)] int? Count);
    public sealed record FailuresResponse(string Kind, int Count);

    public static void MapPaymentInstructions(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/payment-instructions").WithTags("Payment instructions");
        group.MapGet("/", List);
        group.MapGet("/{id:guid}", Get);
        group.MapPost("/{id:guid}/retry", Retry);
        group.MapPost("/{id:guid}/resolve", Resolve);
        group.MapPost("/{id:guid}/result", ReportResult.Post);
    }

    /// <summary><c>POST /api/v1/sandbox/failures</c>: the next refunds or payouts fail at the sandbox provider (admin, sandbox only).</summary>
    public static void MapSandboxFailures(this RouteGroupBuilder api) =>
        api.MapPost("/sandbox/failures", Fail).WithTags("Sandbox");

    public static async Task<Ok<InstructionListResponse>> List(HttpContext http, SafeholdDb db, string? status, string? cursor, int? limit,
        CancellationToken ct)
    {
        RequireReader(Caller.From(http.User));
        var query = db.PaymentInstructions.AsNoTracking();
        if (status is not null)
        {
            if (!Enum.GetValues<InstructionStatus>().Any(v => InstructionResponse.Name(v) == status))
                throw new InvalidInputException(new Dictionary<string, string[]>
                {
                    ["status"] = [$"One of: {string.Join(", ", Enum.GetValues<InstructionStatus>().Select(v => InstructionResponse.Name(v)))}."],
                });
            var wanted = Enum.Parse<InstructionStatus>(status, ignoreCase: true);
            query = query.Where(i => i.Status == wanted);
        }
        var page = await query.PageAsync(i => i.CreatedAt, i => i.Id, newestFirst: true, cursor, limit, ct);
        return TypedResults.Ok(new InstructionListResponse(page.Items.Select(InstructionResponse.From).ToList(), page.NextCursor));
    }

    public static async Task<Ok<InstructionResponse>> Get(Guid id, HttpContext http, SafeholdDb db, CancellationToken ct)
    {
        RequireReader(Caller.From(http.User));
        var instruction = await db.PaymentInstructions.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, ct) ?? throw Problems.NotFound("Payment instruction");
        return TypedResults.Ok(InstructionResponse.From(instruction));
    }

    /// <summary>An admin, or the platform's own key (not acting for a user): on external rails it executes them.</summary>
    private static void RequireReader(Caller caller)
    {
        if (caller.Role is not (UserRole.Admin or UserRole.Platform))
            throw new Domain.DomainException(Domain.RefusalKind.NotAllowed, "action_not_allowed",
                "Only an admin or the platform's own key (not acting for a user) sees payment instructions.");
    }

    public static async Task<Ok<InstructionResponse>> Retry(Guid id, HttpContext http, InstructionChanges changes, CancellationToken ct)
    {
        Caller.From(http.User).Require(UserRole.Admin, "retry a payment instruction");
        return TypedResults.Ok(InstructionResponse.From(await changes.RetryAsync(id, ct)));
    }

    public static async Task<Ok<InstructionResponse>> Resolve(Guid id, ResolveRequest request, HttpContext http, InstructionChanges changes, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        caller.Require(UserRole.Admin, "resolve a payment instruction");
        var errors = new InputErrors();
        var note = errors.Text("note", request.Note, Limits.Length<ResolveRequest>(nameof(ResolveRequest.Note)));
        errors.ThrowIfAny();
        return TypedResults.Ok(InstructionResponse.From(await changes.ResolveAsync(id, note!, caller.Id, ct)));
    }

    public static Ok<FailuresResponse> Fail(FailuresRequest request, HttpContext http, SandboxPaymentProvider sandbox)
    {
        Caller.From(http.User).Require(UserRole.Admin, "make the sandbox fail payments");
        var errors = new InputErrors();
        if (request.Kind is not ("refund" or "payout")) errors.Add("kind", "One of refund, payout.");
        var (least, most) = (Limits.Min<FailuresRequest>(nameof(FailuresRequest.Count)), Limits.Max<FailuresRequest>(nameof(FailuresRequest.Count)));
        if (request.Count is not { } count || count < least || count > most) errors.Add("count", $"From {least} to {most}.");
        errors.ThrowIfAny();
        sandbox.FailNext(request.Kind!, request.Count!.Value);
        return TypedResults.Ok(new FailuresResponse(request.Kind!, request.Count!.Value));
    }
}
