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

    /// <summary>
    /// The page's orders in groups, each where its newest order is: a checkout's orders (placed together, paid with one
    /// payment) in one group, any other order alone.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Order>> Groups => Orders.GroupBy(o => o.CheckoutId ?? o.Id).Select(g => (IReadOnlyList<Order>)g.ToList()).ToList();
    public DateTimeOffset Now { get; private set; }

    /// <summary>
    /// The orders of the page that are in dispute (by order id), each with its dispute's nearest deadline (none while no
    /// deadline runs): such an order's status is "In dispute", not the order's own (which would say it is on its way).
    /// </summary>
    public IReadOnlyDictionary<Guid, KeyValuePair<string, DateTimeOffset>?> InDispute { get; private set; } =
        new Dictionary<Guid, KeyValuePair<string, DateTimeOffset>?>();

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
        // As the API's list: the page's ids first, then the page's orders whole by key (OrderReader).
        var (page, next) = await query.IgnoreAutoIncludes().PageByIdsAsync(o => o.CreatedAt, o => o.Id, newestFirst: true, Cursor.FromLink(cursor), PageSize,
            (ids, ct) => OrderReader.ReadAsync(db, ids, ct), ct);
        Orders = page;
        NextCursor = next;
        var ids = Orders.Select(o => o.Id).ToList();
        var open = await db.Disputes.AsNoTracking().IgnoreAutoIncludes().Include(d => d.Timers)
            .Where(d => ids.Contains(d.OrderId) && d.Status != DisputeStatus.Withdrawn && d.Status != DisputeStatus.Resolved).ToListAsync(ct);
        InDispute = open.GroupBy(d => d.OrderId).ToDictionary(g => g.Key, g =>
        {
            var deadlines = g.First().PendingDeadlines();
            return deadlines.Count == 0 ? (KeyValuePair<string, DateTimeOffset>?)null : deadlines.MinBy(x => x.Value);
        });
    }
}
