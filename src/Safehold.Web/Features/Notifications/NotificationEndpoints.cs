using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Notifications;

/// <summary>A notification written for its reader.</summary>
/// <param name="Kind">What happened (<c>dispute_opened</c>, <c>protection_ending</c>, ...): stable, for a program to act on.</param>
/// <param name="Subject">In the reader's language (<paramref name="Language"/>), money as money, times in their time zone.</param>
/// <param name="Language">The language the subject and body are written in: <c>en</c> or <c>ka</c>.</param>
public sealed record NotificationResponse(Guid Id, string Kind, string Subject, string Body, string Language, Guid? OrderId, DateTimeOffset CreatedAt,
    DateTimeOffset? ReadAt);
public sealed record NotificationListResponse(IReadOnlyList<NotificationResponse> Items, string? NextCursor);

/// <summary>
/// The caller's inbox, newest first. Each notification is written when it is read: in the caller's stored language
/// (<c>PATCH /api/v1/users/me</c>), else the best of <c>Accept-Language</c>, else English; times in the caller's stored
/// time zone, else UTC.
/// </summary>
public static class NotificationEndpoints
{
    public static void MapNotifications(this RouteGroupBuilder api) =>
        api.MapGet("/notifications", List).WithTags("Notifications");

    public static async Task<Ok<NotificationListResponse>> List(string? cursor, int? limit, HttpContext http, SafeholdDb db,
        IStringLocalizer<PortalText> l, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var reader = await db.Users.AsNoTracking().Where(u => u.Id == caller.Id).Select(u => new { u.Language, u.TimeZone }).FirstOrDefaultAsync(ct);
        var page = await PageAsync(db, caller.Id, cursor, limit, ct);
        using (Words.For(Preferences.CultureFor(reader?.Language, http.Request), PortalSetup.ZoneOf(reader?.TimeZone)))
            return TypedResults.Ok(new NotificationListResponse(page.Items.Select(n => Written(l, n, clock.GetUtcNow())).ToList(), page.NextCursor));
    }

    /// <summary>A page of a user's notifications, newest first.</summary>
    public static Task<KeysetPage<Notification>> PageAsync(SafeholdDb db, Guid userId, string? cursor, int? limit, CancellationToken ct) =>
        db.Notifications.AsNoTracking().Where(n => n.UserId == userId).PageAsync(n => n.CreatedAt, n => n.Id, newestFirst: true, cursor, limit, ct);

    /// <summary>A notification in the current reader's language and time zone.</summary>
    public static NotificationResponse Written(IStringLocalizer l, Notification n, DateTimeOffset now)
    {
        var text = NotificationText.Write(l, n, now);
        // A row stored as prose was written in English.
        var language = n.Values is null ? "en" : Preferences.LanguageOf(CultureInfo.CurrentUICulture);
        return new NotificationResponse(n.Id, n.Kind, text.Subject, text.Body, language, n.OrderId, n.CreatedAt, n.ReadAt);
    }
}
