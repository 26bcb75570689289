using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Safehold.Web.Api;

namespace Safehold.Web.Tests.Http;

/// <summary>
/// How a failure of the database is told apart: the database gone (503 <c>database_unavailable</c>, retry later)
/// from a race lost to another request (409 <c>concurrent_change</c>, read again) from anything else (500).
/// The end-to-end cases, with a real connection cut, are in <c>Hosting/DatabaseOutageTests</c>.
/// </summary>
public sealed class DatabaseFailureTests
{
    private static PostgresException Server(string sqlState) => new("message", "ERROR", "ERROR", sqlState);

    public static TheoryData<string, Exception> Unavailable => new()
    {
        { "connection refused", new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)) },
        { "connection lost while saving", new DbUpdateException("save failed", new NpgsqlException("Exception while reading from stream", new EndOfStreamException())) },
        { "pool exhausted", new NpgsqlException("The connection pool has been exhausted", new TimeoutException()) },
        { "server shutting down (pg_terminate_backend, restart)", Server(PostgresErrorCodes.AdminShutdown) },
        { "server starting up", Server(PostgresErrorCodes.CannotConnectNow) },
        { "too many connections", Server(PostgresErrorCodes.TooManyConnections) },
        { "connection failure", Server(PostgresErrorCodes.ConnectionFailure) },
        { "SQLite busy past its timeout", new SqliteException("database is locked", 5) },
    };

    public static TheoryData<string, Exception> LostRace => new()
    {
        { "unique key", new DbUpdateException("save failed", Server(PostgresErrorCodes.UniqueViolation)) },
        { "serialization failure", Server(PostgresErrorCodes.SerializationFailure) },
        { "deadlock", Server(PostgresErrorCodes.DeadlockDetected) },
    };

    [Theory]
    [MemberData(nameof(Unavailable))]
    public void A_database_that_cannot_be_reached_is_unavailable_not_a_race(string why, Exception failure)
    {
        Assert.True(Problems.IsDatabaseUnavailable(failure), why);
        Assert.False(Problems.IsConcurrencyFailure(failure), why);
    }

    [Theory]
    [MemberData(nameof(LostRace))]
    public void A_race_lost_inside_the_database_is_a_concurrent_change_not_an_outage(string why, Exception failure)
    {
        Assert.True(Problems.IsConcurrencyFailure(failure), why);
        Assert.False(Problems.IsDatabaseUnavailable(failure), why);
    }

    [Fact]
    public void A_statement_the_server_refuses_for_another_reason_is_neither()
    {
        var syntax = Server(PostgresErrorCodes.SyntaxError);
        Assert.False(Problems.IsDatabaseUnavailable(syntax));
        Assert.False(Problems.IsConcurrencyFailure(syntax));
        Assert.False(Problems.IsDatabaseUnavailable(new InvalidOperationException("a bug")));
    }
}
