using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Postgres
{
    /// <summary>
    /// The lists' indexes (ListIndexesTests): every order, dispute, product, user and payout newest first, an arbiter's queue
    /// and the chargebacks. Created only if missing, so an operator of a large database may build them beforehand
    /// (<see cref="PrebuildableIndexes"/>).
    /// </summary>
    public partial class ListIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndexesIfMissing(
                new PrebuildableIndex("IX_Users_CreatedAt_Id", "Users", "\"CreatedAt\", \"Id\""),
                new PrebuildableIndex("IX_Products_CreatedAt_Id", "Products", "\"CreatedAt\", \"Id\""),
                new PrebuildableIndex("IX_Payouts_CreatedAt_Id", "Payouts", "\"CreatedAt\", \"Id\""),
                new PrebuildableIndex("IX_Orders_CreatedAt_Id", "Orders", "\"CreatedAt\", \"Id\""),
                new PrebuildableIndex("IX_Disputes_AppealArbiterId", "Disputes", "\"AppealArbiterId\""),
                new PrebuildableIndex("IX_Disputes_Chargebacks_OpenedAt_Id", "Disputes", "\"OpenedAt\", \"Id\"", "\"Reason\" = 'Chargeback'"),
                new PrebuildableIndex("IX_Disputes_Chargebacks_Status_DecisionDueAt", "Disputes", "\"Status\", \"DecisionDueAt\"", "\"Reason\" = 'Chargeback'"),
                new PrebuildableIndex("IX_Disputes_DecidedBy", "Disputes", "\"DecidedBy\""),
                new PrebuildableIndex("IX_Disputes_OpenedAt_Id", "Disputes", "\"OpenedAt\", \"Id\""));
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndexesIfPresent(
                "IX_Users_CreatedAt_Id",
                "IX_Products_CreatedAt_Id",
                "IX_Payouts_CreatedAt_Id",
                "IX_Orders_CreatedAt_Id",
                "IX_Disputes_AppealArbiterId",
                "IX_Disputes_Chargebacks_OpenedAt_Id",
                "IX_Disputes_Chargebacks_Status_DecisionDueAt",
                "IX_Disputes_DecidedBy",
                "IX_Disputes_OpenedAt_Id");
        }
    }
}
