using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class TrackingNumberIndexes : Migration
    {
        /// <summary>
        /// A carrier's scan finds its shipments by the tracking number upper-cased (<c>TrackingScan.Normalise</c>): an index of
        /// that expression, of the shipped orders and of the returns sent back, so that a scan is a lookup and not a pass over
        /// every order. Creating it reads the whole table once and holds writes to it meanwhile (docs/benchmarks.md,
        /// 2026-12-06: 1.0 s on SQLite and 1.5 s on PostgreSQL for a million orders).
        /// <c>IF NOT EXISTS</c>: an operator of a far larger table may build them beforehand, <c>CONCURRENTLY</c> on PostgreSQL.
        /// </summary>
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // An index of either name that a failed or cancelled CREATE INDEX CONCURRENTLY left invalid is dropped, so it is built here.
            migrationBuilder.Sql("""
                DO $$
                BEGIN
                    IF EXISTS (SELECT FROM pg_index WHERE indexrelid = to_regclass('"IX_Orders_TrackingNumber_Upper"') AND NOT indisvalid) THEN
                        DROP INDEX "IX_Orders_TrackingNumber_Upper";
                    END IF;
                    IF EXISTS (SELECT FROM pg_index WHERE indexrelid = to_regclass('"IX_Disputes_ReturnTrackingNumber_Upper"') AND NOT indisvalid) THEN
                        DROP INDEX "IX_Disputes_ReturnTrackingNumber_Upper";
                    END IF;
                END $$;
                CREATE INDEX IF NOT EXISTS "IX_Orders_TrackingNumber_Upper" ON "Orders" (upper("TrackingNumber"), upper("Carrier"))
                    WHERE "TrackingNumber" IS NOT NULL;
                CREATE INDEX IF NOT EXISTS "IX_Disputes_ReturnTrackingNumber_Upper" ON "Disputes" (upper("ReturnTrackingNumber"), upper("ReturnCarrier"))
                    WHERE "ReturnTrackingNumber" IS NOT NULL;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP INDEX IF EXISTS "IX_Disputes_ReturnTrackingNumber_Upper";
                DROP INDEX IF EXISTS "IX_Orders_TrackingNumber_Upper";
                """);
        }
    }
}
