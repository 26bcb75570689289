using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Safehold.Web.Features.Webhooks;
using static Safehold.Web.Tests.Features.Webhooks.WebhookTests;

namespace Safehold.Web.Tests.Features.Webhooks;

/// <summary>An event that keeps failing is parked so the rest go on; an admin replays it; the secret rolls with an overlap.</summary>
public sealed class WebhookResilienceTests
{
    private static SafeholdApp WithMaxAttempts(int attempts) => new() { Settings = { ["Safehold:Webhooks:MaxAttempts"] = attempts.ToString(System.Globalization.CultureInfo.InvariantCulture) } };

    private static async Task<JsonNode> State(SafeholdApp app) => (await Api.Json(await app.Admin.GetAsync("/api/v1/webhook-endpoints")))["items"]![0]!;

    private static List<string> Types(WebhookReceiver receiver) => receiver.Bodies.Select(b => b["type"]!.GetValue<string>()).ToList();

    /// <summary>Three refusals of order.placed: tried at 0, 10 s and 30 s, then parked.</summary>
    private static async Task<(JsonNode Hook, string PlacedId)> ParkTheFirstEvent(SafeholdApp app, WebhookReceiver receiver)
    {
        var hook = await Register(app, receiver.Url, "*");
        for (var i = 0; i < 3; i++) receiver.Answers.Enqueue(500);
        await app.OrderIn("awaiting_shipment"); // placed, paid

        Assert.Equal(0, await Deliver(app));
        Assert.Equal(0, await Deliver(app)); // backing off: not tried
        Assert.Single(receiver.Received);
        app.Clock.Advance(WebhookEndpoint.RetryDelay(1));
        Assert.Equal(0, await Deliver(app));
        app.Clock.Advance(WebhookEndpoint.RetryDelay(2));
        Assert.Equal(1, await Deliver(app)); // the third refusal parks order.placed; order.paid goes through
        return (hook, receiver.Bodies[0]["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_event_refused_at_every_attempt_is_parked_the_endpoint_marked_failing_and_later_events_delivered()
    {
        using var app = WithMaxAttempts(3);
        await using var receiver = await WebhookReceiver.StartAsync();

        await ParkTheFirstEvent(app, receiver);

        Assert.Equal(["order.placed", "order.placed", "order.placed", "order.paid"], Types(receiver));
        var state = await State(app);
        Assert.True(state["failing"]!.GetValue<bool>());
        Assert.Equal(app.Now, state["failingSince"]!.GetValue<DateTimeOffset>()); // parked at the third attempt, just now
        Assert.Equal(1, state["parked"]!.GetValue<int>());
        Assert.Equal(0, state["failedAttempts"]!.GetValue<int>());
        Assert.Equal(1, state["delivered"]!.GetValue<long>());

        await app.OrderIn("awaiting_payment"); // later events keep flowing while the endpoint is marked failing
        Assert.Equal(1, await Deliver(app));
        Assert.Equal("order.placed", Types(receiver)[^1]);
        Assert.True((await State(app))["failing"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_replay_delivers_the_parked_event_once_and_the_endpoint_is_no_longer_failing()
    {
        using var app = WithMaxAttempts(3);
        await using var receiver = await WebhookReceiver.StartAsync();
        var (hook, placedId) = await ParkTheFirstEvent(app, receiver);

        var replay = await app.Admin.PostAsync($"/api/v1/webhook-endpoints/{hook.Id()}/replay", null);

        await Api.ExpectStatus(replay, HttpStatusCode.OK);
        Assert.Equal(1, (await Api.Json(replay))["replaying"]!.GetValue<int>());
        Assert.Equal(1, await Deliver(app));
        var (headers, body) = receiver.Received.Last();
        Assert.Equal(placedId, headers["Safehold-Event-Id"]);
        Assert.Equal("order.placed", JsonNode.Parse(body)!["type"]!.GetValue<string>());
        var state = await State(app);
        Assert.False(state["failing"]!.GetValue<bool>());
        Assert.Null(state["failingSince"]);
        Assert.Equal(0, state["parked"]!.GetValue<int>());
        Assert.Equal(2, state["delivered"]!.GetValue<long>());

        Assert.Equal(0, await Deliver(app)); // once: nothing sent again
        app.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await Deliver(app));
        Assert.Equal(5, receiver.Received.Count);
        Assert.Equal(0, (await Api.Json(await app.Admin.PostAsync($"/api/v1/webhook-endpoints/{hook.Id()}/replay", null)))["replaying"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_replay_the_endpoint_refuses_leaves_the_event_parked_until_the_next_replay()
    {
        using var app = WithMaxAttempts(3);
        await using var receiver = await WebhookReceiver.StartAsync();
        var (hook, placedId) = await ParkTheFirstEvent(app, receiver);

        receiver.Answers.Enqueue(503);
        await Api.ExpectStatus(await app.Admin.PostAsync($"/api/v1/webhook-endpoints/{hook.Id()}/replay", null), HttpStatusCode.OK);
        Assert.Equal(0, await Deliver(app));
        app.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await Deliver(app)); // not replayed again by itself
        var state = await State(app);
        Assert.True(state["failing"]!.GetValue<bool>());
        Assert.Equal(1, state["parked"]!.GetValue<int>());
        Assert.Equal(5, receiver.Received.Count);

        await Api.ExpectStatus(await app.Admin.PostAsync($"/api/v1/webhook-endpoints/{hook.Id()}/replay", null), HttpStatusCode.OK);
        Assert.Equal(1, await Deliver(app));
        Assert.Equal(placedId, receiver.Received.Last().Headers["Safehold-Event-Id"]);
        Assert.False((await State(app))["failing"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_rolled_secret_signs_beside_the_old_one_during_the_overlap_and_alone_after_it()
    {
        using var app = new SafeholdApp();
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = await Register(app, receiver.Url, "order.placed");
        var old = hook["secret"]!.GetValue<string>();

        var rolled = await app.Admin.PostAsync($"/api/v1/webhook-endpoints/{hook.Id()}/roll-secret", null);

        await Api.ExpectStatus(rolled, HttpStatusCode.OK);
        var body = await Api.Json(rolled);
        var secret = body["secret"]!.GetValue<string>();
        Assert.StartsWith("whsec_", secret);
        Assert.NotEqual(old, secret);
        Assert.Equal(app.Now + TimeSpan.FromHours(24), body["previousSecretExpiresAt"]!.GetValue<DateTimeOffset>());
        Assert.DoesNotContain("whsec_", await app.Admin.GetStringAsync("/api/v1/webhook-endpoints"));

        await app.OrderIn("awaiting_payment");
        Assert.Equal(1, await Deliver(app));
        var during = receiver.Received.Last();
        var signature = during.Headers["Safehold-Signature"];
        Assert.Equal(2, WebhookReceiver.Signatures(signature).Count);
        Assert.True(WebhookReceiver.SignedWith(secret, signature, during.Body));
        Assert.True(WebhookReceiver.SignedWith(old, signature, during.Body));
        Assert.False(WebhookReceiver.SignedWith(old, $"t={signature.Split(',')[0][2..]},v1={WebhookReceiver.Signatures(signature)[0]}", during.Body),
            "The new secret's signature comes first.");

        app.Clock.Advance(TimeSpan.FromHours(24));
        await app.OrderIn("awaiting_payment");
        Assert.Equal(1, await Deliver(app));
        var after = receiver.Received.Last();
        Assert.Single(WebhookReceiver.Signatures(after.Headers["Safehold-Signature"]));
        Assert.True(WebhookReceiver.SignedWith(secret, after.Headers["Safehold-Signature"], after.Body));
        Assert.False(WebhookReceiver.SignedWith(old, after.Headers["Safehold-Signature"], after.Body));
        Assert.Null((await State(app))["previousSecretExpiresAt"]);
    }

    [Fact]
    public async Task An_unknown_endpoint_is_not_found_and_only_an_admin_rolls_or_replays_with_nothing_changed()
    {
        using var app = new SafeholdApp();
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = await Register(app, receiver.Url, "*");
        var secret = hook["secret"]!.GetValue<string>();
        var seller = await app.NewUser("seller");

        foreach (var action in new[] { "roll-secret", "replay" })
        {
            await Api.ExpectProblem(await app.Admin.PostAsync($"/api/v1/webhook-endpoints/{Guid.NewGuid()}/{action}", null), HttpStatusCode.NotFound, "not_found");
            await Api.ExpectProblem(await app.Admin.PostAsync($"/api/v1/webhook-endpoints/not-an-id/{action}", null), HttpStatusCode.NotFound, "not_found");
            await Api.ExpectProblem(await seller.Http.PostAsync($"/api/v1/webhook-endpoints/{hook.Id()}/{action}", null), HttpStatusCode.Forbidden, "action_not_allowed");
        }

        await app.OrderIn("awaiting_payment");
        await Deliver(app);
        var (headers, body) = Assert.Single(receiver.Received);
        Assert.Single(WebhookReceiver.Signatures(headers["Safehold-Signature"])); // the secret was not rolled
        Assert.True(WebhookReceiver.SignedWith(secret, headers["Safehold-Signature"], body));
    }
}
