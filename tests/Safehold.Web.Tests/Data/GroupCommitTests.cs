using Microsoft.EntityFrameworkCore;
using Prometheus;
using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Demo;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Orders;

namespace Safehold.Web.Tests.Data;

/// <summary>
/// The group commit (<see cref="GroupCommit"/>): the staged writes waiting when it takes the write lock are written in
/// one transaction, each in a savepoint; one that lost a race is rolled back alone and its request told to do it again.
/// On SQLite whatever database the rest of the run uses: the group commit exists only for SQLite.
/// </summary>
public sealed class GroupCommitTests : IDisposable
{
    private readonly SqliteFiles _files = new();
    private readonly DateTimeOffset _placed = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly WriteGate _gate = new();
    private readonly CollectorRegistry _metrics = Prometheus.Metrics.NewCustomRegistry();
    private readonly GroupCommit _commits;

    public GroupCommitTests() => _commits = _files.GroupCommit("group.db", _gate, _metrics);

    private SqliteSafeholdDb Open() => _files.Open("group.db");

    private async Task<IReadOnlyList<Guid>> SeedAsync(int delivered)
    {
        await using var seed = Open();
        await seed.Database.MigrateAsync();
        return await BulkOrders.SeedDeliveredAsync(seed, delivered, _placed, apart: TimeSpan.FromSeconds(1));
    }

    /// <summary>The buyer's confirmation of receipt, read and staged as a request stages it, with <paramref name="alsoInsert"/> written after it.</summary>
    private async Task<StagedWrite> ConfirmationAsync(Guid id, StagedWrite.Check? check = null, object? alsoInsert = null)
    {
        await using var db = Open();
        var order = (await OrderReader.FindAsync(db, id, tracked: true, CancellationToken.None))!;
        List<JournalEntry> toPost = [order.ConfirmReceipt(new Actor(Party.Buyer, order.BuyerId), _placed.AddDays(1))!];
        var staged = PreparedWrite.Stage(db, toPost, check)!;
        if (alsoInsert is not null)
        {
            await using var other = Open();
            staged.Then(PreparedSaver.Plan(other, inserts: [alsoInsert]));
        }
        return staged;
    }

    /// <summary>Hands <paramref name="writes"/> to the group commit while another writer holds the lock, then lets it go: they all wait for one commit.</summary>
    private async Task<bool[]> WriteTogetherAsync(params StagedWrite[] writes)
    {
        Task<bool[]> written;
        await using (var holder = Open())
        {
            await using var tx = await _gate.BeginTransactionAsync(holder, CancellationToken.None);
            written = Task.WhenAll(writes.Select(_commits.WriteAsync));
            Assert.False(written.IsCompleted);
        }
        return await written;
    }

    private async Task<string> Scrape()
    {
        using var text = new MemoryStream();
        await _metrics.CollectAndExportAsTextAsync(text);
        return System.Text.Encoding.UTF8.GetString(text.ToArray());
    }

    private async Task<Dictionary<Guid, OrderStatus>> StatusesAsync(IEnumerable<Guid> ids)
    {
        await using var db = Open();
        return await db.Orders.AsNoTracking().Where(o => ids.Contains(o.Id)).ToDictionaryAsync(o => o.Id, o => o.Status);
    }

    private async Task AssertLedgerOkAsync()
    {
        await using var db = Open();
        var ledger = await LedgerEndpoints.RunChecksAsync(db, _placed.AddDays(60), CancellationToken.None);
        Assert.All(ledger.Checks, c => Assert.True(c.Ok, $"{c.Name}: {c.Detail}"));
    }

    [Fact]
    public async Task The_writes_waiting_when_the_writer_takes_the_lock_are_committed_together_in_one_transaction()
    {
        var ids = await SeedAsync(3);
        var writes = new List<StagedWrite>();
        foreach (var id in ids) writes.Add(await ConfirmationAsync(id));

        var written = await WriteTogetherAsync([.. writes]);

        Assert.Equal([true, true, true], written);
        Assert.All((await StatusesAsync(ids)).Values, s => Assert.Equal(OrderStatus.Completed, s));
        var metrics = await Scrape();
        Assert.Contains("safehold_group_commit_writes_count 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("safehold_group_commit_writes_sum 3\n", metrics, StringComparison.Ordinal);
        await AssertLedgerOkAsync();
    }

    [Fact]
    public async Task A_write_whose_order_an_earlier_write_of_its_commit_changed_is_rolled_back_alone_and_the_rest_is_written()
    {
        var ids = await SeedAsync(2);
        // Two requests read the first order before either wrote: the buyer's two tabs confirming it.
        var first = await ConfirmationAsync(ids[0]);
        var second = await ConfirmationAsync(ids[0]);
        var other = await ConfirmationAsync(ids[1]);

        var written = await WriteTogetherAsync(first, second, other);

        Assert.Equal([true, false, true], written);
        await using var db = Open();
        Assert.Equal(1, await db.JournalEntries.CountAsync(e => e.OrderId == ids[0] && e.Kind == "release"));
        Assert.Equal(1, await db.JournalEntries.CountAsync(e => e.OrderId == ids[1] && e.Kind == "release"));
        Assert.Contains("safehold_group_commit_writes_count 1\n", await Scrape(), StringComparison.Ordinal);
        await AssertLedgerOkAsync();
    }

    [Fact]
    public async Task A_write_that_meets_a_unique_index_after_writing_rows_is_rolled_back_whole_and_the_others_are_written()
    {
        var ids = await SeedAsync(3);
        var user = Guid.NewGuid();
        IdempotencyRecord Answer() => new(user, "key-1", new string('a', 64), 200, "{}", null, _placed);
        // The second confirms its order, then meets the first's Idempotency-Key record: a retry of the same request.
        var writes = new[]
        {
            await ConfirmationAsync(ids[0], alsoInsert: Answer()),
            await ConfirmationAsync(ids[1], alsoInsert: Answer()),
            await ConfirmationAsync(ids[2]),
        };

        var written = await WriteTogetherAsync(writes);

        Assert.Equal([true, false, true], written);
        var statuses = await StatusesAsync(ids);
        Assert.Equal(OrderStatus.Completed, statuses[ids[0]]);
        Assert.NotEqual(OrderStatus.Completed, statuses[ids[1]]); // its confirmation went with its record
        Assert.Equal(OrderStatus.Completed, statuses[ids[2]]);
        await using var db = Open();
        Assert.Equal(0, await db.JournalEntries.CountAsync(e => e.OrderId == ids[1] && e.Kind == "release"));
        Assert.Equal(1, await db.IdempotencyRecords.CountAsync(r => r.UserId == user));
        await AssertLedgerOkAsync();
    }

    [Fact]
    public async Task A_write_whose_check_finds_its_reads_changed_writes_nothing_and_is_to_be_done_again()
    {
        var ids = await SeedAsync(1);
        var checkedOn = new List<bool>();
        var write = await ConfirmationAsync(ids[0], check: StagedWrite.Check.Reads((db, _) =>
        {
            checkedOn.Add(db.Database.CurrentTransaction is not null); // under the lock, in the commit's transaction
            return Task.FromResult(false);
        }));

        Assert.False(await _commits.WriteAsync(write));

        Assert.Equal([true], checkedOn);
        Assert.NotEqual(OrderStatus.Completed, (await StatusesAsync(ids))[ids[0]]);
        await AssertLedgerOkAsync();
    }

    public void Dispose() => _files.Dispose();
}
