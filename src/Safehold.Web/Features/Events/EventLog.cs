using System.Data.Common;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Events;

/// <summary>
/// A place in the event log: the transaction that wrote an event and the event's position. On SQLite the
/// transaction part is always 0 (positions are already in commit order there). Spelled <c>{txId}.{position}</c>.
/// </summary>
public readonly record struct EventCursor(long TxId, long Position)
{
    public static readonly EventCursor Start = new(0, 0);

    public override string ToString() => $"{TxId.ToString(CultureInfo.InvariantCulture)}.{Position.ToString(CultureInfo.InvariantCulture)}";

    public static EventCursor Parse(string? text)
    {
        if (string.IsNullOrEmpty(text) || text == "0") return Start;
        var parts = text.Split('.');
        if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var tx)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var position))
            return new EventCursor(tx, position);
        throw new InvalidInputException(new Dictionary<string, string[]> { ["after"] = ["Not an event id this API gave out (e.g. 0.42), or 0 for the start."] });
    }
}

/// <summary>
/// One event of the log: something that happened to an order, its dispute or a payment instruction, by whom and when.
/// <c>Id</c> is its cursor.
/// </summary>
/// <remarks><c>Sequence</c> counts the events of the order (<c>order.*</c>), of the dispute (<c>dispute.*</c>) or of the
/// payment instruction (<c>payment_instruction.*</c>). <c>PlatformUserId</c> and <c>PlatformKeyId</c> name the
/// marketplace's platform and key when it acted for the actor. A payment instruction's event carries
/// <c>InstructionId</c>, <c>InstructionKind</c> (<c>refund</c> or <c>payout</c>) and <c>Amount</c>; a payout's has no order
/// or buyer.</remarks>
public sealed record EventItem(string Id, string Type, DateTimeOffset At, Guid? OrderId, Guid? DisputeId, int Sequence, string Actor, Guid? ActorUserId,
    string? Detail, Guid? BuyerId, Guid? SellerId, Guid? PlatformUserId = null, Guid? PlatformKeyId = null, Guid? InstructionId = null,
    string? InstructionKind = null, MoneyDto? Amount = null);

public sealed record EventListResponse(IReadOnlyList<EventItem> Items, string Next);

/// <summary>
/// The event log (SPEC 5, <c>GET /api/v1/events?after=</c>): every order and dispute event in one order that never changes
/// and never gains an event behind a reader. The log itself is a table a database trigger appends to as each
/// event is written (see the <c>EventLog</c> migrations); this reads it.
/// </summary>
public static class EventLog
{
    public static void MapEvents(this RouteGroupBuilder api) => api.MapGet("/events", List).WithTags("Events");

    /// <summary>Admin: the events after <paramref name="after"/> (an event's id; none or 0 for the start), oldest first.</summary>
    public static async Task<Ok<EventListResponse>> List(HttpContext http, SafeholdDb db, string? after, int? limit, CancellationToken ct)
    {
        Caller.From(http.User).Require(UserRole.Admin, "read the event log");
        var from = EventCursor.Parse(after);
        var take = limit is null ? 100 : limit is < 1 or > 1000
            ? throw new InvalidInputException(new Dictionary<string, string[]> { ["limit"] = ["Must be from 1 to 1000."] })
            : limit.Value;
        var items = await ReadAsync(db, from, take, ct);
        return TypedResults.Ok(new EventListResponse(items, items.Count > 0 ? items[^1].Id : from.ToString()));
    }

    // Each log row is an order's, a dispute's or a payment instruction's event; the dispute's row carries its order and
    // parties, the instruction's its order's (a refund) or its seller (a payout), and the system is its actor.
    private static string Select(bool postgres) => $"""
        SELECT {(postgres ? "l.\"TxId\"" : "0")}, l."Position", l."Source", l."EntityId", l."Sequence",
               COALESCE(oe."Kind", de."Kind", pe."Kind"), COALESCE(oe."At", de."At", pe."At"), COALESCE(oe."Actor", de."Actor", 'System'),
               COALESCE(oe."ActorUserId", de."ActorUserId"), COALESCE(oe."Detail", de."Detail"),
               COALESCE(o."Id", d."OrderId", pi."OrderId"), COALESCE(o."BuyerId", d."BuyerId", po."BuyerId"),
               COALESCE(o."SellerId", d."SellerId", pi."SellerId", po."SellerId"),
               COALESCE(oe."PlatformUserId", de."PlatformUserId"), COALESCE(oe."PlatformKeyId", de."PlatformKeyId"),
               pi."Kind", pi."Amount", pi."Currency"
        FROM "EventLog" l
        LEFT JOIN "OrderEvents" oe ON l."Source" = 'order' AND oe."OrderId" = l."EntityId" AND oe."Sequence" = l."Sequence"
        LEFT JOIN "Orders" o ON l."Source" = 'order' AND o."Id" = l."EntityId"
        LEFT JOIN "DisputeEvents" de ON l."Source" = 'dispute' AND de."DisputeId" = l."EntityId" AND de."Sequence" = l."Sequence"
        LEFT JOIN "Disputes" d ON l."Source" = 'dispute' AND d."Id" = l."EntityId"
        LEFT JOIN "PaymentInstructionEvents" pe ON l."Source" = 'payment_instruction' AND pe."InstructionId" = l."EntityId" AND pe."Sequence" = l."Sequence"
        LEFT JOIN "PaymentInstructions" pi ON l."Source" = 'payment_instruction' AND pi."Id" = l."EntityId"
        LEFT JOIN "Orders" po ON po."Id" = pi."OrderId"
        """;

    /// <summary>Up to <paramref name="limit"/> events after <paramref name="after"/>, in log order.</summary>
    public static async Task<IReadOnlyList<EventItem>> ReadAsync(SafeholdDb db, EventCursor after, int limit, CancellationToken ct)
    {
        var postgres = db.OnPostgres;
        // PostgreSQL: only transactions older than every one still running, so a slow writer's events cannot land
        // behind a reader's cursor; ordered by transaction, then position.
        var sql = postgres
            ? $"""
              {Select(true)}
              WHERE l."TxId" < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
                AND (l."TxId", l."Position") > (@tx, @position)
              ORDER BY l."TxId", l."Position"
              LIMIT @limit
              """
            : $"""
              {Select(false)}
              WHERE l."Position" > @position
              ORDER BY l."Position"
              LIMIT @limit
              """;
        return await QueryAsync(db, sql, [("@tx", after.TxId), ("@position", after.Position), ("@limit", limit)], reader =>
        {
            var source = reader.GetString(2);
            var at = reader.GetValue(6) switch
            {
                long ticks => new DateTimeOffset(ticks, TimeSpan.Zero),
                DateTime utc => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)),
                DateTimeOffset offset => offset,
                var other => throw new InvalidOperationException($"Unexpected event time {other.GetType()}"),
            };
            var instruction = source == "payment_instruction";
            return new EventItem(new EventCursor(reader.GetInt64(0), reader.GetInt64(1)).ToString(), source + "." + reader.GetString(5), at,
                NullableGuidAt(reader, 10), source == "dispute" ? GuidAt(reader, 3) : null, reader.GetInt32(4),
                reader.GetString(7).ToLowerInvariant(), NullableGuidAt(reader, 8),
                reader.IsDBNull(9) ? null : reader.GetString(9), NullableGuidAt(reader, 11), NullableGuidAt(reader, 12),
                NullableGuidAt(reader, 13), NullableGuidAt(reader, 14),
                instruction ? GuidAt(reader, 3) : null, instruction ? reader.GetString(15).ToLowerInvariant() : null,
                instruction ? new MoneyDto(reader.GetInt64(16), reader.GetString(17)) : null);
        }, ct);
    }

    /// <summary>The place after the last event a reader can see now: where a new reader starts to get only what comes next.</summary>
    public static async Task<EventCursor> EndAsync(SafeholdDb db, CancellationToken ct)
    {
        var sql = db.OnPostgres
            ? """
              SELECT "TxId", "Position" FROM "EventLog"
              WHERE "TxId" < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
              ORDER BY "TxId" DESC, "Position" DESC LIMIT 1
              """
            : """SELECT 0, "Position" FROM "EventLog" ORDER BY "Position" DESC LIMIT 1""";
        var last = await QueryAsync(db, sql, [], reader => new EventCursor(reader.GetInt64(0), reader.GetInt64(1)), ct);
        return last.Count > 0 ? last[0] : EventCursor.Start;
    }

    /// <summary>Runs a query of the log on the context's connection, in its transaction if it has one, and reads every row.</summary>
    private static async Task<List<T>> QueryAsync<T>(SafeholdDb db, string sql, (string Name, object Value)[] parameters,
        Func<DbDataReader, T> read, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened) await connection.OpenAsync(ct);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            foreach (var (name, value) in parameters)
            {
                var p = command.CreateParameter();
                p.ParameterName = name;
                p.Value = value;
                command.Parameters.Add(p);
            }
            var rows = new List<T>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) rows.Add(read(reader));
            return rows;
        }
        finally
        {
            if (opened) await connection.CloseAsync();
        }
    }

    private static Guid? NullableGuidAt(DbDataReader reader, int i) => reader.IsDBNull(i) ? null : GuidAt(reader, i);

    // SQLite keeps Guids as text, PostgreSQL as uuid.
    private static Guid GuidAt(DbDataReader reader, int i) => reader.GetValue(i) switch
    {
        Guid g => g,
        string s => Guid.Parse(s),
        var other => throw new InvalidOperationException($"Unexpected id {other.GetType()}"),
    };
}
