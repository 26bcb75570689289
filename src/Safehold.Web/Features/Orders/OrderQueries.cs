using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Disputes;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Orders;

/// <summary>"My orders" (newest first, by status, a page at a time) and "More details" of one order.</summary>
public static class OrderQueries
{
    public static async Task<Ok<OrderListResponse>> List([ApiEnum<OrderStatus>] string? status, [ApiExternalId] string? externalId, string? cursor, int? limit,
        HttpContext http, SafeholdDb db, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow();
        OrderStatus? wantedStatus = null;
        if (status is not null)
        {
            if (!OrderProcess.TryParseStatus(status, out var s))
                throw new InvalidInputException(new Dictionary<string, string[]>
                {
                    ["status"] = [$"One of: {string.Join(", ", Enum.GetValues<OrderStatus>().Select(OrderProcess.StatusName))}."],
                });
            wantedStatus = s;
        }
        // Someone else's order with this id is not there: an empty page, as for an id that no order has.
        var wantedExternalId = ExternalIds.Wanted(externalId);
        // The page's ids first, then the page's orders by primary key, whole, in one round trip (OrderReader).
        var (page, next) = await Keyset.PageByIdsAsync(PageIds(db, caller, wantedStatus, wantedExternalId), o => o.CreatedAt, o => o.Id, cursor, limit,
            (ids, ct) => OrderReader.ReadAsync(db, ids, ct), ct);
        // Only an order whose timeline shows a dispute has one to summarise (as for one order, OrderResponse.ForAsync).
        var disputes = await DisputeSummary.ForOrdersAsync(db, page.Where(OrderResponse.HadDispute).Select(o => o.Id).ToList(), ct);
        return TypedResults.Ok(new OrderListResponse(page.Select(o => OrderResponse.From(o, caller, now, disputes.GetValueOrDefault(o.Id))).ToList(), next));
    }

    /// <summary>
    /// A page of the ids of the orders <paramref name="caller"/> sees (<see cref="OrderAccess.VisibleTo"/>), newest first,
    /// of a status and an external id when they are given: every list of orders reads one, so the query is compiled once
    /// rather than composed per request (EF Core then builds, hashes and compares its expression tree every time: its
    /// composed queries were 5 to 6 % of the host's time under the default load, this one the largest; docs/benchmarks.md).
    /// The roles are <see cref="OrderAccess.VisibleTo"/>'s, as parameters. EF Core leaves out of the SQL each condition whose
    /// parameter is null (a buyer's list has no seller condition, a first page no cursor's), so each list is found by
    /// its index as the composed query found it.
    /// </summary>
    private static Func<int, string?, CancellationToken, Task<List<Guid>>> PageIds(SafeholdDb db, Caller caller, OrderStatus? status, string? externalId) =>
        (take, cursor, ct) =>
        {
            Guid? buyer = caller.Role == UserRole.Buyer ? caller.Id : null, seller = caller.Role == UserRole.Seller ? caller.Id : null;
            if (buyer is null && seller is null && caller.Role != UserRole.Admin) return Task.FromResult(new List<Guid>()); // arbiters see orders through disputes
            var after = Cursor.Decode(cursor);
            return VisiblePageIds(db, buyer, seller, status, externalId, after?.At, after?.Id ?? Guid.Empty, take).ToListAsync(ct).AsTask();
        };

    private static readonly Func<SafeholdDb, Guid?, Guid?, OrderStatus?, string?, DateTimeOffset?, Guid, int, IAsyncEnumerable<Guid>> VisiblePageIds =
        EF.CompileAsyncQuery((SafeholdDb db, Guid? buyer, Guid? seller, OrderStatus? status, string? externalId, DateTimeOffset? at, Guid id, int take) =>
            db.Orders
                .Where(o => buyer == null || o.BuyerId == buyer)
                .Where(o => seller == null || o.SellerId == seller)
                .Where(o => status == null || o.Status == status)
                .Where(o => externalId == null || o.ExternalId == externalId)
                .Where(o => at == null || (o.CreatedAt <= at && (o.CreatedAt < at || (o.CreatedAt == at && o.Id.CompareTo(id) < 0)))) // as Keyset.After
                .OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.Id)
                .Take(take)
                .Select(o => o.Id));

    public static async Task<Ok<OrderResponse>> Get(Guid id, HttpContext http, SafeholdDb db, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var now = clock.GetUtcNow();
        var order = await OrderAccess.LoadVisibleAsync(db, id, caller, tracked: false, ct);
        return TypedResults.Ok(await OrderResponse.ForAsync(db, order, caller, now, ct));
    }
}
