using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Demo;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Orders;

namespace Safehold.Web.Tests.Data;

/// <summary>
/// A change prepared ahead of the write lock, staged on SQLite as statements worked out ahead of the lock as well
/// (<see cref="PreparedWrite"/>) and written by the group commit, against the same change written by EF Core's save (the
/// way PostgreSQL writes it): both leave the same rows. On SQLite whatever database the rest of the run uses: the
/// statements exist only for SQLite.
/// </summary>
public sealed class PreparedWriteTests : IDisposable
{
    private readonly SqliteFiles _files = new();
    private readonly DateTimeOffset _placed = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly GroupCommit _commits;

    public PreparedWriteTests() => _commits = _files.GroupCommit("prepared.db", new WriteGate());

    private SqliteSafeholdDb Open() => _files.Open("prepared.db");

    /// <summary>The buyer confirms receipt of the order, read as a request reads it for a change, and the confirmation is written by <paramref name="statements"/>.</summary>
    private async Task ConfirmAsync(Guid id, bool statements)
    {
        await using var db = Open();
        var order = (await OrderReader.FindAsync(db, id, tracked: true, CancellationToken.None))!;
        var now = _placed.AddDays(1);
        List<JournalEntry> toPost = [order.ConfirmReceipt(new Actor(Party.Buyer, order.BuyerId), now)!];
        if (statements)
        {
            var staged = PreparedWrite.Stage(db, toPost, check: null); // no transaction is open
            Assert.NotNull(staged);
            Assert.True(await _commits.WriteAsync(staged));
            return;
        }
        await using var tx = await db.Database.BeginTransactionAsync();
        await db.PostAllAsync(toPost, CancellationToken.None);
        await db.SaveChangesAsync();
        await tx.CommitAsync();
    }

    [Fact]
    public async Task A_confirmation_written_by_its_prepared_statements_leaves_the_rows_ef_cores_save_leaves()
    {
        IReadOnlyList<Guid> ids;
        await using (var seed = Open())
        {
            await seed.Database.MigrateAsync();
            ids = await BulkOrders.SeedDeliveredAsync(seed, 2, _placed, apart: TimeSpan.FromSeconds(1));
        }

        await ConfirmAsync(ids[0], statements: true);
        await ConfirmAsync(ids[1], statements: false);

        await using var check = Open();
        var orders = await OrderReader.ReadAsync(check, ids, CancellationToken.None);
        var (prepared, saved) = (orders.Single(o => o.Id == ids[0]), orders.Single(o => o.Id == ids[1]));
        Assert.Equal(OrderStatus.Completed, prepared.Status);
        Assert.Equal((saved.Status, saved.Version, saved.EventCount, saved.CompletedAt), (prepared.Status, prepared.Version, prepared.EventCount, prepared.CompletedAt));
        Assert.Equal(prepared.EventCount, prepared.Timeline.Count);
        Assert.Equal(Kinds(saved.Timeline.Select(e => e.Kind)), Kinds(prepared.Timeline.Select(e => e.Kind)));
        Assert.Equal(Kinds(saved.Timers.Select(t => t.Kind.ToString())), Kinds(prepared.Timers.Select(t => t.Kind.ToString())));

        var releases = await check.JournalEntries.AsNoTracking().Include(e => e.Lines).Where(e => e.Kind == "release").ToListAsync();
        Assert.Equal(ids.Order(), releases.Select(e => e.OrderId!.Value).Order());
        var lines = releases.ToDictionary(e => e.OrderId!.Value, e => e.Lines.Select(l => $"{l.AccountType} {l.Amount} {l.Currency}").Order().ToList());
        Assert.Equal(lines[ids[1]], lines[ids[0]]);
        // The seller's running balance moved with both entries, as the ledger's own check recomputes it.
        var ledger = await LedgerEndpoints.RunChecksAsync(check, _placed.AddDays(60), CancellationToken.None);
        Assert.All(ledger.Checks, c => Assert.True(c.Ok, $"{c.Name}: {c.Detail}"));
    }

    [Fact]
    public async Task A_version_check_on_the_writers_connection_runs_on_its_kept_statements_and_finds_a_row_changed_since_it_was_read()
    {
        Guid id;
        await using (var seed = Open())
        {
            await seed.Database.MigrateAsync();
            id = (await BulkOrders.SeedDeliveredAsync(seed, 1, _placed, apart: TimeSpan.FromSeconds(1)))[0];
        }
        await using var reader = Open();
        await OrderReader.FindAsync(reader, id, tracked: true, CancellationToken.None);
        var check = PreparedWrite.UnchangedSinceRead(reader);
        await using var writer = Open();
        await using var tx = await writer.Database.BeginTransactionAsync();
        var connection = writer.Database.GetDbConnection();

        using (var kept = new SqliteStatements(((Microsoft.Data.Sqlite.SqliteConnection)connection).Handle!))
        {
            Assert.Same(kept, SqliteStatements.On(connection));
            Assert.True(await check.HoldsAsync(writer, CancellationToken.None));
            Assert.Equal(1, kept.Count); // the order's check, prepared on the writer's connection
            await writer.Database.ExecuteSqlAsync($"""UPDATE "Orders" SET "Version" = "Version" + 1 WHERE "Id" = {id}""");
            Assert.False(await check.HoldsAsync(writer, CancellationToken.None));
            Assert.Equal(1, kept.Count);
        }

        Assert.Null(SqliteStatements.On(connection));
        Assert.False(await check.HoldsAsync(writer, CancellationToken.None)); // by EF Core's raw SQL, as on any other connection
    }

    private static List<string> Kinds(IEnumerable<string> kinds) => kinds.Order(StringComparer.Ordinal).ToList();

    public void Dispose() => _files.Dispose();
}
