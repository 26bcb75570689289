using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Sqlite
{
    /// <summary>
    /// Each journal line takes its entry's instant, so a seller's statement is read from the index of the seller's lines in
    /// the entries' order (the index by seller and currency served only it); and the entries get an index of their
    /// instant for a period's export and reconciliation. The lines are written once and never changed; filling in the
    /// instant of those already written is a copy of their entry's, done once here before the index is built.
    /// </summary>
    public partial class LedgerInstants : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_JournalLines_SellerId_Currency",
                table: "JournalLines");

            migrationBuilder.AddColumn<long>(
                name: "At",
                table: "JournalLines",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            // The journal refuses updates (Baseline's trigger); the copy is the one exception, made in this migration's transaction.
            migrationBuilder.Sql("""
                DROP TRIGGER "JournalLines_no_update";
                UPDATE "JournalLines" SET "At" = (SELECT e."At" FROM "JournalEntries" e WHERE e."Id" = "JournalLines"."EntryId");
                CREATE TRIGGER "JournalLines_no_update" BEFORE UPDATE ON "JournalLines" BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
                """);

            migrationBuilder.CreateIndex(
                name: "IX_JournalLines_SellerId_At_EntryId",
                table: "JournalLines",
                columns: new[] { "SellerId", "At", "EntryId" },
                filter: "\"SellerId\" IS NOT NULL");

            migrationBuilder.CreateIndexesIfMissing(new PrebuildableIndex("IX_JournalEntries_At_Id", "JournalEntries", "\"At\", \"Id\""));
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_JournalLines_SellerId_At_EntryId",
                table: "JournalLines");

            migrationBuilder.DropIndexesIfPresent("IX_JournalEntries_At_Id");

            // SQLite's own DROP COLUMN: EF Core's DropColumn rebuilds the table, and the rebuilt table would have none of the
            // journal's append-only triggers.
            migrationBuilder.Sql("""ALTER TABLE "JournalLines" DROP COLUMN "At";""");

            migrationBuilder.CreateIndex(
                name: "IX_JournalLines_SellerId_Currency",
                table: "JournalLines",
                columns: new[] { "SellerId", "Currency" });
        }
    }
}
