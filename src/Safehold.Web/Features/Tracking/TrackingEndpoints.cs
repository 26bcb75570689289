using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Tracking;

/// <summary>The carriers' scans (SPEC 5): reported by the platform, and sent by hand in the sandbox.</summary>
public static class TrackingEndpoints
{
    public static void MapTracking(this RouteGroupBuilder api, bool sandbox)
    {
        api.MapPost("/tracking-events", Report).WithTags("Tracking");
        if (sandbox) api.MapPost("/sandbox/tracking-events", SendInSandbox).WithTags("Sandbox");
    }

    public static IServiceCollection AddTrackingUseCases(this IServiceCollection services) => services.AddScoped<ReportTrackingEvents>();

    /// <summary>
    /// One scan (<c>{carrier, trackingNumber, status, occurredAt, signedBy?, location?}</c>) or a batch (<c>{events: [...]}</c>,
    /// at most 100); the answer lists each scan as kept, and the shipments it matched.
    /// </summary>
    public static async Task<Ok<TrackingEventsResponse>> Report(ReportTrackingEvents.Input input, HttpContext http, ReportTrackingEvents report,
        CancellationToken ct) => TypedResults.Ok(await report.RunAsync(Caller.From(http.User), input, ct));

    /// <summary>A scan the sandbox sends on an order's shipment (or, with <c>disputeId</c>, on its return), as the carrier would, now.</summary>
    public sealed record SandboxScanInput(
        Guid? OrderId,
        Guid? DisputeId,
        [property: StringLength(32), ApiEnum<TrackingStatus>] string? Status,
        [property: StringLength(200)] string? SignedBy = null,
        [property: StringLength(200)] string? Location = null);

    /// <summary>
    /// <c>POST /api/v1/sandbox/tracking-events</c> (admin, sandbox only): a scan of an order's shipment or a dispute's return,
    /// made now by its carrier, reported through the same code as <c>POST /tracking-events</c>.
    /// </summary>
    public static async Task<Ok<TrackingEventsResponse>> SendInSandbox(SandboxScanInput input, HttpContext http, SafeholdDb db, ReportTrackingEvents report,
        TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        caller.Require(UserRole.Admin, "send a tracking scan in the sandbox");
        return TypedResults.Ok(await SendAsync(caller, input, db, report, clock, ct));
    }

    /// <summary>What the sandbox endpoint and the admin's sandbox page do.</summary>
    public static async Task<TrackingEventsResponse> SendAsync(Caller caller, SandboxScanInput input, SafeholdDb db, ReportTrackingEvents report, TimeProvider clock,
        CancellationToken ct)
    {
        var errors = new InputErrors();
        if (input.OrderId is null == input.DisputeId is null) errors.Add("orderId", "Give an order (its shipment) or a dispute (its return), one of them.");
        if (string.IsNullOrWhiteSpace(input.Status)) errors.Add("status", "Required.");
        errors.ThrowIfAny();
        string? carrier, number;
        if (input.OrderId is { } orderId)
        {
            var order = await db.Orders.AsNoTracking().Where(o => o.Id == orderId).Select(o => new { o.Carrier, o.TrackingNumber }).FirstOrDefaultAsync(ct)
                ?? throw Problems.NotFound("Order");
            (carrier, number) = (order.Carrier, order.TrackingNumber);
        }
        else
        {
            var dispute = await db.Disputes.AsNoTracking().Where(d => d.Id == input.DisputeId).Select(d => new { d.ReturnCarrier, d.ReturnTrackingNumber })
                .FirstOrDefaultAsync(ct) ?? throw Problems.NotFound("Dispute");
            (carrier, number) = (dispute.ReturnCarrier, dispute.ReturnTrackingNumber);
        }
        if (carrier is null || number is null)
            throw new DomainException(RefusalKind.WrongState, "not_shipped", "Nothing has been shipped yet: there is no tracking number to scan.");
        return await report.RunAsync(caller, new ReportTrackingEvents.Input(carrier, number, input.Status, clock.GetUtcNow(), input.SignedBy, input.Location), ct);
    }
}
