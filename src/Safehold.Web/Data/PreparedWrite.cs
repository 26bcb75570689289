using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Safehold.Domain.Ledger;
using Safehold.Web.Features.Ledger;

namespace Safehold.Web.Data;

/// <summary>
/// How a request that worked its change out ahead of the write lock (<c>PreparedAhead</c>) writes it: the statements are
/// worked out ahead of the lock as well (<see cref="PreparedSaver.Plan"/>: changes found, values read) and staged
/// (<see cref="StagedWrite"/>), so that under the lock only the checks and the statements run. On SQLite, whose one write
/// lock bounds the rate of writes, the group commit (<see cref="GroupCommit"/>) runs them with other requests' writes and
/// commits them together; on PostgreSQL, where many writers run at once and each holds only its rows' locks, the request
/// runs them in a transaction of its own, its statements in one round trip (<c>WriteSession.WriteStagedAsync</c>).
/// </summary>
/// <remarks>
/// They write the same rows as EF Core's <c>SaveChanges</c> (the prepared saver's tests compare them). Nothing may change
/// the tracked entities once they are staged.
/// </remarks>
public static class PreparedWrite
{
    /// <summary>
    /// The write of what the context tracks, of what changed in <paramref name="aggregates"/> (orders loaded without
    /// tracking: attaching a whole order to the change tracker, detecting its changes and accepting them cost 9 % of the
    /// host's CPU under load, comparing it 2 %, docs/benchmarks.md, 2026-12-07) and of the journal entries
    /// <paramref name="toPost"/> (with the sellers' balances they move), once <paramref name="check"/> finds what it was
    /// worked out from unchanged. Called before the write transaction begins.
    /// </summary>
    public static StagedWrite Stage(SafeholdDb db, IReadOnlyCollection<JournalEntry> toPost, StagedWrite.Check? check,
        IReadOnlyCollection<AggregateChanges>? aggregates = null)
    {
        var plan = PreparedSaver.Plan(db, inserts: toPost.Concat<object>(toPost.SelectMany(e => e.Lines)), aggregates);
        plan.AddBalanceMoves(toPost);
        return new StagedWrite(check, plan);
    }

    /// <summary>A row a change was worked out from ahead of the lock, by its key, and the version (concurrency token) it was read at.</summary>
    internal sealed record VersionRow(VersionShape Shape, object Key, object Version)
    {
        /// <summary>
        /// On PostgreSQL, its check as a statement of a batch: it locks the row if it is unchanged, and otherwise fails
        /// (<see cref="VersionShape.Failing"/>), so that nothing after it in the batch runs.
        /// </summary>
        public NpgsqlBatchCommand Command() => new(Shape.Failing)
        {
            Parameters = { new() { Value = Shape.Stored(Shape.Key, Key) }, new() { Value = Shape.Stored(Shape.Token, Version) } },
        };
    }

    /// <summary>
    /// Under the write lock, on the context it is given (the group commit's, or a test's): whether each of
    /// <paramref name="rows"/> is still at the version it was read at (read now, before the change is written). One statement
    /// per row that writes nothing new (and on PostgreSQL takes the row's lock until the commit; a staged write there sends
    /// its checks in its own batch, <see cref="StagedWrite.RunOnPostgresAsync"/>). A row the change also updates is checked
    /// again by its update. On the group commit's writer, by its kept statements (<see cref="SqliteStatements.On"/>).
    /// </summary>
    internal static async Task<bool> UnchangedAsync(SafeholdDb db, IReadOnlyList<VersionRow> rows, CancellationToken ct)
    {
        if (rows.Count == 0) return true;
        if (SqliteStatements.On(db.Database.GetDbConnection()) is { } kept)
        {
            foreach (var (shape, key, version) in rows)
                if (kept.Changes(shape.Kept, shape.Stored(shape.Key, key), shape.Stored(shape.Token, version)) != 1) return false;
            return true;
        }
        foreach (var (shape, key, version) in rows)
            if (await db.Database.ExecuteSqlRawAsync(shape.Sql, [key, version], ct) != 1) return false;
        return true;
    }

    /// <summary>The version check of each of <paramref name="read"/> (by its entity type and its values as read) that has a version.</summary>
    private static StagedWrite.Check Unchanged(IEnumerable<(IEntityType Type, Func<IProperty, object?> Original)> read) =>
        StagedWrite.Check.Unchanged(read.Select(r => (Shape: VersionShape.Of(r.Type), r.Original)).Where(r => r.Shape is not null)
            .Select(r => new VersionRow(r.Shape!, r.Original(r.Shape!.Key)!, r.Original(r.Shape.Token)!))
            .ToList());

    /// <summary>
    /// <see cref="Unchanged"/> of every row the change read, in the order every change locks its rows on PostgreSQL, so
    /// that two changes never wait for each other's rows in a circle: a checkout's row first (as a checkout's payment under
    /// the lock takes it, <c>CheckoutAccess.LoadAsync</c>), then the orders (the roots of <paramref name="aggregates"/>,
    /// loaded without tracking, in the order given, then tracked ones), then the rest of what the context tracks and did
    /// not add. Called before anything is staged, while the rows' original versions are as read.
    /// </summary>
    /// <remarks>
    /// Looks at the tracked entries without detecting changes: a row read is tracked whether or not it changed, and a row
    /// added by the step (found only by detection, if added to a collection) is not one read. Changes are detected once,
    /// by the write's plan (<see cref="PreparedSaver.Plan"/>).
    /// </remarks>
    public static StagedWrite.Check UnchangedSinceRead(SafeholdDb db, IEnumerable<AggregateChanges>? aggregates = null)
    {
        var autoDetect = db.ChangeTracker.AutoDetectChangesEnabled;
        try
        {
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            var tracked = db.ChangeTracker.Entries().Where(e => e.State is not EntityState.Added)
                .Select(e => (Rank: e.Entity switch { Domain.Orders.Checkout => 0, Domain.Orders.Order => 1, _ => 2 },
                    Row: (e.Metadata, (Func<IProperty, object?>)(p => e.Property(p).OriginalValue))))
                .OrderBy(e => e.Rank).ToList();
            var orders = (aggregates ?? []).Select(a => (Rank: 1, Row: (a.Type, (Func<IProperty, object?>)a.Original)));
            return Unchanged(tracked.Where(t => t.Rank == 0).Concat(orders).Concat(tracked.Where(t => t.Rank > 0)).Select(t => t.Row).ToList());
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = autoDetect;
        }
    }

    /// <summary>
    /// An entity type's version check: its statement (for EF Core's raw SQL, and with parameters for a kept statement), key
    /// and token, made once per type; null for a type without a version.
    /// </summary>
    internal sealed record VersionShape(string Sql, IProperty Key, IProperty Token)
    {
        public string Kept { get; } = string.Format(System.Globalization.CultureInfo.InvariantCulture, Sql, "?1", "?2"); // bound by number: key, version

        /// <summary>
        /// On PostgreSQL, with Npgsql's positional parameters (key, version): the check that fails when the row is not at
        /// the version, by dividing by the count of rows it locked (<c>division_by_zero</c>, <see cref="FailedSqlState"/>),
        /// so that in a batch nothing after it runs (Npgsql sends a batch with one Sync: PostgreSQL skips the rest of it
        /// after an error). The key names one row, so the count is 1 or 0.
        /// </summary>
        public string Failing { get; } = $"WITH c AS ({string.Format(System.Globalization.CultureInfo.InvariantCulture, Sql, "$1", "$2")} RETURNING 1) SELECT 1 / count(*) FROM c";

        /// <summary>The error of a <see cref="Failing"/> check that found its row changed.</summary>
        public const string FailedSqlState = PostgresErrorCodes.DivisionByZero;

        /// <summary>A value as the database stores it (through the property's value converter, if it has one).</summary>
        public object Stored(IProperty property, object value) =>
            property.GetTypeMapping().Converter is { } converter ? converter.ConvertToProvider(value) ?? DBNull.Value : value;

        private static readonly System.Collections.Concurrent.ConcurrentDictionary<IEntityType, VersionShape?> Shapes = new();

        public static VersionShape? Of(IEntityType type) => Shapes.GetOrAdd(type, t =>
        {
            if (t.GetProperties().SingleOrDefault(p => p.IsConcurrencyToken) is not { } token || t.GetTableName() is not { } name) return null;
            var table = StoreObjectIdentifier.Table(name, t.GetSchema());
            var key = t.FindPrimaryKey()!.Properties.Single();
            var (k, v) = (key.GetColumnName(table)!, token.GetColumnName(table)!);
            return new($$"""UPDATE "{{name}}" SET "{{v}}" = "{{v}}" WHERE "{{k}}" = {0} AND "{{v}}" = {1}""", key, token);
        });
    }

    /// <summary>
    /// Inside the write transaction: inserts one new row (a request's Idempotency-Key record, once its change is written).
    /// When nothing else is left to save, by one statement without tracking it; otherwise EF Core saves it with whatever
    /// else is left.
    /// </summary>
    public static async Task InsertAsync(SafeholdDb db, object row)
    {
        if (!db.ChangeTracker.HasChanges())
        {
            await PreparedSaver.Plan(db, inserts: [row], tracked: false).ExecuteAsync(db, CancellationToken.None);
            return;
        }
        db.Add(row);
        await db.SaveChangesAsync(CancellationToken.None);
    }
}
