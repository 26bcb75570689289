using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Safehold.Web.Data.Migrations.Postgres
{
    /// <summary>Dispute events join the event log (see <see cref="EventLog"/>): a trigger appends each as it is written.</summary>
    [DbContext(typeof(PostgresSafeholdDb))]
    [Migration("20261124232500_DisputeEventLog")]
    public partial class DisputeEventLog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                INSERT INTO "EventLog" ("Source", "EntityId", "Sequence")
                    SELECT 'dispute', "DisputeId", "Sequence" FROM "DisputeEvents" ORDER BY "At", "DisputeId", "Sequence";
                CREATE FUNCTION safehold_log_dispute_event() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO "EventLog" ("Source", "EntityId", "Sequence") VALUES ('dispute', NEW."DisputeId", NEW."Sequence");
                    RETURN NULL;
                END $$;
                CREATE TRIGGER "DisputeEvents_to_EventLog" AFTER INSERT ON "DisputeEvents"
                    FOR EACH ROW EXECUTE FUNCTION safehold_log_dispute_event();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER "DisputeEvents_to_EventLog" ON "DisputeEvents";
                DROP FUNCTION safehold_log_dispute_event();
                """);
        }
    }
}
