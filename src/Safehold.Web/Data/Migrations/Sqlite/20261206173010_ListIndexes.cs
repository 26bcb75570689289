using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ListIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Users_CreatedAt_Id",
                table: "Users",
                columns: new[] { "CreatedAt", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Products_CreatedAt_Id",
                table: "Products",
                columns: new[] { "CreatedAt", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Payouts_CreatedAt_Id",
                table: "Payouts",
                columns: new[] { "CreatedAt", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Orders_CreatedAt_Id",
                table: "Orders",
                columns: new[] { "CreatedAt", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Disputes_AppealArbiterId",
                table: "Disputes",
                column: "AppealArbiterId");

            migrationBuilder.CreateIndex(
                name: "IX_Disputes_Chargebacks_OpenedAt_Id",
                table: "Disputes",
                columns: new[] { "OpenedAt", "Id" },
                filter: "\"Reason\" = 'Chargeback'");

            migrationBuilder.CreateIndex(
                name: "IX_Disputes_Chargebacks_Status_DecisionDueAt",
                table: "Disputes",
                columns: new[] { "Status", "DecisionDueAt" },
                filter: "\"Reason\" = 'Chargeback'");

            migrationBuilder.CreateIndex(
                name: "IX_Disputes_DecidedBy",
                table: "Disputes",
                column: "DecidedBy");

            migrationBuilder.CreateIndex(
                name: "IX_Disputes_OpenedAt_Id",
                table: "Disputes",
                columns: new[] { "OpenedAt", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Users_CreatedAt_Id",
                table: "Users");

            migrationBuilder.DropIndex(
                name: "IX_Products_CreatedAt_Id",
                table: "Products");

            migrationBuilder.DropIndex(
                name: "IX_Payouts_CreatedAt_Id",
                table: "Payouts");

            migrationBuilder.DropIndex(
                name: "IX_Orders_CreatedAt_Id",
                table: "Orders");

            migrationBuilder.DropIndex(
                name: "IX_Disputes_AppealArbiterId",
                table: "Disputes");

            migrationBuilder.DropIndex(
                name: "IX_Disputes_Chargebacks_OpenedAt_Id",
                table: "Disputes");

            migrationBuilder.DropIndex(
                name: "IX_Disputes_Chargebacks_Status_DecisionDueAt",
                table: "Disputes");

            migrationBuilder.DropIndex(
                name: "IX_Disputes_DecidedBy",
                table: "Disputes");

            migrationBuilder.DropIndex(
                name: "IX_Disputes_OpenedAt_Id",
                table: "Disputes");
        }
    }
}
