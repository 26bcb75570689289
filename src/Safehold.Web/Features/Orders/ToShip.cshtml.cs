using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;
using Safehold.Web.Jobs;

namespace Safehold.Web.Features.Orders;

/// <summary>The seller's paid orders waiting for shipment, soonest ship-by first, each with its carrier and tracking form.</summary>
[Authorize(Roles = nameof(Users.UserRole.Seller))]
public sealed class ToShipModel(SafeholdDb db, TimeProvider clock) : PortalPage
{
    public IReadOnlyList<Order> Orders { get; private set; } = [];
    public DateTimeOffset Now { get; private set; }
    public Guid? Failed { get; private set; }

    public Task OnGetAsync(CancellationToken ct) => Load(ct);

    public async Task<IActionResult> OnPostAsync(Guid id, string? carrier, string? trackingNumber, CancellationToken ct)
    {
        if (await Attempt(ct => Service<Ship>().RunAsync(Me, id, new Ship.Input(carrier, trackingNumber), ct)))
        {
            Done = "Marked as shipped. The buyer's protection period has started.";
            return Redirect("/seller/to-ship");
        }
        Failed = id;
        await Load(ct);
        return Page();
    }

    private async Task Load(CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        Orders = await db.Orders.AsNoTracking().VisibleTo(Me).Where(o => o.Status == OrderStatus.AwaitingShipment)
            .OrderBy(o => o.ShipBy).Take(100).AsSplitQuery().ToListAsync(ct);
    }

}
