using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Postgres
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

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "At",
                table: "JournalLines",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTimeOffset(new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)));

            // The journal refuses updates (Baseline's trigger); the copy is the one exception, made in this migration's transaction.
            migrationBuilder.Sql("""
                ALTER TABLE "JournalLines" DISABLE TRIGGER "JournalLines_append_only";
                UPDATE "JournalLines" SET "At" = (SELECT e."At" FROM "JournalEntries" e WHERE e."Id" = "JournalLines"."EntryId");
                ALTER TABLE "JournalLines" ENABLE TRIGGER "JournalLines_append_only";
                """);

            // No default from here on: a host still on the version before, which does not know the column, fails to write a
            // journal line rather than writing one with no instant (such a line would sort as the oldest of a statement).
            migrationBuilder.Sql("""ALTER TABLE "JournalLines" ALTER COLUMN "At" DROP DEFAULT""");

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

            migrationBuilder.DropColumn(
                name: "At",
                table: "JournalLines");

            migrationBuilder.CreateIndex(
                name: "IX_JournalLines_SellerId_Currency",
                table: "JournalLines",
                columns: new[] { "SellerId", "Currency" });
        }
    }
}
