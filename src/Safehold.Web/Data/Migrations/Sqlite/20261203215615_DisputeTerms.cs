using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    /// <summary>A dispute's terms (its durations), copied from the policy when it opens; disputes already open get the SPEC's.</summary>
    public partial class DisputeTerms : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "AppealDays",
                table: "Disputes",
                type: "INTEGER",
                nullable: false,
                defaultValue: 30);

            migrationBuilder.AddColumn<int>(
                name: "BuyerResponseDays",
                table: "Disputes",
                type: "INTEGER",
                nullable: false,
                defaultValue: 7);

            migrationBuilder.AddColumn<int>(
                name: "DecisionTargetDays",
                table: "Disputes",
                type: "INTEGER",
                nullable: false,
                defaultValue: 7);

            migrationBuilder.AddColumn<int>(
                name: "NoAgreementDays",
                table: "Disputes",
                type: "INTEGER",
                nullable: false,
                defaultValue: 15);

            migrationBuilder.AddColumn<int>(
                name: "ReturnReceiptDays",
                table: "Disputes",
                type: "INTEGER",
                nullable: false,
                defaultValue: 15);

            migrationBuilder.AddColumn<int>(
                name: "ReturnShipDays",
                table: "Disputes",
                type: "INTEGER",
                nullable: false,
                defaultValue: 10);

            migrationBuilder.AddColumn<int>(
                name: "SellerReminderDays",
                table: "Disputes",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<int>(
                name: "SellerResponseDays",
                table: "Disputes",
                type: "INTEGER",
                nullable: false,
                defaultValue: 5);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "AppealDays",
                table: "Disputes");

            migrationBuilder.DropColumn(
                name: "BuyerResponseDays",
                table: "Disputes");

            migrationBuilder.DropColumn(
                name: "DecisionTargetDays",
                table: "Disputes");

            migrationBuilder.DropColumn(
                name: "NoAgreementDays",
                table: "Disputes");

            migrationBuilder.DropColumn(
                name: "ReturnReceiptDays",
                table: "Disputes");

            migrationBuilder.DropColumn(
                name: "ReturnShipDays",
                table: "Disputes");

            migrationBuilder.DropColumn(
                name: "SellerReminderDays",
                table: "Disputes");

            migrationBuilder.DropColumn(
                name: "SellerResponseDays",
                table: "Disputes");
        }
    }
}
