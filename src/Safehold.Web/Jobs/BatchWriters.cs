using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;

namespace Safehold.Web.Jobs;

/// <summary>
/// How the sweeper fires and writes batches of one kind of aggregate. <see cref="EfBatchWriter"/> is the reference, on
/// both databases; <see cref="SqlitePreparedWriter"/> is SQLite's fast writer, tested row for row against it.
/// </summary>
public interface IBatchWriter
{
    /// <summary>
    /// Fires and writes at least one batch of <paramref name="kind"/>'s timers due at <paramref name="now"/>, each batch one
    /// transaction. A batch that lost a race to a request or another host throws <see cref="DbUpdateException"/>
    /// and is rolled back whole; one whose effect was refused throws <see cref="Features.TimerFailedException"/>.
    /// </summary>
    /// <returns>How many timers fired (null when nothing was due), and whether the next batch must go to the reference writer.</returns>
    Task<(int? Fired, bool ReferenceNext)> RunAsync(ITimedAggregate kind, DateTimeOffset now, CancellationToken ct);
}

/// <summary>
/// The reference writer: one batch inside its transaction, loaded with EF Core's tracking, fired with the payment provider
/// at hand, and saved by <see cref="DbContext.SaveChangesAsync(CancellationToken)"/>, whose
/// concurrency tokens make a lost race roll back. On PostgreSQL each host claims its batch with row locks.
/// </summary>
public sealed class EfBatchWriter(IServiceScopeFactory scopes, IOptions<SweeperOptions> options, ILogger<EfBatchWriter> log)
    : IBatchWriter
{
    public async Task<(int? Fired, bool ReferenceNext)> RunAsync(ITimedAggregate kind, DateTimeOffset now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var size = options.Value.BatchSize;
        await using var tx = await scope.ServiceProvider.GetRequiredService<WriteGate>().BeginTransactionAsync(db, ct);
        Guid[]? claimed = null;
        if (db.OnPostgres)
        {
            claimed = await kind.ClaimAsync(db, now, size, ct);
            if (claimed.Length == 0) return (null, false);
        }
        if (await kind.FireDueAsync(scope.ServiceProvider, db, claimed, [], now, size, ahead: false, ct) is not { } batch) return (null, false);
        await db.PostAllAsync(batch.Entries, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (batch.Fired > 0) log.LogDebug("Fired {Count} timers of {Aggregates} {Kind}s", batch.Fired, batch.Ids.Length, kind.Name);
        return (batch.Fired, false);
    }
}
