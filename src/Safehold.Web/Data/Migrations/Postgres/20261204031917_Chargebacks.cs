using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Chargebacks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "ChargebackId",
                table: "Orders",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ChargebackAmount",
                table: "Disputes",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ChargebackBearer",
                table: "Disputes",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ChargebackReference",
                table: "Disputes",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "SupersededBy",
                table: "Disputes",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "PaymentEvents",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    Type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    OrderId = table.Column<Guid>(type: "uuid", nullable: false),
                    DisputeId = table.Column<Guid>(type: "uuid", nullable: false),
                    Result = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    ReceivedBy = table.Column<Guid>(type: "uuid", nullable: false),
                    RequestHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ReceivedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PaymentEvents", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_PaymentEvents_OrderId",
                table: "PaymentEvents",
                column: "OrderId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PaymentEvents");

            migrationBuilder.DropColumn(
                name: "ChargebackId",
                table: "Orders");

            migrationBuilder.DropColumn(
                name: "ChargebackAmount",
                table: "Disputes");

            migrationBuilder.DropColumn(
                name: "ChargebackBearer",
                table: "Disputes");

            migrationBuilder.DropColumn(
                name: "ChargebackReference",
                table: "Disputes");

            migrationBuilder.DropColumn(
                name: "SupersededBy",
                table: "Disputes");
        }
    }
}
