using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Orders;

/// <summary>"My orders" (newest first, by status, a page at a time) and "More details" of one order.</summary>
public static class OrderQueries
{
    public static async Task<Ok<OrderListResponse>> List(string? status, string? cursor, int? limit, HttpContext http, SafeholdDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var take = Cursor.Limit(limit);
        var after = Cursor.Decode(cursor);
        var query = db.Orders.AsNoTracking().VisibleTo(caller);
        if (status is not null)
        {
            if (!OrderProcess.TryParseStatus(status, out var s))
                throw new InvalidInputException(new Dictionary<string, string[]>
                {
                    ["status"] = [$"One of: {string.Join(", ", Enum.GetValues<OrderStatus>().Select(OrderProcess.StatusName))}."],
                });
            query = query.Where(o => o.Status == s);
        }
        if (after is { } a)
            query = query.Where(o => o.CreatedAt < a.At || (o.CreatedAt == a.At && o.Id.CompareTo(a.Id) < 0));
        var page = await query.OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.Id)
            .Take(take + 1).AsSplitQuery().ToListAsync(ct);
        var next = page.Count > take ? Cursor.Encode(page[take - 1].CreatedAt, page[take - 1].Id) : null;
        return TypedResults.Ok(new OrderListResponse(page.Take(take).Select(o => OrderResponse.From(o, caller)).ToList(), next));
    }

    public static async Task<Ok<OrderResponse>> Get(Guid id, HttpContext http, SafeholdDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var order = await OrderAccess.LoadVisibleAsync(db, id, caller, tracked: false, ct);
        return TypedResults.Ok(OrderResponse.From(order, caller));
    }
}
