using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Safehold.Web.Data;

namespace Safehold.Web.Api;

/// <summary>
/// Every POST runs in one database transaction: the state change, its journal entry and the
/// idempotency record commit together or not at all. A refused or failed request rolls back,
/// so bad input never leaves a partial write.
/// </summary>
/// <remarks>
/// With an <c>Idempotency-Key</c>, the answer of a request that began executing is stored under (caller, key) with a
/// hash of the request, as Stripe does: a success, and a refusal by the process or its rules (403, 404, 409, 422, a
/// declined card's 402), so a retry never runs a refused request again; not a request that never began (400 invalid
/// input, 401, 429) nor one that lost a race or met an outage (<c>concurrent_change</c>, 503), which may be retried
/// under the same key. A retry with the same request replays the answer (even after a restart); the same key with
/// another request is refused with 409 <c>idempotency_key_reused</c>. Keys expire after
/// <see cref="IdempotencyOptions.KeepHours"/> and are then deleted by the sweeper. On SQLite the transaction begins
/// IMMEDIATE (queued in <see cref="WriteGate"/>), so a concurrent retry waits and then sees the stored response; on
/// PostgreSQL a transaction-scoped advisory lock on (caller, key) does the same across hosts.
/// </remarks>
public sealed class WriteTransaction(SafeholdDb db, WriteGate writes, WriteSession session, TimeProvider clock, IOptions<JsonOptions> json,
    IOptions<IdempotencyOptions> keys)
    : IEndpointFilter
{
    public const string Header = "Idempotency-Key";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!HttpMethods.IsPost(http.Request.Method)) return await next(context);
        var ct = http.RequestAborted;

        string? key = http.Request.Headers[Header];
        if (key is not null && (key.Length is 0 or > 255))
            throw new InvalidInputException(new Dictionary<string, string[]> { [Header] = ["Must be 1 to 255 characters."] });

        if (http.GetEndpoint()?.Metadata.GetMetadata<OwnTransactions>() is not null)
            return await WithOwnTransactionsAsync(context, next, http, key, ct);

        string? requestHash = null;
        Guid userId = default;
        if (key is not null && http.User.Identity?.IsAuthenticated == true)
        {
            userId = Caller.From(http.User).Id;
            requestHash = await HashRequest(http.Request, ct);
        }
        var prepared = http.GetEndpoint()?.Metadata.GetMetadata<PreparedAhead>() is not null;
        try
        {
            if (prepared)
            {
                // The use case reads and decides before the write lock, and begins the transaction when it is ready to
                // write; a stored answer is looked for once the lock is held (and replayed instead of writing), or when
                // the request was refused (by what an earlier request under the same key did).
                session.Defer(async begun =>
                {
                    if (requestHash is not null && await PreviousAsync(userId, key!, begun) is { } previous) throw new ReplayInsteadException(previous);
                });
            }
            else
            {
                await session.BeginAsync(ct);
                if (requestHash is not null && await PreviousAsync(userId, key!, ct) is { } previous) return Replay(previous, requestHash, http);
            }
            object? result;
            try
            {
                result = await next(context);
                if (session.Staged is { } staged)
                {
                    if (IsSuccess(result) && await CommitStagedAsync(staged, result, http, userId, key, requestHash) is { } written) return written;
                    // Refused by the group commit (what it was worked out from changed, or its key or an externalId was
                    // taken meanwhile): nothing of it was written. All again, with the write lock held from the start.
                    session.Unstage();
                    await session.BeginAsync(ct); // a stored answer under the key by now is replayed
                    result = await next(context);
                }
                if (IsSuccess(result)) await session.BeginAsync(ct); // a use case that answered without writing
            }
            catch (ReplayInsteadException replay)
            {
                db.ChangeTracker.Clear();
                return Replay(replay.Previous, requestHash!, http);
            }
            catch (Exception refused) when (requestHash is not null && Problems.Stored(refused) is { } answer)
            {
                // The request ran and was refused: the refusal is its answer under this key. Nothing of the request
                // is kept (its transaction rolls back); the answer is written in a transaction of its own.
                await session.EndAsync();
                db.ChangeTracker.Clear();
                var first = await KeepAsync(userId, key!, requestHash, answer.Status, Problems.Body(answer, http), null);
                if (prepared && first is not null) return Replay(first, requestHash, http); // a retry, refused by what its first did
                throw;
            }
            return await CompleteAsync(result, http, session.Transaction, userId, key, requestHash);
        }
        finally
        {
            await session.EndAsync(); // rolls back what was not committed
        }
    }

    private static bool IsSuccess(object? result) => ((result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK) is >= 200 and < 300;

    // Looked for by every write with a key: compiled once.
    private static readonly Func<SafeholdDb, Guid, string, CancellationToken, Task<IdempotencyRecord?>> Stored = EF.CompileAsyncQuery(
        (SafeholdDb db, Guid userId, string key, CancellationToken ct) => db.IdempotencyRecords.AsNoTracking().FirstOrDefault(r => r.UserId == userId && r.Key == key));

    /// <summary>The stored answer under (caller, key) still in force, read without a lock.</summary>
    private async Task<IdempotencyRecord?> StoredAsync(Guid userId, string key, CancellationToken ct)
    {
        var previous = await Stored(db, userId, key, ct);
        return previous is not null && previous.CreatedAt > clock.GetUtcNow() - keys.Value.Keep ? previous : null;
    }

    /// <summary>
    /// A POST whose use case begins its own transactions (<see cref="OwnTransactions"/>): the pay, which commits its intent
    /// before it calls the payment provider. The key works as for every POST (the replay of the first answer, a success or
    /// a refusal); a success is kept by the use case with its last write (the card's pay and the reported capture alike),
    /// anything else in a transaction of its own once the use case is done. Two requests racing with
    /// one key may both run: such a use case is idempotent on its own (the pay's capture instruction and provider key), and
    /// the first answer kept is the one replayed.
    /// </summary>
    private async Task<object?> WithOwnTransactionsAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, HttpContext http,
        string? key, CancellationToken ct)
    {
        if (key is null || http.User.Identity?.IsAuthenticated != true) return await next(context);
        var userId = Caller.From(http.User).Id;
        var requestHash = await HashRequest(http.Request, ct);
        if (await StoredAsync(userId, key, ct) is { } previous) return Replay(previous, requestHash, http);
        // A success is kept by the use case with its last write (WriteSession.KeepAnswerAsync), saving a transaction. Under
        // the lock, a first answer kept meanwhile stands; ahead of it (a write staged for the group commit), one found is
        // left to KeepAsync below, which also deletes an expired one.
        session.KeepAnswerWith(async value =>
        {
            var locked = db.Database.CurrentTransaction is not null;
            if (await (locked ? PreviousAsync(userId, key, CancellationToken.None) : Stored(db, userId, key, CancellationToken.None)) is not null) return false;
            db.IdempotencyRecords.Add(new IdempotencyRecord(userId, key, requestHash, StatusCodes.Status200OK, SerializedValue(value, http).Stored, null, clock.GetUtcNow()));
            return true;
        }, KeyOf(userId, key));
        object? result;
        try
        {
            result = await next(context);
        }
        catch (Exception refused) when (Problems.Stored(refused) is { } answer)
        {
            db.ChangeTracker.Clear();
            // A twin with this key that ran at the same time may have answered first (it captured, and this one found the
            // order paid): the key's answer is that first one.
            if (await KeepAsync(userId, key, requestHash, answer.Status, Problems.Body(answer, http), null) is { } first) return Replay(first, requestHash, http);
            throw;
        }
        var status = (result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK;
        if (status == StatusCodes.Status200OK && session.Kept((result as IValueHttpResult)?.Value)) return result;
        if (status is >= 200 and < 300) await KeepAsync(userId, key, requestHash, status, Serialized(result, http).Stored, LocationOf(result));
        return result;
    }

    /// <summary>
    /// Keeps an answer under (caller, key) in a transaction of its own, unless one is kept already (the first stands):
    /// returns that first one, or null when this answer was kept.
    /// </summary>
    private async Task<IdempotencyRecord?> KeepAsync(Guid userId, string key, string requestHash, int status, string body, string? location)
    {
        await using var tx = await writes.BeginTransactionAsync(db, CancellationToken.None);
        if (await PreviousAsync(userId, key, CancellationToken.None) is { } first) return first;
        db.IdempotencyRecords.Add(new IdempotencyRecord(userId, key, requestHash, status, body, location, clock.GetUtcNow()));
        await db.SaveChangesAsync(CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
        return null;
    }

    private static string? LocationOf(object? result) => result?.GetType().GetProperty("Location")?.GetValue(result) as string;

    /// <summary>
    /// The stored answer under (caller, key) still in force, holding the key's lock on PostgreSQL; an expired one is
    /// deleted, and the key is free again.
    /// </summary>
    private async Task<IdempotencyRecord?> PreviousAsync(Guid userId, string key, CancellationToken ct)
    {
        if (db.OnPostgres) await LockKeyAsync(db, KeyOf(userId, key), ct);
        var previous = await Stored(db, userId, key, ct);
        if (previous is null || previous.CreatedAt > clock.GetUtcNow() - keys.Value.Keep) return previous;
        await db.IdempotencyRecords.Where(r => r.UserId == userId && r.Key == key).ExecuteDeleteAsync(ct);
        return null;
    }

    /// <summary>
    /// On PostgreSQL, the lock of (caller, key) until the transaction ends. Retries with one key may reach several hosts
    /// at once: the first holds this lock until it commits, and the others then find its stored response instead of
    /// racing it. Taken before any row's lock, by every write with a key.
    /// </summary>
    internal static async Task LockKeyAsync(SafeholdDb on, string key, CancellationToken ct)
    {
        var transaction = (Npgsql.NpgsqlTransaction)on.Database.CurrentTransaction!.GetDbTransaction();
        await using var command = new Npgsql.NpgsqlCommand(KeyLock, transaction.Connection, transaction) { Parameters = { new() { Value = key } } };
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The lock of a key (<see cref="LockKeyAsync"/>): one statement, its one value (<see cref="KeyOf"/>) bound by position.</summary>
    internal const string KeyLock = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";

    internal static string KeyOf(Guid userId, string key) => userId + "/" + key;

    /// <summary>
    /// Writes the use case's staged write with the request's Idempotency-Key answer (serialised here, before the lock) in
    /// the next group commit: the answer once committed, or null when the group commit refused it and wrote nothing.
    /// </summary>
    private async Task<object?> CommitStagedAsync(StagedWrite staged, object? result, HttpContext http, Guid userId, string? key, string? requestHash)
    {
        if (requestHash is null) return await session.WriteStagedAsync(staged) ? result : null;
        var status = (result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK;
        var (body, stored) = Serialized(result, http);
        var location = LocationOf(result);
        // The staged change's entities count as saved (WriteSession.Stage): the record is written alone, not looked for among them.
        // On PostgreSQL the key's lock is taken first, as by a write under the lock with this key (which then finds this
        // one's record, or whose record this one's meets, refused and done again under the lock to replay it).
        if (db.OnPostgres) staged.Before(KeyLock, KeyOf(userId, key!));
        staged.Then(PreparedSaver.Plan(db, inserts: [new IdempotencyRecord(userId, key!, requestHash, status, stored, location, clock.GetUtcNow())], tracked: false));
        if (!await session.WriteStagedAsync(staged)) return null;
        return body is not null ? AnswerOf(status, body, location, http) : result;
    }

    private async Task<object?> CompleteAsync(object? result, HttpContext http, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction? tx,
        Guid userId, string? key, string? requestHash)
    {
        if (!IsSuccess(result) || tx is null) return result; // rolled back by disposal
        var status = (result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK;

        if (requestHash is not null)
        {
            var (body, stored) = Serialized(result, http);
            var location = LocationOf(result);
            await PreparedWrite.InsertAsync(db, new IdempotencyRecord(userId, key!, requestHash, status, stored, location, clock.GetUtcNow()));
            await tx.CommitAsync(CancellationToken.None);
            // The answer is sent as serialised once for its record, not serialised again.
            if (body is not null) return AnswerOf(status, body, location, http);
            return result;
        }
        // The work is done (and may include money moved at the provider): commit even if the client has gone.
        await tx.CommitAsync(CancellationToken.None);
        return result;
    }

    /// <summary>The answer as JSON (null when it has no body), and as kept under its key (with a shown-once secret blanked).</summary>
    private (string? Body, string Stored) Serialized(object? result, HttpContext http) =>
        result is IValueHttpResult { Value: { } value } ? SerializedValue(value, http) : (null, "");

    private (string Body, string Stored) SerializedValue(object value, HttpContext http)
    {
        var body = JsonSerializer.Serialize(value, value.GetType(), json.Value.SerializerOptions);
        return http.GetEndpoint()?.Metadata.GetMetadata<SecretInResponse>() is { } secret ? (body, secret.Redact(body)) : (body, body);
    }

    private static IResult AnswerOf(int status, string body, string? location, HttpContext http)
    {
        if (location is not null) http.Response.Headers.Location = location;
        return Results.Text(body, "application/json", Encoding.UTF8, status);
    }

    /// <summary>The stored first answer, or the refusal of a key reused with another request.</summary>
    private static IResult Replay(IdempotencyRecord previous, string requestHash, HttpContext http)
    {
        if (previous.RequestHash != requestHash)
            throw new Domain.DomainException(Domain.RefusalKind.WrongState, "idempotency_key_reused",
                "This Idempotency-Key was used with a different request.");
        http.Response.Headers["Idempotent-Replayed"] = "true";
        if (previous.Location is not null) http.Response.Headers.Location = previous.Location;
        return Results.Text(previous.Body, previous.StatusCode >= 400 ? "application/problem+json" : "application/json", Encoding.UTF8, previous.StatusCode);
    }

    private static async Task<string> HashRequest(HttpRequest request, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}\n"));
        if (request.Body.CanSeek)
        {
            request.Body.Position = 0;
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await request.Body.ReadAsync(buffer, ct)) > 0) sha.AppendData(buffer, 0, read);
            request.Body.Position = 0; // a handler that reads the body itself (a form upload) reads it after the hash
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Keeps the body of an idempotent POST readable after model binding, so it can be hashed.</summary>
    public static Task UseIdempotencyBuffering(HttpContext http, RequestDelegate next)
    {
        if (HttpMethods.IsPost(http.Request.Method) && http.Request.Headers.ContainsKey(Header))
            http.Request.EnableBuffering();
        return next(http);
    }
}

/// <summary>
/// Marks an endpoint whose response carries a secret shown once (an API key): the stored copy for
/// idempotent replays has it blanked, so the secret never rests in the database in the clear.
/// </summary>
public sealed class SecretInResponse(params string[] properties)
{
    public string Redact(string json)
    {
        if (System.Text.Json.Nodes.JsonNode.Parse(json) is not System.Text.Json.Nodes.JsonObject node) return json;
        foreach (var p in properties)
            if (node.ContainsKey(p)) node[p] = null;
        node["secretsRedacted"] = true;
        return node.ToJsonString();
    }
}

/// <summary>
/// Marks a POST whose use case begins its own transactions (the pay: its intent commits before the payment provider is
/// called): <see cref="WriteTransaction"/> then keeps its Idempotency-Key answer without wrapping it in one.
/// </summary>
public sealed class OwnTransactions;

