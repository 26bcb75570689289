using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Postgres
{
    /// <summary>
    /// The event log behind <c>GET /api/v1/events</c> and webhooks: a trigger records every order event, as it is
    /// written, with its position and the id of the transaction that wrote it. Positions come from a sequence and
    /// so are not in commit order when transactions overlap; readers therefore order by (transaction id, position)
    /// and read only transactions older than every one still running (<c>pg_snapshot_xmin</c>): nothing new can
    /// ever appear before what a reader has seen. Written by hand: the log is not part of the EF model.
    /// </summary>
    [DbContext(typeof(PostgresSafeholdDb))]
    [Migration("20261124230000_EventLog")]
    public partial class EventLog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE "EventLog" (
                    "Position" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    "TxId" bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
                    "Source" text NOT NULL,
                    "EntityId" uuid NOT NULL,
                    "Sequence" integer NOT NULL);
                CREATE INDEX "IX_EventLog_TxId_Position" ON "EventLog" ("TxId", "Position");
                INSERT INTO "EventLog" ("Source", "EntityId", "Sequence")
                    SELECT 'order', "OrderId", "Sequence" FROM "OrderEvents" ORDER BY "At", "OrderId", "Sequence";
                CREATE FUNCTION safehold_log_order_event() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO "EventLog" ("Source", "EntityId", "Sequence") VALUES ('order', NEW."OrderId", NEW."Sequence");
                    RETURN NULL;
                END $$;
                CREATE TRIGGER "OrderEvents_to_EventLog" AFTER INSERT ON "OrderEvents"
                    FOR EACH ROW EXECUTE FUNCTION safehold_log_order_event();
                CREATE FUNCTION safehold_event_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'The event log is append-only';
                END $$;
                CREATE TRIGGER "EventLog_append_only" BEFORE UPDATE OR DELETE ON "EventLog"
                    FOR EACH ROW EXECUTE FUNCTION safehold_event_log_append_only();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER "OrderEvents_to_EventLog" ON "OrderEvents";
                DROP FUNCTION safehold_log_order_event();
                DROP TABLE "EventLog";
                DROP FUNCTION safehold_event_log_append_only();
                """);
        }
    }
}
