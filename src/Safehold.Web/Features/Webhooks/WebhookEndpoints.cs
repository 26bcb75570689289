using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Events;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Webhooks;

public sealed record CreateWebhookRequest(string? Url, string[]? Events);
public sealed record CreatedWebhookResponse(Guid Id, string Url, IReadOnlyList<string> Events, string Secret, DateTimeOffset CreatedAt);
public sealed record WebhookResponse(Guid Id, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, string After,
    long Delivered, DateTimeOffset? LastDeliveredAt, int FailedAttempts, DateTimeOffset NextAttemptAt, string? LastError);
public sealed record WebhookListResponse(IReadOnlyList<WebhookResponse> Items);

/// <summary>Webhook endpoints (SPEC 5, admin): register one and get its signing secret once; list them with their delivery state.</summary>
public static class WebhookEndpoints
{
    public static void MapWebhooks(this RouteGroupBuilder api)
    {
        var hooks = api.MapGroup("/webhook-endpoints").WithTags("Webhooks");
        hooks.MapPost("/", Create).WithMetadata(new SecretInResponse("secret"));
        hooks.MapGet("/", List);
    }

    public static async Task<Created<CreatedWebhookResponse>> Create(CreateWebhookRequest request, HttpContext http, SafeholdDb db, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        caller.Require(UserRole.Admin, "register webhook endpoints");
        var errors = new InputErrors();
        var url = errors.Text("url", request.Url, 2000);
        if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(uri.UserInfo)))
            errors.Add("url", "An absolute http or https URL, without credentials in it.");
        var events = request.Events ?? [];
        if (events.Length == 0) errors.Add("events", "At least one event type: \"*\", \"order.*\" or a type such as \"order.paid\".");
        else if (events.Length > 50) errors.Add("events", "At most 50 event types.");
        else if (Array.FindIndex(events, e => e is null || !WebhookEndpoint.IsPattern(e)) is var bad and >= 0)
            errors.Add("events", $"Not an event type: {(events[bad] is { } e ? $"\"{e}\"" : "null")}. Use \"*\", \"order.*\" or e.g. \"order.paid\".");
        errors.ThrowIfAny();

        var now = clock.GetUtcNow();
        // Deliveries start with what happens from now on.
        var from = await EventLog.EndAsync(db, ct);
        var endpoint = new WebhookEndpoint(Guid.CreateVersion7(now), url!, events.Distinct(), WebhookEndpoint.NewSecret(), from, caller.Id, now);
        db.WebhookEndpoints.Add(endpoint);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/webhook-endpoints/{endpoint.Id}",
            new CreatedWebhookResponse(endpoint.Id, endpoint.Url, endpoint.Patterns, endpoint.Secret, endpoint.CreatedAt));
    }

    public static async Task<Ok<WebhookListResponse>> List(HttpContext http, SafeholdDb db, CancellationToken ct)
    {
        Caller.From(http.User).Require(UserRole.Admin, "see webhook endpoints");
        var all = await db.WebhookEndpoints.AsNoTracking().OrderBy(w => w.CreatedAt).ThenBy(w => w.Id).ToListAsync(ct);
        return TypedResults.Ok(new WebhookListResponse(all.Select(w => new WebhookResponse(w.Id, w.Url, w.Patterns, w.CreatedAt,
            w.Cursor.ToString(), w.Delivered, w.LastDeliveredAt, w.FailedAttempts, w.NextAttemptAt, w.LastError)).ToList()));
    }
}
