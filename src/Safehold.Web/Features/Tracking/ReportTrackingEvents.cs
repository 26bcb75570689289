using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Domain.Process;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Disputes;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Tracking;

/// <summary>What one reported scan did: the shipment it matched, and whether it reported that shipment's delivery.</summary>
/// <param name="Effect"><c>delivery_reported</c>: the order's delivery, as <c>mark-delivered</c> reports it, by the system;
/// <c>return_delivered</c>: the returned item reached the seller, whose days to confirm it start now; null: shown, nothing changed.</param>
public sealed record TrackingMatchResponse(
    Guid OrderId,
    Guid? DisputeId,
    [property: ApiValues(TrackingScans.OrderShipment, TrackingScans.ReturnShipment)] string Shipment,
    [property: ApiValues(ReportTrackingEvents.DeliveryReported, ReportTrackingEvents.ReturnDelivered)] string? Effect);

/// <summary>A reported scan as kept (normalised), whether it was already known (<c>duplicate</c>), and the shipments it matched.</summary>
public sealed record TrackingEventResponse(
    Guid Id,
    string Carrier,
    string TrackingNumber,
    [property: ApiEnum<TrackingStatus>] string Status,
    DateTimeOffset OccurredAt,
    string? SignedBy,
    string? Location,
    DateTimeOffset ReceivedAt,
    bool Duplicate,
    IReadOnlyList<TrackingMatchResponse> Matches);

/// <summary>The reported scans, one answer for each, in the order they were sent.</summary>
public sealed record TrackingEventsResponse(IReadOnlyList<TrackingEventResponse> Events);

/// <summary>
/// <c>POST /api/v1/tracking-events</c> (SPEC 5): the carriers' scans, reported by the platform's key (or an admin), one
/// event or a batch of them. Each is kept once (the same carrier, number, status and time is the same scan) and matched by
/// carrier and tracking number to an order's shipment and to a dispute's return shipment. A <c>delivered</c> scan reports
/// the order's delivery (the <c>mark_delivered</c> row, by the system, its detail naming the scan) or, for a return, starts
/// the seller's days to confirm it; one that finds the delivery reported already, or the order past it, changes nothing.
/// A scan whose number no shipment has yet is kept, and matched when <c>ship</c> or <c>return-shipment</c> reports it.
/// Input is checked whole before anything is written: one bad event refuses the batch.
/// </summary>
/// <remarks>
/// A platform key acting for a user (<c>Safehold-Acting-For</c>) reports scans of that user's shipments only: a number
/// that is not one of theirs answers 404, as someone else's order does, and nothing is written.
/// </remarks>
public sealed class ReportTrackingEvents(SafeholdDb db, DueTimers timers, DisputeNotices notices, WriteGate gate, TimeProvider clock)
{
    public const string DeliveryReported = "delivery_reported", ReturnDelivered = "return_delivered";

    /// <summary>The most events one request reports.</summary>
    public const int MaxBatch = 100;

    /// <summary>How far ahead of the clock a scan may say it happened (clocks differ a little); beyond it the event is refused.</summary>
    public static readonly TimeSpan FutureSkew = TimeSpan.FromDays(1);

    /// <summary>The earliest scan accepted: anything before is a mistake in the feed.</summary>
    public static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>One carrier scan.</summary>
    public sealed record EventInput(
        [property: StringLength(100)] string? Carrier,
        [property: StringLength(100)] string? TrackingNumber,
        [property: StringLength(32), ApiEnum<TrackingStatus>] string? Status,
        DateTimeOffset? OccurredAt,
        [property: StringLength(200)] string? SignedBy = null,
        [property: StringLength(200)] string? Location = null);

    /// <summary>One scan's fields (<c>{carrier, trackingNumber, status, occurredAt, signedBy?, location?}</c>), or <c>{events: [...]}</c>: not both.</summary>
    public sealed record Input(
        [property: StringLength(100)] string? Carrier = null,
        [property: StringLength(100)] string? TrackingNumber = null,
        [property: StringLength(32), ApiEnum<TrackingStatus>] string? Status = null,
        DateTimeOffset? OccurredAt = null,
        [property: StringLength(200)] string? SignedBy = null,
        [property: StringLength(200)] string? Location = null,
        [property: MaxLength(MaxBatch)] IReadOnlyList<EventInput>? Events = null);

    private sealed record Scan(string Carrier, string TrackingNumber, TrackingStatus Status, DateTimeOffset OccurredAt, string? SignedBy, string? Location);

    public async Task<TrackingEventsResponse> RunAsync(Caller caller, Input input, CancellationToken ct)
    {
        if (caller.Role != UserRole.Admin && !caller.IsPlatform)
            throw new DomainException(RefusalKind.NotAllowed, "action_not_allowed", "Only the platform's key or an administrator reports tracking events.");
        var now = clock.GetUtcNow();
        var scans = Check(input, now);
        return await gate.InTransactionAsync(db, async () =>
        {
            var answers = new List<TrackingEventResponse>();
            foreach (var scan in scans) answers.Add(await ReportAsync(caller, scan, now, ct));
            await db.SaveChangesAsync(CancellationToken.None);
            return new TrackingEventsResponse(answers);
        }, ct);
    }

    /// <summary>Every event's fields checked at once; the first problem of any refuses them all.</summary>
    private static List<Scan> Check(Input input, DateTimeOffset now)
    {
        var errors = new InputErrors();
        var single = input.Carrier is not null || input.TrackingNumber is not null || input.Status is not null || input.OccurredAt is not null
            || input.SignedBy is not null || input.Location is not null;
        IReadOnlyList<(string Prefix, EventInput Event)> events;
        if (input.Events is { } batch)
        {
            if (single) errors.Add("events", "Send one event's fields or a list of events, not both.");
            if (batch.Count == 0) errors.Add("events", "At least one event.");
            if (batch.Count > MaxBatch) errors.Add("events", $"At most {MaxBatch} events in one request.");
            events = batch.Count > MaxBatch ? [] : batch.Select((e, i) => ($"events[{i}].", e)).ToList();
        }
        else
        {
            events = [("", new EventInput(input.Carrier, input.TrackingNumber, input.Status, input.OccurredAt, input.SignedBy, input.Location))];
        }
        var scans = new List<Scan>();
        foreach (var (prefix, e) in events)
        {
            if (e is null)
            {
                errors.Add(prefix.TrimEnd('.'), "An event, not null.");
                continue;
            }
            var carrier = errors.Text(prefix + "carrier", e.Carrier, Limits.Length<EventInput>(nameof(EventInput.Carrier)));
            var number = errors.Text(prefix + "trackingNumber", e.TrackingNumber, Limits.Length<EventInput>(nameof(EventInput.TrackingNumber)));
            var signedBy = errors.Text(prefix + "signedBy", e.SignedBy, Limits.Length<EventInput>(nameof(EventInput.SignedBy)), required: false);
            var location = errors.Text(prefix + "location", e.Location, Limits.Length<EventInput>(nameof(EventInput.Location)), required: false);
            TrackingStatus? status = null;
            if (string.IsNullOrWhiteSpace(e.Status)) errors.Add(prefix + "status", "Required.");
            else if (ProcessNames.TryParse<TrackingStatus>(e.Status, out var parsed)) status = parsed;
            else errors.Add(prefix + "status", $"One of: {string.Join(", ", ProcessNames.All<TrackingStatus>())}.");
            if (e.OccurredAt is not { } at) errors.Add(prefix + "occurredAt", "Required.");
            else if (at > now + FutureSkew) errors.Add(prefix + "occurredAt", "Too far in the future: a scan reports what has happened.");
            else if (at < Earliest) errors.Add(prefix + "occurredAt", $"Not before {Earliest:yyyy-MM-dd}.");
            if (carrier is not null && number is not null && status is { } s && e.OccurredAt is { } when)
                scans.Add(new Scan(TrackingScan.Normalise(carrier), TrackingScan.Normalise(number), s, TrackingScan.Instant(when), signedBy, location));
        }
        errors.ThrowIfAny();
        return scans;
    }

    private async Task<TrackingEventResponse> ReportAsync(Caller caller, Scan scan, DateTimeOffset now, CancellationToken ct)
    {
        // The same scan twice (in this batch, or reported before) is the one kept first.
        var kept = db.TrackingScans.Local.FirstOrDefault(s => Same(s, scan))
            ?? await db.TrackingScans.FirstOrDefaultAsync(s => s.Carrier == scan.Carrier && s.TrackingNumber == scan.TrackingNumber
                && s.Status == scan.Status && s.OccurredAt == scan.OccurredAt, ct);
        var duplicate = kept is not null;

        // The shipments with this number, the order's and the returns'; a key acting for a user sees only that user's.
        var until = scan.OccurredAt.AddTicks(9); // the scan is kept to the microsecond: one made the instant the order was placed counts
        var orders = await TrackingScans.OrdersShippedAs(db, scan.Carrier, scan.TrackingNumber, until)
            .Select(o => new { o.Id, o.BuyerId, o.SellerId }).ToListAsync(ct);
        var returns = await TrackingScans.ReturnsSentAs(db, scan.Carrier, scan.TrackingNumber, until)
            .Select(d => new { d.Id, d.OrderId, d.BuyerId, d.SellerId }).ToListAsync(ct);
        if (caller.Role is not (UserRole.Admin or UserRole.Platform))
        {
            orders = orders.Where(o => o.BuyerId == caller.Id || o.SellerId == caller.Id).ToList();
            returns = returns.Where(d => d.BuyerId == caller.Id || d.SellerId == caller.Id).ToList();
            if (orders.Count == 0 && returns.Count == 0) throw Problems.NotFound("Shipment");
        }

        kept ??= db.TrackingScans.Add(new TrackingScan(Guid.CreateVersion7(now), scan.Carrier, scan.TrackingNumber, scan.Status, scan.OccurredAt,
            scan.SignedBy, scan.Location, caller.Platform ?? caller.Id, now)).Entity;

        var matches = new List<TrackingMatchResponse>();
        foreach (var o in orders.OrderBy(o => o.Id))
        {
            string? effect = null;
            if (kept.Status == TrackingStatus.Delivered && await DeliverAsync(o.Id, kept, now, ct)) effect = DeliveryReported;
            matches.Add(new TrackingMatchResponse(o.Id, null, TrackingScans.OrderShipment, effect));
        }
        foreach (var d in returns.OrderBy(d => d.Id))
        {
            string? effect = null;
            if (kept.Status == TrackingStatus.Delivered && await DeliverReturnAsync(d.Id, d.OrderId, kept, now, ct)) effect = ReturnDelivered;
            matches.Add(new TrackingMatchResponse(d.OrderId, d.Id, TrackingScans.ReturnShipment, effect));
        }
        return new TrackingEventResponse(kept.Id, kept.Carrier, kept.TrackingNumber, ProcessNames.Of(kept.Status), kept.OccurredAt, kept.SignedBy, kept.Location,
            kept.ReceivedAt, duplicate, matches);
    }

    private static bool Same(TrackingScan s, Scan scan) =>
        s.Carrier == scan.Carrier && s.TrackingNumber == scan.TrackingNumber && s.Status == scan.Status && s.OccurredAt == scan.OccurredAt;

    /// <summary>Reports the order's delivery, by the system, if its row would take it now (not reported yet, no dispute open, not completed).</summary>
    private async Task<bool> DeliverAsync(Guid orderId, TrackingScan scan, DateTimeOffset now, CancellationToken ct)
    {
        var order = await timers.LoadForDisputeAsync(orderId, now, ct);
        if (!order.Process.Engine.Allows(order, OrderTrigger.MarkDelivered, new OrderAct(Actor.System), now)) return false;
        order.MarkDelivered(Actor.System, now, TrackingScans.Source(scan));
        return true;
    }

    /// <summary>Starts the seller's days to confirm a returned item, if the dispute still waits for it and no delivery was reported before.</summary>
    private async Task<bool> DeliverReturnAsync(Guid disputeId, Guid orderId, TrackingScan scan, DateTimeOffset now, CancellationToken ct)
    {
        var order = await timers.LoadForDisputeAsync(orderId, now, ct); // fires what fell due on the order and its open dispute first
        var dispute = await db.Disputes.AsSplitQuery().FirstAsync(d => d.Id == disputeId, ct);
        if (!dispute.Process.Engine.Allows(dispute, DisputeTrigger.ReturnDelivered, new DisputeAct(DisputeActor.System), now)) return false;
        var step = dispute.ReturnDelivered(now, TrackingScans.Source(scan));
        await DueDisputeTimers.SettleAsync(db, order, step, now, ct);
        await notices.StepAsync(dispute, actorUserId: null, now, ct);
        return true;
    }
}
