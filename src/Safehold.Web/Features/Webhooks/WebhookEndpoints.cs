using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Events;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Webhooks;

public sealed record CreateWebhookRequest([property: System.ComponentModel.DataAnnotations.StringLength(2000)] string? Url, string[]? Events);
public sealed record CreatedWebhookResponse(Guid Id, string Url, IReadOnlyList<string> Events, string Secret, DateTimeOffset CreatedAt);
/// <summary>
/// An endpoint and its delivery state. <c>Failing</c> (since <c>FailingSince</c>): an event was parked after its last attempt
/// failed, and <c>Parked</c> events wait for a replay; <c>PreviousSecretExpiresAt</c>: until when the secret before the last
/// roll still signs beside the current one.
/// </summary>
public sealed record WebhookResponse(Guid Id, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, string After,
    long Delivered, DateTimeOffset? LastDeliveredAt, int FailedAttempts, DateTimeOffset NextAttemptAt, string? LastError,
    bool Failing, DateTimeOffset? FailingSince, int Parked, DateTimeOffset? PreviousSecretExpiresAt);
public sealed record WebhookListResponse(IReadOnlyList<WebhookResponse> Items);

/// <summary>The new signing secret, shown once; the previous one signs beside it until <c>PreviousSecretExpiresAt</c> (null: not at all).</summary>
public sealed record RolledSecretResponse(Guid Id, string Secret, DateTimeOffset? PreviousSecretExpiresAt);

/// <summary>How many parked events will be sent again (by the dispatcher, within seconds, oldest first).</summary>
public sealed record ReplayResponse(Guid Id, int Replaying);

/// <summary>
/// Webhook endpoints (SPEC 5, admin): register one and get its signing secret once; list them with their delivery state;
/// roll the secret with an overlap; replay the events parked after their last attempt failed.
/// </summary>
public static class WebhookEndpoints
{
    public static void MapWebhooks(this RouteGroupBuilder api)
    {
        var hooks = api.MapGroup("/webhook-endpoints").WithTags("Webhooks");
        hooks.MapPost("/", Create).WithMetadata(new SecretInResponse("secret"));
        hooks.MapGet("/", List);
        hooks.MapPost("/{id:guid}/roll-secret", RollSecret).WithMetadata(new SecretInResponse("secret"));
        hooks.MapPost("/{id:guid}/replay", Replay);
    }

    public static async Task<Created<CreatedWebhookResponse>> Create(CreateWebhookRequest request, HttpContext http, SafeholdDb db, TimeProvider clock,
        IOptionsSnapshot<WebhookOptions> options, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        caller.Require(UserRole.Admin, "register webhook endpoints");
        var errors = new InputErrors();
        var url = errors.Text("url", request.Url, Limits.Length<CreateWebhookRequest>(nameof(CreateWebhookRequest.Url)));
        if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(uri.UserInfo)))
            errors.Add("url", "An absolute http or https URL, without credentials in it.");
        var events = request.Events ?? [];
        if (events.Length == 0) errors.Add("events", "At least one event type: \"*\", \"order.*\" or a type such as \"order.paid\".");
        else if (events.Length > 50) errors.Add("events", "At most 50 event types.");
        else if (Array.FindIndex(events, e => e is null || !WebhookEndpoint.IsPattern(e)) is var bad and >= 0)
            errors.Add("events", $"Not an event type: {(events[bad] is { } e ? $"\"{e}\"" : "null")}. Use \"*\", \"order.*\" or e.g. \"order.paid\".");
        errors.ThrowIfAny();
        if (!options.Value.AllowPrivateAddresses) await RequirePublicAsync(new Uri(url!), ct);

        var now = clock.GetUtcNow();
        // Deliveries start with what happens from now on.
        var from = await EventLog.EndAsync(db, ct);
        var endpoint = new WebhookEndpoint(Guid.CreateVersion7(now), url!, events.Distinct(), WebhookEndpoint.NewSecret(), from, caller.Id, now);
        db.WebhookEndpoints.Add(endpoint);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/webhook-endpoints/{endpoint.Id}",
            new CreatedWebhookResponse(endpoint.Id, endpoint.Url, endpoint.Patterns, endpoint.Secret, endpoint.CreatedAt));
    }

    /// <summary>
    /// Refuses (422 <c>webhook_url_not_allowed</c>) a URL whose host is, or resolves to, any loopback, link-local or private
    /// address. A host that does not resolve yet is accepted: every delivery checks again before it connects.
    /// </summary>
    private static async Task RequirePublicAsync(Uri uri, CancellationToken ct)
    {
        try
        {
            await WebhookAddresses.ResolveAllowedAsync(uri.IdnHost, ct);
        }
        catch (WebhookAddresses.NotAllowedException e)
        {
            throw new DomainException(RefusalKind.RuleRefused, WebhookAddresses.RefusalCode, e.Message);
        }
        catch (System.Net.Sockets.SocketException)
        {
        }
    }

    public static async Task<Ok<WebhookListResponse>> List(HttpContext http, SafeholdDb db, TimeProvider clock, CancellationToken ct)
    {
        Caller.From(http.User).Require(UserRole.Admin, "see webhook endpoints");
        var all = await db.WebhookEndpoints.AsNoTracking().OrderBy(w => w.CreatedAt).ThenBy(w => w.Id).ToListAsync(ct);
        var parked = await db.ParkedWebhookEvents.AsNoTracking().GroupBy(p => p.EndpointId).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var now = clock.GetUtcNow();
        return TypedResults.Ok(new WebhookListResponse(all.Select(w => new WebhookResponse(w.Id, w.Url, w.Patterns, w.CreatedAt,
            w.Cursor.ToString(), w.Delivered, w.LastDeliveredAt, w.FailedAttempts, w.NextAttemptAt, w.LastError,
            w.FailingSince is not null, w.FailingSince, parked.GetValueOrDefault(w.Id),
            w.SigningSecrets(now).Count > 1 ? w.PreviousSecretUntil : null)).ToList()));
    }

    /// <summary>
    /// A new signing secret, answered once. For <see cref="WebhookOptions.SecretOverlapHours"/> (24 unless configured)
    /// deliveries carry a signature under each secret, so the receiver can switch to the new one at its own pace.
    /// </summary>
    public static async Task<Ok<RolledSecretResponse>> RollSecret(Guid id, HttpContext http, SafeholdDb db, TimeProvider clock,
        IOptionsSnapshot<WebhookOptions> options, CancellationToken ct)
    {
        Caller.From(http.User).Require(UserRole.Admin, "roll a webhook endpoint's secret");
        var endpoint = await db.WebhookEndpoints.FirstOrDefaultAsync(w => w.Id == id, ct) ?? throw Problems.NotFound("Webhook endpoint");
        var now = clock.GetUtcNow();
        endpoint.RollSecret(WebhookEndpoint.NewSecret(), now, options.Value.SecretOverlap);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new RolledSecretResponse(endpoint.Id, endpoint.Secret, endpoint.PreviousSecretUntil));
    }

    /// <summary>
    /// Sends again every event parked for this endpoint, oldest first, ahead of the endpoint's next events (and out of their
    /// order: each event's <c>sequence</c> tells a receiver where it belongs). One that fails again stays parked.
    /// </summary>
    public static async Task<Ok<ReplayResponse>> Replay(Guid id, HttpContext http, SafeholdDb db, TimeProvider clock, CancellationToken ct)
    {
        Caller.From(http.User).Require(UserRole.Admin, "replay a webhook endpoint's parked events");
        if (!await db.WebhookEndpoints.AnyAsync(w => w.Id == id, ct)) throw Problems.NotFound("Webhook endpoint");
        var now = clock.GetUtcNow();
        var parked = await db.ParkedWebhookEvents.Where(p => p.EndpointId == id).ToListAsync(ct);
        foreach (var p in parked) p.RequestReplay(now);
        await db.SaveChangesAsync(ct);
        // Due now, so the dispatcher's next round (within a second) sends them.
        if (parked.Count > 0)
            await db.WebhookEndpoints.Where(w => w.Id == id && w.NextAttemptAt > now).ExecuteUpdateAsync(s => s.SetProperty(w => w.NextAttemptAt, now), ct);
        return TypedResults.Ok(new ReplayResponse(id, parked.Count));
    }
}
