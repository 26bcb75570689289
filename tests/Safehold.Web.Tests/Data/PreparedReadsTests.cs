using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Demo;
using Safehold.Web.Features.Orders;

namespace Safehold.Web.Tests.Data;

/// <summary>
/// SQLite's reads through connections that keep their statements compiled (<see cref="PreparedReads"/>): an order read
/// whole by <see cref="OrderReader"/>, with no transaction of the caller's.
/// </summary>
[Trait("Database", "SQLite")]
public sealed class PreparedReadsTests : IDisposable
{
    private readonly SqliteFiles _files = new();
    private readonly PreparedReads _reads;
    private readonly DateTimeOffset _placed = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public PreparedReadsTests() => _reads = new PreparedReads($"Data Source={_files.PathOf("reads.db")}");

    public void Dispose()
    {
        _reads.Dispose();
        _files.Dispose();
    }

    /// <summary>A context whose reads go through <see cref="_reads"/>, as the host's do.</summary>
    private SqliteSafeholdDb Open() => new(new DbContextOptionsBuilder<SqliteSafeholdDb>()
        .UseSqlite($"Data Source={_files.PathOf("reads.db")}").UsePreparedReads(_reads).Options);

    private async Task<IReadOnlyList<Guid>> SeedAsync(int delivered)
    {
        await using var seed = Open();
        await seed.Database.MigrateAsync();
        return await BulkOrders.SeedDeliveredAsync(seed, delivered, _placed, apart: TimeSpan.FromSeconds(1));
    }

    private const string OneVersion = """SELECT "Version" FROM "Orders" WHERE "Id" = @id""";

    /// <summary>An order's key as SQLite stores it.</summary>
    private static string Key(Guid id) => id.ToString().ToUpperInvariant();

    /// <summary>An order's version, by an EF Core query of <paramref name="db"/>'s.</summary>
    private static Task<int> VersionOf(SqliteSafeholdDb db, Guid id) => db.Orders.AsNoTracking().Where(o => o.Id == id).Select(o => o.Version).SingleAsync();

    private async Task<List<Order>> ReadAsync(params Guid[] ids)
    {
        await using var db = Open();
        return await OrderReader.ReadAsync(db, ids, CancellationToken.None);
    }

    [Fact]
    public async Task An_order_read_again_runs_the_statements_its_connection_compiled_for_the_first_read()
    {
        var ids = await SeedAsync(2);

        var first = Assert.Single(await ReadAsync(ids[0]));
        var again = Assert.Single(await ReadAsync(ids[0]));
        var other = Assert.Single(await ReadAsync(ids[1])); // the same statements, other values bound

        Assert.Equal((1, 2), (_reads.Compiled, _reads.Reused));
        Assert.Equal(1, _reads.Idle);
        Assert.Equal((ids[0], ids[0], ids[1]), (first.Id, again.Id, other.Id));
        Assert.Equal(first.Timeline.Select(e => e.Kind), again.Timeline.Select(e => e.Kind));
        Assert.NotEmpty(other.Lines);
    }

    [Fact]
    public async Task A_read_sees_what_was_committed_after_the_last_read_on_its_connection()
    {
        var id = (await SeedAsync(1))[0];
        var before = Assert.Single(await ReadAsync(id));

        await using (var writer = Open())
            await writer.Database.ExecuteSqlAsync($"""UPDATE "Orders" SET "Version" = "Version" + 1 WHERE "Id" = {id}""");
        var after = Assert.Single(await ReadAsync(id));

        Assert.Equal(before.Version + 1, after.Version); // its snapshot ended with the read before: none is held between reads
        Assert.Equal(1, _reads.Reused);
    }

    [Fact]
    public async Task Inside_the_callers_transaction_an_order_is_read_on_the_callers_connection_as_the_writer_sees_it()
    {
        var id = (await SeedAsync(1))[0];
        await using var db = Open();
        var version = await VersionOf(db, id);
        var (compiled, reused) = (_reads.Compiled, _reads.Reused);
        await using var tx = await db.Database.BeginTransactionAsync();
        await db.Database.ExecuteSqlAsync($"""UPDATE "Orders" SET "Version" = "Version" + 1 WHERE "Id" = {id}""");

        var read = Assert.Single(await OrderReader.ReadAsync(db, [id], CancellationToken.None));

        Assert.Equal(version + 1, read.Version); // its own uncommitted write: another connection would not see it (nor wait for the lock)
        Assert.Equal((compiled, reused), (_reads.Compiled, _reads.Reused));
    }

    [Fact]
    public async Task An_EF_Core_query_outside_a_transaction_runs_again_on_the_statement_its_connection_compiled()
    {
        var ids = await SeedAsync(2);
        await using var db = Open();
        var (compiled, reused) = (_reads.Compiled, _reads.Reused);

        var first = await VersionOf(db, ids[0]);
        var second = await VersionOf(db, ids[1]); // the same text, other values bound
        await db.Database.ExecuteSqlAsync($"""UPDATE "Orders" SET "Version" = "Version" + 5 WHERE "Id" = {ids[0]}""");
        var after = await VersionOf(db, ids[0]);

        Assert.Equal((compiled + 1, reused + 2), (_reads.Compiled, _reads.Reused));
        Assert.Equal(first + 5, after); // what was committed since: no snapshot is held between queries
        Assert.InRange(second, 1, long.MaxValue);
        Assert.Equal(1, _reads.Idle);
    }

    [Fact]
    public async Task Its_metrics_count_the_reads_that_compiled_their_statements_and_those_that_found_them_kept()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        using var reads = new PreparedReads($"Data Source={_files.PathOf("reads.db")}", registry);
        var id = (await SeedAsync(1))[0];
        await using var db = new SqliteSafeholdDb(new DbContextOptionsBuilder<SqliteSafeholdDb>()
            .UseSqlite($"Data Source={_files.PathOf("reads.db")}").UsePreparedReads(reads).Options);

        for (var i = 0; i < 3; i++) await VersionOf(db, id);
        await OrderReader.ReadAsync(db, [id], CancellationToken.None);

        using var text = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(text);
        var metrics = System.Text.Encoding.UTF8.GetString(text.ToArray());
        Assert.Contains("safehold_sqlite_reads_compiled_total 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains("safehold_sqlite_reads_reused_total 2\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_split_querys_collections_read_the_snapshot_of_its_main_rows_though_a_commit_comes_between_them()
    {
        var id = (await SeedAsync(1))[0];
        int before;
        await using (var read = Open()) before = (await read.Orders.AsNoTracking().Include(o => o.Lines).SingleAsync(o => o.Id == id)).Lines[0].Quantity;
        var between = new AfterTheFirstReader(async () =>
        {
            await using var writer = Open();
            await writer.Database.ExecuteSqlAsync($"""UPDATE "OrderLines" SET "Quantity" = "Quantity" + 1 WHERE "OrderId" = {id}""");
        });
        await using var db = new SqliteSafeholdDb(new DbContextOptionsBuilder<SqliteSafeholdDb>()
            .UseSqlite($"Data Source={_files.PathOf("reads.db")}").UsePreparedReads(_reads).AddInterceptors(between).Options);
        var idle = _reads.Idle;

        var order = await db.Orders.AsNoTracking().Include(o => o.Lines).AsSplitQuery().SingleAsync(o => o.Id == id);

        Assert.True(between.Ran);
        Assert.Equal(before, order.Lines[0].Quantity); // the order's snapshot, as on EF Core's own connection: not the commit made since
        Assert.Equal(idle, _reads.Idle); // both readers on one kept connection, given back once
        await using var after = Open();
        Assert.Equal(before + 1, (await after.Orders.AsNoTracking().Include(o => o.Lines).SingleAsync(o => o.Id == id)).Lines[0].Quantity);
    }

    /// <summary>Runs <paramref name="between"/> once, right after the first reader EF Core sends has begun.</summary>
    private sealed class AfterTheFirstReader(Func<Task> between) : Microsoft.EntityFrameworkCore.Diagnostics.DbCommandInterceptor
    {
        public bool Ran { get; private set; }

        public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, Microsoft.EntityFrameworkCore.Diagnostics.CommandExecutedEventData eventData,
            DbDataReader result, CancellationToken cancellationToken = default)
        {
            if (!Ran)
            {
                Ran = true;
                await between();
            }
            return result;
        }
    }

    [Fact]
    public async Task A_query_sent_again_while_its_first_reader_is_open_runs_on_a_command_of_its_own()
    {
        var ids = await SeedAsync(3);
        await using var db = Open();
        var query = db.Orders.AsNoTracking().OrderBy(o => o.CreatedAt).Select(o => o.Id);
        await query.ToListAsync(); // compiled and kept

        await using (var open = query.AsAsyncEnumerable().GetAsyncEnumerator())
        {
            Assert.True(await open.MoveNextAsync());
            Assert.Equal(ids.Order(), (await query.ToListAsync()).Order()); // the kept command is busy with the open reader
            var rest = new List<Guid> { open.Current };
            while (await open.MoveNextAsync()) rest.Add(open.Current);
            Assert.Equal(ids.Order(), rest.Order());
        }

        Assert.Equal(1, _reads.Idle);
        var reused = _reads.Reused;
        await query.ToListAsync();
        Assert.Equal(reused + 1, _reads.Reused); // the kept command, free again
    }

    [Fact]
    public async Task A_reader_left_open_is_ended_when_EF_Cores_connection_closes_and_its_kept_connection_given_back()
    {
        await SeedAsync(2);
        await using var db = Open();
        var open = db.Orders.AsNoTracking().Select(o => o.Id).AsAsyncEnumerable().GetAsyncEnumerator();
        Assert.True(await open.MoveNextAsync());
        Assert.Equal(0, _reads.Idle);

        db.Database.GetDbConnection().Close(); // as disposing (or returning) the context does

        Assert.Equal(1, _reads.Idle);
        Assert.Equal(2, await db.Orders.AsNoTracking().CountAsync());
    }

    [Fact]
    public async Task A_query_that_needs_EF_Cores_own_SQL_functions_is_left_to_EF_Core()
    {
        await SeedAsync(2);
        await using var db = Open();
        var lines = await db.Set<OrderLine>().AsNoTracking().CountAsync();

        // regexp: a function EF Core adds to each connection it opens, which the kept connections do not have
        var matching = await db.Set<OrderLine>().AsNoTracking().CountAsync(l => System.Text.RegularExpressions.Regex.IsMatch(l.Title, "."));

        Assert.Equal(lines, matching);
        Assert.InRange(_reads.Idle, 1, PreparedReads.MaxIdleConnections);
    }

    [Fact]
    public async Task An_EF_Core_query_in_a_transaction_runs_on_the_contexts_connection_and_sees_its_uncommitted_write()
    {
        var id = (await SeedAsync(1))[0];
        await using var db = Open();
        var before = await VersionOf(db, id);
        var (compiled, reused) = (_reads.Compiled, _reads.Reused);

        // EF Core's own transaction, and one begun by SQL that EF Core does not know of
        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            await db.Database.ExecuteSqlAsync($"""UPDATE "Orders" SET "Version" = "Version" + 1 WHERE "Id" = {id}""");
            Assert.Equal(before + 1, await VersionOf(db, id));
        }
        await db.Database.OpenConnectionAsync();
        await db.Database.ExecuteSqlRawAsync("BEGIN");
        await db.Database.ExecuteSqlAsync($"""UPDATE "Orders" SET "Version" = "Version" + 2 WHERE "Id" = {id}""");
        Assert.Equal(before + 2, await VersionOf(db, id));
        await db.Database.ExecuteSqlRawAsync("ROLLBACK");

        Assert.Equal((compiled, reused), (_reads.Compiled, _reads.Reused));
    }

    [Fact]
    public async Task A_write_EF_Core_sends_as_one_statement_without_a_transaction_is_left_to_EF_Core()
    {
        var id = (await SeedAsync(1))[0];
        var sent = new ReadersSent();
        await using var db = new SqliteSafeholdDb(new DbContextOptionsBuilder<SqliteSafeholdDb>()
            .UseSqlite($"Data Source={_files.PathOf("reads.db")}").UsePreparedReads(_reads).AddInterceptors(sent).Options);
        var order = await db.Orders.SingleAsync(o => o.Id == id);
        var (compiled, reused) = (_reads.Compiled, _reads.Reused);

        db.Entry(order).Property(o => o.Version).CurrentValue = order.Version + 1;
        await db.SaveChangesAsync(); // one UPDATE ... RETURNING 1 (its version checked), run as a reader with no transaction

        Assert.Contains(sent.Texts, t => t.Sql.StartsWith("UPDATE", StringComparison.Ordinal) && !t.InTransaction);
        Assert.Equal((compiled, reused), (_reads.Compiled, _reads.Reused));
        await using var other = Open();
        Assert.Equal(order.Version, (await other.Orders.AsNoTracking().SingleAsync(o => o.Id == id)).Version);
    }

    /// <summary>The text of each reader EF Core sends, and whether it went in a transaction.</summary>
    private sealed class ReadersSent : Microsoft.EntityFrameworkCore.Diagnostics.DbCommandInterceptor
    {
        public List<(string Sql, bool InTransaction)> Texts { get; } = [];

        public override ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command,
            Microsoft.EntityFrameworkCore.Diagnostics.CommandEventData eventData, Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult<DbDataReader> result,
            CancellationToken cancellationToken = default)
        {
            Texts.Add((command.CommandText.TrimStart(), command.Transaction is not null));
            return ValueTask.FromResult(result);
        }
    }

    [Fact]
    public async Task A_query_on_another_database_is_left_to_EF_Core()
    {
        await SeedAsync(0);
        await using (var migrate = new SqliteSafeholdDb(new DbContextOptionsBuilder<SqliteSafeholdDb>()
            .UseSqlite($"Data Source={_files.PathOf("other.db")}").Options))
            await migrate.Database.MigrateAsync();
        await using var db = new SqliteSafeholdDb(new DbContextOptionsBuilder<SqliteSafeholdDb>()
            .UseSqlite($"Data Source={_files.PathOf("other.db")}").UsePreparedReads(_reads).Options);
        var (compiled, reused) = (_reads.Compiled, _reads.Reused);

        Assert.Equal(0, await db.Orders.AsNoTracking().CountAsync(o => o.Version > 0) + (await db.Orders.AsNoTracking().ToListAsync()).Count);

        Assert.Equal((compiled, reused), (_reads.Compiled, _reads.Reused));
    }

    [Fact]
    public async Task An_EF_Core_query_read_only_in_part_gives_its_connection_back_with_no_snapshot_held()
    {
        var ids = await SeedAsync(3);
        await using var db = Open();

        var first = await db.Orders.AsNoTracking().OrderBy(o => o.CreatedAt).FirstAsync(); // EF Core stops at the first row of three
        Assert.Equal(1, _reads.Idle);
        await using (var writer = Open())
            await writer.Database.ExecuteSqlAsync($"""UPDATE "Orders" SET "Version" = "Version" + 1 WHERE "Id" = {first.Id}""");
        var again = await db.Orders.AsNoTracking().OrderBy(o => o.CreatedAt).FirstAsync();

        Assert.Equal(first.Version + 1, again.Version);
        Assert.Contains(first.Id, ids);
        Assert.Equal(1, _reads.Idle);
    }

    [Fact]
    public async Task An_EF_Core_query_that_fails_closes_its_connection_and_the_context_reads_on()
    {
        var id = (await SeedAsync(1))[0];
        await using var db = Open();
        await db.Orders.AsNoTracking().CountAsync();
        await db.Orders.AsNoTracking().Select(o => o.Id).ToListAsync();
        Assert.Equal(1, _reads.Idle);

        // A text that SQLite refuses when it compiles it: raw SQL is composed by EF Core into its own SELECT
        await Assert.ThrowsAsync<SqliteException>(() => db.Orders.FromSqlRaw("""SELECT * FROM "NoSuchTable" """).AsNoTracking().ToListAsync());

        Assert.Equal(0, _reads.Idle);
        Assert.Equal(id, (await db.Orders.AsNoTracking().SingleAsync()).Id);
        Assert.Equal(1, _reads.Idle);
    }

    [Fact]
    public async Task A_read_while_another_is_running_has_a_connection_of_its_own()
    {
        var ids = await SeedAsync(2);
        var inFirst = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var first = Task.Run(() => _reads.ReadAsync(OneVersion, c => c.Parameters.Add(new SqliteParameter("@id", Key(ids[0]))), async (reader, ct) =>
        {
            inFirst.SetResult();
            await release.Task; // holds its connection, mid-read
            return await reader.ReadAsync(ct) ? reader.GetInt64(0) : -1;
        }, CancellationToken.None, oneStatement: true));
        await inFirst.Task;

        var second = Assert.Single(await ReadAsync(ids[1]));
        release.SetResult();

        Assert.InRange(await first, 1, long.MaxValue);
        Assert.Equal(ids[1], second.Id);
        Assert.Equal((2, 0), (_reads.Compiled, _reads.Reused)); // nothing of the first's connection: a second, which compiled its own
        Assert.Equal(2, _reads.Idle);
    }

    [Fact]
    public async Task Reads_at_once_find_their_own_orders_and_keep_no_more_connections_than_the_bound()
    {
        var ids = await SeedAsync(40);

        var read = await Task.WhenAll(ids.Select(id => Task.Run(async () => (Asked: id, Got: Assert.Single(await ReadAsync(id)).Id))));

        Assert.All(read, r => Assert.Equal(r.Asked, r.Got));
        Assert.InRange(_reads.Idle, 1, PreparedReads.MaxIdleConnections);
    }

    [Fact]
    public async Task The_statements_of_a_read_see_one_snapshot_though_a_commit_comes_between_them()
    {
        var id = (await SeedAsync(1))[0];

        var (first, second) = await _reads.ReadAsync(OneVersion + ";\n" + OneVersion, c => c.Parameters.Add(new SqliteParameter("@id", Key(id))),
            async (reader, ct) =>
            {
                await reader.ReadAsync(ct);
                var before = reader.GetInt64(0);
                await using (var writer = Open())
                    await writer.Database.ExecuteSqlAsync($"""UPDATE "Orders" SET "Version" = "Version" + 1 WHERE "Id" = {id}""");
                await reader.NextResultAsync(ct);
                await reader.ReadAsync(ct);
                return (before, reader.GetInt64(0));
            }, CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(first + 1, Assert.Single(await ReadAsync(id)).Version); // the next read sees the commit
    }

    [Fact]
    public async Task A_statement_that_would_write_is_refused_and_writes_nothing()
    {
        var id = (await SeedAsync(1))[0];
        var version = Assert.Single(await ReadAsync(id)).Version;

        await Assert.ThrowsAsync<SqliteException>(() => _reads.ReadAsync(
            """UPDATE "Orders" SET "Version" = "Version" + 1 WHERE "Id" = @id""", c => c.Parameters.Add(new SqliteParameter("@id", Key(id))),
            (reader, ct) => reader.ReadAsync(ct), CancellationToken.None, oneStatement: true));

        Assert.Equal(version, Assert.Single(await ReadAsync(id)).Version);
    }

    [Fact]
    public async Task A_read_that_fails_closes_its_connection_and_the_next_read_opens_another()
    {
        var id = (await SeedAsync(1))[0];
        await ReadAsync(id);
        const string sql = """SELECT "Id" FROM "Orders" """;

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            _reads.ReadAsync<int>(sql, _ => { }, (_, _) => throw new InvalidOperationException("the caller's failure"), CancellationToken.None));
        Assert.Equal(0, _reads.Idle); // the one connection there was, closed rather than given back
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _reads.ReadAsync(sql, _ => { }, (reader, ct) => reader.ReadAsync(ct), new CancellationToken(canceled: true)));
        Assert.Equal(0, _reads.Idle);

        Assert.Equal(id, Assert.Single(await ReadAsync(id)).Id);
        Assert.Equal(1, _reads.Idle);
    }

    [Fact]
    public async Task A_connection_keeps_its_latest_used_texts_up_to_the_bound_and_compiles_an_older_one_again()
    {
        var ids = await SeedAsync(10);
        var texts = Enumerable.Range(1, PreparedReads.MaxCommandsPerConnection + 2).Select(n => $"SELECT {n} AS n, COUNT(*) FROM \"Orders\"").ToList();
        async Task<long> One(string sql) => await _reads.ReadAsync(sql, _ => { },
            async (reader, ct) => await reader.ReadAsync(ct) ? reader.GetInt64(1) : -1, CancellationToken.None, oneStatement: true);

        foreach (var sql in texts.Take(PreparedReads.MaxCommandsPerConnection)) Assert.Equal(ids.Count, await One(sql));
        await One(texts[0]); // used again: now the latest
        foreach (var sql in texts.Skip(PreparedReads.MaxCommandsPerConnection)) await One(sql); // two more push out the two least used
        await One(texts[0]); // kept
        await One(texts[1]); // pushed out: compiled again

        Assert.Equal((texts.Count + 1, 2), (_reads.Compiled, _reads.Reused));
    }

    [Fact]
    public async Task Disposed_it_closes_the_connections_waiting_and_reads_no_more()
    {
        var id = (await SeedAsync(1))[0];
        await using (var db = Open()) await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL");
        await ReadAsync(id);
        SqliteConnection.ClearAllPools(); // the contexts' connections closed: only the reads' is open
        var wal = _files.PathOf("reads.db") + "-wal";
        Assert.True(File.Exists(wal));

        _reads.Dispose();

        Assert.Equal(0, _reads.Idle);
        Assert.False(File.Exists(wal)); // the last connection to close removes the WAL: none is left open
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _reads.ReadAsync(
            """SELECT 1""", _ => { }, (reader, ct) => reader.ReadAsync(ct), CancellationToken.None));
    }

    [Fact]
    public async Task The_host_reads_its_orders_and_its_sandbox_clock_through_statements_compiled_once()
    {
        using var app = new SafeholdApp();
        var (buyer, _, orderId) = await app.OrderIn("awaiting_shipment");
        var reads = app.Services.GetRequiredService<PreparedReads>();
        var reused = reads.Reused;

        await Api.ExpectStatus(await buyer.Http.GetAsync($"/api/v1/orders/{orderId}"), System.Net.HttpStatusCode.OK);
        await Api.ExpectStatus(await buyer.Http.GetAsync($"/api/v1/orders/{orderId}"), System.Net.HttpStatusCode.OK);

        Assert.InRange(reads.Reused - reused, 4, int.MaxValue); // each request: the clock, then the order
        using var scope = app.Services.CreateScope();
        Assert.Same(reads, scope.ServiceProvider.GetRequiredService<SafeholdDb>().PreparedReads());
    }
}
