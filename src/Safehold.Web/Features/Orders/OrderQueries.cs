using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Disputes;

namespace Safehold.Web.Features.Orders;

/// <summary>"My orders" (newest first, by status, a page at a time) and "More details" of one order.</summary>
public static class OrderQueries
{
    public static async Task<Ok<OrderListResponse>> List([ApiEnum<OrderStatus>] string? status, [ApiExternalId] string? externalId, string? cursor, int? limit,
        HttpContext http, SafeholdDb db, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow();
        var query = db.Orders.AsNoTracking().VisibleTo(caller);
        // Someone else's order with this id is not there: an empty page, as for an id that no order has.
        if (ExternalIds.Wanted(externalId) is { } wanted) query = query.Where(o => o.ExternalId == wanted);
        if (status is not null)
        {
            if (!OrderProcess.TryParseStatus(status, out var s))
                throw new InvalidInputException(new Dictionary<string, string[]>
                {
                    ["status"] = [$"One of: {string.Join(", ", Enum.GetValues<OrderStatus>().Select(OrderProcess.StatusName))}."],
                });
            query = query.Where(o => o.Status == s);
        }
        // The page's ids first, then the page's orders by primary key, whole, in one round trip (OrderReader).
        var (page, next) = await query.IgnoreAutoIncludes().PageByIdsAsync(o => o.CreatedAt, o => o.Id, newestFirst: true, cursor, limit,
            (ids, ct) => OrderReader.ReadAsync(db, ids, ct), ct);
        // Only an order whose timeline shows a dispute has one to summarise (as for one order, OrderResponse.ForAsync).
        var disputes = await DisputeSummary.ForOrdersAsync(db, page.Where(OrderResponse.HadDispute).Select(o => o.Id).ToList(), ct);
        return TypedResults.Ok(new OrderListResponse(page.Select(o => OrderResponse.From(o, caller, now, disputes.GetValueOrDefault(o.Id))).ToList(), next));
    }

    public static async Task<Ok<OrderResponse>> Get(Guid id, HttpContext http, SafeholdDb db, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow();
        var order = await OrderAccess.LoadVisibleAsync(db, id, caller, tracked: false, ct);
        return TypedResults.Ok(await OrderResponse.ForAsync(db, order, caller, now, ct));
    }
}
