using Microsoft.EntityFrameworkCore;

namespace Safehold.Web.Tests.Data.Migrations;

public sealed class LedgerInstantsTests
{
    [Fact]
    public async Task An_upgrade_gives_every_journal_line_written_before_it_the_instant_of_its_entry_and_the_journal_refuses_edits_after_it_and_after_a_downgrade()
    {
        await using var database = new UpgradingDatabase();
        await database.MigrateAsync("ListIndexes"); // the schema before the lines had an instant
        var seller = Guid.CreateVersion7();
        var entries = new Dictionary<Guid, DateTimeOffset>
        {
            [Guid.CreateVersion7()] = new(2026, 11, 2, 10, 0, 0, 123, 456, TimeSpan.Zero),
            [Guid.CreateVersion7()] = new(2026, 11, 30, 23, 59, 59, 999, 999, TimeSpan.Zero),
        };
        foreach (var (id, at) in entries)
        {
            await database.ExecuteAsync("""INSERT INTO "JournalEntries" ("Id", "DedupeKey", "Kind", "OrderId", "At") VALUES ({0}, {1}, 'release', NULL, {2})""",
                SafeholdApp.SqlGuid(id), $"test:{id}", SafeholdApp.SqlInstant(at));
            await database.ExecuteAsync("""
                INSERT INTO "JournalLines" ("EntryId", "LineNumber", "Account", "AccountType", "OrderId", "SellerId", "Currency", "Amount")
                VALUES ({0}, 1, 'escrow', 'Escrow', NULL, NULL, 'USD', -500), ({0}, 2, {1}, 'SellerPending', NULL, {2}, 'USD', 500)
                """, SafeholdApp.SqlGuid(id), $"seller:{seller}:pending", SafeholdApp.SqlGuid(seller));
        }

        await database.MigrateAsync();

        await using var db = database.Context();
        var lines = await db.JournalLines.AsNoTracking().ToListAsync();
        Assert.Equal(4, lines.Count);
        Assert.All(lines, l => Assert.Equal(entries[l.EntryId], l.At));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => database.ExecuteAsync("""UPDATE "JournalLines" SET "At" = "At" """));

        // And back down: the lines stay, without their instant, and the journal still refuses edits.
        await database.MigrateAsync("ListIndexes");
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => database.ExecuteAsync("""UPDATE "JournalLines" SET "Amount" = "Amount" """));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => database.ExecuteAsync("""DELETE FROM "JournalLines" """));
    }
}
