using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Disputes;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features;

namespace Safehold.Web.Jobs;

/// <summary>
/// One kind of aggregate whose timers the sweeper fires (<see cref="TimedOrders"/>, <see cref="TimedDisputes"/>): how its
/// due batch is found and claimed, loaded and fired, and how a timer whose effect was refused waits. The sweeper's loop
/// and both batch writers (<see cref="IBatchWriter"/>) see only this.
/// </summary>
public interface ITimedAggregate
{
    /// <summary><see cref="TimerFailedException.Order"/> or <see cref="TimerFailedException.Dispute"/>.</summary>
    string Name { get; }

    /// <summary>
    /// PostgreSQL, inside the batch's transaction: claims up to <paramref name="size"/> aggregates with the earliest due
    /// timers, and their orders, in a fixed order and skipping any another host or a request holds
    /// (<c>FOR UPDATE SKIP LOCKED</c>); the request path locks the order row first as well.
    /// </summary>
    Task<Guid[]> ClaimAsync(SafeholdDb db, DateTimeOffset now, int size, CancellationToken ct);

    /// <summary>
    /// Loads a batch and fires what is due on each of its aggregates, oldest due first; null when nothing is due. The
    /// batch is <paramref name="claimed"/>, or else the aggregates of the <paramref name="size"/> earliest due timers but
    /// those of <paramref name="excluded"/>.
    /// </summary>
    /// <param name="ahead">
    /// Fired ahead of the write transaction (SQLite's prepared batches): loaded without tracking, with what firing changes
    /// found by <see cref="AggregateChanges"/>, and without the payment provider (<see cref="NeedsProviderException"/>).
    /// </param>
    Task<FiredBatch?> FireDueAsync(IServiceProvider services, SafeholdDb db, Guid[]? claimed, Guid[] excluded, DateTimeOffset now, int size,
        bool ahead, CancellationToken ct);

    /// <summary>Moves a timer whose effect was refused to <paramref name="until"/>.</summary>
    Task PostponeAsync(SafeholdDb db, Guid id, Enum kind, DateTimeOffset until, CancellationToken ct);
}

/// <summary>
/// A batch fired in memory: the ids of its aggregates, how many timers fired, the journal entries to post, and for a
/// batch fired ahead, what firing changed in its untracked aggregates.
/// </summary>
public sealed record FiredBatch(Guid[] Ids, int Fired, List<JournalEntry> Entries, IReadOnlyList<AggregateChanges> Changes);

/// <summary>Orders' timers: protection, delivery, ship-by, payment, extension answers, reminders.</summary>
public sealed class TimedOrders : ITimedAggregate
{
    public string Name => TimerFailedException.Order;

    public async Task<Guid[]> ClaimAsync(SafeholdDb db, DateTimeOffset now, int size, CancellationToken ct)
    {
        var candidates = await ClaimOwnersAsync(db, "Timers", "OrderId", now, size, ct);
        if (candidates.Length == 0) return [];
        return (await db.Database
            .SqlQuery<Guid>($"""SELECT "Id" AS "Value" FROM "Orders" WHERE "Id" = ANY({candidates}) ORDER BY "Id" FOR UPDATE SKIP LOCKED""")
            .ToListAsync(ct)).ToArray();
    }

    public async Task<FiredBatch?> FireDueAsync(IServiceProvider services, SafeholdDb db, Guid[]? claimed, Guid[] excluded, DateTimeOffset now,
        int size, bool ahead, CancellationToken ct)
    {
        var query = claimed is null ? db.Orders.Where(o => Due(db, now, size, excluded).Contains(o.Id)) : db.Orders.Where(o => claimed.Contains(o.Id));
        // One joined query: without a transaction (ahead), the orders and their timers are then read from one snapshot.
        var orders = await LoadForFiring(ahead ? query.AsNoTracking() : query).ToListAsync(ct);
        if (orders.Count == 0) return null;
        var changes = ahead ? orders.Select(o => AggregateChanges.Take(db.Model, o)).ToList() : [];
        var timers = services.GetRequiredService<DueTimers>();
        var entries = new List<JournalEntry>();
        var fired = 0;
        foreach (var order in orders.OrderBy(o => FirstDue(o.Timers.Select(t => t.DueAt), now)))
            fired += await timers.FireAsync(order, now, entries, withoutProvider: ahead, ct);
        return new FiredBatch(orders.Select(o => o.Id).ToArray(), fired, entries, changes);
    }

    public Task PostponeAsync(SafeholdDb db, Guid id, Enum kind, DateTimeOffset until, CancellationToken ct) =>
        db.Timers.Where(t => t.OrderId == id && t.Kind == (OrderTimerKind)kind).ExecuteUpdateAsync(u => u.SetProperty(t => t.DueAt, until), ct);

    /// <summary>
    /// The orders of the earliest due timers but those of <paramref name="excluded"/>, as a subquery, so they are found by key
    /// rather than by scanning the table against a list of ids (which grows with the table and the batch).
    /// </summary>
    private static IQueryable<Guid> Due(SafeholdDb db, DateTimeOffset now, int size, Guid[] excluded) =>
        (excluded.Length == 0 ? db.Timers.Where(t => t.DueAt <= now) : db.Timers.Where(t => t.DueAt <= now && !excluded.Contains(t.OrderId)))
        .OrderBy(t => t.DueAt).Take(size).Select(t => t.OrderId);

    /// <summary>Firing needs the order, its timers and (owned, always loaded) extensions; not its lines or its (append-only) timeline.</summary>
    internal static IQueryable<Order> LoadForFiring(IQueryable<Order> orders) =>
        orders.IgnoreAutoIncludes().Include(o => o.Timers).AsSingleQuery();

    /// <summary>
    /// PostgreSQL: the owners (<paramref name="owner"/>) of the <paramref name="size"/> earliest due timers of
    /// <paramref name="table"/>, those timer rows locked, skipping any another host holds.
    /// </summary>
    internal static async Task<Guid[]> ClaimOwnersAsync(SafeholdDb db, string table, string owner, DateTimeOffset now, int size, CancellationToken ct)
    {
        // FOR UPDATE allows no DISTINCT: an aggregate with two due timers is named twice. Table and column are constants.
        var sql = $$"""SELECT "{{owner}}" AS "Value" FROM "{{table}}" WHERE "DueAt" <= {0} ORDER BY "DueAt" LIMIT {1} FOR UPDATE SKIP LOCKED""";
        return (await db.Database.SqlQueryRaw<Guid>(sql, now, size).ToListAsync(ct)).Distinct().ToArray();
    }

    internal static DateTimeOffset FirstDue(IEnumerable<DateTimeOffset> due, DateTimeOffset now) => due.Where(d => d <= now).DefaultIfEmpty(now).Min();
}

/// <summary>Disputes' timers: answers, returns, escalation, reminders; each step carried out on its order.</summary>
public sealed class TimedDisputes : ITimedAggregate
{
    public string Name => TimerFailedException.Dispute;

    public async Task<Guid[]> ClaimAsync(SafeholdDb db, DateTimeOffset now, int size, CancellationToken ct)
    {
        var candidates = await TimedOrders.ClaimOwnersAsync(db, "DisputeTimers", "DisputeId", now, size, ct);
        if (candidates.Length == 0) return [];
        // Their orders too: a request changing the order holds its row, and fires these timers itself.
        var orderIds = await db.Database.SqlQuery<Guid>($"""
            SELECT o."Id" AS "Value" FROM "Orders" o WHERE o."Id" IN (SELECT d."OrderId" FROM "Disputes" d WHERE d."Id" = ANY({candidates}))
            ORDER BY o."Id" FOR UPDATE OF o SKIP LOCKED
            """).ToListAsync(ct);
        return (await db.Disputes.Where(d => candidates.Contains(d.Id) && orderIds.Contains(d.OrderId)).Select(d => d.Id).ToListAsync(ct)).ToArray();
    }

    public async Task<FiredBatch?> FireDueAsync(IServiceProvider services, SafeholdDb db, Guid[]? claimed, Guid[] excluded, DateTimeOffset now,
        int size, bool ahead, CancellationToken ct)
    {
        var query = claimed is null
            ? db.Disputes.Where(d => Due(db, now, size, excluded).Contains(d.Id))
            : db.Disputes.Where(d => claimed.Contains(d.Id));
        // Firing needs the dispute's timers and offers, not its (append-only) timeline.
        query = query.IgnoreAutoIncludes().Include(d => d.Timers).Include(d => d.Offers).AsSingleQuery();
        var disputes = await (ahead ? query.AsNoTracking() : query).ToListAsync(ct);
        if (disputes.Count == 0) return null;
        var orderIds = disputes.Select(d => d.OrderId).Distinct().ToList();
        var orderQuery = TimedOrders.LoadForFiring(db.Orders.Where(o => orderIds.Contains(o.Id)));
        var orders = await (ahead ? orderQuery.AsNoTracking() : orderQuery).ToDictionaryAsync(o => o.Id, ct);
        var changes = ahead
            ? disputes.Select(d => AggregateChanges.Take(db.Model, d)).Concat(orders.Values.Select(o => AggregateChanges.Take(db.Model, o))).ToList()
            : [];
        // Their steps' notices name each order's first item: read for the whole batch at once.
        await services.GetRequiredService<Features.Disputes.DisputeNotices>().ReadTitlesAsync(orderIds, ct);
        var timers = services.GetRequiredService<DueDisputeTimers>();
        var entries = new List<JournalEntry>();
        var fired = 0;
        foreach (var dispute in disputes.OrderBy(d => TimedOrders.FirstDue(d.Timers.Select(t => t.DueAt), now)))
            fired += await timers.FireAsync(dispute, orders[dispute.OrderId], now, entries, withoutProvider: ahead, ct);
        return new FiredBatch(disputes.Select(d => d.Id).ToArray(), fired, entries, changes);
    }

    public Task PostponeAsync(SafeholdDb db, Guid id, Enum kind, DateTimeOffset until, CancellationToken ct) =>
        db.DisputeTimers.Where(t => t.DisputeId == id && t.Kind == (DisputeTimerKind)kind).ExecuteUpdateAsync(u => u.SetProperty(t => t.DueAt, until), ct);

    private static IQueryable<Guid> Due(SafeholdDb db, DateTimeOffset now, int size, Guid[] excluded) =>
        (excluded.Length == 0
            ? db.DisputeTimers.Where(t => t.DueAt <= now)
            : db.DisputeTimers.Where(t => t.DueAt <= now && !excluded.Contains(t.DisputeId)))
        .OrderBy(t => t.DueAt).Take(size).Select(t => t.DisputeId);
}
