using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using SQLitePCL;

namespace Safehold.Web.Data;

/// <summary>
/// SQLite connections held open with the statements of the reads kept compiled on them (an order read whole,
/// <c>OrderReader</c>'s five statements; the sandbox clock, read before every request; every query of EF Core's outside
/// a transaction, through <see cref="KeptQueries"/>), so that a read binds and steps statements compiled once per
/// connection. A command of EF Core's, or any new command, compiles its statements
/// again on every run: Microsoft.Data.Sqlite keeps a command's statements only while that command and its connection
/// stay open, and a pooled connection disposes its commands when it is closed (dotnet/efcore#14044). Compiling the
/// order's five statements cost 100 µs a read of one order and 150 to 220 µs of twenty, where binding and stepping them
/// compiled cost 20 to 100 µs (docs/benchmarks.md, 2026-12-07).
/// </summary>
/// <remarks>
/// <para>A read rents a connection (the most recently returned, whose statements are the likeliest to be there), runs
/// (several statements in a deferred transaction of their own, which sees one snapshot and never waits for the write
/// lock), and gives it back; a read that fails in any way closes its connection instead. Only reads with no transaction
/// of the caller's come here: a request's transaction reads on its own connection, as the writer it is.</para>
/// <para>Bounded: at most <see cref="MaxIdleConnections"/> connections wait between reads (one returned beyond that is
/// closed), and each keeps at most <see cref="MaxCommandsPerConnection"/> commands, the least recently used closed
/// first. The connections are used as SQLite's multi-thread mode asks: by one thread at a time, the renting read's.</para>
/// </remarks>
public sealed partial class PreparedReads : IDisposable
{
    /// <param name="connectionString">The host's database, as its contexts open it: EF Core's queries on a connection opened
    /// by another string are left to EF Core.</param>
    /// <param name="registry">Where the counts of statements compiled and reused are reported (the host's <c>/metrics</c>), if anywhere.</param>
    public PreparedReads(string connectionString, Prometheus.CollectorRegistry? registry = null)
    {
        _database = connectionString;
        _connectionString = new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString();
        Queries = new KeptQueries(this);
        if (registry is null) return;
        var metrics = Prometheus.Metrics.WithCustomRegistry(registry);
        var compiled = metrics.CreateCounter("safehold_sqlite_reads_compiled_total",
            "Reads (EF Core's queries outside a transaction, an order read whole, the sandbox clock) whose statements their kept connection compiled for them.");
        var reused = metrics.CreateCounter("safehold_sqlite_reads_reused_total",
            "Reads that ran statements their kept connection had compiled already.");
        registry.AddBeforeCollectCallback(() =>
        {
            compiled.IncTo(Compiled);
            reused.IncTo(Reused);
        });
    }

    // Its own connections, not Microsoft.Data.Sqlite's pool: closing one really closes it, which rolls back whatever a
    // failed read left open (the pool would hand the next opener a connection still in the transaction begun here).
    private readonly string _connectionString;
    private readonly string _database;

    /// <summary>
    /// Runs EF Core's queries outside a transaction here (<see cref="KeptQueries"/>); added to the contexts' interceptors by
    /// <see cref="PreparedReadsOptions.UsePreparedReads"/>.
    /// </summary>
    public IInterceptor Queries { get; }

    /// <summary>Connections kept open between reads, at most.</summary>
    public const int MaxIdleConnections = 16;

    /// <summary>Commands kept on a connection, at most: each one text, with its statements (an order's read is five).</summary>
    public const int MaxCommandsPerConnection = 64;

    private readonly ConcurrentStack<Lease> _idle = new();
    private bool _disposed;
    private long _compiled;
    private long _reused;

    /// <summary>Commands compiled so far (a text new to the connection that ran it).</summary>
    public long Compiled => Interlocked.Read(ref _compiled);

    /// <summary>Reads that ran statements already compiled on their connection.</summary>
    public long Reused => Interlocked.Read(ref _reused);

    /// <summary>Connections open and waiting for a read.</summary>
    public int Idle => _idle.Count;

    /// <summary>
    /// Runs <paramref name="sql"/> with the parameters <paramref name="bind"/> adds (to a command whose parameters were
    /// cleared) and answers what <paramref name="read"/> makes of its reader. Several statements run in a read-only
    /// snapshot of their own (<paramref name="oneStatement"/> false), so that none sees a commit the others do not; one
    /// statement is a snapshot by itself and needs none.
    /// </summary>
    public async Task<T> ReadAsync<T>(string sql, Action<DbCommand> bind, Func<DbDataReader, CancellationToken, Task<T>> read, CancellationToken ct,
        bool oneStatement = false)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        ct.ThrowIfCancellationRequested(); // a request already gone costs no connection
        var lease = Rent();
        T result;
        try
        {
            var command = lease.CommandFor(sql, out var compiled);
            Interlocked.Increment(ref compiled ? ref _compiled : ref _reused);
            command.Parameters.Clear();
            bind(command);
            if (oneStatement)
            {
                await using var reader = await command.ExecuteReaderAsync(ct);
                result = await read(reader, ct);
            }
            else
            {
                // SQLite's BEGIN and ROLLBACK by commands kept compiled as well: a SqliteTransaction compiles both again on
                // every read (20 µs against 3 µs, measured). Microsoft.Data.Sqlite does not see this transaction, so the
                // command runs with none of its own; a read that fails closes the connection, which rolls it back.
                lease.Begin.ExecuteNonQuery(); // deferred: a read-only snapshot from the first read, never the write lock
                await using (var reader = await command.ExecuteReaderAsync(ct))
                    result = await read(reader, ct);
                lease.Rollback.ExecuteNonQuery(); // read only: nothing to commit
            }
        }
        catch
        {
            lease.Dispose(); // whatever failed, the next read gets a connection in a known state
            throw;
        }
        Return(lease);
        return result;
    }

    /// <summary>
    /// EF Core's <paramref name="command"/> run here instead, if it is a query (a <c>SELECT</c>) on the host's database and
    /// its connection is in no transaction (neither EF Core's nor one begun by SQL): its text on a kept command, bound to
    /// its own parameters. Null, having run nothing, for any other command: EF Core runs it as it would have.
    /// </summary>
    /// <remarks>
    /// One statement outside a transaction reads a snapshot of its own on any connection: what EF Core's connection
    /// would have read (it has nothing uncommitted of its own to see). The reader answered holds the connection until it
    /// is disposed, as EF Core does with every reader, then gives it back.
    /// </remarks>
    internal DbDataReader? TryExecute(DbCommand command)
    {
        if (command is not SqliteCommand { Transaction: null, Connection: { Handle: { } handle } connection } sqlite
            || !command.CommandText.StartsWith("SELECT ", StringComparison.Ordinal)
            || !string.Equals(connection.ConnectionString, _database, StringComparison.Ordinal)
            || raw.sqlite3_get_autocommit(handle) == 0
            || Volatile.Read(ref _disposed))
            return null;
        var lease = Rent();
        try
        {
            var kept = lease.CommandFor(sqlite.CommandText, out var compiled);
            Interlocked.Increment(ref compiled ? ref _compiled : ref _reused);
            kept.Parameters.Clear();
            foreach (SqliteParameter parameter in sqlite.Parameters) kept.Parameters.Add(parameter); // bound as the reader reaches each statement
            kept.CommandTimeout = sqlite.CommandTimeout;
            return new LeasedReader(kept.ExecuteReader(), kept, lease, this);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    private Lease Rent()
    {
        if (_idle.TryPop(out var lease)) return lease;
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            // Reads only: a statement that would write through here (beside the write lock and the group commit) is refused.
            using var readOnly = connection.CreateCommand();
            readOnly.CommandText = "PRAGMA query_only = 1";
            readOnly.ExecuteNonQuery();
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return new Lease(connection);
    }

    private void Return(Lease lease)
    {
        // Given back only as a read must find it: no transaction open (a read's ended with it). The lock orders a return
        // against Dispose, so that no connection is left waiting, open, after the host has stopped.
        if (raw.sqlite3_get_autocommit(lease.Connection.Handle) != 0)
            lock (_idle)
                if (!_disposed && _idle.Count < MaxIdleConnections)
                {
                    _idle.Push(lease);
                    return;
                }
        lease.Dispose();
    }

    /// <summary>Closes every waiting connection; a read still running closes its own when it ends.</summary>
    public void Dispose()
    {
        lock (_idle) _disposed = true;
        while (_idle.TryPop(out var lease)) lease.Dispose();
    }

    /// <summary>An open connection and the commands compiled on it, most recently used first.</summary>
    private sealed class Lease(SqliteConnection connection) : IDisposable
    {
        private readonly List<SqliteCommand> _commands = [];

        public SqliteConnection Connection { get; } = connection;

        /// <summary>Begins a deferred transaction.</summary>
        public SqliteCommand Begin { get; } = Command(connection, "BEGIN");

        /// <summary>Ends it.</summary>
        public SqliteCommand Rollback { get; } = Command(connection, "ROLLBACK");

        private static SqliteCommand Command(SqliteConnection connection, string sql)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            return command;
        }

        public SqliteCommand CommandFor(string sql, out bool compiled)
        {
            for (var i = 0; i < _commands.Count; i++)
            {
                var kept = _commands[i];
                if (kept.CommandText != sql) continue; // string equality: the same instance first (each reader caches its text)
                if (i > 0)
                {
                    _commands.RemoveAt(i);
                    _commands.Insert(0, kept);
                }
                compiled = false;
                return kept;
            }
            if (_commands.Count >= MaxCommandsPerConnection)
            {
                _commands[^1].Dispose();
                _commands.RemoveAt(_commands.Count - 1);
            }
            var command = Connection.CreateCommand();
            command.CommandText = sql;
            _commands.Insert(0, command);
            compiled = true;
            return command;
        }

        public void Dispose()
        {
            foreach (var command in _commands) command.Dispose();
            _commands.Clear();
            Begin.Dispose();
            Rollback.Dispose();
            Connection.Dispose();
        }
    }
}

/// <summary>
/// EF Core's queries outside a transaction, on SQLite, run on <see cref="PreparedReads"/>' connections with their statements
/// kept compiled (<see cref="PreparedReads.TryExecute"/>): EF Core logs, traces and shapes them as its own, and every
/// interceptor after this one sees them as sent. Any other command runs as EF Core would run it.
/// </summary>
internal sealed class KeptQueries(PreparedReads reads) : DbCommandInterceptor
{
    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result) =>
        !result.HasResult && reads.TryExecute(command) is { } reader ? InterceptionResult<DbDataReader>.SuppressWithResult(reader) : result;

    // Microsoft.Data.Sqlite runs a command's statements synchronously in any case.
    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(ReaderExecuting(command, eventData, result));
    }
}

/// <summary>Carries a host's <see cref="PreparedReads"/> in its contexts' options, for <c>OrderReader</c> to find.</summary>
public sealed class PreparedReadsExtension(PreparedReads reads) : IDbContextOptionsExtension
{
    public PreparedReads Reads { get; } = reads;

    public DbContextOptionsExtensionInfo Info => new ExtensionInfo(this);

    public void ApplyServices(IServiceCollection services)
    {
    }

    public void Validate(IDbContextOptions options)
    {
    }

    private sealed class ExtensionInfo(IDbContextOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        public override bool IsDatabaseProvider => false;

        public override string LogFragment => "PreparedReads ";

        public override int GetServiceProviderHashCode() => 0;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo) => debugInfo["Safehold:PreparedReads"] = "1";
    }
}

public static class PreparedReadsOptions
{
    /// <summary>Lets the contexts made with these options read through <paramref name="reads"/>.</summary>
    public static TBuilder UsePreparedReads<TBuilder>(this TBuilder options, PreparedReads reads) where TBuilder : DbContextOptionsBuilder
    {
        ((IDbContextOptionsBuilderInfrastructure)options).AddOrUpdateExtension(new PreparedReadsExtension(reads));
        options.AddInterceptors(reads.Queries);
        return options;
    }

    /// <summary>The reads of the host whose options made <paramref name="db"/>; null for a context made without them.</summary>
    public static PreparedReads? PreparedReads(this DbContext db) =>
        db.GetService<IDbContextOptions>().FindExtension<PreparedReadsExtension>()?.Reads;
}
