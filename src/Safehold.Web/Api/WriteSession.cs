using Microsoft.EntityFrameworkCore.Storage;
using Safehold.Domain.Ledger;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;

namespace Safehold.Web.Api;

/// <summary>
/// The write transaction of one request, begun by <see cref="WriteTransaction"/> before the handler runs, or, for an
/// endpoint marked <see cref="PreparedAhead"/>, by its use case once it has read and decided outside the write lock and is
/// ready to write (<see cref="BeginAsync"/>). The filter commits it, with the request's Idempotency-Key answer, when the
/// handler has answered. On SQLite such a use case does not begin it at all: it stages its write, down to the statements
/// (<see cref="Stage"/>), and the filter hands it with the answer's record to the group commit.
/// </summary>
public sealed class WriteSession(SafeholdDb db, WriteGate gate)
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
    /// it changed that the context does not track (<see cref="PreparedWrite.LoadsUntracked"/>).
    /// </summary>
    public sealed record Ahead<T>(IReadOnlyCollection<JournalEntry> ToPost, StagedWrite.Check Unchanged, T Answer,
        IReadOnlyCollection<AggregateChanges>? Aggregates = null);

    /// <summary>
    /// Runs a use case's change, prepared ahead of the write lock when the request is <see cref="Deferred"/>
    /// (<see cref="PreparedAhead"/>): <paramref name="prepare"/> reads, decides and answers with no transaction open (null:
    /// the change must be made under the lock). On SQLite the prepared change is staged for the group commit
    /// (<see cref="Stage"/>); on PostgreSQL the transaction is begun, and the change written if its check holds. Otherwise
    /// (not deferred, not to be prepared, or changed meanwhile) <paramref name="underLock"/> does it all with the lock held.
    /// </summary>
    public async Task<T> RunAheadAsync<T>(Func<Task<Ahead<T>?>> prepare, Func<Task<T>> underLock, CancellationToken ct)
    {
        if (Deferred && db.Database.CurrentTransaction is null)
        {
            var prepared = await prepare();
            if (prepared is { } p && PreparedWrite.Stage(db, p.ToPost, p.Unchanged, p.Aggregates) is { } staged)
            {
                Stage(staged); // the filter writes it with its answer, or does the request again under the lock
                return p.Answer;
            }
            await BeginAsync(ct);
            if (prepared is { } q && await q.Unchanged(db, ct))
            {
                await db.PostAllAsync(q.ToPost, CancellationToken.None);
                await db.SaveChangesAsync(CancellationToken.None);
                return q.Answer;
            }
            db.ChangeTracker.Clear(); // changed meanwhile, or not to be prepared: all again, under the lock
        }
        return await underLock();
    }

    private Func<object, Task<bool>>? _keepAnswer;
    private object? _kept;

    /// <summary>
    /// How the request's answer is kept under its Idempotency-Key inside a use case's own last write: <c>keep</c> adds its
    /// record to the context (for the use case to save with its change), or answers false when it leaves it to the filter.
    /// </summary>
    public void KeepAnswerWith(Func<object, Task<bool>> keep) => _keepAnswer = keep;

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
