using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Api;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Notifications;

public sealed record NotificationResponse(Guid Id, string Kind, string Subject, string Body, Guid? OrderId, DateTimeOffset CreatedAt, DateTimeOffset? ReadAt);
public sealed record NotificationListResponse(IReadOnlyList<NotificationResponse> Items, string? NextCursor);

/// <summary>The caller's inbox, newest first.</summary>
public static class NotificationEndpoints
{
    public static void MapNotifications(this RouteGroupBuilder api) =>
        api.MapGet("/notifications", List).WithTags("Notifications");

    public static async Task<Ok<NotificationListResponse>> List(string? cursor, int? limit, HttpContext http, SafeholdDb db, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var take = Cursor.Limit(limit);
        var after = Cursor.Decode(cursor);
        var query = db.Notifications.AsNoTracking().Where(n => n.UserId == caller.Id);
        if (after is { } a) query = query.Where(n => n.CreatedAt < a.At || (n.CreatedAt == a.At && n.Id.CompareTo(a.Id) < 0));
        var page = await query.OrderByDescending(n => n.CreatedAt).ThenByDescending(n => n.Id).Take(take + 1).ToListAsync(ct);
        var next = page.Count > take ? Cursor.Encode(page[take - 1].CreatedAt, page[take - 1].Id) : null;
        return TypedResults.Ok(new NotificationListResponse(
            page.Take(take).Select(n => new NotificationResponse(n.Id, n.Kind, n.Subject, n.Body, n.OrderId, n.CreatedAt, n.ReadAt)).ToList(), next));
    }
}
