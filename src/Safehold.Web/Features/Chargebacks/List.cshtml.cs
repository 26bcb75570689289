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

    /// <summary>The most a page lists.</summary>
    public const int MaxRows = 200;

    public async Task OnGetAsync(CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        // Two reads, each by an index and cut in the database: the chargebacks still waiting for an answer (a few: those
        // under review) by their deadline, then the latest of the rest (every chargeback ever: not read whole).
        var chargebacks = db.Disputes.AsNoTracking().IgnoreAutoIncludes().Where(d => d.Reason == DisputeReason.Chargeback);
        var open = await ReadAsync(chargebacks.Where(d => d.Status == DisputeStatus.UnderReview && d.DecisionDueAt != null)
            .OrderBy(d => d.DecisionDueAt).ThenByDescending(d => d.OpenedAt).ThenByDescending(d => d.Id).Take(MaxRows), ct);
        var rest = open.Count == MaxRows ? [] : await ReadAsync(chargebacks.Where(d => d.Status != DisputeStatus.UnderReview || d.DecisionDueAt == null)
            .OrderByDescending(d => d.OpenedAt).ThenByDescending(d => d.Id).Take(MaxRows - open.Count), ct);
        var rows = open.Concat(rest).ToList();
        var orderIds = rows.Select(r => r.OrderId).ToList();
        var titles = (await db.Set<Domain.Orders.OrderLine>().AsNoTracking().Where(l => orderIds.Contains(l.OrderId))
                .Select(l => new { l.OrderId, l.LineNumber, l.Title }).ToListAsync(ct))
            .GroupBy(l => l.OrderId).ToDictionary(g => g.Key, g => g.OrderBy(l => l.LineNumber).First().Title);
        Rows = rows.Select(r => r with { Title = titles.GetValueOrDefault(r.OrderId, "") }).ToList();
    }

    private static async Task<List<Row>> ReadAsync(IQueryable<Dispute> disputes, CancellationToken ct) =>
        (await disputes.Select(d => new { d.Id, d.OrderId, d.ChargebackAmount, d.Currency, d.Status, d.Description, d.OpenedAt, d.DecisionDueAt, d.Outcome, d.ChargebackBearer })
            .ToListAsync(ct))
        .Select(r => new Row(r.Id, r.OrderId, "", new MoneyDto(r.ChargebackAmount ?? 0, r.Currency), DisputeProcess.StatusName(r.Status), r.Description,
            r.OpenedAt, r.Status == DisputeStatus.UnderReview ? r.DecisionDueAt : null, r.Outcome is { } o ? DisputeProcess.Name(o) : null,
            r.ChargebackBearer is { } b ? ProcessNames.Of(b) : null))
        .ToList();
}
