using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Web.Data;
using Safehold.Web.Features.Events;
using Safehold.Web.Features.Sandbox;
using Safehold.Web.Features.Webhooks;

namespace Safehold.Web.Jobs;

/// <summary>
/// Pushes the event log to webhook endpoints: for each endpoint whose next attempt is due, one host takes a short
/// lease, posts the events after the endpoint's place one at a time, in order, each signed, and moves the place
/// past each one that succeeded (or that the endpoint does not want). A failure stops that endpoint until its
/// back-off has passed; the same event is then sent again, up to <see cref="WebhookOptions.MaxAttempts"/> times: then it
/// is parked, the endpoint is marked failing, and the events after it go on in order. Parked events an admin asked to
/// replay are sent first, oldest first, before the endpoint's place moves on. Delivery is at least once: a host that dies after
/// the endpoint answered but before the place was saved sends that event again, with the same
/// <c>Safehold-Event-Id</c>, so receivers can drop repeats.
/// </summary>
public sealed class WebhookDispatcher(IServiceScopeFactory scopes, IHttpClientFactory http, TimeProvider clock,
    [FromKeyedServices(SandboxClock.RealClockKey)] TimeProvider realClock, IOptionsMonitor<WebhookOptions> options, ILogger<WebhookDispatcher> log)
{
    public const string HttpClientName = "webhooks";
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private const int BatchSize = 50;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Delivers to every endpoint that is due; returns how many events were delivered.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        List<Guid> due;
        var now = clock.GetUtcNow();
        await using (var scope = scopes.CreateAsyncScope())
        {
            due = await scope.ServiceProvider.GetRequiredService<SafeholdDb>().WebhookEndpoints.AsNoTracking()
                .Where(w => w.NextAttemptAt <= now && (w.LeaseUntil == null || w.LeaseUntil < now))
                .OrderBy(w => w.NextAttemptAt).Select(w => w.Id).ToListAsync(ct);
        }
        var delivered = 0;
        foreach (var id in due) delivered += await DeliverAsync(id, ct);
        return delivered;
    }

    private async Task<int> DeliverAsync(Guid endpointId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var gate = scope.ServiceProvider.GetRequiredService<WriteGate>();
        // Each write is its own short transaction, begun where every writer of the host begins one; none spans an HTTP call.
        Task<T> Write<T>(Func<Task<T>> work, CancellationToken token) => gate.InTransactionAsync(db, work, token);

        var now = clock.GetUtcNow();
        var leaseUntil = now + Lease;
        // The lease is one conditional update: of several hosts, exactly one gets it.
        var claimed = await Write(() => db.WebhookEndpoints
            .Where(w => w.Id == endpointId && w.NextAttemptAt <= now && (w.LeaseUntil == null || w.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.LeaseUntil, leaseUntil), ct), ct);
        if (claimed == 0) return 0;

        var endpoint = await db.WebhookEndpoints.AsNoTracking().FirstAsync(w => w.Id == endpointId, ct);
        // Every write of the endpoint's place is conditional on still holding the lease: a host whose lease lapsed (a
        // slow database, a clock jump) stops instead of moving the place back or delivering beside the new holder.
        Task<int> Save(bool release, CancellationToken token) => Write(() => db.WebhookEndpoints
            .Where(w => w.Id == endpointId && w.LeaseUntil == leaseUntil)
            .ExecuteUpdateAsync(s => s
                .SetProperty(w => w.CursorTxId, endpoint.CursorTxId)
                .SetProperty(w => w.CursorPosition, endpoint.CursorPosition)
                .SetProperty(w => w.Delivered, endpoint.Delivered)
                .SetProperty(w => w.LastDeliveredAt, endpoint.LastDeliveredAt)
                .SetProperty(w => w.FailedAttempts, endpoint.FailedAttempts)
                .SetProperty(w => w.NextAttemptAt, endpoint.NextAttemptAt)
                .SetProperty(w => w.LastError, endpoint.LastError)
                .SetProperty(w => w.FailingSince, endpoint.FailingSince)
                .SetProperty(w => w.LeaseUntil, release ? null : leaseUntil), token), token);

        var delivered = 0;
        var held = true;
        var maxAttempts = Math.Max(1, options.CurrentValue.MaxAttempts);
        try
        {
            (delivered, held) = await ReplayAsync(db, endpoint, Write<int>, Save, ct);
            while (held && clock.GetUtcNow() < leaseUntil - TimeSpan.FromSeconds(30))
            {
                var events = await EventLog.ReadAsync(db, endpoint.Cursor, BatchSize, ct);
                if (events.Count == 0) break;
                var failed = false;
                foreach (var e in events)
                {
                    if (!endpoint.Wants(e.Type))
                    {
                        endpoint.Passed(EventCursor.Parse(e.Id), delivered: false, clock.GetUtcNow());
                        continue;
                    }
                    var error = await PostAsync(endpoint, e, ct);
                    if (error is not null)
                    {
                        if (endpoint.Failed(error, clock.GetUtcNow(), maxAttempts))
                        {
                            // Its last attempt: parked, and the endpoint goes on with the next event, in the same write.
                            log.LogWarning("Webhook {Endpoint} refused event {Event} {Attempts} times: {Error}; parked", endpoint.Id, e.Id, maxAttempts, error);
                            var place = EventCursor.Parse(e.Id);
                            endpoint.Passed(place, delivered: false, clock.GetUtcNow());
                            var parked = new ParkedWebhookEvent(Guid.CreateVersion7(clock.GetUtcNow()), endpoint.Id, e.Id, e.Type, place.TxId, place.Position,
                                error, clock.GetUtcNow());
                            bool parkedHere;
                            try
                            {
                                parkedHere = await Write(async () =>
                                {
                                    if (await Save(false, ct) == 0) return false;
                                    db.ParkedWebhookEvents.Add(parked);
                                    await db.SaveChangesAsync(ct);
                                    return true;
                                }, ct);
                            }
                            catch
                            {
                                // Neither the park nor the move was written: the place must not move without the parked row,
                                // so nothing more is saved; once the lease lapses the event gets one more attempt and is parked then.
                                held = false;
                                throw;
                            }
                            if (parkedHere) continue;
                            log.LogWarning("Webhook {Endpoint}: the lease lapsed; another host carries on", endpoint.Id);
                            held = false;
                            break;
                        }
                        log.LogWarning("Webhook {Endpoint} refused event {Event}: {Error}; next attempt at {At}", endpoint.Id, e.Id, error, endpoint.NextAttemptAt);
                        failed = true;
                        break;
                    }
                    endpoint.Passed(EventCursor.Parse(e.Id), delivered: true, clock.GetUtcNow());
                    delivered++;
                    // The place moves with each delivery: a crash repeats at most one event.
                    if (await Save(release: false, ct) == 0)
                    {
                        log.LogWarning("Webhook {Endpoint}: the lease lapsed; another host carries on", endpoint.Id);
                        held = false;
                        break;
                    }
                }
                if (failed || events.Count < BatchSize) break;
            }
        }
        finally
        {
            if (held) await Save(release: true, CancellationToken.None);
        }
        return delivered;
    }

    /// <summary>
    /// Sends again the parked events an admin asked to replay, oldest first: each one delivered is forgotten; the first that
    /// fails waits for another request, and the rest wait with it. When none is left the endpoint is no longer failing.
    /// </summary>
    private async Task<(int Delivered, bool Held)> ReplayAsync(SafeholdDb db, WebhookEndpoint endpoint,
        Func<Func<Task<int>>, CancellationToken, Task<int>> write, Func<bool, CancellationToken, Task<int>> save, CancellationToken ct)
    {
        var replays = await db.ParkedWebhookEvents.Where(p => p.EndpointId == endpoint.Id && p.ReplayRequestedAt != null)
            .OrderBy(p => p.TxId).ThenBy(p => p.Position).ToListAsync(ct);
        var delivered = 0;
        foreach (var parked in replays)
        {
            // The log reads after a place: the event is the first one after the place just before it.
            var found = await EventLog.ReadAsync(db, new EventCursor(parked.TxId, parked.Position - 1), 1, ct);
            var e = found.Count == 1 && found[0].Id == parked.EventId ? found[0] : null; // gone from the log: nothing to send
            var error = e is null ? null : await PostAsync(endpoint, e, ct);
            if (error is not null)
            {
                log.LogWarning("Webhook {Endpoint} refused the replay of event {Event}: {Error}", endpoint.Id, parked.EventId, error);
                var stillHeld = await write(async () =>
                {
                    if (await save(false, ct) == 0) return 0;
                    foreach (var p in replays.Where(p => p.ReplayRequestedAt != null)) p.ReplayFailed(p == parked ? error : "Not replayed: an earlier replay failed.");
                    await db.SaveChangesAsync(ct);
                    return 1;
                }, ct);
                return (delivered, stillHeld == 1);
            }
            if (e is not null)
            {
                endpoint.Replayed(clock.GetUtcNow());
                delivered++;
            }
            var held = await write(async () =>
            {
                if (await save(false, ct) == 0) return 0;
                db.ParkedWebhookEvents.Remove(parked);
                await db.SaveChangesAsync(ct);
                return 1;
            }, ct);
            if (held == 0) return (delivered, false);
        }
        if (endpoint.FailingSince is not null && !await db.ParkedWebhookEvents.AnyAsync(p => p.EndpointId == endpoint.Id, ct))
        {
            endpoint.Recovered();
            if (await save(false, ct) == 0) return (delivered, false);
        }
        return (delivered, true);
    }

    /// <summary>Posts one event; null when the endpoint answered 2xx, else what went wrong.</summary>
    private async Task<string?> PostAsync(WebhookEndpoint endpoint, EventItem e, CancellationToken ct)
    {
        using var span = Operations.Telemetry.Source.StartActivity("webhook delivery", System.Diagnostics.ActivityKind.Client);
        span?.SetTag("safehold.webhook_endpoint", endpoint.Id);
        span?.SetTag("safehold.event_id", e.Id);
        var body = JsonSerializer.Serialize(e, Json);
        // The receiver checks the timestamp against its own clock: the real one, even when the sandbox clock is ahead.
        var timestamp = realClock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Safehold-Event-Id", e.Id);
        request.Headers.Add("Safehold-Event-Type", e.Type);
        request.Headers.Add("Safehold-Signature", Signature(endpoint.SigningSecrets(clock.GetUtcNow()), timestamp, body));
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, ct);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return ex.Message;
        }
    }

    /// <summary>
    /// <c>t={unix seconds},v1={hex HMAC-SHA256 of "{t}.{body}" keyed with the secret}</c>. A receiver recomputes it over
    /// the raw body, compares in constant time, and refuses a timestamp far from its own clock (a replay).
    /// </summary>
    public static string Signature(string secret, long timestamp, string body) => Signature([secret], timestamp, body);

    /// <summary>
    /// With a rolled secret: one <c>v1=</c> per secret, the current one first (<c>t=…,v1={new},v1={old}</c>); a receiver
    /// accepts the delivery when any of them matches a secret it holds.
    /// </summary>
    public static string Signature(IEnumerable<string> secrets, long timestamp, string body)
    {
        var t = timestamp.ToString(CultureInfo.InvariantCulture);
        var signed = Encoding.UTF8.GetBytes($"{t}.{body}");
        return $"t={t}" + string.Concat(secrets.Select(s => ",v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(s), signed))));
    }
}

/// <summary>Runs the webhook dispatcher every second, with the rest of the timed work.</summary>
public sealed class WebhookDispatcherService(WebhookDispatcher dispatcher, TimeProvider clock, IOptions<SweeperOptions> options,
    ILogger<WebhookDispatcherService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await dispatcher.RunDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogError(e, "Webhook delivery failed; it will try again");
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
