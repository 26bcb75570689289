using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TrackingNumberIndexes : Migration
    {
        /// <summary>
        /// A carrier's scan finds its shipments by the tracking number upper-cased (<c>TrackingScan.Normalise</c>): an index of
        /// that expression, of the shipped orders and of the returns sent back, so that a scan is a lookup and not a pass over
        /// every order. Creating it reads the whole table once and holds writes to it meanwhile (docs/benchmarks.md,
        /// 2026-12-06: 1.0 s on SQLite and 1.5 s on PostgreSQL for a million orders).
        /// Created only if missing, so an operator of a far larger table may build them beforehand (<see cref="PrebuildableIndexes"/>).
        /// </summary>
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndexesIfMissing(
                new PrebuildableIndex("IX_Orders_TrackingNumber_Upper", "Orders", "upper(\"TrackingNumber\"), upper(\"Carrier\")", "\"TrackingNumber\" IS NOT NULL"),
                new PrebuildableIndex("IX_Disputes_ReturnTrackingNumber_Upper", "Disputes", "upper(\"ReturnTrackingNumber\"), upper(\"ReturnCarrier\")",
                    "\"ReturnTrackingNumber\" IS NOT NULL"));
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndexesIfPresent("IX_Disputes_ReturnTrackingNumber_Upper", "IX_Orders_TrackingNumber_Upper");
        }
    }
}
