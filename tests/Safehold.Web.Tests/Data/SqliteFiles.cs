using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Data;

namespace Safehold.Web.Tests.Data;

/// <summary>
/// A folder of SQLite databases of a test's own, opened without the host (the writers' tests, on SQLite whatever
/// database the rest of the run uses), and deleted with the test.
/// </summary>
public sealed class SqliteFiles : IDisposable
{
    private readonly string _directory = SafeholdApp.NewDirectory();

    /// <summary>The path of the database file <paramref name="name"/> in the folder.</summary>
    public string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>A context over the database file <paramref name="name"/> (created by its first migration).</summary>
    public SqliteSafeholdDb Open(string name) =>
        new(new DbContextOptionsBuilder<SqliteSafeholdDb>().UseSqlite($"Data Source={PathOf(name)}").Options);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
