using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Process;
using Safehold.Domain;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Notifications;

namespace Safehold.Web.Features.Orders;

public sealed record OrderMessageResponse(Guid Id, string Party, Guid AuthorId, string Body, DateTimeOffset SentAt)
{
    public static OrderMessageResponse From(OrderMessage m) => new(m.Id, ProcessNames.Of(m.Party), m.AuthorId, m.Body, m.SentAt);
}

public sealed record OrderMessageListResponse(IReadOnlyList<OrderMessageResponse> Items, string? NextCursor);

/// <summary>The buyer and the seller of an order write to each other (oldest first); an admin may read.</summary>
public static class OrderMessages
{
    public sealed record SendInput(string? Body);

    public static async Task<OrderMessageListResponse> ListAsync(SafeholdDb db, Caller caller, Guid orderId, string? cursor, int? limit, CancellationToken ct)
    {
        var take = Cursor.Limit(limit);
        var after = Cursor.Decode(cursor);
        if (!await db.Orders.AsNoTracking().VisibleTo(caller).AnyAsync(o => o.Id == orderId, ct)) throw Problems.NotFound("Order");
        var query = db.OrderMessages.AsNoTracking().Where(m => m.OrderId == orderId);
        if (after is { } a) query = query.Where(m => m.SentAt > a.At || (m.SentAt == a.At && m.Id.CompareTo(a.Id) > 0));
        var page = await query.OrderBy(m => m.SentAt).ThenBy(m => m.Id).Take(take + 1).ToListAsync(ct);
        var next = page.Count > take ? Cursor.Encode(page[take - 1].SentAt, page[take - 1].Id) : null;
        return new OrderMessageListResponse(page.Take(take).Select(OrderMessageResponse.From).ToList(), next);
    }

    public static async Task<OrderMessageResponse> SendAsync(SafeholdDb db, Notifier notifier, TimeProvider clock, Caller caller, Guid orderId,
        SendInput input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var body = errors.Text("body", input.Body, 5000);
        errors.ThrowIfAny();
        var order = await db.Orders.AsNoTracking().VisibleTo(caller).IgnoreAutoIncludes()
            .Where(o => o.Id == orderId).Select(o => new { o.BuyerId, o.SellerId }).FirstOrDefaultAsync(ct) ?? throw Problems.NotFound("Order");
        var party = order.BuyerId == caller.Id ? Party.Buyer : order.SellerId == caller.Id ? Party.Seller : Party.None;
        if (party == Party.None)
            throw new DomainException(RefusalKind.NotAllowed, "action_not_allowed", "Only the buyer and the seller write to each other about an order.");
        var now = clock.GetUtcNow();
        var message = new OrderMessage(Guid.CreateVersion7(now), orderId, caller.Id, party, body!, now);
        db.OrderMessages.Add(message);
        await notifier.AddAsync(party == Party.Buyer ? order.SellerId : order.BuyerId, orderId, "order_message",
            party == Party.Buyer ? "A message from the buyer" : "A message from the seller", body!.Length > 500 ? body[..500] + "…" : body, now, ct);
        await db.SaveChangesAsync(ct);
        return OrderMessageResponse.From(message);
    }

    public static async Task<Ok<OrderMessageListResponse>> List(Guid id, string? cursor, int? limit, HttpContext http, SafeholdDb db, CancellationToken ct) =>
        TypedResults.Ok(await ListAsync(db, Caller.From(http.User), id, cursor, limit, ct));

    public static async Task<Created<OrderMessageResponse>> Send(Guid id, SendInput input, HttpContext http, SafeholdDb db, Notifier notifier,
        TimeProvider clock, CancellationToken ct)
    {
        var message = await SendAsync(db, notifier, clock, Caller.From(http.User), id, input, ct);
        return TypedResults.Created($"/api/v1/orders/{id}/messages", message);
    }
}
