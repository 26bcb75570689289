using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
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

    private readonly List<(GroupCommit, ServiceProvider)> _commits = [];

    /// <summary>A group commit writing to the database file <paramref name="name"/>, queued for the lock in <paramref name="gate"/>.</summary>
    public GroupCommit GroupCommit(string name, WriteGate gate, CollectorRegistry? metrics = null)
    {
        var services = new ServiceCollection().AddScoped<SafeholdDb>(_ => Open(name)).BuildServiceProvider();
        var commits = new GroupCommit(services.GetRequiredService<IServiceScopeFactory>(), gate, NullLogger<GroupCommit>.Instance, metrics);
        _commits.Add((commits, services));
        return commits;
    }

    public void Dispose()
    {
        foreach (var (commits, services) in _commits)
        {
            commits.DisposeAsync().AsTask().GetAwaiter().GetResult();
            services.Dispose();
        }
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
