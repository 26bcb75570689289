using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Web.Api;
using Safehold.Web.Data;

namespace Safehold.Web.Jobs;

/// <summary>
/// Deletes the Idempotency-Key answers older than <see cref="IdempotencyOptions.KeepHours"/> (a request that finds one
/// treats it as gone already), a bounded batch at a time so that no write waits long behind it. Run by the sweeper's
/// loop every few minutes, on every host; two hosts deleting the same rows is harmless.
/// </summary>
public sealed class IdempotencyCleanup(IServiceScopeFactory scopes, TimeProvider clock, IOptions<IdempotencyOptions> options)
{
    public const int BatchSize = 5_000;

    /// <summary>How often the sweeper's loop runs it.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(5);

    /// <summary>Deletes every expired answer; returns how many.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var deleted = 0;
        while (true)
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
            var writes = scope.ServiceProvider.GetRequiredService<WriteGate>();
            var cutoff = clock.GetUtcNow() - options.Value.Keep;
            var batch = await writes.InTransactionAsync(db, async () =>
            {
                var expired = db.IdempotencyRecords.Where(r => r.CreatedAt <= cutoff).OrderBy(r => r.CreatedAt).Take(BatchSize);
                return await db.IdempotencyRecords
                    .Where(r => expired.Any(e => e.UserId == r.UserId && e.Key == r.Key))
                    .ExecuteDeleteAsync(ct);
            }, ct);
            deleted += batch;
            if (batch < BatchSize) return deleted;
        }
    }
}
