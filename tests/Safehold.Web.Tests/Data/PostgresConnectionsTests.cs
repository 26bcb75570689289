using Microsoft.EntityFrameworkCore;
using Npgsql;
using Safehold.Web.Data;

namespace Safehold.Web.Tests.Data;

/// <summary>Safehold's defaults for its PostgreSQL connections.</summary>
public sealed class PostgresConnectionsTests
{
    private const string Server = "Host=db.example;Database=safehold;Username=safehold";

    [Fact]
    public void A_connection_string_that_says_nothing_gets_statements_prepared_and_no_reset_on_close()
    {
        var built = new NpgsqlConnectionStringBuilder(PostgresConnections.WithDefaults(Server));

        Assert.Equal(64, built.MaxAutoPrepare);
        Assert.True(built.NoResetOnClose);
        Assert.Equal("db.example", built.Host);
    }

    [Theory]
    [InlineData("Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("MaxAutoPrepare=0;NoResetOnClose=false")]
    [InlineData("max auto prepare=0;no reset on close=False")]
    public void What_the_connection_string_says_is_kept(string settings)
    {
        var built = new NpgsqlConnectionStringBuilder(PostgresConnections.WithDefaults($"{Server};{settings}"));

        Assert.Equal(0, built.MaxAutoPrepare);
        Assert.False(built.NoResetOnClose);
    }

    /// <summary>
    /// With no reset on close, a session-level advisory lock left on a pooled connection would outlive its holder: the
    /// startup lock, the one Safehold takes, must be gone once it is released, and the next user of its connection, given
    /// it by the pool, must hold no advisory lock. (Anything in this process that clears every pool, a test app answering a 503
    /// or the load bench's smoke test, gives the next user a new connection, which proves nothing: the scenario runs again.)
    /// </summary>
    [Fact]
    [Trait("Database", "PostgreSQL")]
    public async Task The_startup_lock_leaves_no_advisory_lock_on_the_connection_it_gives_back_to_the_pool()
    {
        var name = TestDatabase.DatabaseNameFor(SafeholdApp.NewDirectory());
        TestDatabase.CreateMigrated(name);
        var connection = PostgresConnections.WithDefaults(TestDatabase.PostgresDatabase(name));
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                int lockHolder;
                await using (var db = new PostgresSafeholdDb(new DbContextOptionsBuilder<PostgresSafeholdDb>().UseNpgsql(connection).Options))
                {
                    await using (await StartupLock.TakeAsync(db))
                    {
                        Assert.Equal(1, await AdvisoryLocksOn(name));
                        lockHolder = await db.Database.SqlQuery<int>($"SELECT pg_backend_pid() AS \"Value\"").SingleAsync();
                    }
                }

                await using var next = new NpgsqlConnection(connection);
                await next.OpenAsync();
                if (next.ProcessID != lockHolder && attempt < 5)
                {
                    await Task.Delay(200); // the pool was cleared meanwhile: not the lock's connection
                    continue;
                }
                Assert.Equal(lockHolder, next.ProcessID); // the lock's connection, kept by the pool as it was
                await using var held = new NpgsqlCommand("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()", next);
                Assert.Equal(0L, (long)(await held.ExecuteScalarAsync())!);
                Assert.Equal(0, await AdvisoryLocksOn(name));
                break;
            }
        }
        finally
        {
            NpgsqlConnection.ClearPool(new NpgsqlConnection(connection));
            TestDatabase.Drop(name);
        }
    }

    private static Task<long> AdvisoryLocksOn(string database) => Count(
        $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = '{database}')");

    private static async Task<long> Count(string sql)
    {
        await using var connection = new NpgsqlConnection(TestDatabase.PostgresDatabase("postgres", pooling: false));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
