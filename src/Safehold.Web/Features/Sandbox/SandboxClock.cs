using Microsoft.EntityFrameworkCore;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Sandbox;

/// <summary>
/// The app's one clock in sandbox mode: the real (or test) clock plus an offset that only grows.
/// Advancing it through the API lets anyone watch a 40-day protection period run out in seconds.
/// </summary>
/// <remarks>
/// The offset is one row in the database, shared by every host on it. Each request and each round of timed work
/// reads it first (<see cref="RefreshAsync(SafeholdDb, CancellationToken)"/>), so an advance on one host is the
/// time of every host from its next request on; a host that cannot read it fails the request or skips the round,
/// rather than firing deadlines or dating orders by a time the others have left behind.
/// </remarks>
public sealed class SandboxClock(TimeProvider inner) : TimeProvider
{
    /// <summary>The DI key of the clock underneath: the system clock, or a test's fake clock.</summary>
    public const string RealClockKey = "real";

    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + Offset;

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);

    /// <summary>Sets the offset (restored from the database at start); it never moves the clock backwards.</summary>
    public void SetOffset(TimeSpan offset)
    {
        if (offset < Offset) throw new ArgumentOutOfRangeException(nameof(offset), "The sandbox clock never moves backwards.");
        MoveForwardTo(offset.Ticks);
    }

    /// <summary>Reads the stored offset, every host's, and moves to it. Throws when the database cannot be read.</summary>
    public async Task RefreshAsync(SafeholdDb db, CancellationToken ct)
    {
        // On SQLite, with no transaction open (a request's first read), by a statement kept compiled (Data.PreparedReads).
        var stored = db.Database.CurrentTransaction is null && db.PreparedReads() is { } prepared
            ? await prepared.ReadAsync(OffsetSql(db), command => command.Parameters.Add(OffsetMapping(db).CreateParameter(command, "@id",
                SandboxClockState.SingletonId, nullable: false)), async (reader, ct) => await reader.ReadAsync(ct) ? reader.GetInt64(0) : (long?)null,
                ct, oneStatement: true)
            : await StoredOffset(db, ct);
        if (stored is { } ticks) MoveForwardTo(ticks);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Microsoft.EntityFrameworkCore.Metadata.IModel, string> OffsetSqls = new();

    private static string OffsetSql(SafeholdDb db) => OffsetSqls.GetOrAdd(db.Model, static (_, db) =>
    {
        var state = RowReader<SandboxClockState>.For(db);
        return $"SELECT {state.ColumnOf[nameof(SandboxClockState.OffsetTicks)]} FROM {state.Table} WHERE {state.ColumnOf[nameof(SandboxClockState.Id)]} = @id";
    }, db);

    private static Microsoft.EntityFrameworkCore.Storage.RelationalTypeMapping OffsetMapping(SafeholdDb db) =>
        RowReader<SandboxClockState>.For(db).MappingOf[nameof(SandboxClockState.Id)];

    // Read before every request: compiled once, so a read is the statement alone, not the query's translation looked up again.
    private static readonly Func<SafeholdDb, CancellationToken, Task<long?>> StoredOffset = EF.CompileAsyncQuery((SafeholdDb db, CancellationToken ct) =>
        db.SandboxClock.AsNoTracking().Where(c => c.Id == SandboxClockState.SingletonId).Select(c => (long?)c.OffsetTicks).FirstOrDefault());

    /// <summary>As <see cref="RefreshAsync(SafeholdDb, CancellationToken)"/>, in a scope of its own (timed work).</summary>
    public async Task RefreshAsync(IServiceScopeFactory scopes, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        await RefreshAsync(scope.ServiceProvider.GetRequiredService<SafeholdDb>(), ct);
    }

    // Concurrent requests read concurrently: the larger offset wins, so the clock never steps back.
    private void MoveForwardTo(long ticks)
    {
        var seen = Interlocked.Read(ref _offsetTicks);
        while (ticks > seen)
        {
            var was = Interlocked.CompareExchange(ref _offsetTicks, ticks, seen);
            if (was == seen) return;
            seen = was;
        }
    }
}

/// <summary>The sandbox clock's offset, stored so that a restarted sandbox keeps its time. One row.</summary>
public sealed class SandboxClockState
{
    public const int SingletonId = 1;

    private SandboxClockState()
    {
    }

    public SandboxClockState(long offsetTicks)
    {
        Id = SingletonId;
        OffsetTicks = offsetTicks;
    }

    public int Id { get; private set; }
    public long OffsetTicks { get; private set; }

    public void MoveTo(long offsetTicks) => OffsetTicks = offsetTicks;
}
