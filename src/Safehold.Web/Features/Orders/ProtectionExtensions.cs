using Microsoft.AspNetCore.Http.HttpResults;
using Safehold.Domain.Process;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Jobs;

namespace Safehold.Web.Features.Orders;

public sealed record ExtensionResponse(Guid Id, Guid OrderId, int Days, string Reason, string Status, DateTimeOffset RequestedAt,
    DateTimeOffset AnswerBy, DateTimeOffset? DecidedAt)
{
    public static ExtensionResponse From(ProtectionExtension e) =>
        new(e.Id, e.OrderId, e.Days, e.Reason, ProcessNames.Of(e.Status), e.RequestedAt, e.AnswerBy, e.DecidedAt);
}

/// <summary>The buyer asks for more protection time; the seller approves or declines, and silence approves.</summary>
public static class ProtectionExtensions
{
    public sealed record ExtendRequest(int? Days, string? Reason);

    public static async Task<Created<ExtensionResponse>> Request(Guid id, ExtendRequest request, HttpContext http, SafeholdDb db,
        TimeProvider clock, DueTimers timers, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var errors = new InputErrors();
        var days = errors.Range("days", request.Days, 1, int.MaxValue, required: true);
        var reason = errors.Text("reason", request.Reason, 500);
        errors.ThrowIfAny();

        var now = clock.GetUtcNow();
        var order = await timers.LoadForChangeAsync(id, caller, now, ct);
        var extension = order.RequestExtension(OrderAccess.ActorOf(order, caller), now, Guid.CreateVersion7(now), days!.Value, reason!);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/orders/{order.Id}", ExtensionResponse.From(extension));
    }

    public static Task<Ok<OrderResponse>> Approve(Guid id, Guid extensionId, HttpContext http, SafeholdDb db, TimeProvider clock,
        DueTimers timers, CancellationToken ct) =>
        Decide(id, extensionId, approve: true, http, db, clock, timers, ct);

    public static Task<Ok<OrderResponse>> Decline(Guid id, Guid extensionId, HttpContext http, SafeholdDb db, TimeProvider clock,
        DueTimers timers, CancellationToken ct) =>
        Decide(id, extensionId, approve: false, http, db, clock, timers, ct);

    private static async Task<Ok<OrderResponse>> Decide(Guid id, Guid extensionId, bool approve, HttpContext http, SafeholdDb db,
        TimeProvider clock, DueTimers timers, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow();
        var order = await timers.LoadForChangeAsync(id, caller, now, ct);
        if (order.Extensions.All(e => e.Id != extensionId)) throw Problems.NotFound("Extension request");
        var actor = OrderAccess.ActorOf(order, caller);
        if (approve) order.ApproveExtension(actor, now, extensionId);
        else order.DeclineExtension(actor, now, extensionId);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(await OrderResponse.ForAsync(db, order, caller, now, ct));
    }
}
