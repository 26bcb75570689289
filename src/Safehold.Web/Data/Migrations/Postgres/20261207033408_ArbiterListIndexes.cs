using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Postgres
{
    /// <summary>
    /// An arbiter's list of disputes pages by seeking in an index of each part of it (DisputeAccess.VisibleToByIndex): the
    /// disputes they decided and those whose appeal they hear, each by arbiter and then newest first, replacing the indexes
    /// of the arbiter alone, whose matches every page read and sorted. Built only if missing, so that they can be built
    /// beforehand (README, "Upgrading"), and before the old ones are dropped.
    /// </summary>
    public partial class ArbiterListIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndexesIfMissing(
                new PrebuildableIndex("IX_Disputes_DecidedBy_OpenedAt_Id", "Disputes", "\"DecidedBy\", \"OpenedAt\", \"Id\""),
                new PrebuildableIndex("IX_Disputes_AppealArbiterId_OpenedAt_Id", "Disputes", "\"AppealArbiterId\", \"OpenedAt\", \"Id\""));

            migrationBuilder.DropIndexesIfPresent("IX_Disputes_DecidedBy", "IX_Disputes_AppealArbiterId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Disputes_AppealArbiterId_OpenedAt_Id",
                table: "Disputes");

            migrationBuilder.DropIndex(
                name: "IX_Disputes_DecidedBy_OpenedAt_Id",
                table: "Disputes");

            migrationBuilder.CreateIndex(
                name: "IX_Disputes_AppealArbiterId",
                table: "Disputes",
                column: "AppealArbiterId");

            migrationBuilder.CreateIndex(
                name: "IX_Disputes_DecidedBy",
                table: "Disputes",
                column: "DecidedBy");
        }
    }
}
