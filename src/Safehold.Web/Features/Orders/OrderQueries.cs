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
    public static async Task<Ok<OrderListResponse>> List(string? status, string? cursor, int? limit, HttpContext http, SafeholdDb db, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow();
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
        // The page is found once (ids only, from the index where it covers the filter), then loaded by primary key in
        // one query. Loading the page with its collections as a split query made EF repeat the filtered, sorted page
        // query once per collection: five times the work that grows with the caller's order count.
        var ids = await query.IgnoreAutoIncludes().OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.Id)
            .Take(take + 1).Select(o => o.Id).ToListAsync(ct);
        var loaded = (await db.Orders.AsNoTracking().Where(o => ids.Contains(o.Id)).AsSingleQuery().ToListAsync(ct)).ToDictionary(o => o.Id);
        var page = ids.Where(loaded.ContainsKey).Select(id => loaded[id]).ToList(); // an order cannot vanish, but never trust that
        var next = page.Count > take ? Cursor.Encode(page[take - 1].CreatedAt, page[take - 1].Id) : null;
        var disputes = await DisputeSummary.ForOrdersAsync(db, ids, ct);
        return TypedResults.Ok(new OrderListResponse(page.Take(take).Select(o => OrderResponse.From(o, caller, now, disputes.GetValueOrDefault(o.Id))).ToList(), next));
    }

    public static async Task<Ok<OrderResponse>> Get(Guid id, HttpContext http, SafeholdDb db, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow();
        // One query: the order and its few lines, events, timers and extensions joined (a handful of rows),
        // rather than one query per collection.
        var order = await db.Orders.AsNoTracking().VisibleTo(caller).AsSingleQuery().FirstOrDefaultAsync(o => o.Id == id, ct)
            ?? throw Problems.NotFound("Order");
        return TypedResults.Ok(await OrderResponse.ForAsync(db, order, caller, now, ct));
    }
}
