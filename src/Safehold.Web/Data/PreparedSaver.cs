using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Safehold.Web.Data;

/// <summary>
/// Saves a large unit of work on SQLite with one prepared statement per table and kind of change, bound
/// and run once per row, instead of SQL text generated and prepared per row. The sweeper uses it for its
/// batches, where thousands of rows of a few shapes change in one transaction.
/// </summary>
/// <remarks>
/// It writes exactly what <see cref="DbContext.SaveChangesAsync(CancellationToken)"/> would: values go through
/// EF Core's own type mappings (so converters apply), concurrency tokens are checked (a stale row throws
/// <see cref="DbUpdateConcurrencyException"/>, rolling back the caller's transaction), deletions run before
/// updates and inserts, and inserts run parents first. It needs the caller's transaction and supports only
/// what the model has: client-set keys, no database-generated values.
/// </remarks>
public static class PreparedSaver
{
    public static async Task SaveAsync(SafeholdDb db, CancellationToken ct)
    {
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("PreparedSaver runs inside the caller's transaction.");
        db.ChangeTracker.DetectChanges();
        db.RefuseJournalEdits();
        var entries = db.ChangeTracker.Entries()
            .Where(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted)
            .ToList();
        if (entries.Count == 0) return;

        var connection = transaction.Connection!;
        var commands = new Dictionary<string, DbCommand>();
        try
        {
            foreach (var e in entries.Where(e => e.State == EntityState.Deleted).OrderByDescending(e => Depth(e.Metadata)))
                await RunAsync(e, Delete(e), expectOne: true);
            foreach (var e in entries.Where(e => e.State == EntityState.Modified))
                await RunAsync(e, Update(e), expectOne: true);
            foreach (var e in entries.Where(e => e.State == EntityState.Added).OrderBy(e => Depth(e.Metadata)))
                await RunAsync(e, Insert(e), expectOne: false);
        }
        finally
        {
            foreach (var c in commands.Values) await c.DisposeAsync();
        }
        db.ChangeTracker.AcceptAllChanges();

        async Task RunAsync(EntityEntry e, (string Sql, List<(IProperty Property, bool Original)> Values) statement, bool expectOne)
        {
            if (!commands.TryGetValue(statement.Sql, out var command))
            {
                command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = statement.Sql;
                commands[statement.Sql] = command;
            }
            command.Parameters.Clear();
            for (var i = 0; i < statement.Values.Count; i++)
            {
                var (property, original) = statement.Values[i];
                var value = original ? e.Property(property.Name).OriginalValue : e.Property(property.Name).CurrentValue;
                var mapping = (RelationalTypeMapping)property.GetTypeMapping();
                command.Parameters.Add(mapping.CreateParameter(command, "@p" + i, value, property.IsNullable));
            }
            var affected = await command.ExecuteNonQueryAsync(ct);
            if (expectOne && affected != 1)
                throw new DbUpdateConcurrencyException(
                    $"Expected to change one {e.Metadata.ShortName()} row but changed {affected}: it was changed or removed concurrently.");
        }
    }

    private static (string, List<(IProperty, bool)>) Insert(EntityEntry e)
    {
        var (table, store) = Table(e.Metadata);
        var columns = e.Metadata.GetProperties().Where(p => p.GetColumnName(store) is not null).ToList();
        var sql = $"""INSERT INTO "{table}" ({string.Join(", ", columns.Select(p => Quote(p, store)))}) VALUES ({string.Join(", ", columns.Select((_, i) => "@p" + i))})""";
        return (sql, columns.Select(p => (p, false)).ToList());
    }

    private static (string, List<(IProperty, bool)>) Update(EntityEntry e)
    {
        var (table, store) = Table(e.Metadata);
        var changed = e.Properties.Where(p => p.IsModified && !p.Metadata.IsPrimaryKey()).Select(p => p.Metadata).ToList();
        var where = WhereKeyAndTokens(e.Metadata);
        var values = changed.Select(p => (p, false)).Concat(where.Select(p => (p, true))).ToList();
        var set = string.Join(", ", changed.Select((p, i) => $"{Quote(p, store)} = @p{i}"));
        var sql = $"""UPDATE "{table}" SET {set} WHERE {string.Join(" AND ", where.Select((p, i) => $"{Quote(p, store)} = @p{changed.Count + i}"))}""";
        return (sql, values);
    }

    private static (string, List<(IProperty, bool)>) Delete(EntityEntry e)
    {
        var (table, store) = Table(e.Metadata);
        var where = WhereKeyAndTokens(e.Metadata);
        var sql = $"""DELETE FROM "{table}" WHERE {string.Join(" AND ", where.Select((p, i) => $"{Quote(p, store)} = @p{i}"))}""";
        return (sql, where.Select(p => (p, true)).ToList());
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
}
