using Microsoft.Data.Sqlite;

namespace Safehold.Web.Tests;

/// <summary>A SQLite file's tables and rows as text, for tests that compare two databases row for row.</summary>
public static class SqliteRows
{
    /// <summary>The file's tables, but SQLite's own and EF Core's migration history.</summary>
    public static async Task<List<string>> TablesAsync(string path)
    {
        var tables = new List<string>();
        await ReadAsync(path, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__EFMigrationsHistory'",
            reader => tables.Add(reader.GetString(0)));
        return tables;
    }

    /// <summary>
    /// Every row of <paramref name="table"/> as "Table: column=value|...", in a fixed order, leaving out the columns named
    /// (as "Table.Column") in <paramref name="without"/>: keys made anew on each side.
    /// </summary>
    public static async Task<List<string>> OfAsync(string path, string table, params string[] without)
    {
        var rows = new List<string>();
        await ReadAsync(path, $"SELECT * FROM \"{table}\"", reader => rows.Add(table + ": " + string.Join("|", Enumerable.Range(0, reader.FieldCount)
            .Where(i => !without.Contains($"{table}.{reader.GetName(i)}"))
            .Select(i => $"{reader.GetName(i)}={reader.GetValue(i)}"))));
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    private static async Task ReadAsync(string path, string sql, Action<SqliteDataReader> row)
    {
        await using var connection = new SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) row(reader);
    }
}
