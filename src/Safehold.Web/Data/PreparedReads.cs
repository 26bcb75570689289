using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using System.Runtime.CompilerServices;
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
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = false };
        _connectionString = builder.ToString();
        // A database in memory is one per connection (or per shared name): a kept connection would not read the contexts'.
        _routable = builder.Mode != SqliteOpenMode.Memory && builder.DataSource is not ("" or ":memory:");
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
    private readonly bool _routable;

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
            var command = lease.CommandFor(sql, out var compiled, out var oneOff); // the lease is this read's alone: never one of its own
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
            lease.Done(command, oneOff);
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
    /// EF Core's <paramref name="command"/> run here instead, if it is a query (one <c>SELECT</c>) on the host's database
    /// and its connection is in no transaction (neither EF Core's nor one begun by SQL): its text on a kept command, bound
    /// to its own parameters. Null, having run nothing, for any other command: EF Core runs it as it would have.
    /// </summary>
    /// <remarks>
    /// <para>One statement outside a transaction reads a snapshot of its own on any connection: what EF Core's connection
    /// would have read (it has nothing uncommitted of its own to see). A query EF Core sends while another of the same
    /// connection is still being read (a split query's collections, read beside its main rows) runs on the same kept
    /// connection, so that it reads the snapshot the first one holds, as it would on EF Core's own connection.</para>
    /// <para>The readers answered hold the kept connection until EF Core disposes the last of them, or closes its own
    /// connection, then give it back. A text that needs what EF Core adds to its own connections (its SQL functions and
    /// collations, none of which Safehold's queries use today) is left to EF Core when SQLite refuses it here.</para>
    /// </remarks>
    internal DbDataReader? TryExecute(DbCommand command)
    {
        if (command is not SqliteCommand { Transaction: null, Connection: { Handle: { } handle } connection } sqlite
            || !_routable
            || !command.CommandText.StartsWith("SELECT ", StringComparison.Ordinal)
            || command.CommandText.Contains(';', StringComparison.Ordinal) // one statement (a literal with a semicolon: EF Core's)
            || !string.Equals(connection.ConnectionString, _database, StringComparison.Ordinal)
            || raw.sqlite3_get_autocommit(handle) == 0
            || Volatile.Read(ref _disposed))
            return null;
        var first = !_uses.TryGetValue(connection, out var use);
        use ??= new Use(Rent(), connection, this);
        SqliteCommand? kept = null;
        var oneOff = false;
        try
        {
            kept = use.Lease.CommandFor(sqlite.CommandText, out var compiled, out oneOff);
            Interlocked.Increment(ref compiled ? ref _compiled : ref _reused);
            kept.Parameters.Clear();
            foreach (SqliteParameter parameter in sqlite.Parameters) kept.Parameters.Add(parameter); // bound as the reader reaches each statement
            kept.CommandTimeout = sqlite.CommandTimeout;
            var reader = new LeasedReader(kept.ExecuteReader(), kept, oneOff, use);
            if (first) use.Begin();
            use.Open.Add(reader);
            return reader;
        }
        catch (Exception e)
        {
            if (kept is not null) use.Lease.Done(kept, oneOff);
            var notHere = e is SqliteException { SqliteErrorCode: raw.SQLITE_ERROR } s
                && (s.Message.Contains("no such function", StringComparison.Ordinal) || s.Message.Contains("no such collation", StringComparison.Ordinal));
            if (notHere)
            {
                // Refused as it was compiled: nothing ran, the connection is as it was.
                if (first) Return(use.Lease);
                return null;
            }
            if (first) use.Lease.Dispose(); // whatever failed, the next read gets a connection in a known state
            else use.Failed = true; // closed when the readers it serves are done
            throw;
        }
    }

    // EF Core's connections with readers open on a kept connection, and that connection (see TryExecute). A context is
    // used by one thread at a time, so each entry is too.
    private readonly ConditionalWeakTable<SqliteConnection, Use> _uses = new();

    /// <summary>A kept connection serving the readers of one EF Core connection, until the last is disposed or EF Core closes its connection.</summary>
    private sealed class Use(Lease lease, SqliteConnection of, PreparedReads owner)
    {
        public Lease Lease { get; } = lease;
        public List<LeasedReader> Open { get; } = [];
        public bool Failed { get; set; }

        public void Begin()
        {
            owner._uses.Add(of, this);
            of.StateChange += Closed;
        }

        /// <summary>One of its readers is done: the last gives the connection back (or closes it, if a read failed).</summary>
        public void Ended(LeasedReader reader)
        {
            Open.Remove(reader);
            if (Open.Count > 0) return;
            of.StateChange -= Closed;
            owner._uses.Remove(of);
            if (Failed) Lease.Dispose();
            else owner.Return(Lease);
        }

        // EF Core closes its connection when its context is done with it (returned to the pool, disposed): a reader it did
        // not dispose is ended with it, as closing the connection would have ended it there.
        private void Closed(object sender, System.Data.StateChangeEventArgs e)
        {
            if (e.CurrentState != System.Data.ConnectionState.Closed) return;
            foreach (var reader in Open.ToList())
            {
                try { reader.Close(); }
                catch (SqliteException) { Failed = true; }
            }
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

        // Commands with a reader open: a text run again before its reader is done gets a command of its own.
        private readonly HashSet<SqliteCommand> _busy = [];

        /// <summary>
        /// The kept command of <paramref name="sql"/> (compiled the first time), marked busy until <see cref="Done"/>; a
        /// command of its own (<paramref name="oneOff"/>, not kept) if the kept one is busy still.
        /// </summary>
        public SqliteCommand CommandFor(string sql, out bool compiled, out bool oneOff)
        {
            oneOff = false;
            for (var i = 0; i < _commands.Count; i++)
            {
                var kept = _commands[i];
                if (kept.CommandText != sql) continue; // string equality: the same instance first (each reader caches its text)
                if (_busy.Contains(kept))
                {
                    oneOff = compiled = true;
                    var own = Connection.CreateCommand();
                    own.CommandText = sql;
                    return own;
                }
                if (i > 0)
                {
                    _commands.RemoveAt(i);
                    _commands.Insert(0, kept);
                }
                compiled = false;
                _busy.Add(kept);
                return kept;
            }
            if (_commands.Count >= MaxCommandsPerConnection && _commands.FindLastIndex(c => !_busy.Contains(c)) is var last and >= 0)
            {
                _commands[last].Dispose();
                _commands.RemoveAt(last);
            }
            var command = Connection.CreateCommand();
            command.CommandText = sql;
            _commands.Insert(0, command);
            _busy.Add(command);
            compiled = true;
            return command;
        }

        /// <summary>Its reader is done: a kept command is free again (its parameters, the caller's, let go), one of its own disposed.</summary>
        public void Done(SqliteCommand command, bool oneOff)
        {
            if (oneOff)
            {
                command.Dispose();
                return;
            }
            command.Parameters.Clear();
            _busy.Remove(command);
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
/// kept compiled (<see cref="PreparedReads.TryExecute"/>): EF Core logs, traces and shapes them as its own, and an
/// interceptor after this one sees each as sent (to observe: what it changes in the command is not run). Any other
/// command runs as EF Core would run it.
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
