using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Safehold.Web.Data;
using Safehold.Web.Features.Tracking;

namespace Safehold.Web.Tests.Features.Tracking;

/// <summary>
/// Which shipments a carrier's scan is of. A carrier reports every parcel's scans, and each one looks its shipments up: the
/// database must find them through an index of the normalised tracking number, not by reading every order and dispute.
/// (The query plan is what is checked, on the database the suite runs on: a plan, not a timing.)
/// </summary>
public sealed class TrackingScansTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static readonly DateTimeOffset Until = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_scan_finds_its_orders_through_the_index_of_the_upper_cased_tracking_number()
    {
        var plan = await PlanOf(db => TrackingScans.OrdersShippedAs(db, "DHL", "TRK123", Until).Select(o => new { o.Id, o.BuyerId, o.SellerId }));

        Assert.Contains("IX_Orders_TrackingNumber_Upper", plan);
    }

    [Fact]
    public async Task A_scan_finds_the_returns_it_is_of_through_the_index_of_the_upper_cased_return_tracking_number()
    {
        var plan = await PlanOf(db => TrackingScans.ReturnsSentAs(db, "DHL", "TRK123", Until).Select(d => new { d.Id, d.OrderId, d.BuyerId, d.SellerId }));

        Assert.Contains("IX_Disputes_ReturnTrackingNumber_Upper", plan);
    }

    /// <summary>
    /// The plan the database makes for the query with its parameters bound. On PostgreSQL sequential scans are priced out
    /// first, since on a nearly empty table a scan is cheaper than any index and the plan would say nothing of the index.
    /// </summary>
    private async Task<string> PlanOf<T>(Func<SafeholdDb, IQueryable<T>> query)
    {
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.Database.OpenConnectionAsync();
            await using var transaction = await db.Database.BeginTransactionAsync();
            var postgres = db.Database.IsNpgsql();
            if (postgres) await db.Database.ExecuteSqlRawAsync("SET LOCAL enable_seqscan = off");
            await using DbCommand command = query(db).CreateDbCommand();
            command.Transaction = transaction.GetDbTransaction();
            command.CommandText = (postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + command.CommandText;
            var lines = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                    lines.Add(reader.GetString(postgres ? 0 : 3)); // SQLite: id, parent, notused, detail
            await transaction.RollbackAsync();
            return string.Join('\n', lines);
        }
    }
}
