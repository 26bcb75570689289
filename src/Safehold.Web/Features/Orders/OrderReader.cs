using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Safehold.Domain.Orders;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Orders;

/// <summary>
/// Reads whole orders (with their lines, timeline, timers and extensions) in one round trip of five plain statements,
/// one per table, each row read once (<see cref="RowReader{T}"/>): "My orders", "More details" and every change of an
/// order read it. EF Core's query for an order with its four collections joins them into one product of rows (an order
/// with 8 events and 3 timers is 24 rows) and shapes every row by delegates bound again each time (dotnet/efcore#35210).
/// </summary>
/// <remarks>
/// What is read is the same entity EF Core would build, by the same mapping; a tracked read attaches it to the change
/// tracker unchanged, as a tracking query would. If the context already tracks the order, the tracked read is EF Core's
/// own query, which answers with that instance.
/// </remarks>
public static class OrderReader
{
    private static readonly ConcurrentDictionary<(IModel Model, int Shape), string> Sql = new();

    /// <summary>
    /// On PostgreSQL the ids are one array parameter (<c>= ANY(@ids)</c>), so each of the five statements has one text
    /// whatever the number of ids. As one <c>IN</c> list a count, a page of up to 21 orders made 105 texts: PostgreSQL
    /// kept custom plans for the long lists and planned them on most runs, and the texts crowded Npgsql's 64 prepared
    /// statements a connection (<see cref="PostgresConnections"/>), pushing the writes' out (docs/benchmarks.md,
    /// 2026-12-07 14:36). SQLite has no array parameter; its texts are one a count, kept compiled by
    /// <see cref="PreparedReads"/>.
    /// </summary>
    private const int ManyIds = 0;

    /// <summary>The orders with these ids that exist, not tracked, in no particular order.</summary>
    public static async Task<List<Order>> ReadAsync(SafeholdDb db, IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return [];
        var rows = new Rows(RowReader<Order>.For(db), RowReader<OrderLine>.For(db), RowReader<OrderEvent>.For(db), RowReader<OrderTimer>.For(db),
            RowReader<ProtectionExtension>.For(db), db.Model.FindEntityType(typeof(Order))!);
        var shape = ids.Count > 1 && db.OnPostgres ? ManyIds : ids.Count;
        var sql = Sql.GetOrAdd((db.Model, shape), static (key, r) => StatementsFor(key.Shape, r), rows);
        var idMapping = rows.Orders.MappingOf[nameof(Order.Id)];
        void Bind(DbCommand command)
        {
            if (shape == ManyIds)
            {
                var array = command.CreateParameter();
                array.ParameterName = "@ids";
                array.Value = ids as Guid[] ?? [.. ids];
                command.Parameters.Add(array);
                return;
            }
            var i = 0;
            foreach (var id in ids) command.Parameters.Add(idMapping.CreateParameter(command, "@p" + i++, id, nullable: false));
        }

        // With no transaction of the caller's, on SQLite, through a connection that keeps the five statements compiled.
        if (db.Database.CurrentTransaction is null && db.PreparedReads() is { } prepared)
            return await prepared.ReadAsync(sql, Bind, (reader, ct) => ReadOrdersAsync(reader, rows, ids.Count, ct), ct);

        var connection = db.Database.GetDbConnection();
        var opened = connection.State != ConnectionState.Open;
        if (opened) await db.Database.OpenConnectionAsync(ct);
        try
        {
            // Here: PostgreSQL, or SQLite inside the caller's transaction (or a context made without PreparedReads).
            // The five statements must see one state of the database: each statement outside a transaction reads its own
            // snapshot, and a change committed between them would tear the order (its row from before, its events from
            // after). With no transaction open, a read-only one holds one snapshot for the five: SQLite's deferred
            // BEGIN takes no write lock; PostgreSQL's REPEATABLE READ takes its snapshot at the first statement. Inside
            // the request's transaction the order is the writer's already (SQLite's write lock; PostgreSQL's row lock).
            // The same as ReadSnapshot.InSnapshotAsync, on the raw connection: through EF Core's transaction it measured
            // no faster and higher at the peak of memory (docs/benchmarks.md); to be settled by longer runs.
            await using DbTransaction? snapshot = db.Database.CurrentTransaction is not null ? null
                : connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: true)
                : await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
            await using var command = connection.CreateCommand();
            command.Transaction = snapshot ?? db.Database.CurrentTransaction!.GetDbTransaction();
            command.CommandText = sql;
            Bind(command);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await ReadOrdersAsync(reader, rows, ids.Count, ct);
        }
        finally
        {
            if (opened) await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>What an order is read by: a row reader for it and each of its collections, and its entity type.</summary>
    private sealed record Rows(RowReader<Order> Orders, RowReader<OrderLine> Lines, RowReader<OrderEvent> Events, RowReader<OrderTimer> Timers,
        RowReader<ProtectionExtension> Extensions, IEntityType Model);

    /// <summary>The orders of the five statements' results (<see cref="StatementsFor"/>), each with its collections.</summary>
    private static async Task<List<Order>> ReadOrdersAsync(DbDataReader reader, Rows rows, int count, CancellationToken ct)
    {
        var byId = new Dictionary<Guid, Order>(count);
        while (await reader.ReadAsync(ct))
        {
            var order = rows.Orders.Read(reader);
            byId[order.Id] = order;
        }
        await ReadChildrenAsync(reader, rows.Lines, l => l.OrderId, rows.Model.FindNavigation(nameof(Order.Lines))!, byId, ct);
        await ReadChildrenAsync(reader, rows.Events, e => e.OrderId, rows.Model.FindNavigation(nameof(Order.Timeline))!, byId, ct);
        await ReadChildrenAsync(reader, rows.Timers, t => t.OrderId, rows.Model.FindNavigation(nameof(Order.Timers))!, byId, ct);
        await ReadChildrenAsync(reader, rows.Extensions, e => e.OrderId, rows.Model.FindNavigation(nameof(Order.Extensions))!, byId, ct);
        return [.. byId.Values];
    }

    /// <summary>The order with this id, or null; tracked (attached unchanged, for a change) or not.</summary>
    public static async Task<Order?> FindAsync(SafeholdDb db, Guid id, bool tracked, CancellationToken ct)
    {
        if (tracked && db.Orders.Local.FindEntry(id) is not null)
            return await db.Orders.AsSingleQuery().FirstOrDefaultAsync(o => o.Id == id, ct);
        var found = await ReadAsync(db, [id], ct);
        if (found.Count == 0) return null;
        if (tracked) db.Attach(found[0]);
        return found[0];
    }

    private static async Task ReadChildrenAsync<TChild>(DbDataReader reader, RowReader<TChild> rows, Func<TChild, Guid> parent, INavigation navigation,
        Dictionary<Guid, Order> orders, CancellationToken ct) where TChild : class
    {
        await reader.NextResultAsync(ct);
        var collection = navigation.GetCollectionAccessor()!;
        while (await reader.ReadAsync(ct))
        {
            var child = rows.Read(reader);
            if (orders.TryGetValue(parent(child), out var order)) collection.Add(order, child, forMaterialization: true);
        }
    }

    /// <summary>
    /// The five statements for <paramref name="count"/> ids (<see cref="ManyIds"/>: any number, as one array), each
    /// table's rows in its key's order.
    /// </summary>
    private static string StatementsFor(int count, Rows r)
    {
        var ids = count switch
        {
            ManyIds => "= ANY(@ids)",
            1 => "= @p0",
            _ => "IN (" + string.Join(", ", Enumerable.Range(0, count).Select(i => "@p" + i)) + ")",
        };
        var sql = new StringBuilder();
        sql.Append($"SELECT {r.Orders.Columns} FROM {r.Orders.Table} WHERE {r.Orders.ColumnOf[nameof(Order.Id)]} {ids};\n");
        Children(r.Lines, nameof(OrderLine.OrderId), nameof(OrderLine.LineNumber));
        Children(r.Events, nameof(OrderEvent.OrderId), nameof(OrderEvent.Sequence));
        Children(r.Timers, nameof(OrderTimer.OrderId), nameof(OrderTimer.Kind));
        Children(r.Extensions, nameof(ProtectionExtension.OrderId), nameof(ProtectionExtension.Id));
        return sql.ToString();

        void Children<TChild>(RowReader<TChild> rows, string parent, string orderBy) where TChild : class =>
            sql.Append($"SELECT {rows.Columns} FROM {rows.Table} WHERE {rows.ColumnOf[parent]} {ids} ORDER BY {rows.ColumnOf[parent]}, {rows.ColumnOf[orderBy]};\n");
    }
}
