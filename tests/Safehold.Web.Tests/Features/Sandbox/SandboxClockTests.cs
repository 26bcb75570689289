using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Safehold.Web.Jobs;

namespace Safehold.Web.Tests.Features.Sandbox;

public sealed class SandboxClockTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task Advancing_40_days_through_the_api_completes_a_shipped_order_before_the_call_answers()
    {
        var (buyer, seller, id) = await app.OrderIn("awaiting_delivery", amount: 5_000);
        var before = await Api.Json(await app.Admin.GetAsync("/api/v1/sandbox/clock"));

        var advanced = await app.Admin.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { days = 40 });

        await Api.ExpectStatus(advanced, HttpStatusCode.OK);
        var clock = await Api.Json(advanced);
        Assert.Equal(before["now"]!.GetValue<DateTimeOffset>().AddDays(40), clock["now"]!.GetValue<DateTimeOffset>());
        Assert.True(clock["timersFired"]!.GetValue<int>() >= 2); // the buyer's reminder, then protection's end
        Assert.Equal("completed", (await Api.GetOrder(buyer, id)).Status());
        var balance = (await Api.Json(await seller.Http.GetAsync("/api/v1/balance")))["balances"]![0]!;
        Assert.Equal(4_750, balance["pending"]!.GetValue<long>());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task Hours_move_the_clock_too()
    {
        var before = (await Api.Json(await app.Admin.GetAsync("/api/v1/sandbox/clock")))["now"]!.GetValue<DateTimeOffset>();
        var after = await Api.Json(await app.Admin.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { hours = 5 }));
        Assert.Equal(before.AddHours(5), after["now"]!.GetValue<DateTimeOffset>());
    }

    [Theory]
    [InlineData("""{"days": -1}""")]
    [InlineData("""{"hours": -3}""")]
    [InlineData("""{"days": 100000}""")]
    [InlineData("""{"days": -1e300}""")]
    [InlineData("""{"hours": -1e300}""")]
    [InlineData("""{"days": -1e300, "hours": 1e300}""")]
    [InlineData("""{}""")]
    public async Task Moving_backwards_or_by_an_absurd_amount_is_refused(string body)
    {
        var before = (await Api.Json(await app.Admin.GetAsync("/api/v1/sandbox/clock")))["now"]!.GetValue<DateTimeOffset>();
        var response = await app.Admin.PostAsync("/api/v1/sandbox/clock/advance", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await Api.ExpectProblem(response, HttpStatusCode.BadRequest, "validation_failed");
        var after = (await Api.Json(await app.Admin.GetAsync("/api/v1/sandbox/clock")))["now"]!.GetValue<DateTimeOffset>();
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task A_retried_advance_with_the_same_key_moves_the_clock_once()
    {
        static HttpRequestMessage Advance(object body, string key) => new(HttpMethod.Post, "/api/v1/sandbox/clock/advance")
        {
            Content = JsonContent.Create(body),
            Headers = { { "Idempotency-Key", key } },
        };
        var before = (await Api.Json(await app.Admin.GetAsync("/api/v1/sandbox/clock")))["now"]!.GetValue<DateTimeOffset>();

        var first = await app.Admin.SendAsync(Advance(new { hours = 2 }, "advance-once"));
        var retry = await app.Admin.SendAsync(Advance(new { hours = 2 }, "advance-once"));
        var other = await app.Admin.SendAsync(Advance(new { hours = 3 }, "advance-once"));

        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        await Api.ExpectProblem(other, HttpStatusCode.Conflict, "idempotency_key_reused");
        var after = (await Api.Json(await app.Admin.GetAsync("/api/v1/sandbox/clock")))["now"]!.GetValue<DateTimeOffset>();
        Assert.Equal(before.AddHours(2), after);
    }

    [Fact]
    public async Task Only_an_admin_may_read_or_move_the_clock()
    {
        var seller = await app.NewUser("seller");
        await Api.ExpectProblem(await seller.Http.GetAsync("/api/v1/sandbox/clock"), HttpStatusCode.Forbidden, "action_not_allowed");
        await Api.ExpectProblem(await seller.Http.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { days = 1 }), HttpStatusCode.Forbidden, "action_not_allowed");
    }
}

public sealed class SandboxClockPersistenceTests
{
    [Fact]
    public async Task A_restarted_sandbox_keeps_its_time()
    {
        var directory = SafeholdApp.NewDirectory();
        DateTimeOffset moved;
        using (var first = SafeholdApp.Over(directory))
        {
            moved = (await Api.Json(await first.Admin.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { days = 12 })))["now"]!.GetValue<DateTimeOffset>();
        }
        using var second = SafeholdApp.Over(directory);
        var now = (await Api.Json(await second.Admin.GetAsync("/api/v1/sandbox/clock")))["now"]!.GetValue<DateTimeOffset>();
        Assert.Equal(moved, now);
    }

    [Fact]
    public async Task Outside_sandbox_mode_the_clock_does_not_exist()
    {
        using var app = new SafeholdApp { Settings = { ["Safehold:Sandbox"] = "false" } };
        await Api.ExpectProblem(await app.Admin.GetAsync("/api/v1/sandbox/clock"), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await app.Admin.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { days = 1 }), HttpStatusCode.NotFound, "not_found");
    }
}

/// <summary>Hosts on one database share one sandbox clock: the offset is one stored value that every host reads.</summary>
public sealed class SandboxClockSharedTests
{
    [Fact]
    public async Task A_host_reads_the_clock_another_host_advanced_and_dates_new_orders_by_it()
    {
        var directory = SafeholdApp.NewDirectory();
        using var first = SafeholdApp.Over(directory);
        using var second = SafeholdApp.Over(directory);
        var seller = await first.NewUser("seller");
        var buyer = await first.NewUser("buyer");
        var product = await first.NewProduct(seller);
        _ = await second.Admin.GetAsync("/api/v1/sandbox/clock"); // the second host has started and read the clock

        var advanced = await Api.Json(await first.Admin.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { days = 10 }));

        var seen = await Api.Json(await second.Admin.GetAsync("/api/v1/sandbox/clock"));
        Assert.Equal(advanced["now"]!.GetValue<DateTimeOffset>(), seen["now"]!.GetValue<DateTimeOffset>());
        var buyerOnSecond = buyer with { Http = second.As(buyer.ApiKey) };
        var order = await second.PlaceOrder(buyerOnSecond, product);
        Assert.Equal(advanced["now"]!.GetValue<DateTimeOffset>(), order["createdAt"]!.GetValue<DateTimeOffset>());
        // The first host's sweeper, a minute on, leaves the new order alone: it was made at the shared time.
        Assert.Equal(0, await first.AdvanceAndSweep(TimeSpan.FromMinutes(1)));
        Assert.Equal("awaiting_payment", (await Api.GetOrder(buyer, order.Id())).Status());
    }

    [Fact]
    public async Task A_host_that_cannot_read_the_clock_does_no_timed_work()
    {
        using var app = new SafeholdApp();
        var (buyer, _, orderId) = await app.OrderIn("awaiting_payment");
        await Api.ExpectStatus(await app.Admin.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { hours = 1 }), System.Net.HttpStatusCode.OK);
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.Database.ExecuteSqlRawAsync("""ALTER TABLE "SandboxClock" RENAME TO "SandboxClockGone" """);
            app.Clock.Advance(TimeSpan.FromDays(30)); // the unpaid order is long due to expire

            await Assert.ThrowsAnyAsync<Exception>(() => app.Services.GetRequiredService<DeadlineSweeper>().RunDueAsync(CancellationToken.None));

            Assert.Equal(Domain.Orders.OrderStatus.AwaitingPayment, await db.Orders.Where(o => o.Id == orderId).Select(o => o.Status).SingleAsync());
            await db.Database.ExecuteSqlRawAsync("""ALTER TABLE "SandboxClockGone" RENAME TO "SandboxClock" """);
        }
        Assert.True(await app.AdvanceAndSweep(TimeSpan.Zero) > 0);
        Assert.Equal("closed", (await Api.GetOrder(buyer, orderId)).Status());
    }
}
