using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Disputes;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// The reader's disputes: a seller's "disputes to answer" (those waiting for them first), a buyer's own, an admin's all.
/// Whose turn it is comes from the dispute's <c>actions</c> for the reader: one that answers the other side (withdrawing or escalating answers nobody).
/// </summary>
public sealed class MineModel(SafeholdDb db, TimeProvider clock) : PortalPage
{
    /// <summary>Actions that are always open to a party and wait for nobody: doing them is a choice, not a turn.</summary>
    public static readonly IReadOnlySet<string> NotATurn = new HashSet<string> { DisputeResponse.AddEvidence, DisputeResponse.SendMessage, "withdraw", "escalate" };

    public sealed record Row(Guid Id, Guid OrderId, string Title, string Reason, string Status, bool YourTurn, KeyValuePair<string, DateTimeOffset>? Deadline);

    public IReadOnlyList<Row> Rows { get; private set; } = [];
    public DateTimeOffset Now { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        var page = await DisputeQueries.ListAsync(db, Me, null, null, 100, Now, ct);
        Rows = page.Items
            .Select(d => new Row(d.Id, d.OrderId, d.Order?.Items.FirstOrDefault()?.Listing.Title ?? "", d.Reason, d.Status,
                d.Actions.Any(a => !NotATurn.Contains(a)),
                d.Deadlines.Count == 0 ? null : d.Deadlines.OrderBy(x => x.Value).First()))
            .OrderByDescending(r => r.YourTurn).ThenBy(r => r.Deadline?.Value ?? DateTimeOffset.MaxValue).ToList();
    }
}
