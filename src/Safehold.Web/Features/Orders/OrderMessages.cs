using System.ComponentModel.DataAnnotations;
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
public sealed class OrderMessages(SafeholdDb db, Notifier notifier, TimeProvider clock)
{
    public sealed record SendInput([property: StringLength(5000)] string? Body);

    public async Task<OrderMessageListResponse> ListAsync(Caller caller, Guid orderId, string? cursor, int? limit, CancellationToken ct)
    {
        Cursor.Limit(limit);
        Cursor.Decode(cursor); // bad paging input is refused before anything is looked up
        if (!await db.Orders.AsNoTracking().VisibleTo(caller).AnyAsync(o => o.Id == orderId, ct)) throw Problems.NotFound("Order");
        var page = await db.OrderMessages.AsNoTracking().Where(m => m.OrderId == orderId)
            .PageAsync(m => m.SentAt, m => m.Id, newestFirst: false, cursor, limit, ct);
        return new OrderMessageListResponse(page.Items.Select(OrderMessageResponse.From).ToList(), page.NextCursor);
    }

    public async Task<OrderMessageResponse> SendAsync(Caller caller, Guid orderId, SendInput input, CancellationToken ct)
    {
        var errors = new InputErrors();
        var body = errors.Text("body", input.Body, Limits.Length<SendInput>(nameof(SendInput.Body)));
        errors.ThrowIfAny();
        var order = await db.Orders.AsNoTracking().VisibleTo(caller).IgnoreAutoIncludes()
            .Where(o => o.Id == orderId).Select(o => new { o.BuyerId, o.SellerId }).FirstOrDefaultAsync(ct) ?? throw Problems.NotFound("Order");
        var party = order.BuyerId == caller.Id ? Party.Buyer : order.SellerId == caller.Id ? Party.Seller : Party.None;
        if (party == Party.None)
            throw new DomainException(RefusalKind.NotAllowed, "action_not_allowed", "Only the buyer and the seller write to each other about an order.");
        var now = clock.GetUtcNow();
        var message = new OrderMessage(Guid.CreateVersion7(now), orderId, caller.Id, party, body!, now);
        db.OrderMessages.Add(message);
        await notifier.AddAsync(party == Party.Buyer ? order.SellerId : order.BuyerId, orderId, "order_message", new NoticeValues()
            .Text("from", ProcessNames.Of(party)).Text("orderNumber", OrderNumber.Of(orderId)).Text("message", body!.Length > 500 ? body[..500] + "…" : body), now, ct);
        await db.SaveChangesAsync(ct);
        return OrderMessageResponse.From(message);
    }

    public static void Map(RouteGroupBuilder orders)
    {
        orders.MapGet("/{id:guid}/messages", async (Guid id, string? cursor, int? limit, HttpContext http, OrderMessages messages, CancellationToken ct) =>
            TypedResults.Ok(await messages.ListAsync(Caller.From(http.User), id, cursor, limit, ct)));
        orders.MapPost("/{id:guid}/messages", async (Guid id, SendInput input, HttpContext http, OrderMessages messages, CancellationToken ct) =>
            TypedResults.Created($"/api/v1/orders/{id}/messages", await messages.SendAsync(Caller.From(http.User), id, input, ct)));
    }
}
