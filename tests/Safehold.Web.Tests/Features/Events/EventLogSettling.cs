using Microsoft.EntityFrameworkCore;

namespace Safehold.Web.Tests.Features.Events;

/// <summary>For tests that read the event log right after writing.</summary>
public static class EventLogSettling
{
    /// <summary>
    /// Waits until the log shows everything committed before the call. On PostgreSQL an event appears once every
    /// transaction older than its own has finished (anywhere in the cluster: other test classes run at the same
    /// time); on SQLite at once.
    /// </summary>
    public static async Task Settled(SafeholdApp app)
    {
        if (!TestDatabase.IsPostgres) return;
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var connection = db.Database.GetDbConnection();
            await connection.OpenAsync();
            async Task<long> Scalar(string sql)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                return Convert.ToInt64(await command.ExecuteScalarAsync());
            }
            var next = await Scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint");
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (await Scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint") < next)
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("A transaction of the cluster has been running for a minute.");
                await Task.Delay(20);
            }
        }
    }
}
