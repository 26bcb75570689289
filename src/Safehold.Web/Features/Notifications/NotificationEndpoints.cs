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
        var page = await db.Notifications.AsNoTracking().Where(n => n.UserId == caller.Id)
            .PageAsync(n => n.CreatedAt, n => n.Id, newestFirst: true, cursor, limit, ct);
        return TypedResults.Ok(new NotificationListResponse(
            page.Items.Select(n => new NotificationResponse(n.Id, n.Kind, n.Subject, n.Body, n.OrderId, n.CreatedAt, n.ReadAt)).ToList(), page.NextCursor));
    }
}
