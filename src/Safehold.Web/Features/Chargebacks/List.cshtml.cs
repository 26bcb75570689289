using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Disputes;
using Safehold.Domain.Process;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Chargebacks;

/// <summary>The admin's chargebacks: open ones first, by the card network's response deadline, then the decided ones, newest first.</summary>
[Authorize(Roles = nameof(Users.UserRole.Admin))]
public sealed class ListModel(SafeholdDb db, TimeProvider clock) : PortalPage
{
    public sealed record Row(Guid Id, Guid OrderId, string Title, MoneyDto Amount, string Status, string Reason, DateTimeOffset OpenedAt,
        DateTimeOffset? RespondBy, string? Outcome, string? Bearer);

    public IReadOnlyList<Row> Rows { get; private set; } = [];
    public DateTimeOffset Now { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        // Ordered here: SQLite cannot order by a DateTimeOffset column. The latest 200 are plenty for a page.
        var rows = await db.Disputes.AsNoTracking().IgnoreAutoIncludes().Where(d => d.Reason == DisputeReason.Chargeback)
            .Select(d => new { d.Id, d.OrderId, d.ChargebackAmount, d.Currency, d.Status, d.Description, d.OpenedAt, d.DecisionDueAt, d.Outcome, d.ChargebackBearer })
            .ToListAsync(ct);
        var orderIds = rows.Select(r => r.OrderId).ToList();
        var titles = (await db.Set<Domain.Orders.OrderLine>().AsNoTracking().Where(l => orderIds.Contains(l.OrderId))
                .Select(l => new { l.OrderId, l.LineNumber, l.Title }).ToListAsync(ct))
            .GroupBy(l => l.OrderId).ToDictionary(g => g.Key, g => g.OrderBy(l => l.LineNumber).First().Title);
        Rows = rows.Select(r => new Row(r.Id, r.OrderId, titles.GetValueOrDefault(r.OrderId, ""), new MoneyDto(r.ChargebackAmount ?? 0, r.Currency),
                DisputeProcess.StatusName(r.Status), r.Description, r.OpenedAt, r.Status == DisputeStatus.UnderReview ? r.DecisionDueAt : null,
                r.Outcome is { } o ? DisputeProcess.Name(o) : null, r.ChargebackBearer is { } b ? ProcessNames.Of(b) : null))
            .OrderBy(r => r.RespondBy is null).ThenBy(r => r.RespondBy).ThenByDescending(r => r.OpenedAt).Take(200).ToList();
    }
}
