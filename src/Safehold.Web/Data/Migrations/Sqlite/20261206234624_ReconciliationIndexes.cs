using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Sqlite
{
    /// <summary>
    /// A period's reconciliation reads through indexes: the instructions completed in the period by their completion, and
    /// the money owed from the lines of the two owed accounts alone, in a partial index that replaces the index of every
    /// line by its account type (which cost each line written an index write). Both are built only if missing, so an
    /// operator of a large database can build them beforehand (README, "Upgrading"), and before the old index is dropped:
    /// on PostgreSQL the drop locks the lines, for reads too, until the migration commits.
    /// </summary>
    public partial class ReconciliationIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndexesIfMissing(
                new PrebuildableIndex("IX_PaymentInstructions_CompletedAt", "PaymentInstructions", "\"CompletedAt\"", "\"CompletedAt\" IS NOT NULL"),
                new PrebuildableIndex("IX_JournalLines_Owed", "JournalLines", "\"AccountType\", \"Currency\", \"At\", \"Amount\"",
                    "\"AccountType\" IN ('RefundsOwed', 'PayoutsOwed')"));

            migrationBuilder.DropIndexesIfPresent("IX_JournalLines_AccountType_Currency");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndexesIfPresent("IX_PaymentInstructions_CompletedAt", "IX_JournalLines_Owed");

            migrationBuilder.CreateIndex(
                name: "IX_JournalLines_AccountType_Currency",
                table: "JournalLines",
                columns: new[] { "AccountType", "Currency" });
        }
    }
}
