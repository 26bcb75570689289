using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Notifications;

/// <summary>The in-portal inbox: reminders and notices, newest first (the API's notifications).</summary>
public sealed class InboxModel(SafeholdDb db) : PortalPage
{
    public IReadOnlyList<NotificationResponse> Items { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) =>
        Items = (await NotificationEndpoints.List(null, 50, HttpContext, db, ct)).Value!.Items;
}
