using Npgsql;

namespace Safehold.Web.Data;

/// <summary>
/// A request's write worked out ahead of the write lock down to its statements: what it must find unchanged
/// (<see cref="Check"/>), then what it writes. On SQLite <see cref="GroupCommit"/> runs it, with other requests' writes, in
/// one transaction (<see cref="RunAsync"/>); on PostgreSQL the request runs it in a transaction of its own
/// (<see cref="RunOnPostgresAsync"/>, from <c>WriteSession.WriteStagedAsync</c>).
/// </summary>
public sealed class StagedWrite
{
    private readonly Check? _check;
    private readonly List<(string Sql, object Value)> _first = [];
    private readonly List<PreparedSaver.SavePlan> _plans = [];

    public StagedWrite(Check? check, PreparedSaver.SavePlan plan)
    {
        _check = check;
        _plans.Add(plan);
    }

    /// <summary>
    /// What a staged write must find under the write lock before it is written, made of parts (<see cref="All"/>): the rows
    /// it was worked out from, at the versions it read them at (<see cref="PreparedWrite.UnchangedSinceRead"/>: on
    /// PostgreSQL their checks also lock them, and go in one batch with the write's own statements); what must still be so
    /// when it is written (<see cref="Holds"/>, in memory: no timer fallen due meanwhile); and what a query must still find
    /// (<see cref="Reads"/>, which on PostgreSQL sends the write's statements in a batch of their own, after it, unless it
    /// has a statement of its own that fails as a row's check does, which goes in the batch).
    /// </summary>
    public sealed class Check
    {
        private Check(IReadOnlyList<PreparedWrite.VersionRow> rows, IReadOnlyList<Func<bool>> now, IReadOnlyList<Query> queries) =>
            (Rows, Now, Queries) = (rows, now, queries);

        /// <summary>
        /// A query that must still find what it found, and on PostgreSQL, where given, the statement that makes the same check
        /// in the write's batch (<see cref="Reads(Func{SafeholdDb, CancellationToken, Task{bool}}, Func{NpgsqlBatchCommand})"/>).
        /// </summary>
        internal sealed record Query(Func<SafeholdDb, CancellationToken, Task<bool>> Holds, Func<NpgsqlBatchCommand>? FailingOnPostgres);

        /// <summary>The rows to find at the versions they were read at, in the order they are locked on PostgreSQL.</summary>
        internal IReadOnlyList<PreparedWrite.VersionRow> Rows { get; }

        /// <summary>What must still be so, in memory, once the rows are found unchanged (and locked).</summary>
        internal IReadOnlyList<Func<bool>> Now { get; }

        /// <summary>What queries must still find, on the writer's context, before the statements run.</summary>
        internal IReadOnlyList<Query> Queries { get; }

        internal static Check Unchanged(IReadOnlyList<PreparedWrite.VersionRow> rows) => new(rows, [], []);

        /// <summary>A condition in memory, made under the write lock once the rows are found unchanged; it reads no database.</summary>
        public static Check Holds(Func<bool> condition) => new([], [condition], []);

        /// <summary>A condition a query decides, on the writer's context under the write lock, before anything is written.</summary>
        public static Check Reads(Func<SafeholdDb, CancellationToken, Task<bool>> query) => new([], [], [new(query, null)]);

        /// <summary>
        /// As <see cref="Reads(Func{SafeholdDb, CancellationToken, Task{bool}})"/>; on PostgreSQL the check is instead the
        /// statement <paramref name="failingOnPostgres"/> makes, which fails as a row's check does (<c>division_by_zero</c>,
        /// <see cref="PreparedWrite.VersionShape.FailedSqlState"/>) when the condition does not hold. It runs after the rows'
        /// checks (their locks held), in the one batch with the write's statements: no round trip of its own.
        /// </summary>
        public static Check Reads(Func<SafeholdDb, CancellationToken, Task<bool>> query, Func<NpgsqlBatchCommand> failingOnPostgres) =>
            new([], [], [new(query, failingOnPostgres)]);

        /// <summary>A check that holds when each of <paramref name="checks"/> (those given) holds.</summary>
        public static Check All(params Check?[] checks)
        {
            var given = checks.OfType<Check>().ToList();
            return new(given.SelectMany(c => c.Rows).ToList(), given.SelectMany(c => c.Now).ToList(), given.SelectMany(c => c.Queries).ToList());
        }

        /// <summary>
        /// Under the write lock, on the writer's context: whether it holds. The rows first, then what must be so in memory,
        /// then the queries, each stopping at the first that fails.
        /// </summary>
        public async Task<bool> HoldsAsync(SafeholdDb db, CancellationToken ct)
        {
            if (!await PreparedWrite.UnchangedAsync(db, Rows, ct)) return false;
            foreach (var condition in Now)
                if (!condition()) return false;
            foreach (var query in Queries)
                if (!await query.Holds(db, ct)) return false;
            return true;
        }
    }

    /// <summary>
    /// On PostgreSQL, a statement of one value (<c>$1</c>) run before all else, in the order added: the lock of the
    /// request's Idempotency-Key, taken before any row's lock as by every write with a key.
    /// </summary>
    public void Before(string sql, object value) => _first.Add((sql, value));

    /// <summary>Adds what is written after the rest (the request's Idempotency-Key answer).</summary>
    public void Then(PreparedSaver.SavePlan plan) => _plans.Add(plan);

    /// <summary>
    /// On SQLite: checks, then writes, in the current transaction of <paramref name="db"/> (the group commit's, with the
    /// writer's prepared <paramref name="statements"/>): false, having written nothing, when the check fails.
    /// </summary>
    internal async Task<bool> RunAsync(SafeholdDb db, SqliteStatements? statements, CancellationToken ct)
    {
        if (_first.Count > 0) throw new InvalidOperationException("A statement run first is PostgreSQL's.");
        if (_check is not null && !await _check.HoldsAsync(db, ct)) return false;
        await PreparedSaver.SavePlan.ExecuteAllAsync(db, _plans, ct, statements);
        return true;
    }

    /// <summary>
    /// On PostgreSQL, in <paramref name="transaction"/> (the request's own, which the caller commits on true and rolls back
    /// otherwise): the statements run first (<see cref="Before"/>), the rows' checks (each locks its row, or fails, and
    /// nothing after it in the batch runs), the checks made by a statement, and the write's statements, all in one batch,
    /// one round trip; then what must still be so. With a query to make (<see cref="Check.Reads(Func{SafeholdDb, CancellationToken, Task{bool}})"/>),
    /// it runs once the rows are locked and checked, and the statements go in a second batch after it. False when a check
    /// fails; a statement that changed fewer rows than it names throws, as does any other failure.
    /// </summary>
    internal async Task<bool> RunOnPostgresAsync(SafeholdDb db, NpgsqlTransaction transaction, CancellationToken ct)
    {
        var rows = _check?.Rows ?? [];
        var queries = (_check?.Queries ?? []).Where(q => q.FailingOnPostgres is null).ToList();
        var failing = (_check?.Queries ?? []).Where(q => q.FailingOnPostgres is not null).ToList();
        await using var batch = new NpgsqlBatch(transaction.Connection, transaction);
        foreach (var (sql, value) in _first) batch.BatchCommands.Add(new NpgsqlBatchCommand(sql) { Parameters = { new() { Value = value } } });
        foreach (var row in rows) batch.BatchCommands.Add(row.Command());
        foreach (var check in failing) batch.BatchCommands.Add(check.FailingOnPostgres!());
        var together = queries.Count == 0;
        var firstStatement = batch.BatchCommands.Count;
        if (together) PreparedSaver.SavePlan.AddTo(batch, _plans);
        try
        {
            if (batch.BatchCommands.Count > 0) await batch.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PreparedWrite.VersionShape.FailedSqlState && rows.Count + failing.Count > 0)
        {
            // Only a check raises it: the statements bind values, and nothing they set off divides. (Npgsql does not say
            // which command of the batch failed: the exception's BatchCommand is null here.)
            return false; // a row was changed, or what a check's statement looks for: it failed, and nothing after it ran
        }
        if (!(_check?.Now.All(condition => condition()) ?? true)) return false;
        foreach (var query in queries)
            if (!await query.Holds(db, ct)) return false;
        if (together) PreparedSaver.SavePlan.CheckCounts(batch, firstStatement, _plans);
        else await PreparedSaver.SavePlan.ExecuteAllAsync(db, _plans, ct);
        return true;
    }
}
