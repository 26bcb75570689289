using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Orders;
using Safehold.Web.Features.Users;
using Safehold.Web.Jobs;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// Who may see a dispute: its buyer and seller; arbiters, every dispute under review and those they decided; admins,
/// all. Anyone else is told it does not exist.
/// </summary>
public static class DisputeAccess
{
    public static IQueryable<Dispute> VisibleTo(this IQueryable<Dispute> disputes, Caller caller) => caller.Role switch
    {
        UserRole.Buyer => disputes.Where(d => d.BuyerId == caller.Id),
        UserRole.Seller => disputes.Where(d => d.SellerId == caller.Id),
        UserRole.Arbiter => disputes.Where(d => d.Status == DisputeStatus.UnderReview || d.DecidedBy == caller.Id || d.AppealArbiterId == caller.Id),
        UserRole.Admin => disputes,
        _ => disputes.Where(d => false),
    };

    /// <summary>
    /// <see cref="VisibleTo"/>, of one status if given, as parts each found through one index, for a list that pages through
    /// each part by seeking (<see cref="Api.Keyset.UnionOf"/>). An arbiter's are those under review, those they decided and
    /// those whose appeal they hear; of one status, only the parts that can hold it. Anyone else's is the one query.
    /// </summary>
    /// <remarks>
    /// The parts are read one after another, not in one snapshot, in the order a dispute moves between them: one that
    /// leaves review by this arbiter's decision is in the next part, and a decision or an appeal's arbiter is never taken
    /// back. So a dispute this arbiter still sees when a page is read is not missed for moving meanwhile.
    /// </remarks>
    public static IReadOnlyList<IQueryable<Dispute>> VisibleToByIndex(this IQueryable<Dispute> disputes, Caller caller, DisputeStatus? status)
    {
        if (caller.Role != UserRole.Arbiter)
            return [status is { } only ? disputes.VisibleTo(caller).Where(d => d.Status == only) : disputes.VisibleTo(caller)];
        var underReview = disputes.Where(d => d.Status == DisputeStatus.UnderReview);
        var decided = disputes.Where(d => d.DecidedBy == caller.Id);
        var appeals = disputes.Where(d => d.AppealArbiterId == caller.Id);
        return status switch
        {
            null => [underReview, decided, appeals],
            DisputeStatus.UnderReview => [underReview], // every one under review: the other parts' are among them
            { } other => [decided.Where(d => d.Status == other), appeals.Where(d => d.Status == other)],
        };
    }

    public static bool IsVisibleTo(Dispute d, Caller caller) => caller.Role switch
    {
        UserRole.Buyer => d.BuyerId == caller.Id,
        UserRole.Seller => d.SellerId == caller.Id,
        UserRole.Arbiter => d.Status == DisputeStatus.UnderReview || d.DecidedBy == caller.Id || d.AppealArbiterId == caller.Id,
        UserRole.Admin => true,
        _ => false,
    };

    /// <summary>The caller's part in a dispute they can see: buyer, seller, arbiter, or none (an admin only reads).</summary>
    public static DisputeActor ActorOf(Dispute d, Caller caller) =>
        d.BuyerId == caller.Id ? new DisputeActor(DisputeParty.Buyer, caller.Id, OrderAccess.ViaOf(caller))
        : d.SellerId == caller.Id ? new DisputeActor(DisputeParty.Seller, caller.Id, OrderAccess.ViaOf(caller))
        : caller.Role == UserRole.Arbiter ? DisputeActor.Arbiter(caller.Id)
        : new DisputeActor(DisputeParty.None, caller.Id);

    /// <summary>
    /// Loads a dispute and its order for a change: the order's row is locked (PostgreSQL) so racing changes to the dispute
    /// or its order take turns, and whatever fell due on either has fired first. Buyers and sellers reach only their own
    /// disputes (anyone else's answers 404); arbiters and admins reach any, and the process refuses what they may not do
    /// (so two arbiters deciding at once leave one winner and one 409, not a 404 once the first has decided).
    /// </summary>
    public static async Task<(Dispute Dispute, Order Order)> LoadForChangeAsync(SafeholdDb db, DueTimers timers, Guid id, Caller caller,
        DateTimeOffset now, CancellationToken ct)
    {
        var order = await timers.LoadForDisputeAsync(await OrderIdForChangeAsync(db, id, caller, ct), now, ct);
        var dispute = await db.Disputes.AsSplitQuery().FirstAsync(d => d.Id == id, ct);
        return (dispute, order);
    }

    /// <summary>
    /// Loads a dispute (tracked) and its order (tracked, or not: <paramref name="orderTracked"/>) for a change prepared
    /// ahead of the write lock, as last committed (nothing fired: see <see cref="DueTimers.FireAheadAsync"/>); who may
    /// reach it as for <see cref="LoadForChangeAsync"/>. With no
    /// lock held, the statements are read in one snapshot (<see cref="ReadSnapshot"/>): a change committed meanwhile is
    /// seen in all of them or in none, never the dispute's row from before it and its timers or offers from after.
    /// </summary>
    public static Task<(Dispute Dispute, Order Order)> LoadAheadAsync(SafeholdDb db, Guid id, Caller caller, bool orderTracked, CancellationToken ct) =>
        db.InSnapshotAsync(async () =>
        {
            var orderId = await OrderIdForChangeAsync(db, id, caller, ct);
            var order = await OrderReader.FindAsync(db, orderId, orderTracked, ct) ?? throw Problems.NotFound("Order");
            var dispute = await db.Disputes.AsSplitQuery().FirstAsync(d => d.Id == id, ct);
            return (dispute, order);
        }, ct);

    /// <summary>The order of a dispute the caller may change (a party to it, an arbiter, an admin); anyone else is told it does not exist.</summary>
    private static async Task<Guid> OrderIdForChangeAsync(SafeholdDb db, Guid id, Caller caller, CancellationToken ct)
    {
        var key = await db.Disputes.AsNoTracking().IgnoreAutoIncludes().Where(d => d.Id == id)
            .Select(d => new { d.OrderId, d.BuyerId, d.SellerId }).FirstOrDefaultAsync(ct);
        if (key is null || caller.Role is not (UserRole.Arbiter or UserRole.Admin) && caller.Id != key.BuyerId && caller.Id != key.SellerId)
            throw Problems.NotFound("Dispute");
        return key.OrderId;
    }

    public static async Task<Dispute> LoadVisibleAsync(SafeholdDb db, Guid id, Caller caller, CancellationToken ct) =>
        await db.Disputes.AsNoTracking().VisibleTo(caller).AsSplitQuery().FirstOrDefaultAsync(d => d.Id == id, ct)
        ?? throw Problems.NotFound("Dispute");
}
