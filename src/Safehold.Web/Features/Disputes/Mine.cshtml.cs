using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Disputes;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// The reader's disputes: a seller's "disputes to answer" (those waiting for them first), a buyer's own, an admin's all.
/// Whose turn it is comes from the dispute's <c>actions</c> for the reader.
/// </summary>
public sealed class MineModel(SafeholdDb db, TimeProvider clock) : PortalPage
{
    public sealed record Row(Guid Id, string Title, string Reason, string Status, bool YourTurn, KeyValuePair<string, DateTimeOffset>? Deadline);

    public IReadOnlyList<Row> Rows { get; private set; } = [];
    public DateTimeOffset Now { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        var page = await DisputeQueries.ListAsync(db, Me, null, null, 100, Now, ct);
        Rows = page.Items
            .Select(d => new Row(d.Id, d.Order?.Items.FirstOrDefault()?.Listing.Title ?? "", d.Reason, d.Status,
                d.Actions.Any(a => a is not "add_evidence" and not "send_message"),
                d.Deadlines.Count == 0 ? null : d.Deadlines.OrderBy(x => x.Value).First()))
            .OrderByDescending(r => r.YourTurn).ThenBy(r => r.Deadline?.Value ?? DateTimeOffset.MaxValue).ToList();
    }
}
