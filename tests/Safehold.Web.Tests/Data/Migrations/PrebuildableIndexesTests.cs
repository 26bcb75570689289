namespace Safehold.Web.Tests.Data.Migrations;

public sealed class PrebuildableIndexesTests
{
    [Fact]
    public async Task An_upgrade_keeps_an_index_the_operator_built_beforehand_and_builds_the_others()
    {
        await using var database = new UpgradingDatabase();
        await database.MigrateAsync("ProviderReferenceIndex"); // the version before the lists' indexes
        // What an operator of a large database does before upgrading, while the old version still serves.
        await database.ExecuteAsync($"""CREATE INDEX {(TestDatabase.IsPostgres ? "CONCURRENTLY " : "")}"IX_Orders_CreatedAt_Id" ON "Orders" ("CreatedAt", "Id")""");

        await database.MigrateAsync();

        var indexes = await database.IndexesAsync();
        Assert.Subset(indexes.ToHashSet(), new HashSet<string>
        {
            "IX_Orders_CreatedAt_Id", "IX_Disputes_OpenedAt_Id", "IX_Disputes_DecidedBy_OpenedAt_Id", "IX_Disputes_AppealArbiterId_OpenedAt_Id",
            "IX_Disputes_Chargebacks_OpenedAt_Id", "IX_Disputes_Chargebacks_Status_DecisionDueAt", "IX_Products_CreatedAt_Id",
            "IX_Users_CreatedAt_Id", "IX_Payouts_CreatedAt_Id", "IX_JournalEntries_At_Id", "IX_JournalLines_SellerId_At_EntryId",
        });
        Assert.DoesNotContain("IX_Disputes_DecidedBy", indexes); // replaced by the arbiter's list's indexes
        Assert.DoesNotContain("IX_Disputes_AppealArbiterId", indexes);
    }
}
