using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Sqlite
{
    /// <summary>
    /// The event log behind <c>GET /api/v1/events</c> and webhooks: a trigger gives every order event, as it is
    /// written, the next position in one table-wide order. SQLite has one writer at a time, so positions are
    /// handed out in commit order and a reader that has seen position N never later finds a new event below N.
    /// Written by hand: the log is not part of the EF model (only raw SQL reads it), so the snapshot is unchanged.
    /// </summary>
    [DbContext(typeof(SqliteSafeholdDb))]
    [Migration("20261124230000_EventLog")]
    public partial class EventLog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE "EventLog" (
                    "Position" INTEGER PRIMARY KEY AUTOINCREMENT,
                    "Source" TEXT NOT NULL,
                    "EntityId" TEXT NOT NULL,
                    "Sequence" INTEGER NOT NULL);
                INSERT INTO "EventLog" ("Source", "EntityId", "Sequence")
                    SELECT 'order', "OrderId", "Sequence" FROM "OrderEvents" ORDER BY "At", "OrderId", "Sequence";
                CREATE TRIGGER "OrderEvents_to_EventLog" AFTER INSERT ON "OrderEvents"
                BEGIN
                    INSERT INTO "EventLog" ("Source", "EntityId", "Sequence") VALUES ('order', NEW."OrderId", NEW."Sequence");
                END;
                CREATE TRIGGER "EventLog_append_only_update" BEFORE UPDATE ON "EventLog"
                BEGIN SELECT RAISE(ABORT, 'The event log is append-only'); END;
                CREATE TRIGGER "EventLog_append_only_delete" BEFORE DELETE ON "EventLog"
                BEGIN SELECT RAISE(ABORT, 'The event log is append-only'); END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER "OrderEvents_to_EventLog";
                DROP TABLE "EventLog";
                """);
        }
    }
}
