using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class IdempotencyExpiry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_IdempotencyRecords_CreatedAt",
                table: "IdempotencyRecords",
                column: "CreatedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_IdempotencyRecords_CreatedAt",
                table: "IdempotencyRecords");
        }
    }
}
