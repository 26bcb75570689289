using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Postgres
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
                    InstructionId = table.Column<Guid>(type: "uuid", nullable: false),
                    Sequence = table.Column<int>(type: "integer", nullable: false),
                    Kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
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
                CREATE FUNCTION safehold_log_payment_instruction_event() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO "EventLog" ("Source", "EntityId", "Sequence") VALUES ('payment_instruction', NEW."InstructionId", NEW."Sequence");
                    RETURN NULL;
                END $$;
                CREATE TRIGGER "PaymentInstructionEvents_to_EventLog" AFTER INSERT ON "PaymentInstructionEvents"
                    FOR EACH ROW EXECUTE FUNCTION safehold_log_payment_instruction_event();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP FUNCTION safehold_log_payment_instruction_event() CASCADE;");

            migrationBuilder.DropTable(
                name: "PaymentInstructionEvents");

            migrationBuilder.DropIndex(
                name: "IX_Orders_PaymentReference",
                table: "Orders");
        }
    }
}
