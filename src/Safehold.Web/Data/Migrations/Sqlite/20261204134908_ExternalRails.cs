using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Sqlite
{
    /// <summary>
    /// External payment rails: the payment instruction's events, appended to the event log by a trigger as order and
    /// dispute events are (so the webhooks deliver <c>payment_instruction.created</c>), and the index that keeps a reported
    /// capture to one order.
    /// </summary>
    public partial class ExternalRails : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "PaymentInstructionEvents",
                columns: table => new
                {
                    InstructionId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Sequence = table.Column<int>(type: "INTEGER", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PaymentInstructionEvents", x => new { x.InstructionId, x.Sequence });
                    table.ForeignKey(
                        name: "FK_PaymentInstructionEvents_PaymentInstructions_InstructionId",
                        column: x => x.InstructionId,
                        principalTable: "PaymentInstructions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Orders_PaymentReference",
                table: "Orders",
                column: "PaymentReference");

            migrationBuilder.Sql("""
                CREATE TRIGGER "PaymentInstructionEvents_to_EventLog" AFTER INSERT ON "PaymentInstructionEvents"
                BEGIN
                    INSERT INTO "EventLog" ("Source", "EntityId", "Sequence") VALUES ('payment_instruction', NEW."InstructionId", NEW."Sequence");
                END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PaymentInstructionEvents");

            migrationBuilder.DropIndex(
                name: "IX_Orders_PaymentReference",
                table: "Orders");
        }
    }
}
