using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Domain.Disputes;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Disputes;

/// <summary>The arbiter's desk: disputes under review ordered by how overdue their decision is; or, at <c>/arbiter/appeals</c>, the appeals.</summary>
[Authorize(Roles = nameof(Users.UserRole.Arbiter))]
public sealed class DeskModel(SafeholdDb db, TimeProvider clock) : PortalPage
{
    public sealed record Case(Guid Id, string Title, string Reason, string Requested, MoneyDto? Amount, MoneyDto Total, DateTimeOffset? EscalatedAt,
        DateTimeOffset DueAt);

    public bool Appeals { get; private set; }
    public IReadOnlyList<Case> Cases { get; private set; } = [];
    public DateTimeOffset Now { get; private set; }

    public async Task OnGetAsync(string? view, CancellationToken ct)
    {
        if (view is not (null or "appeals")) throw Problems.NotFound("Page");
        Appeals = view == "appeals";
        Now = clock.GetUtcNow();
        var query = db.Disputes.AsNoTracking().IgnoreAutoIncludes().VisibleTo(Me).Where(d => d.Status == DisputeStatus.UnderReview);
        query = Appeals ? query.Where(d => d.AppealedAt != null) : query.Where(d => d.AppealedAt == null);
        // Ordered here: SQLite cannot order by a DateTimeOffset column. The desk holds what waits for a decision, a short list.
        var rows = await query
            .Select(d => new { d.Id, d.OrderId, d.Reason, d.RequestedOutcome, d.RequestedAmount, d.OrderTotalAmount, d.Currency, d.EscalatedAt, d.DecisionDueAt })
            .ToListAsync(ct);
        var orderIds = rows.Select(r => r.OrderId).ToList();
        var lines = await db.Set<Domain.Orders.OrderLine>().AsNoTracking().Where(l => orderIds.Contains(l.OrderId))
            .Select(l => new { l.OrderId, l.LineNumber, l.Title }).ToListAsync(ct);
        var titles = lines.GroupBy(l => l.OrderId).ToDictionary(g => g.Key, g => g.OrderBy(l => l.LineNumber).First().Title);
        Cases = rows.Select(r => new Case(r.Id, titles.GetValueOrDefault(r.OrderId, ""), DisputeProcess.Name(r.Reason), DisputeProcess.Name(r.RequestedOutcome),
                r.RequestedAmount is { } a ? new MoneyDto(a, r.Currency) : null, new MoneyDto(r.OrderTotalAmount, r.Currency), r.EscalatedAt,
                r.DecisionDueAt ?? r.EscalatedAt ?? Now))
            .OrderBy(c => c.DueAt).ThenBy(c => c.Id).ToList();
    }
}
