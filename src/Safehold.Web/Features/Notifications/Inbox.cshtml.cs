using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Notifications;

/// <summary>The in-portal inbox: reminders and notices, newest first, written in the page's language and the reader's time zone.</summary>
public sealed class InboxModel(SafeholdDb db, TimeProvider clock) : PortalPage
{
    public IReadOnlyList<NotificationResponse> Items { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        var page = await NotificationEndpoints.PageAsync(db, Me.Id, null, 50, ct);
        Items = page.Items.Select(n => NotificationEndpoints.Written(L, n, clock.GetUtcNow())).ToList();
    }
}
