using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features.Orders;
using Safehold.Web.Tests.Features.Disputes;

namespace Safehold.Web.Tests.Features.Orders;

/// <summary>
/// Orders read whole in one round trip (<see cref="OrderReader"/>, by <see cref="RowReader{T}"/>) against EF Core's own
/// query of them: every mapped value of the order and of each of its lines, events, timers and extensions, on the
/// database the suite runs on.
/// </summary>
public sealed class OrderReaderTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    /// <summary>Orders with most of what an order carries: several states, an extension asked for, a dispute (its timers paused).</summary>
    private async Task<List<Guid>> VariedOrdersAsync()
    {
        var (_, _, placed) = await app.OrderIn("awaiting_payment");
        var (_, _, completed) = await app.OrderIn("completed", amount: 12_345);
        var (buyer, _, extended) = await app.OrderIn("awaiting_delivery");
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{extended}/protection-extensions",
            new { days = 5, reason = "Still in customs." }), HttpStatusCode.Created);
        var (_, _, disputed, _) = await app.Disputed(amount: 20_000);
        var (_, _, closed) = await app.OrderIn("closed");
        return [placed, completed, extended, disputed, closed];
    }

    [Fact]
    public async Task Orders_read_whole_hold_every_value_that_EF_Core_reads_for_them()
    {
        var ids = await VariedOrdersAsync();
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var read = (await OrderReader.ReadAsync(db, [.. ids, Guid.NewGuid()], CancellationToken.None)).ToDictionary(o => o.Id);
            var expected = await db.Orders.AsNoTracking().AsSingleQuery().Where(o => ids.Contains(o.Id)).ToListAsync();

            Assert.Equal(ids.Order(), read.Keys.Order()); // an id no order has is not there
            foreach (var order in expected)
            {
                var actual = read[order.Id];
                AssertSame(db.Model.FindEntityType(typeof(Order))!, order, actual);
                AssertSameRows(db, order.Lines, actual.Lines, l => l.LineNumber);
                AssertSameRows(db, order.Timeline, actual.Timeline, e => e.Sequence);
                AssertSameRows(db, order.Timers, actual.Timers, t => t.Kind.ToString());
                AssertSameRows(db, order.Extensions, actual.Extensions, e => e.Id);
            }
            Assert.Contains(read.Values, o => o.Extensions.Count == 1);
            Assert.Contains(read.Values, o => o.OpenDisputeId is not null && o.Timers.Any(t => t.IsPaused));
        }
    }

    [Fact]
    public async Task An_order_read_for_a_change_is_tracked_unchanged_and_its_change_is_saved_against_the_version_read()
    {
        var (_, _, id) = await app.OrderIn("awaiting_delivery");
        int version;
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var order = (await OrderReader.FindAsync(db, id, tracked: true, CancellationToken.None))!;

            Assert.All(db.ChangeTracker.Entries(), e => Assert.Equal(EntityState.Unchanged, e.State));
            Assert.Equal(1 + order.Lines.Count + order.Timeline.Count + order.Timers.Count, db.ChangeTracker.Entries().Count());
            Assert.Same(order, await OrderReader.FindAsync(db, id, tracked: true, CancellationToken.None)); // tracked already: that instance

            version = order.Version;
            order.ConfirmReceipt(new Actor(Party.Buyer, order.BuyerId), app.Clock.GetUtcNow());
            await db.SaveChangesAsync();
        }
        var (again, db2) = app.OpenDb();
        using (again)
        {
            var saved = await db2.Orders.AsNoTracking().AsSingleQuery().FirstAsync(o => o.Id == id);
            Assert.Equal(OrderStatus.Completed, saved.Status);
            Assert.True(saved.Version > version);
        }
    }

    [Fact]
    public async Task A_change_to_an_order_read_for_it_is_refused_when_the_order_changed_after_the_read()
    {
        var (_, _, id) = await app.OrderIn("awaiting_delivery");
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var order = (await OrderReader.FindAsync(db, id, tracked: true, CancellationToken.None))!;
            var (other, otherDb) = app.OpenDb();
            using (other) await otherDb.Database.ExecuteSqlAsync($"""UPDATE "Orders" SET "Version" = "Version" + 1 WHERE "Id" = {id}""");

            order.ConfirmReceipt(new Actor(Party.Buyer, order.BuyerId), app.Clock.GetUtcNow());
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => db.SaveChangesAsync());
        }
    }

    [Fact]
    public async Task A_read_racing_commits_sees_each_order_as_one_commit_left_it()
    {
        var (_, _, id) = await app.OrderIn("awaiting_delivery");
        int first;
        var (scope, db) = app.OpenDb();
        using (scope) first = (await db.Orders.AsNoTracking().FirstAsync(o => o.Id == id)).EventCount;
        using var stop = new CancellationTokenSource();

        // A writer appends events one commit at a time, each with the order's count of them (as every change does).
        var writer = Task.Run(async () =>
        {
            for (var sequence = first + 1; sequence <= first + 150; sequence++)
            {
                var (writing, w) = app.OpenDb();
                using (writing)
                {
                    await using var tx = await w.Database.BeginTransactionAsync();
                    await w.Database.ExecuteSqlAsync($"""
                        INSERT INTO "OrderEvents" ("OrderId", "Sequence", "At", "Actor", "ActorUserId", "PlatformUserId", "PlatformKeyId", "Kind", "Detail")
                        SELECT "OrderId", {sequence}, "At", "Actor", "ActorUserId", "PlatformUserId", "PlatformKeyId", 'note', NULL
                        FROM "OrderEvents" WHERE "OrderId" = {id} AND "Sequence" = 1
                        """);
                    await w.Database.ExecuteSqlAsync($"""UPDATE "Orders" SET "EventCount" = {sequence}, "Version" = "Version" + 1 WHERE "Id" = {id}""");
                    await tx.CommitAsync();
                }
            }
            await stop.CancelAsync();
        });

        var reads = 0;
        while (!stop.IsCancellationRequested)
        {
            var (reading, r) = app.OpenDb();
            using (reading)
            {
                var order = (await OrderReader.FindAsync(r, id, tracked: false, CancellationToken.None))!;
                Assert.Equal(order.EventCount, order.Timeline.Count); // never the row of one commit with the events of another
                reads++;
            }
        }
        await writer;
        Assert.True(reads > 0);
    }

    /// <summary>
    /// On PostgreSQL a read outside a transaction holds its snapshot in a REPEATABLE READ transaction of its own. A
    /// statement that fails midway aborts that transaction: it must be ended, or every later statement of the request on
    /// that connection would fail ("current transaction is aborted").
    /// </summary>
    [Fact]
    [Trait("Database", "PostgreSQL")]
    public async Task A_read_that_fails_midway_leaves_the_connection_its_caller_goes_on_using_in_no_transaction()
    {
        var (_, _, id) = await app.OrderIn("awaiting_delivery");
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.Database.OpenConnectionAsync();
            await db.Database.ExecuteSqlRawAsync("SET lock_timeout = '200ms'");
            var (other, otherDb) = app.OpenDb();
            using (other)
            {
                // The timers' table held whole by another transaction: the read takes its snapshot, reads the order, its
                // lines and its events, then waits for the timers and gives up.
                await using var holder = await otherDb.Database.BeginTransactionAsync();
                await otherDb.Database.ExecuteSqlRawAsync("""LOCK TABLE "Timers" IN ACCESS EXCLUSIVE MODE""");
                var failure = await Assert.ThrowsAsync<PostgresException>(() => OrderReader.FindAsync(db, id, tracked: false, CancellationToken.None));
                Assert.Equal(PostgresErrorCodes.LockNotAvailable, failure.SqlState);
            }

            Assert.Equal(id, (await OrderReader.FindAsync(db, id, tracked: false, CancellationToken.None))?.Id);
            Assert.Equal("read committed", await TransactionIsolation(db)); // no snapshot left open, the second read's neither
        }
    }

    /// <summary>
    /// Npgsql prepares a statement a connection has run five times, up to 64 a connection. One text a number of ids
    /// would fill that with the reader's pages (a page of 21 orders: five tables, 21 counts) and push the writes' out.
    /// </summary>
    [Fact]
    [Trait("Database", "PostgreSQL")]
    public async Task On_postgres_pages_of_any_number_of_orders_are_read_by_one_statement_a_table_that_the_connection_keeps_prepared()
    {
        var (_, _, id) = await app.OrderIn("awaiting_delivery");
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.Database.OpenConnectionAsync(); // one connection for every read, as its prepared statements are its own
            for (var count = 2; count <= 12; count++)
            {
                for (var time = 0; time < 6; time++)
                {
                    var read = await OrderReader.ReadAsync(db, [id, .. Enumerable.Range(1, count - 1).Select(_ => Guid.NewGuid())], CancellationToken.None);
                    Assert.Equal(id, Assert.Single(read).Id);
                }
            }

            foreach (var table in new[] { "Orders", "OrderLines", "OrderEvents", "Timers", "ProtectionExtensions" })
            {
                var prepared = await db.Database.SqlQuery<string>($"""
                    SELECT statement AS "Value" FROM pg_prepared_statements WHERE statement LIKE {"%FROM \"" + table + "\" WHERE %"}
                    """).ToListAsync();
                Assert.Single(prepared, s => s.Contains("= ANY(", StringComparison.Ordinal));
                Assert.DoesNotContain(prepared, s => s.Contains(" IN (", StringComparison.Ordinal));
            }
        }
    }

    private static Task<string> TransactionIsolation(SafeholdDb db) =>
        db.Database.SqlQueryRaw<string>("SELECT current_setting('transaction_isolation') AS \"Value\"").SingleAsync();

    [Fact]
    public void The_reader_reads_every_collection_an_order_has()
    {
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            // A collection added to the order must be added to OrderReader's statements, or orders would be read without it.
            var collections = db.Model.FindEntityType(typeof(Order))!.GetNavigations().Where(n => n.IsCollection).Select(n => n.Name).Order();
            Assert.Equal([nameof(Order.Extensions), nameof(Order.Lines), nameof(Order.Timeline), nameof(Order.Timers)], collections);
            Assert.Empty(db.Model.FindEntityType(typeof(Order))!.GetSkipNavigations());
        }
    }

    [Fact]
    public async Task No_order_is_read_for_an_id_no_order_has_or_for_no_ids()
    {
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            Assert.Null(await OrderReader.FindAsync(db, Guid.NewGuid(), tracked: true, CancellationToken.None));
            Assert.Empty(await OrderReader.ReadAsync(db, [], CancellationToken.None));
            Assert.Empty(db.ChangeTracker.Entries());
        }
    }

    private static void AssertSameRows<T>(SafeholdDb db, IReadOnlyList<T> expected, IReadOnlyList<T> actual, Func<T, object> key) where T : class
    {
        var type = db.Model.FindEntityType(typeof(T))!;
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (e, a) in expected.OrderBy(key).Zip(actual.OrderBy(key))) AssertSame(type, e, a);
    }

    /// <summary>Every mapped property of <paramref name="type"/>, compared as EF Core compares its values.</summary>
    private static void AssertSame(IEntityType type, object expected, object actual)
    {
        foreach (var property in type.GetProperties())
        {
            var getter = property.GetGetter();
            var (e, a) = (getter.GetClrValue(expected), getter.GetClrValue(actual));
            Assert.True(property.GetValueComparer().Equals(e, a), $"{type.DisplayName()}.{property.Name}: expected {e}, read {a}");
        }
    }
}
