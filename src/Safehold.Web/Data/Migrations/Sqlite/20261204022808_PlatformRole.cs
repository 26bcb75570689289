using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PlatformRole : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "PlatformKeyId",
                table: "OrderEvents",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "PlatformUserId",
                table: "OrderEvents",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "PlatformKeyId",
                table: "DisputeEvents",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "PlatformUserId",
                table: "DisputeEvents",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "PlatformKeyId",
                table: "OrderEvents");

            migrationBuilder.DropColumn(
                name: "PlatformUserId",
                table: "OrderEvents");

            migrationBuilder.DropColumn(
                name: "PlatformKeyId",
                table: "DisputeEvents");

            migrationBuilder.DropColumn(
                name: "PlatformUserId",
                table: "DisputeEvents");
        }
    }
}
