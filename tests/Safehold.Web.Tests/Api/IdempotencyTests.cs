using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Safehold.Web.Tests.Http;

public sealed class IdempotencyTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static HttpRequestMessage Post(string path, object body, string key) => new(HttpMethod.Post, path)
    {
        Content = JsonContent.Create(body),
        Headers = { { "Idempotency-Key", key } },
    };

    private static object OrderBody(Guid productId) => new
    {
        items = new[] { new { productId, quantity = 1 } },
        shippingAddress = "1 Test Street, Tbilisi, GE",
    };

    private async Task<int> OrderCount(Guid buyerId)
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.Orders.CountAsync(o => o.BuyerId == buyerId);
    }

    [Fact]
    public async Task The_same_key_with_the_same_body_replays_the_first_response_and_creates_one_order()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller);

        var first = await buyer.Http.SendAsync(Post("/api/v1/orders", OrderBody(product), "order-1"));
        var second = await buyer.Http.SendAsync(Post("/api/v1/orders", OrderBody(product), "order-1"));

        await Api.ExpectStatus(first, HttpStatusCode.Created);
        await Api.ExpectStatus(second, HttpStatusCode.Created);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.True(second.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await OrderCount(buyer.Id));
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_refused_and_changes_nothing()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller);
        var other = await app.NewProduct(seller, amount: 555);

        await Api.ExpectStatus(await buyer.Http.SendAsync(Post("/api/v1/orders", OrderBody(product), "k")), HttpStatusCode.Created);
        var reused = await buyer.Http.SendAsync(Post("/api/v1/orders", OrderBody(other), "k"));

        await Api.ExpectProblem(reused, HttpStatusCode.Conflict, "idempotency_key_reused");
        Assert.Equal(1, await OrderCount(buyer.Id));
    }

    [Fact]
    public async Task Keys_belong_to_their_caller_so_two_buyers_may_use_the_same_key()
    {
        var seller = await app.NewUser("seller");
        var product = await app.NewProduct(seller);
        var a = await app.NewUser("buyer");
        var b = await app.NewUser("buyer");

        var fromA = await Api.Json(await a.Http.SendAsync(Post("/api/v1/orders", OrderBody(product), "shared")));
        var fromB = await Api.Json(await b.Http.SendAsync(Post("/api/v1/orders", OrderBody(product), "shared")));

        Assert.NotEqual(fromA.Id(), fromB.Id());
    }

    [Fact]
    public async Task A_retried_payment_replays_its_success_and_charges_the_card_once()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");
        var captures = app.Payments.CountSucceeded("capture");
        var body = new { card = new { number = "4242424242424242" } };

        var first = await buyer.Http.SendAsync(Post($"/api/v1/orders/{id}/pay", body, "pay-once"));
        var retry = await buyer.Http.SendAsync(Post($"/api/v1/orders/{id}/pay", body, "pay-once"));

        await Api.ExpectStatus(first, HttpStatusCode.OK);
        await Api.ExpectStatus(retry, HttpStatusCode.OK);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(captures + 1, app.Payments.CountSucceeded("capture"));
        var ledger = await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}/ledger"));
        Assert.Single(ledger["entries"]!.AsArray());
    }

    /// <summary>
    /// Racing pays with one key may all run (the pay begins its own transactions): one captures, and the others find its
    /// capture in flight (409 <c>payment_in_progress</c>, not kept: retried under the key, it replays the success) or the
    /// order paid. Those are answered with the first answer kept under the key, the success, never with a refusal of a
    /// payment that succeeded.
    /// </summary>
    [Fact]
    public async Task Concurrent_payments_with_one_key_answer_the_one_success_or_in_progress_and_charge_the_card_once()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");
        var captures = app.Payments.CountSucceeded("capture");
        var body = new { card = new { number = "4242424242424242" } };

        var responses = await Task.WhenAll(Enumerable.Range(0, 4)
            .Select(_ => buyer.Http.SendAsync(Post($"/api/v1/orders/{id}/pay", body, "pay-racing"))));
        var retried = await buyer.Http.SendAsync(Post($"/api/v1/orders/{id}/pay", body, "pay-racing"));

        var bodies = new List<string>();
        foreach (var r in responses.Append(retried))
        {
            if (r.StatusCode == HttpStatusCode.Conflict && r != retried) await Api.ExpectProblem(r, HttpStatusCode.Conflict, "payment_in_progress");
            else
            {
                await Api.ExpectStatus(r, HttpStatusCode.OK);
                bodies.Add(await r.Content.ReadAsStringAsync());
            }
        }
        Assert.True(bodies.Count >= 2, "No request answered the success before the retry.");
        Assert.Single(bodies.Distinct());
        Assert.Equal(captures + 1, app.Payments.CountSucceeded("capture"));
        var ledger = await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}/ledger"));
        Assert.Single(ledger["entries"]!.AsArray());
    }

    [Fact]
    public async Task Two_concurrent_requests_with_one_key_create_one_order_and_answer_alike()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller);

        var responses = await Task.WhenAll(Enumerable.Range(0, 4)
            .Select(_ => buyer.Http.SendAsync(Post("/api/v1/orders", OrderBody(product), "racing-key"))));

        var bodies = new List<string>();
        foreach (var r in responses)
        {
            await Api.ExpectStatus(r, HttpStatusCode.Created);
            bodies.Add(await r.Content.ReadAsStringAsync());
        }
        Assert.Single(bodies.Distinct());
        Assert.Equal(1, await OrderCount(buyer.Id));
    }

    /// <summary>
    /// A write made ahead of the lock takes its key's lock before it writes, as a write under the lock with that key does
    /// (which holds it from its lookup of the stored answer to its commit): without it, the two could both write, and
    /// the second's record meet the first's as a 409 instead of a replay.
    /// </summary>
    [Fact]
    [Trait("Database", "PostgreSQL")]
    public async Task On_postgres_an_order_placed_ahead_of_the_lock_waits_for_its_keys_lock_and_once_it_is_free_is_written()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller);
        var (scope, holder) = app.OpenDb();
        using (scope)
        {
            await using var tx = await holder.Database.BeginTransactionAsync();
            await holder.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({buyer.Id + "/held-key"}, 0))");

            var placing = buyer.Http.SendAsync(Post("/api/v1/orders", OrderBody(product), "held-key"));
            Assert.True(await WaitsForAdvisoryLockAsync(holder, placing), "The staged write did not wait for its key's lock.");
            Assert.False(placing.IsCompleted);
            await tx.CommitAsync();

            await Api.ExpectStatus(await placing, HttpStatusCode.Created);
        }
        Assert.Equal(1, await OrderCount(buyer.Id));
    }

    /// <summary>The pay, whose success's answer is kept with its payment, staged ahead of the lock, takes its key's lock likewise.</summary>
    [Fact]
    [Trait("Database", "PostgreSQL")]
    public async Task On_postgres_a_payment_written_ahead_of_the_lock_waits_for_its_keys_lock_and_once_it_is_free_is_written()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");
        var (scope, holder) = app.OpenDb();
        using (scope)
        {
            await using var tx = await holder.Database.BeginTransactionAsync();
            await holder.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({buyer.Id + "/held-pay-key"}, 0))");

            var paying = buyer.Http.SendAsync(Post($"/api/v1/orders/{id}/pay", new { card = new { number = "4242424242424242" } }, "held-pay-key"));
            Assert.True(await WaitsForAdvisoryLockAsync(holder, paying), "The staged payment did not wait for its key's lock.");
            Assert.False(paying.IsCompleted);
            await tx.CommitAsync();

            await Api.ExpectStatus(await paying, HttpStatusCode.OK);
        }
        var replayed = await buyer.Http.SendAsync(Post($"/api/v1/orders/{id}/pay", new { card = new { number = "4242424242424242" } }, "held-pay-key"));
        await Api.ExpectStatus(replayed, HttpStatusCode.OK);
        Assert.True(replayed.Headers.Contains("Idempotent-Replayed"));
    }

    /// <summary>Whether a request's write waits for an advisory lock: seen in pg_locks, looked for up to 30 s.</summary>
    private static async Task<bool> WaitsForAdvisoryLockAsync(Safehold.Web.Data.SafeholdDb holder, Task request)
    {
        for (var i = 0; i < 300 && !request.IsCompleted; i++)
        {
            if (await holder.Database.SqlQueryRaw<int>(
                "SELECT count(*)::int AS \"Value\" FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").SingleAsync() > 0) return true;
            await Task.Delay(100);
        }
        return false;
    }

    [Fact]
    public async Task A_replayed_user_creation_does_not_show_the_api_key_a_second_time()
    {
        var body = new { email = $"once-{Guid.NewGuid():N}@test.example", displayName = "Once", role = "buyer" };
        var first = await Api.Json(await app.Admin.SendAsync(Post("/api/v1/users", body, "create-once")));
        var replay = await Api.Json(await app.Admin.SendAsync(Post("/api/v1/users", body, "create-once")));

        Assert.StartsWith("sh_", first["apiKey"]!.GetValue<string>());
        Assert.Equal(first.Id(), replay.Id());
        Assert.Null(replay["apiKey"]);
        Assert.True(replay["secretsRedacted"]!.GetValue<bool>());
        // The key shown once still works.
        await Api.ExpectStatus(await app.As(first["apiKey"]!.GetValue<string>()).GetAsync("/api/v1/users/me"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_request_refused_as_it_ran_keeps_its_refusal_under_its_key_even_once_it_would_succeed()
    {
        var (buyer, seller, id) = await app.OrderIn("awaiting_shipment");
        var early = await buyer.Http.SendAsync(Post($"/api/v1/orders/{id}/confirm-receipt", new { }, "confirm"));
        await Api.ExpectProblem(early, HttpStatusCode.Conflict, "invalid_state");
        await Api.ExpectStatus(await AppShip(seller, id), HttpStatusCode.OK);

        // The retry gets the first answer, as Stripe's keys do: a key names one attempt, refused or not.
        var retried = await buyer.Http.SendAsync(Post($"/api/v1/orders/{id}/confirm-receipt", new { }, "confirm"));
        await Api.ExpectProblem(retried, HttpStatusCode.Conflict, "invalid_state");
        Assert.True(retried.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("awaiting_delivery", (await Api.GetOrder(buyer, id)).Status());

        var fresh = await buyer.Http.SendAsync(Post($"/api/v1/orders/{id}/confirm-receipt", new { }, "confirm-2"));
        await Api.ExpectStatus(fresh, HttpStatusCode.OK);
        Assert.Equal("completed", (await Api.GetOrder(buyer, id)).Status());
    }

    [Fact]
    public async Task A_declined_card_is_declined_again_under_the_same_key_without_asking_the_provider_twice()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");
        var body = new { paymentMethod = Safehold.Web.Payments.SandboxPaymentProvider.Declined };
        var declined = await buyer.Http.SendAsync(Post($"/api/v1/orders/{id}/pay", body, "attempt"));
        var first = await Api.ExpectProblem(declined, HttpStatusCode.PaymentRequired, "card_declined");

        var again = await buyer.Http.SendAsync(Post($"/api/v1/orders/{id}/pay", body, "attempt"));
        var replayed = await Api.ExpectProblem(again, HttpStatusCode.PaymentRequired, "card_declined");
        Assert.True(again.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(first["traceId"]!.GetValue<string>(), replayed["traceId"]!.GetValue<string>()); // the first answer itself
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType!.MediaType);

        var paid = await buyer.Http.SendAsync(Post($"/api/v1/orders/{id}/pay", new { paymentMethod = Safehold.Web.Payments.SandboxPaymentProvider.Visa }, "attempt-2"));
        await Api.ExpectStatus(paid, HttpStatusCode.OK);
    }

    [Fact]
    public async Task Invalid_input_is_not_kept_so_the_key_can_be_used_once_the_request_is_fixed()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller);

        var invalid = await buyer.Http.SendAsync(Post("/api/v1/orders", new { items = Array.Empty<object>(), shippingAddress = "x" }, "fix-me"));
        await Api.ExpectProblem(invalid, HttpStatusCode.BadRequest, "validation_failed");

        var fixedUp = await buyer.Http.SendAsync(Post("/api/v1/orders", OrderBody(product), "fix-me"));
        await Api.ExpectStatus(fixedUp, HttpStatusCode.Created);
        Assert.Equal(1, await OrderCount(buyer.Id));
    }

    private static Task<HttpResponseMessage> AppShip(TestUser seller, Guid id) => SafeholdApp.Ship(seller, id);
}

/// <summary>Keys expire after a day (Safehold:Idempotency:KeepHours), and the sweeper's loop deletes their answers.</summary>
public sealed class IdempotencyExpiryTests : IDisposable
{
    private readonly SafeholdApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task A_key_is_free_again_a_day_later_and_its_answer_is_deleted()
    {
        var seller = await _app.NewUser("seller");
        var buyer = await _app.NewUser("buyer");
        var product = await _app.NewProduct(seller);
        var other = await _app.NewProduct(seller, amount: 555);
        HttpRequestMessage Order(Guid productId) => new(HttpMethod.Post, "/api/v1/orders")
        {
            Content = JsonContent.Create(new { items = new[] { new { productId, quantity = 1 } }, shippingAddress = "1 Test Street, Tbilisi" }),
            Headers = { { "Idempotency-Key", "daily" } },
        };
        await Api.ExpectStatus(await buyer.Http.SendAsync(Order(product)), HttpStatusCode.Created);

        _app.Clock.Advance(TimeSpan.FromHours(23));
        await Api.ExpectProblem(await buyer.Http.SendAsync(Order(other)), HttpStatusCode.Conflict, "idempotency_key_reused");

        _app.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.True(await _app.Services.GetRequiredService<Safehold.Web.Jobs.IdempotencyCleanup>().RunAsync(CancellationToken.None) >= 1);
        Assert.Equal(0, await Kept());
        await Api.ExpectStatus(await buyer.Http.SendAsync(Order(other)), HttpStatusCode.Created); // a new request, not a replay
        Assert.Equal(1, await Kept());

        async Task<int> Kept()
        {
            var (scope, db) = _app.OpenDb();
            using (scope) return await db.IdempotencyRecords.CountAsync(r => r.UserId == buyer.Id);
        }
    }
}

/// <summary>Replays are kept in the database, so they outlive the process that answered first.</summary>
public sealed class IdempotencyAcrossRestartTests
{
    [Fact]
    public async Task A_replay_survives_a_restart_of_the_host()
    {
        var directory = SafeholdApp.NewDirectory();
        string firstBody;
        TestUser buyer;
        Guid product;
        using (var before = SafeholdApp.Over(directory))
        {
            var seller = await before.NewUser("seller");
            buyer = await before.NewUser("buyer");
            product = await before.NewProduct(seller);
            var first = await buyer.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
            {
                Content = JsonContent.Create(new { items = new[] { new { productId = product, quantity = 2 } }, shippingAddress = "Somewhere 1, Tbilisi" }),
                Headers = { { "Idempotency-Key", "survives" } },
            });
            await Api.ExpectStatus(first, HttpStatusCode.Created);
            firstBody = await first.Content.ReadAsStringAsync();
        }

        using var after = SafeholdApp.Over(directory);
        var replay = await after.As(buyer.ApiKey).SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = JsonContent.Create(new { items = new[] { new { productId = product, quantity = 2 } }, shippingAddress = "Somewhere 1, Tbilisi" }),
            Headers = { { "Idempotency-Key", "survives" } },
        });
        await Api.ExpectStatus(replay, HttpStatusCode.Created);
        Assert.Equal(firstBody, await replay.Content.ReadAsStringAsync());
    }
}
