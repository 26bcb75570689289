using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Orders;

/// <summary>"My orders": the caller's orders (a seller's: orders of their products), newest first, by tab.</summary>
public sealed class MyOrdersModel(SafeholdDb db, TimeProvider clock) : PortalPage
{
    public const int PageSize = 25;
    public const string DisputesTab = "disputes";

    /// <summary>The tabs, each the statuses it shows (none: every order).</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, OrderStatus[]>> Tabs =
    [
        new("all", []),
        new("to_pay", [OrderStatus.AwaitingPayment]),
        new("to_ship", [OrderStatus.AwaitingShipment]),
        new("shipped", [OrderStatus.AwaitingDelivery]),
        new("completed", [OrderStatus.Completed]),
        new(DisputesTab, []),
        new("closed", [OrderStatus.Closed]),
    ];

    public string Tab { get; private set; } = "all";
    public IReadOnlyList<Order> Orders { get; private set; } = [];
    public string? NextCursor { get; private set; }
    public DateTimeOffset Now { get; private set; }

    public async Task OnGetAsync(string? tab, string? cursor, CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        var chosen = Tabs.FirstOrDefault(t => t.Key == tab);
        if (chosen.Key is null) chosen = Tabs[0];
        Tab = chosen.Key;
        var query = db.Orders.AsNoTracking().VisibleTo(Me);
        if (Tab == DisputesTab)
        {
            // Orders with a dispute still open: not withdrawn, and its money not yet settled.
            query = query.Where(o => db.Disputes.Any(d => d.OrderId == o.Id && d.Status != DisputeStatus.Withdrawn && d.Status != DisputeStatus.Superseded && d.SettledAt == null));
        }
        else if (chosen.Value.Length > 0)
        {
            var statuses = chosen.Value;
            query = query.Where(o => statuses.Contains(o.Status));
        }
        (DateTimeOffset At, Guid Id)? after;
        try
        {
            after = Cursor.Decode(cursor);
        }
        catch (InvalidInputException)
        {
            after = null; // a mangled link starts from the newest
        }
        if (after is { } a) query = query.Where(o => o.CreatedAt < a.At || (o.CreatedAt == a.At && o.Id.CompareTo(a.Id) < 0));
        var page = await query.OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.Id).Take(PageSize + 1).AsSplitQuery().ToListAsync(ct);
        NextCursor = page.Count > PageSize ? Cursor.Encode(page[PageSize - 1].CreatedAt, page[PageSize - 1].Id) : null;
        Orders = page.Take(PageSize).ToList();
    }
}
