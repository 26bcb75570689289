using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Safehold.Web.Jobs;

namespace Safehold.Web.Tests.Features.Webhooks;

public sealed class WebhookTests
{
    internal static async Task<JsonNode> Register(SafeholdApp app, string url, params string[] events)
    {
        await Events.EventLogSettling.Settled(app); // deliveries start after the last event readable at registration
        var response = await app.Admin.PostAsJsonAsync("/api/v1/webhook-endpoints", new { url, events });
        await Api.ExpectStatus(response, HttpStatusCode.Created);
        return await Api.Json(response);
    }

    internal static async Task<int> Deliver(SafeholdApp app)
    {
        await Events.EventLogSettling.Settled(app);
        return await app.Services.GetRequiredService<WebhookDispatcher>().RunDueAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Events_after_registration_are_delivered_in_order_and_signed_with_the_secret()
    {
        using var app = new SafeholdApp();
        await using var receiver = await WebhookReceiver.StartAsync();
        await app.OrderIn("awaiting_payment"); // before registration: not delivered
        var hook = await Register(app, receiver.Url, "*");
        var secret = hook["secret"]!.GetValue<string>();
        Assert.StartsWith("whsec_", secret);

        var (_, _, orderId) = await app.OrderIn("awaiting_delivery");
        Assert.Equal(3, await Deliver(app));

        Assert.Equal(["order.placed", "order.paid", "order.shipped"], receiver.Bodies.Select(b => b["type"]!.GetValue<string>()));
        Assert.All(receiver.Bodies, b => Assert.Equal(orderId.ToString(), b["orderId"]!.GetValue<string>()));
        foreach (var (headers, body) in receiver.Received)
        {
            var signature = headers["Safehold-Signature"];
            var t = signature.Split(',')[0]["t=".Length..];
            var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}")));
            Assert.Equal($"t={t},v1={expected}", signature);
            Assert.Equal(JsonNode.Parse(body)!["id"]!.GetValue<string>(), headers["Safehold-Event-Id"]);
        }
        Assert.Equal(0, await Deliver(app)); // nothing new: nothing sent again
        Assert.Equal(3, receiver.Received.Count);
    }

    [Fact]
    public async Task Signatures_carry_the_real_time_even_when_the_sandbox_clock_is_ahead()
    {
        using var app = new SafeholdApp();
        await using var receiver = await WebhookReceiver.StartAsync();
        await Register(app, receiver.Url, "*");
        await Api.ExpectStatus(await app.Admin.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { days = 10 }), HttpStatusCode.OK);

        await app.OrderIn("awaiting_payment");
        await Deliver(app);

        var signature = Assert.Single(receiver.Received).Headers["Safehold-Signature"];
        var t = long.Parse(signature.Split(',')[0]["t=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(app.Clock.GetUtcNow().ToUnixTimeSeconds(), t, tolerance: 5);
        Assert.True(app.Now - app.Clock.GetUtcNow() >= TimeSpan.FromDays(10));
    }

    [Fact]
    public async Task An_endpoint_gets_only_the_event_types_it_asked_for()
    {
        using var app = new SafeholdApp();
        await using var receiver = await WebhookReceiver.StartAsync();
        await Register(app, receiver.Url, "order.shipped", "order.receipt_confirmed");

        await app.OrderIn("completed");
        await Deliver(app);

        Assert.Equal(["order.shipped", "order.receipt_confirmed"], receiver.Bodies.Select(b => b["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_refused_delivery_is_retried_after_a_growing_delay_and_nothing_overtakes_it()
    {
        using var app = new SafeholdApp();
        await using var receiver = await WebhookReceiver.StartAsync();
        await Register(app, receiver.Url, "*");
        receiver.Answers.Enqueue(500);
        receiver.Answers.Enqueue(503);
        await app.OrderIn("awaiting_shipment"); // placed, paid

        Assert.Equal(0, await Deliver(app));
        var state = (await Api.Json(await app.Admin.GetAsync("/api/v1/webhook-endpoints")))["items"]![0]!;
        Assert.Equal(1, state["failedAttempts"]!.GetValue<int>());
        Assert.Equal("HTTP 500", state["lastError"]!.GetValue<string>());
        Assert.Equal(0, await Deliver(app)); // still backing off: not even tried
        Assert.Single(receiver.Received);

        app.Clock.Advance(WebhookEndpointRetry(1));
        Assert.Equal(0, await Deliver(app)); // 503
        app.Clock.Advance(WebhookEndpointRetry(2) - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await Deliver(app)); // 19 s of 20: not yet
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, await Deliver(app));

        Assert.Equal(["order.placed", "order.placed", "order.placed", "order.paid"], receiver.Bodies.Select(b => b["type"]!.GetValue<string>()));
        var after = (await Api.Json(await app.Admin.GetAsync("/api/v1/webhook-endpoints")))["items"]![0]!;
        Assert.Equal(0, after["failedAttempts"]!.GetValue<int>());
        Assert.Equal(2, after["delivered"]!.GetValue<long>());
        Assert.Null(after["lastError"]);

        static TimeSpan WebhookEndpointRetry(int failures) => Safehold.Web.Features.Webhooks.WebhookEndpoint.RetryDelay(failures);
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_retried_like_a_refusal()
    {
        using var app = new SafeholdApp();
        await Register(app, "http://127.0.0.1:9/hook", "*"); // the discard port: nothing listens
        await app.OrderIn("awaiting_payment");

        Assert.Equal(0, await Deliver(app));

        var state = (await Api.Json(await app.Admin.GetAsync("/api/v1/webhook-endpoints")))["items"]![0]!;
        Assert.Equal(1, state["failedAttempts"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(state["lastError"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Two_dispatchers_at_once_deliver_each_event_once()
    {
        using var app = new SafeholdApp();
        await using var receiver = await WebhookReceiver.StartAsync();
        await Register(app, receiver.Url, "*");
        for (var i = 0; i < 3; i++) await app.OrderIn("awaiting_delivery");

        await Events.EventLogSettling.Settled(app);
        var dispatcher = app.Services.GetRequiredService<WebhookDispatcher>();
        var counts = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => dispatcher.RunDueAsync(CancellationToken.None)));

        Assert.Equal(9, counts.Sum());
        Assert.Equal(9, receiver.Received.Select(r => r.Headers["Safehold-Event-Id"]).Distinct().Count());
        Assert.Equal(9, receiver.Received.Count);
    }

    [Fact]
    public async Task The_secret_is_shown_once_and_never_listed_or_replayed()
    {
        using var app = new SafeholdApp();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhook-endpoints")
        {
            Content = JsonContent.Create(new { url = "https://example.test/hooks", events = new[] { "order.*" } }),
            Headers = { { "Idempotency-Key", "hook-1" } },
        };
        var first = await Api.Json(await app.Admin.SendAsync(request));
        var replay = await app.Admin.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhook-endpoints")
        {
            Content = JsonContent.Create(new { url = "https://example.test/hooks", events = new[] { "order.*" } }),
            Headers = { { "Idempotency-Key", "hook-1" } },
        });

        Assert.StartsWith("whsec_", first["secret"]!.GetValue<string>());
        Assert.DoesNotContain(first["secret"]!.GetValue<string>(), await replay.Content.ReadAsStringAsync());
        var list = await app.Admin.GetStringAsync("/api/v1/webhook-endpoints");
        Assert.DoesNotContain("whsec_", list);
        Assert.Contains("https://example.test/hooks", list);
    }

    [Theory]
    [InlineData("not a url", "*")]
    [InlineData("ftp://example.test/x", "*")]
    [InlineData("https://user:pw@example.test/x", "*")]
    [InlineData("https://example.test/x", "paid")]
    [InlineData("https://example.test/x", "order.Paid")]
    [InlineData("https://example.test/x", "")]
    public async Task A_bad_url_or_event_type_is_refused_and_nothing_is_registered(string url, string type)
    {
        using var app = new SafeholdApp();

        var response = await app.Admin.PostAsJsonAsync("/api/v1/webhook-endpoints", new { url, events = new[] { type } });

        await Api.ExpectProblem(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Empty((await Api.Json(await app.Admin.GetAsync("/api/v1/webhook-endpoints")))["items"]!.AsArray());
    }

    [Fact]
    public async Task Only_an_admin_registers_endpoints()
    {
        using var app = new SafeholdApp();
        var seller = await app.NewUser("seller");

        await Api.ExpectProblem(await seller.Http.PostAsJsonAsync("/api/v1/webhook-endpoints", new { url = "https://example.test/x", events = new[] { "*" } }),
            HttpStatusCode.Forbidden, "action_not_allowed");
        await Api.ExpectProblem(await seller.Http.GetAsync("/api/v1/webhook-endpoints"), HttpStatusCode.Forbidden, "action_not_allowed");
    }
}
