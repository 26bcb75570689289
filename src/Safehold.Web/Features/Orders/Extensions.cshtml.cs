using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;
using Safehold.Web.Jobs;

namespace Safehold.Web.Features.Orders;

/// <summary>The seller's orders with an extension request waiting for an answer; the buttons are the order's actions.</summary>
[Authorize(Roles = nameof(Users.UserRole.Seller))]
public sealed class ExtensionsModel(SafeholdDb db, TimeProvider clock) : PortalPage
{
    public IReadOnlyList<Order> Orders { get; private set; } = [];
    public DateTimeOffset Now { get; private set; }

    public Task OnGetAsync(CancellationToken ct) => Load(ct);

    public IReadOnlyList<string> ActionsOf(Order o) => OrderProcess.ActionsFor(o, OrderAccess.PartyOf(o, Me), Now);

    public Task<IActionResult> OnPostApproveAsync(Guid id, Guid extensionId, CancellationToken ct) =>
        Decide("Extension approved.", ct => Service<AnswerExtension>().RunAsync(Me, id, extensionId, approve: true, ct), ct);

    public Task<IActionResult> OnPostDeclineAsync(Guid id, Guid extensionId, CancellationToken ct) =>
        Decide("Extension declined.", ct => Service<AnswerExtension>().RunAsync(Me, id, extensionId, approve: false, ct), ct);

    private async Task<IActionResult> Decide(string done, Func<CancellationToken, Task> work, CancellationToken ct)
    {
        if (await Attempt(work))
        {
            Done = done;
            return Redirect("/seller/extensions");
        }
        await Load(ct);
        return Page();
    }

    private async Task Load(CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        var orders = await db.Orders.AsNoTracking().VisibleTo(Me).Where(o => o.Status == OrderStatus.AwaitingDelivery)
            .Where(o => o.Extensions.Any(e => e.Status == ExtensionStatus.Pending)).Take(100).AsSplitQuery().ToListAsync(ct);
        Orders = orders.OrderBy(o => o.PendingExtension!.AnswerBy).ToList();
    }
}
