using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Safehold.Web.Data.Migrations;

/// <summary>An index of a table that may be large when the migration meets it: its name, table, columns (or expressions) and filter, as SQL.</summary>
public sealed record PrebuildableIndex(string Name, string Table, string Columns, string? Where = null);

/// <summary>
/// Indexes added to tables that grow with the business. A plain <c>CREATE INDEX</c> at start reads the whole table and holds
/// its writes meanwhile, so these are created only if missing: an operator of a large database builds them beforehand, on
/// PostgreSQL with <c>CREATE INDEX CONCURRENTLY</c> while the old version runs, and the upgrade finds them there (README,
/// "Upgrading"). On PostgreSQL an index that a failed or cancelled concurrent build left invalid is dropped and built again.
/// </summary>
public static class PrebuildableIndexes
{
    public static void CreateIndexesIfMissing(this MigrationBuilder migrationBuilder, params PrebuildableIndex[] indexes)
    {
        var postgres = migrationBuilder.IsNpgsql();
        var sql = new StringBuilder();
        foreach (var index in indexes)
        {
            if (postgres)
                sql.AppendLine($"""
                    DO $$ BEGIN
                        IF EXISTS (SELECT FROM pg_index WHERE indexrelid = to_regclass('"{index.Name}"') AND NOT indisvalid) THEN DROP INDEX "{index.Name}"; END IF;
                    END $$;
                    """);
            sql.Append($"""CREATE INDEX IF NOT EXISTS "{index.Name}" ON "{index.Table}" ({index.Columns})""");
            sql.AppendLine(index.Where is null ? ";" : $" WHERE {index.Where};");
        }
        migrationBuilder.Sql(sql.ToString());
    }

    public static void DropIndexesIfPresent(this MigrationBuilder migrationBuilder, params string[] names) =>
        migrationBuilder.Sql(string.Concat(names.Select(name => $"""DROP INDEX IF EXISTS "{name}";""" + "\n")));
}
