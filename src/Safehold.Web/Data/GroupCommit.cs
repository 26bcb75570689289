using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Prometheus;
using SQLitePCL;

namespace Safehold.Web.Data;

/// <summary>
/// Group commit on SQLite: one writer writes the requests' staged writes (<see cref="StagedWrite"/>) that are waiting when
/// it takes the write lock, each in a savepoint of one transaction, and commits them together, so one commit (one WAL
/// <c>fsync</c>, half of the time a lone write held the lock) serves them all. Each request is answered once the
/// transaction has committed.
/// </summary>
/// <remarks>
/// A write whose check fails, whose statements find a row changed (its version) or meet a unique index (the request's
/// Idempotency-Key taken by a retry, an <c>externalId</c> taken), or that fails in any other way, is rolled back to its
/// savepoint alone, and its request is told to do it all again under the lock on its own
/// (<see cref="WriteAsync"/> returns false), where the error, if any, is its own. Writes run in the order they came, each
/// seeing those before it. If the commit itself fails, every request of the batch fails with it, as one request's commit
/// would. The writer queues for the lock in <see cref="WriteGate"/> like every other writer; its batch holds it once.
/// Its connection stays open, and keeps the statements it runs prepared (<see cref="SqliteStatements"/>).
/// </remarks>
public sealed class GroupCommit : IAsyncDisposable
{
    /// <summary>At most this many writes in one transaction: a longer queue waits for the next.</summary>
    public const int MaxBatch = 64;

    // A request that hands its write to an idle writer runs the writer's batch on its own thread (the writer's wait for
    // the queue resumes inside TryWrite) rather than waking another and waiting to be woken in turn: at one client, 5 to
    // 17 % more orders a second than with that hand-off, in three pairs (docs/benchmarks.md).
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly IServiceScopeFactory _scopes;
    private readonly WriteGate _gate;
    private readonly ILogger<GroupCommit> _log;
    private readonly Histogram _batch;
    private readonly Lock _starting = new();
    private Task? _writer;

    public GroupCommit(IServiceScopeFactory scopes, WriteGate gate, ILogger<GroupCommit> log, CollectorRegistry? registry = null)
    {
        (_scopes, _gate, _log) = (scopes, gate, log);
        var metrics = Prometheus.Metrics.WithCustomRegistry(registry ?? Prometheus.Metrics.NewCustomRegistry());
        _batch = metrics.CreateHistogram(
            "safehold_group_commit_writes", "How many requests' writes one group commit (one SQLite transaction) wrote.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 7) }); // 1 to 64
    }

    /// <summary>How many writes wait for the next group commit.</summary>
    public int Waiting => Math.Max(0, Volatile.Read(ref _waiting));

    private int _waiting;

    private sealed record Pending(StagedWrite Write, TaskCompletionSource<bool> Done);

    /// <summary>
    /// Writes <paramref name="write"/> in the next group commit: true once it has committed; false, having written nothing,
    /// when it is to be done again under the lock. Not cancellable: a client that hangs up does not stop its write.
    /// </summary>
    public Task<bool> WriteAsync(StagedWrite write)
    {
        var pending = new Pending(write, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(GroupCommit), "The host is stopping.");
        Interlocked.Increment(ref _waiting); // taken off by the writer, which may run first: the count may dip below 0 for a moment
        lock (_starting)
        {
            // Without the first request's context (its trace, its logging scope): the writer outlives it.
            if (_writer is null)
                using (ExecutionContext.SuppressFlow()) _writer = Task.Run(WriteAllAsync);
        }
        return pending.Done.Task;
    }

    private async Task WriteAllAsync()
    {
        AsyncServiceScope? scope = null;
        SqliteStatements? statements = null;
        var batch = new List<Pending>(MaxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync())
            {
                try
                {
                    if (scope is null)
                    {
                        scope = _scopes.CreateAsyncScope();
                        var writer = scope.Value.ServiceProvider.GetRequiredService<SafeholdDb>().Database;
                        await writer.OpenConnectionAsync(); // kept open
                        await writer.ExecuteSqlRawAsync(SavepointsInMemory);
                        statements = new SqliteStatements(((SqliteConnection)writer.GetDbConnection()).Handle!);
                    }
                    await CommitAsync(scope.Value.ServiceProvider.GetRequiredService<SafeholdDb>(), statements!, batch);
                }
                catch (Exception e)
                {
                    // The commit (or the transaction around the writes) failed: the batch's requests fail with it (those
                    // still queued, if none was taken), and the writer starts again with a context of its own.
                    _log.LogError(e, "A group commit of {Count} writes failed", batch.Count);
                    if (batch.Count == 0 && _queue.Reader.TryRead(out var first))
                    {
                        Interlocked.Decrement(ref _waiting);
                        batch.Add(first);
                    }
                    foreach (var pending in batch) pending.Done.TrySetException(e);
                    if (scope is { } failed) await EndAsync(failed, statements);
                    (scope, statements) = (null, null);
                }
                batch.Clear();
                // More came meanwhile: written from the thread pool, so a request's thread that ran this batch (see _queue)
                // goes on to answer its own request rather than write everyone's from now on.
                if (_queue.Reader.TryPeek(out _)) await Task.Yield();
            }
        }
        finally
        {
            if (scope is { } last) await EndAsync(last, statements);
        }
    }

    /// <summary>
    /// The writer's connection keeps what its savepoints need to roll back (the sub-journal: the pages each write changes,
    /// as they were before it) in memory: by default SQLite spills it to a temporary file past 64 KiB, a batch of a few
    /// writes. Kept on that reasoning: it was in every measured run of the group commit, and not measured on its own.
    /// </summary>
    private const string SavepointsInMemory = "PRAGMA temp_store = MEMORY";

    /// <summary>
    /// Gives the writer's connection back to the pool as the requests' connections are, closed here as it was opened here
    /// (a pooled context does not close a connection opened for it), and its context with it: when the host stops, no
    /// connection of the writer's is left open on the database file. Its prepared statements are finalized first.
    /// </summary>
    private static async Task EndAsync(AsyncServiceScope scope, SqliteStatements? statements)
    {
        try
        {
            statements?.Dispose();
            var writer = scope.ServiceProvider.GetRequiredService<SafeholdDb>().Database;
            await writer.ExecuteSqlRawAsync("PRAGMA temp_store = DEFAULT");
            await writer.CloseConnectionAsync();
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException)
        {
            // The connection is broken, or the host's disposal has closed the context already (ObjectDisposedException).
        }
        await scope.DisposeAsync();
    }

    /// <summary>Takes the write lock, then every write waiting by then (up to <see cref="MaxBatch"/>), writes them and commits.</summary>
    private async Task CommitAsync(SafeholdDb db, SqliteStatements statements, List<Pending> batch)
    {
        await using var tx = await _gate.BeginTransactionAsync(db, CancellationToken.None);
        while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next)) batch.Add(next);
        Interlocked.Add(ref _waiting, -batch.Count);
        var written = new bool[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            statements.Run("SAVEPOINT staged");
            try
            {
                written[i] = await batch[i].Write.RunAsync(db, statements, CancellationToken.None);
            }
            catch (Exception e)
            {
                // Done again alone under the lock, where an error that is not a lost race is its request's own.
                if (e is not (DbUpdateConcurrencyException or SqliteException { SqliteErrorCode: raw.SQLITE_CONSTRAINT }))
                    _log.LogWarning(e, "A staged write failed in a group commit; its request does it again on its own");
            }
            if (!written[i]) statements.Run("ROLLBACK TO staged");
            statements.Run("RELEASE staged");
        }
        await tx.CommitAsync(CancellationToken.None);
        db.ChangeTracker.Clear(); // what the checks read
        _batch.Observe(batch.Count);
        _gate.Refused(written.Count(w => !w));
        for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(written[i]);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        Task? writer;
        lock (_starting) writer = _writer;
        if (writer is not null) await writer;
    }
}
