using System.Collections.Concurrent;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using SQLitePCL;

namespace Safehold.Web.Data;

/// <summary>
/// Saves a unit of work without EF Core's change tracking and update pipeline. On SQLite the rows of one table and kind
/// of change go in multi-row statements (up to <see cref="RowsPerStatement"/> rows each), each prepared once and bound per
/// chunk, instead of one statement generated, prepared and run per row: the sweeper's batches change thousands of rows of
/// a few shapes in one transaction. On PostgreSQL every row is a statement of its own, one text per table and kind of
/// change (which Npgsql keeps prepared), and they all go in one batch, one round trip. It works in two halves:
/// <see cref="Plan"/> reads what to write without a transaction, and <see cref="SavePlan.ExecuteAsync"/> writes it inside
/// one.
/// </summary>
/// <remarks>
/// It writes exactly what <see cref="DbContext.SaveChangesAsync(CancellationToken)"/> would: values go through
/// EF Core's own type mappings (so converters apply), concurrency tokens are checked (a statement that changes
/// fewer rows than it names throws <see cref="DbUpdateConcurrencyException"/>, rolling back the caller's
/// transaction), deletions run before updates and inserts, and inserts run parents first. It needs the caller's
/// transaction and supports only what the model has: client-set keys, no database-generated values.
/// Row values (<c>(a, b) IN (VALUES ...)</c>) and <c>UPDATE ... FROM</c> need SQLite 3.33 or later.
/// </remarks>
public static class PreparedSaver
{
    /// <summary>At most this many rows in one statement (fewer when a row has many columns).</summary>
    public const int RowsPerStatement = 100;

    // Chosen when values were bound by name (SQLite walks a statement's list of names to find each one, and thousands
    // of parameters spent their time there); bound by position, 1,000 parameters and 250 rows were no faster (measured).
    private const int MaxParameters = 100;

    /// <summary>Writes the tracked changes, and <paramref name="inserts"/>: new entities the context does not track.</summary>
    /// <param name="inserts">
    /// New rows to insert without tracking them (the sweeper's journal entries and their lines): tracking costs more
    /// than writing them. They must not be tracked as well, and their types must have no shadow properties.
    /// </param>
    /// <param name="acceptChanges">
    /// False when the context is thrown away after the commit (the sweeper's batch scope): marking every tracked entity
    /// unchanged is then wasted work. A context whose changes were not accepted must not be saved again.
    /// </param>
    public static async Task SaveAsync(SafeholdDb db, CancellationToken ct, IEnumerable<object>? inserts = null, bool acceptChanges = true)
    {
        await Plan(db, inserts).ExecuteAsync(db, ct);
        if (acceptChanges) db.ChangeTracker.AcceptAllChanges();
    }

    /// <summary>
    /// The first half of <see cref="SaveAsync"/>, which needs no transaction: detects the changes and reads every value
    /// to bind, so that the second half (<see cref="SavePlan.ExecuteAsync"/>, inside the write transaction) only binds
    /// and runs statements. Nothing may change the entities between the two.
    /// </summary>
    /// <param name="aggregates">Aggregates loaded without tracking, and what the domain changed in them.</param>
    /// <param name="tracked">
    /// False to write only <paramref name="inserts"/> and <paramref name="aggregates"/>, leaving what the context tracks
    /// unread (a request's Idempotency-Key record, after its change was staged or saved): no change detection over it.
    /// </param>
    public static SavePlan Plan(SafeholdDb db, IEnumerable<object>? inserts = null, IEnumerable<AggregateChanges>? aggregates = null, bool tracked = true)
    {
        if (tracked) Features.PaymentInstructions.ExternalRails.AnnounceNew(db); // as SaveChanges would, on external rails
        List<Row> entries = [];
        var autoDetect = db.ChangeTracker.AutoDetectChangesEnabled;
        try
        {
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            if (tracked)
            {
                // Changes are detected once here, not again by every look at the tracked entries.
                db.ChangeTracker.DetectChanges();
                db.RefuseJournalEdits();
                entries = db.ChangeTracker.Entries()
                    .Where(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted)
                    .Select(e => new Row(e.Metadata, e.State, e, e.Entity, null,
                        e.State == EntityState.Modified ? e.Properties.Where(p => p.IsModified && !p.Metadata.IsPrimaryKey()).Select(p => p.Metadata).ToList() : []))
                    .ToList();
            }
            if (aggregates is not null)
            {
                // An entity both tracked and in an aggregate would be written twice (and the second update miss its version).
                var written = entries.Select(e => e.Entity).ToHashSet(ReferenceEqualityComparer.Instance);
                foreach (var row in aggregates.SelectMany(a => a.Rows()))
                {
                    if (written.Contains(row.Entity))
                        throw new InvalidOperationException($"A {row.Type.ShortName()} of an untracked aggregate is tracked as well.");
                    entries.Add(row);
                }
            }
            foreach (var entity in inserts ?? [])
            {
                var type = db.Model.FindEntityType(entity.GetType())
                    ?? throw new InvalidOperationException($"{entity.GetType().Name} is not an entity type.");
                if (type.GetProperties().Any(p => p.IsShadowProperty()))
                    throw new NotSupportedException($"{type.ShortName()} has shadow properties: an untracked insert cannot read them.");
                entries.Add(new Row(type, EntityState.Added, null, entity, null, []));
            }
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = autoDetect;
        }

        var plan = new SavePlan(db.OnPostgres);
        // A shape is a table and kind of change (and for an update, which columns changed): one statement each.
        foreach (var group in entries.Where(e => e.State == EntityState.Deleted).GroupBy(e => e.Type)
                     .OrderByDescending(g => Depth(g.Key)))
            plan.Add(Shape.Of(group.Key, EntityState.Deleted, [], ""), group.ToList());
        foreach (var group in entries.Where(e => e.State == EntityState.Modified && e.Changed.Count > 0)
                     .GroupBy(e => (e.Type, Changed: string.Join(",", e.Changed.Select(p => p.Name)))))
            plan.Add(Shape.Of(group.Key.Type, EntityState.Modified, group.First().Changed, group.Key.Changed), group.ToList());
        // Inserts run parents first, and otherwise by table name, as EF Core orders them: the event log's positions, which a
        // trigger hands out as events are inserted (a dispute's step before its order's), come out the same either way.
        var added = entries.Where(e => e.State == EntityState.Added).GroupBy(e => e.Type).ToList();
        var inserting = added.Select(g => g.Key).ToHashSet();
        foreach (var group in added.OrderBy(g => Depth(g.Key, inserting)).ThenBy(g => g.Key.GetTableName(), StringComparer.Ordinal))
            plan.Add(Shape.Of(group.Key, EntityState.Added, [], ""), group.ToList());
        return plan;
    }

    /// <summary>The statements of a save, with their values read: what is left to do inside the transaction.</summary>
    public sealed class SavePlan
    {
        private readonly List<(Shape Shape, int Rows, object[] Values)> _statements = [];

        // On PostgreSQL a row an entity statement: a multi-row statement's text changes with its count of rows, and the
        // texts of a request's few rows would crowd the statements each connection keeps prepared.
        private readonly bool _rowByRow;

        internal SavePlan(bool postgres) => _rowByRow = postgres;

        /// <summary>How many statements the save runs.</summary>
        public int Statements => _statements.Count;

        /// <summary>The text of each statement the save runs, in order, as sent to the database of the plan.</summary>
        internal IEnumerable<string> Texts => _statements.Select(st => _rowByRow ? st.Shape.PostgresSql(st.Rows) : st.Shape.Sql(st.Rows));

        internal void Add(Shape shape, List<Row> rows)
        {
            var perStatement = _rowByRow ? 1 : Math.Max(1, Math.Min(RowsPerStatement, MaxParameters / shape.Columns));
            for (var start = 0; start < rows.Count; start += perStatement)
            {
                var count = Math.Min(perStatement, rows.Count - start);
                var values = new object[count * shape.Columns];
                var p = 0;
                for (var r = start; r < start + count; r++)
                {
                    foreach (var value in shape.Values)
                        values[p++] = value.Read(rows[r]);
                }
                _statements.Add((shape, count, values));
            }
        }

        /// <summary>
        /// Adds rows for a statement that is not an entity's insert, update or delete (the sellers' balance upserts):
        /// <paramref name="sql"/> writes it for n rows of <paramref name="columns"/> values, naming them @p0, @p1 ... in
        /// order. The values must be what SQLite stores (the binder's types; on PostgreSQL, Npgsql's for their CLR types); how
        /// many rows it changed is not checked.
        /// </summary>
        /// <param name="name">Names the statement: its SQL is built once per name and row count, so one name, one statement.</param>
        public void AddRows(string name, int columns, Func<int, string> sql, IReadOnlyList<object[]> rows)
        {
            var shape = RawShapes.GetOrAdd(name, _ => new Shape(null, EntityState.Added, name, [], sql, columns));
            if (shape.Columns != columns) throw new ArgumentException($"The statement {name} binds {shape.Columns} values a row.", nameof(columns));
            var perStatement = Math.Max(1, Math.Min(RowsPerStatement, MaxParameters / columns));
            foreach (var chunk in rows.Chunk(perStatement))
                _statements.Add((shape, chunk.Length, chunk.SelectMany(r => r).ToArray()));
        }

        private static readonly ConcurrentDictionary<string, Shape> RawShapes = new();

        /// <summary>
        /// Runs the statements in the context's current transaction. They are prepared and bound through SQLite's own
        /// interface (SQLitePCLRaw, which Microsoft.Data.Sqlite is built on), by position: Microsoft.Data.Sqlite binds
        /// by name, finding each name in the statement's list of names and converting it to UTF-8 on every run, and
        /// allocates as it goes; bound by position, the values go in as they are.
        /// </summary>
        /// <param name="statements">
        /// The statements of the connection (the group commit's writer, which stays open): taken from it and left prepared
        /// there, rather than prepared here and finalized after this run.
        /// </param>
        public Task ExecuteAsync(SafeholdDb db, CancellationToken ct, SqliteStatements? statements = null)
        {
            if (_statements.Count == 0) return Task.CompletedTask;
            var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
                ?? throw new InvalidOperationException("PreparedSaver runs inside the caller's transaction.");
            if (transaction is NpgsqlTransaction postgres) return ExecuteOnPostgresAsync(postgres, [this], ct);
            var handle = (transaction.Connection as SqliteConnection)?.Handle
                ?? throw new NotSupportedException("PreparedSaver writes to SQLite only.");
            if (statements is not null && statements.Connection != handle)
                throw new InvalidOperationException("The statements were prepared on another connection.");
            Dictionary<(Shape, int), sqlite3_stmt>? prepared = statements is null ? [] : null;
            try
            {
                foreach (var (shape, count, values) in _statements)
                {
                    ct.ThrowIfCancellationRequested();
                    sqlite3_stmt? statement;
                    if (statements is not null) statement = statements.Get(shape.Sql(count));
                    else if (!prepared!.TryGetValue((shape, count), out statement))
                    {
                        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(handle, shape.Sql(count), out statement), handle);
                        prepared[(shape, count)] = statement;
                    }
                    for (var i = 0; i < values.Length; i++)
                        SqliteException.ThrowExceptionForRC(SqliteStatements.Bind(statement, i + 1, values[i]), handle);
                    SqliteStatements.Step(handle, statement);
                    var affected = raw.sqlite3_changes(handle);
                    if (shape.Kind != EntityState.Added && affected != count)
                        throw new DbUpdateConcurrencyException(
                            $"Expected to change {count} {shape.Table} rows but changed {affected}: one was changed or removed concurrently.");
                }
            }
            finally
            {
                if (prepared is not null)
                    foreach (var statement in prepared.Values) statement.Dispose();
            }
            return Task.CompletedTask;
        }

        /// <summary>
        /// Runs <paramref name="plans"/> in turn in the context's current transaction: on PostgreSQL all in one batch, one
        /// round trip (a request's change and its Idempotency-Key answer).
        /// </summary>
        public static Task ExecuteAllAsync(SafeholdDb db, IReadOnlyList<SavePlan> plans, CancellationToken ct, SqliteStatements? statements = null)
        {
            if (db.Database.CurrentTransaction?.GetDbTransaction() is NpgsqlTransaction postgres) return ExecuteOnPostgresAsync(postgres, plans, ct);
            return RunInTurnAsync();

            async Task RunInTurnAsync()
            {
                foreach (var plan in plans) await plan.ExecuteAsync(db, ct, statements);
            }
        }

        /// <summary>
        /// On PostgreSQL: every statement of <paramref name="plans"/> in one batch (one round trip), each value bound with its
        /// property's own parameter type, as EF Core binds it (a null as well: the column's type is sent with it). The counts
        /// of rows changed are checked once the batch has run; a short one throws, as on SQLite, and the caller's
        /// transaction rolls back.
        /// </summary>
        private static async Task ExecuteOnPostgresAsync(NpgsqlTransaction transaction, IReadOnlyList<SavePlan> plans, CancellationToken ct)
        {
            await using var batch = new NpgsqlBatch(transaction.Connection, transaction);
            AddTo(batch, plans);
            if (batch.BatchCommands.Count == 0) return;
            await batch.ExecuteNonQueryAsync(ct);
            CheckCounts(batch, 0, plans);
        }

        /// <summary>
        /// On PostgreSQL: adds every statement of <paramref name="plans"/> to <paramref name="batch"/>, a row a statement,
        /// each value bound with its property's own parameter type, as EF Core binds it (a null as well: the column's type
        /// is sent with it).
        /// </summary>
        internal static void AddTo(NpgsqlBatch batch, IReadOnlyList<SavePlan> plans)
        {
            foreach (var plan in plans)
            {
                if (!plan._rowByRow) throw new InvalidOperationException("The plan was made for SQLite.");
                foreach (var (shape, count, values) in plan._statements)
                {
                    var command = new NpgsqlBatchCommand(shape.PostgresSql(count));
                    for (var i = 0; i < values.Length; i++) command.Parameters.Add(shape.Parameter(i, values[i]));
                    batch.BatchCommands.Add(command);
                }
            }
        }

        /// <summary>
        /// Once <paramref name="batch"/> has run: throws <see cref="DbUpdateConcurrencyException"/>, as on SQLite, if a
        /// statement of <paramref name="plans"/> (added from its command <paramref name="first"/> on,
        /// <see cref="AddTo"/>) changed fewer rows than it names; the caller's transaction then rolls back.
        /// </summary>
        internal static void CheckCounts(NpgsqlBatch batch, int first, IReadOnlyList<SavePlan> plans)
        {
            var s = first;
            foreach (var plan in plans)
                foreach (var (shape, count, _) in plan._statements)
                {
                    var affected = batch.BatchCommands[s++].RecordsAffected;
                    if (shape.Kind != EntityState.Added && affected != count)
                        throw new DbUpdateConcurrencyException(
                            $"Expected to change {count} {shape.Table} rows but changed {affected}: one was changed or removed concurrently.");
                }
        }
    }

    /// <summary>
    /// A row to write: a tracked entry, or an untracked entity: an insert, or a row of an aggregate loaded without tracking,
    /// with the values it was read with (<paramref name="Original"/>, as <see cref="AggregateChanges"/> orders them).
    /// </summary>
    /// <param name="Changed">For an update, the properties (not keys) whose values changed.</param>
    internal readonly record struct Row(IEntityType Type, EntityState State, EntityEntry? Entry, object Entity, object?[]? Original,
        IReadOnlyList<IProperty> Changed);

    /// <summary>A value bound per row: a property's current or original value, converted as EF Core would store it.</summary>
    internal sealed class Value
    {
        public Value(IEntityType type, IProperty property, bool original)
        {
            Property = property;
            Mapping = (RelationalTypeMapping)property.GetTypeMapping();
            var converter = Mapping.Converter;
            // The compiled getter of a CLR property is much cheaper than EF Core's per-entry value objects.
            // An untracked row's original values are in the order of its type's properties (as AggregateChanges reads them).
            var index = original ? type.GetProperties().ToList().IndexOf(property) : -1;
            Func<Row, object?> read = original || property.IsShadowProperty()
                ? original ? r => r.Entry is { } entry ? entry.OriginalValues[property] : r.Original![index] : r => r.Entry!.CurrentValues[property]
                : property.GetGetter() is var getter ? r => getter.GetClrValueUsingContainingEntity(r.Entity) : null!;
            Read = r => read(r) is { } v ? converter is null ? v : converter.ConvertToProvider(v) ?? DBNull.Value : DBNull.Value;
        }

        /// <summary>
        /// On PostgreSQL, the parameter of this value as EF Core's type mapping makes it (its <c>NpgsqlDbType</c> or
        /// <c>DbType</c>), without a value; cloned and given the value read for each row.
        /// </summary>
        public NpgsqlParameter Typed(string name) => (NpgsqlParameter)Mapping.CreateParameter(ParameterMaker, name, null);

        public IProperty Property { get; }
        public RelationalTypeMapping Mapping { get; }
        public Func<Row, object> Read { get; }
    }

    // Only makes parameters: EF Core's type mappings make theirs from a command.
    private static readonly NpgsqlCommand ParameterMaker = new();

    /// <summary>One statement shape: its table, the values bound per row, and its SQL for n rows.</summary>
    /// <param name="oneRow">
    /// The statement of one row on PostgreSQL where it is not <paramref name="sql"/>'s of 1: an update or delete by the
    /// row's key and tokens (SQLite's, from a list of values, would need every value's type written out there). Not for
    /// SQLite, which binds by position and numbers named parameters in the order they first appear.
    /// </param>
    internal sealed class Shape(IEntityType? type, EntityState kind, string table, List<(IProperty Property, bool Original)> values, Func<int, string> sql,
        int columns = 0, string? oneRow = null)
    {
        private readonly ConcurrentDictionary<int, string> _sql = new();
        private NpgsqlParameter[]? _typed;

        public EntityState Kind { get; } = kind;
        public string Table { get; } = table;
        public List<Value> Values { get; } = values.Select(v => new Value(type!, v.Property, v.Original)).ToList();

        /// <summary>The values bound per row: an entity's properties, or those of a statement added as rows.</summary>
        public int Columns { get; } = values.Count > 0 ? values.Count : columns;

        /// <summary>The statement for <paramref name="rows"/> rows, built once.</summary>
        public string Sql(int rows) => _sql.GetOrAdd(rows, sql);

        /// <summary>The statement for <paramref name="rows"/> rows on PostgreSQL (one row, but for a statement added as rows).</summary>
        public string PostgresSql(int rows) => rows == 1 && oneRow is not null ? oneRow : Sql(rows);

        /// <summary>
        /// On PostgreSQL, the parameter @p<paramref name="index"/> holding <paramref name="value"/> (as the database stores
        /// it): typed by its property's mapping (a statement of one row), or, in a statement added as rows, by the value.
        /// </summary>
        public NpgsqlParameter Parameter(int index, object value)
        {
            if (Values.Count == 0) return new NpgsqlParameter("p" + index.ToString(System.Globalization.CultureInfo.InvariantCulture), value);
            _typed ??= Values.Select((v, i) => v.Typed("p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
            var parameter = _typed[index].Clone();
            parameter.Value = value;
            return parameter;
        }

        /// <summary>
        /// The statement shape of a type and kind of change (and for an update, the properties that changed, named in
        /// <paramref name="changedNames"/>), built once and kept with the model (so it goes when the model does).
        /// </summary>
        public static Shape Of(IEntityType type, EntityState kind, IReadOnlyList<IProperty> changed, string changedNames) =>
            type.GetOrAddRuntimeAnnotationValue("Safehold:PreparedSaver", _ => new ConcurrentDictionary<(EntityState, string), Shape>(), (object?)null)
                .GetOrAdd((kind, changedNames), _ => kind switch
                {
                    EntityState.Added => Insert(type),
                    EntityState.Modified => Update(type, changed),
                    EntityState.Deleted => Delete(type),
                    _ => throw new ArgumentOutOfRangeException(nameof(kind)),
                });

        private static Shape Insert(IEntityType type)
        {
            var (table, store) = Table(type);
            var columns = type.GetProperties().Where(p => p.GetColumnName(store) is not null).ToList();
            var head = $"""INSERT INTO "{table}" ({string.Join(", ", columns.Select(p => Quote(p, store)))}) VALUES """;
            return new(type, EntityState.Added, table, columns.Select(p => (p, false)).ToList(), rows => head + Tuples(rows, columns.Count));
        }

        /// <summary>
        /// <c>UPDATE t SET c = v.columnK ... FROM (VALUES ...) AS v WHERE key and tokens = v's</c>: each row of v names
        /// one row of t by its key and the concurrency tokens it was read with.
        /// </summary>
        private static Shape Update(IEntityType type, IReadOnlyList<IProperty> changed)
        {
            var (table, store) = Table(type);
            var where = WhereKeyAndTokens(type);
            var values = where.Select(p => (p, true)).Concat(changed.Select(p => (p, false))).ToList();
            var set = string.Join(", ", changed.Select((p, i) => $"{Quote(p, store)} = v.column{where.Count + i + 1}"));
            var match = string.Join(" AND ", where.Select((p, i) => $"\"{table}\".{Quote(p, store)} = v.column{i + 1}"));
            var oneRow = $"""UPDATE "{table}" SET {string.Join(", ", changed.Select((p, i) => $"{Quote(p, store)} = @p{where.Count + i}"))} WHERE {ByKeyAndTokens(where, store)}""";
            return new(type, EntityState.Modified, table, values,
                rows => $"""UPDATE "{table}" SET {set} FROM (VALUES {Tuples(rows, values.Count)}) AS v WHERE {match}""", oneRow: oneRow);
        }

        private static Shape Delete(IEntityType type)
        {
            var (table, store) = Table(type);
            var where = WhereKeyAndTokens(type);
            var columns = string.Join(", ", where.Select(p => Quote(p, store)));
            return new(type, EntityState.Deleted, table, where.Select(p => (p, true)).ToList(),
                rows => $"""DELETE FROM "{table}" WHERE ({columns}) IN (VALUES {Tuples(rows, where.Count)})""",
                oneRow: $"""DELETE FROM "{table}" WHERE {ByKeyAndTokens(where, store)}""");
        }

        /// <summary>The key's and tokens' columns equal to @p0, @p1 ... in turn.</summary>
        private static string ByKeyAndTokens(List<IProperty> where, StoreObjectIdentifier store) =>
            string.Join(" AND ", where.Select((p, i) => $"{Quote(p, store)} = @p{i}"));

        private static string Tuples(int rows, int columns)
        {
            var sb = new StringBuilder();
            var p = 0;
            for (var r = 0; r < rows; r++)
            {
                sb.Append(r == 0 ? "(" : ", (");
                for (var c = 0; c < columns; c++) sb.Append(c == 0 ? "@p" : ", @p").Append(p++);
                sb.Append(')');
            }
            return sb.ToString();
        }
    }

    private static List<IProperty> WhereKeyAndTokens(IEntityType type) =>
        type.FindPrimaryKey()!.Properties.Concat(type.GetProperties().Where(p => p.IsConcurrencyToken && !p.IsPrimaryKey())).ToList();

    private static (string Table, StoreObjectIdentifier Store) Table(IEntityType type)
    {
        var table = type.GetTableName() ?? throw new NotSupportedException($"{type.ShortName()} is not mapped to a table.");
        return (table, StoreObjectIdentifier.Table(table, type.GetSchema()));
    }

    private static string Quote(IProperty p, StoreObjectIdentifier store) => $"\"{p.GetColumnName(store)}\"";

    /// <summary>How many foreign keys deep a type is: parents are inserted before their children and deleted after them.</summary>
    private static int Depth(IEntityType type) =>
        type.GetForeignKeys().Where(fk => fk.PrincipalEntityType != type).Select(fk => 1 + Depth(fk.PrincipalEntityType)).DefaultIfEmpty(0).Max();

    /// <summary>How many foreign keys deep a type is among the types <paramref name="inserted"/> in the same save.</summary>
    private static int Depth(IEntityType type, HashSet<IEntityType> inserted) =>
        type.GetForeignKeys().Where(fk => fk.PrincipalEntityType != type && inserted.Contains(fk.PrincipalEntityType))
            .Select(fk => 1 + Depth(fk.PrincipalEntityType, inserted)).DefaultIfEmpty(0).Max();
}
