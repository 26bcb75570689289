using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Disputes;
using Safehold.Web.Api;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// The caller's disputes (newest first, by status, a page at a time) and one dispute. Buyers and sellers see theirs;
/// arbiters, every dispute under review and those they decided; admins, all.
/// </summary>
public static class DisputeQueries
{
    public static async Task<DisputeListResponse> ListAsync(SafeholdDb db, Caller caller, string? status, string? cursor, int? limit, DateTimeOffset now,
        CancellationToken ct)
    {
        DisputeStatus? only = null;
        if (status is not null)
        {
            if (!DisputeProcess.TryParse<DisputeStatus>(status, out var s))
                throw new InvalidInputException(new Dictionary<string, string[]>
                {
                    ["status"] = [$"One of: {string.Join(", ", Enum.GetValues<DisputeStatus>().Select(DisputeProcess.StatusName))}."],
                });
            only = s;
        }
        // The page's ids through the index of each part of what the caller sees, then the page loaded by key with its
        // offers, timeline and timers.
        var parts = db.Disputes.AsNoTracking().IgnoreAutoIncludes().VisibleToByIndex(caller, only);
        var (page, next) = await Keyset.PageByIdsAsync(Keyset.UnionOf(parts, d => d.OpenedAt, d => d.Id, newestFirst: true),
            d => d.OpenedAt, d => d.Id, cursor, limit,
            (ids, ct) => db.Disputes.AsNoTracking().Where(d => ids.Contains(d.Id)).AsSplitQuery().ToListAsync(ct), ct);

        var pageIds = page.Select(d => d.Id).ToList();
        var orderIds = page.Select(d => d.OrderId).Distinct().ToList();
        var evidence = (await db.DisputeEvidence.AsNoTracking().Where(e => pageIds.Contains(e.DisputeId)).ToListAsync(ct)).ToLookup(e => e.DisputeId);
        var messages = (await db.DisputeMessages.AsNoTracking().Where(m => pageIds.Contains(m.DisputeId)).ToListAsync(ct)).ToLookup(m => m.DisputeId);
        var orders = await db.Orders.AsNoTracking().IgnoreAutoIncludes().Include(o => o.Lines).Where(o => orderIds.Contains(o.Id)).ToDictionaryAsync(o => o.Id, ct);
        return new DisputeListResponse(
            page.Select(d => DisputeResponse.From(d, orders.GetValueOrDefault(d.OrderId), evidence[d.Id], messages[d.Id], caller, now)).ToList(), next);
    }

    public static async Task<DisputeResponse> GetAsync(SafeholdDb db, Caller caller, Guid id, DateTimeOffset now, CancellationToken ct)
    {
        var dispute = await DisputeAccess.LoadVisibleAsync(db, id, caller, ct);
        return await DisputeResponse.LoadAsync(db, dispute, null, caller, now, ct);
    }
}
