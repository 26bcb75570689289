using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Safehold.Domain.Ledger;
using Safehold.Web.Data;

namespace Safehold.Web.Api;

/// <summary>
/// The write transaction of one request, begun by <see cref="WriteTransaction"/> before the handler runs, or, for an
/// endpoint marked <see cref="PreparedAhead"/>, by its use case once it has read and decided outside the write lock and is
/// ready to write (<see cref="BeginAsync"/>). The filter commits it, with the request's Idempotency-Key answer, when the
/// handler has answered. A use case that read and decided ahead does not begin it at all: it stages its write, down to
/// the statements (<see cref="Stage"/>), and the filter writes it with the answer's record (<see cref="WriteStagedAsync"/>).
/// </summary>
public sealed class WriteSession(SafeholdDb db, WriteGate gate, GroupCommit commits, ILogger<WriteSession> log)
{
    private Func<CancellationToken, Task>? _whenBegun;

    /// <summary>The request's transaction, once begun.</summary>
    public IDbContextTransaction? Transaction { get; private set; }

    /// <summary>Whether the use case may read and decide before the transaction (and the write lock) is begun: until it is, or a write is staged.</summary>
    public bool Deferred => _whenBegun is not null && Transaction is null && Staged is null;

    /// <summary>The write the use case staged instead of beginning the transaction, for the filter to commit with its answer.</summary>
    public StagedWrite? Staged { get; private set; }

    /// <summary>
    /// Instead of beginning the transaction: the use case's write, worked out with everything it answers. What the context
    /// tracks is now the staged write's and counts as saved; if the write is refused, the filter clears the context and
    /// the request is done again under the lock.
    /// </summary>
    public void Stage(StagedWrite write)
    {
        if (!Deferred) throw new InvalidOperationException("Only a deferred request, with nothing begun or staged, stages its write.");
        Staged = write;
        db.ChangeTracker.AcceptAllChanges();
    }

    /// <summary>
    /// Drops what was staged for the group commit, which refused it and wrote nothing of it: the write, what the context
    /// tracks, and an answer kept with them (<see cref="KeepAnswerAsync"/>). The change is then done again under the lock.
    /// </summary>
    public void Unstage()
    {
        Staged = null;
        _kept = null;
        db.ChangeTracker.Clear();
    }

    /// <summary>Lets the use case begin the transaction itself; <paramref name="whenBegun"/> runs first thing inside it.</summary>
    public void Defer(Func<CancellationToken, Task> whenBegun) => _whenBegun = whenBegun;

    /// <summary>Begins the request's transaction (on SQLite: takes the write lock) unless it is begun already.</summary>
    public async Task BeginAsync(CancellationToken ct)
    {
        if (Transaction is not null) return;
        Transaction = await gate.BeginTransactionAsync(db, ct);
        // A failure anywhere rolls the whole request back, so SaveChanges needs no savepoint of its own (two more
        // statements per save, two more round trips on PostgreSQL).
        db.Database.AutoSavepointsEnabled = false;
        if (_whenBegun is { } whenBegun) await whenBegun(ct);
    }

    /// <summary>
    /// A change worked out ahead of the write lock, in memory: the journal entries it posts (beside what the context
    /// tracks), the check made under the lock that what it was worked out from still holds, its answer, and the aggregates
    /// it changed that the context does not track (orders, loaded without tracking: <see cref="AggregateChanges"/>).
    /// </summary>
    public sealed record Ahead<T>(IReadOnlyCollection<JournalEntry> ToPost, StagedWrite.Check Unchanged, T Answer,
        IReadOnlyCollection<AggregateChanges>? Aggregates = null);

    /// <summary>
    /// Runs a use case's change, prepared ahead of the write lock when the request is <see cref="Deferred"/>
    /// (<see cref="PreparedAhead"/>): <paramref name="prepare"/> reads, decides and answers with no transaction open (null:
    /// the change must be made under the lock), and the prepared change is staged (<see cref="Stage"/>) for the filter to
    /// write (<see cref="WriteStagedAsync"/>). Otherwise (not deferred, not to be prepared, or changed meanwhile)
    /// <paramref name="underLock"/> does it all with the lock held.
    /// </summary>
    public async Task<T> RunAheadAsync<T>(Func<Task<Ahead<T>?>> prepare, Func<Task<T>> underLock, CancellationToken ct)
    {
        if (Deferred && db.Database.CurrentTransaction is null)
        {
            if (await prepare() is { } p)
            {
                Stage(PreparedWrite.Stage(db, p.ToPost, p.Unchanged, p.Aggregates)); // the filter writes it with its answer, or does the request again under the lock
                return p.Answer;
            }
            await BeginAsync(ct);
            db.ChangeTracker.Clear(); // not to be prepared: all again, under the lock
        }
        return await underLock();
    }

    /// <summary>
    /// Writes a staged write (<see cref="PreparedWrite.Stage"/>): true once it has committed; false, having written nothing,
    /// when it is to be done again under the lock (what it was worked out from changed, a key it inserts was taken, or it
    /// failed in any other way, which the request then meets on its own). On SQLite in the next group commit
    /// (<see cref="GroupCommit"/>). On PostgreSQL, where many writers run at once and each holds only its rows' locks, in a
    /// transaction of its own on the request's connection: the checks lock the rows it read, its statements go in one
    /// batch, and it commits. Not cancellable: a client that hangs up does not stop its write.
    /// </summary>
    public async Task<bool> WriteStagedAsync(StagedWrite write)
    {
        if (db.OnSqlite) return await commits.WriteAsync(write);
        if (Transaction is not null || db.Database.CurrentTransaction is not null)
            throw new InvalidOperationException("A staged write is written in a transaction of its own.");
        if (_kept is not null) write.Before(WriteTransaction.KeyLock, _answerKey!); // its answer's record goes with it: the key's lock first
        await using var tx = await gate.BeginTransactionAsync(db, CancellationToken.None);
        bool written;
        try
        {
            written = await write.RunOnPostgresAsync(db, (NpgsqlTransaction)tx.GetDbTransaction(), CancellationToken.None);
        }
        catch (Exception e)
        {
            // Done again under the lock, where an error that is not a lost race is the request's own.
            if (e is not (DbUpdateConcurrencyException or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected }))
                log.LogWarning(e, "A staged write failed; its request does it again under the lock");
            written = false;
        }
        if (!written)
        {
            gate.Refused();
            return false;
        }
        await tx.CommitAsync(CancellationToken.None);
        return true;
    }

    private Func<object, Task<bool>>? _keepAnswer;
    private string? _answerKey;
    private object? _kept;

    /// <summary>
    /// How the request's answer is kept under its Idempotency-Key inside a use case's own last write: <c>keep</c> adds its
    /// record to the context (for the use case to save with its change), or answers false when it leaves it to the filter.
    /// On PostgreSQL such a write takes the key's lock (of <paramref name="key"/>, <see cref="WriteTransaction.KeyOf"/>)
    /// before any row's lock, as every write with a key does: first in a staged write's batch, and first thing in the use
    /// case's own transaction (<see cref="LockAnswerKeyAsync"/>).
    /// </summary>
    public void KeepAnswerWith(Func<object, Task<bool>> keep, string key)
    {
        _keepAnswer = keep;
        _answerKey = key;
    }

    /// <summary>
    /// On PostgreSQL, first thing in a use case's own transaction when its answer may be kept with its write
    /// (<see cref="KeepAnswerWith"/>): the key's lock, before any row's. Taken later (by the keeping, after the rows), it
    /// would let a staged write of the same key, which holds the key and waits for a row, deadlock with this one.
    /// </summary>
    public async Task LockAnswerKeyAsync(CancellationToken ct)
    {
        if (_answerKey is { } key && db.OnPostgres && db.Database.CurrentTransaction is not null) await WriteTransaction.LockKeyAsync(db, key, ct);
    }

    /// <summary>
    /// For a use case with its own transactions (<see cref="OwnTransactions"/>): adds the record that keeps
    /// <paramref name="answer"/>, its final successful answer, to the change it is about to save (or stage), rather than
    /// keeping it in one more transaction afterwards.
    /// </summary>
    public async Task KeepAnswerAsync(object answer)
    {
        if (_keepAnswer is null || _kept is not null) return;
        if (await _keepAnswer(answer)) _kept = answer;
    }

    /// <summary>Whether <paramref name="answer"/> is the one kept by <see cref="KeepAnswerAsync"/>.</summary>
    public bool Kept(object? answer) => answer is not null && ReferenceEquals(answer, _kept);

    /// <summary>Rolls back what was not committed and gives the write lock up; the session may begin again.</summary>
    public async Task EndAsync()
    {
        if (Transaction is not { } tx) return;
        Transaction = null;
        await tx.DisposeAsync();
    }
}

/// <summary>
/// Marks a POST whose use case reads and decides before it takes the write lock, then re-checks under it that what it
/// read is unchanged (the order's version) and writes, or else does it all again under the lock (<c>OrderChange</c>).
/// </summary>
public sealed class PreparedAhead;

/// <summary>A stored answer under the request's Idempotency-Key, found once the write lock was held: it is replayed instead.</summary>
public sealed class ReplayInsteadException(IdempotencyRecord previous) : Exception("An answer is stored under this Idempotency-Key.")
{
    public IdempotencyRecord Previous { get; } = previous;
}
