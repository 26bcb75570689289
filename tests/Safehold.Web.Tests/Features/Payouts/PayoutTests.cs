using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Safehold.Domain;
using Safehold.Domain.Payouts;
using Safehold.Web.Features.Payouts;
using Safehold.Web.Payments;

namespace Safehold.Web.Tests.Features.Payouts;

public sealed class PayoutTests
{
    /// <summary>A seller whose completed order has passed its dispute window: 10,000 cents less 5% is available.</summary>
    private static async Task<TestUser> SellerWithAvailable(SafeholdApp app, long price = 10_000)
    {
        var (_, seller, _) = await app.OrderInCompletedPastWindow(price);
        return seller;
    }

    private static async Task<JsonNode> Balance(TestUser seller) =>
        (await Api.Json(await seller.Http.GetAsync("/api/v1/balance")))["balances"]!.AsArray().Single()!;

    private static async Task<JsonNode> Run(SafeholdApp app)
    {
        var response = await app.Admin.PostAsync("/api/v1/payouts/run", null);
        await Api.ExpectStatus(response, HttpStatusCode.OK);
        return await Api.Json(response);
    }

    private static JsonNode? PayoutOf(JsonNode run, TestUser seller) =>
        run["payouts"]!.AsArray().SingleOrDefault(p => p!["sellerId"]!.GetValue<string>() == seller.Id.ToString());

    [Fact]
    public async Task An_admin_run_pays_each_available_balance_at_or_above_the_minimum()
    {
        using var app = new SafeholdApp();
        var rich = await SellerWithAvailable(app, 10_000);
        var poor = await SellerWithAvailable(app, 500); // 475 available, under the 1,000 minimum

        var run = await Run(app);

        var paid = PayoutOf(run, rich)!;
        Assert.Equal("paid", paid["status"]!.GetValue<string>());
        Assert.Equal(9_500, paid["amount"]!["amount"]!.GetValue<long>());
        Assert.StartsWith("po_sandbox_", paid["reference"]!.GetValue<string>());
        Assert.Null(PayoutOf(run, poor));
        var richBalance = await Balance(rich);
        Assert.Equal(0, richBalance["available"]!.GetValue<long>());
        Assert.Equal(9_500, richBalance["paidOut"]!.GetValue<long>());
        Assert.Equal(475, (await Balance(poor))["available"]!.GetValue<long>());
        Assert.Equal(1, app.Payments.CountSucceeded("payout"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_second_run_pays_only_what_became_available_since()
    {
        using var app = new SafeholdApp();
        var seller = await SellerWithAvailable(app);
        await Run(app);

        var again = await Run(app);

        Assert.Null(PayoutOf(again, seller));
        Assert.Equal(1, app.Payments.CountSucceeded("payout"));
        Assert.Equal(9_500, (await Balance(seller))["paidOut"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_seller_sees_only_their_own_payouts_and_a_buyer_sees_none()
    {
        using var app = new SafeholdApp();
        var one = await SellerWithAvailable(app);
        var other = await SellerWithAvailable(app);
        await Run(app);

        var mine = await Api.ItemsOf(one, "/api/v1/payouts");
        Assert.Equal(one.Id.ToString(), Assert.Single(mine)!["sellerId"]!.GetValue<string>());
        var buyer = await app.NewUser("buyer");
        await Api.ExpectProblem(await buyer.Http.GetAsync("/api/v1/payouts"), HttpStatusCode.Forbidden, "action_not_allowed");
        var all = await Api.Json(await app.Admin.GetAsync($"/api/v1/payouts?sellerId={other.Id}"));
        Assert.Equal(other.Id.ToString(), Assert.Single(all["items"]!.AsArray())!["sellerId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Only_an_admin_runs_payouts()
    {
        using var app = new SafeholdApp();
        var seller = await SellerWithAvailable(app);

        await Api.ExpectProblem(await seller.Http.PostAsync("/api/v1/payouts/run", null), HttpStatusCode.Forbidden, "action_not_allowed");

        Assert.Equal(9_500, (await Balance(seller))["available"]!.GetValue<long>());
        Assert.Equal(0, app.Payments.CountSucceeded("payout"));
    }

    [Fact]
    public async Task The_statement_lists_each_movement_of_the_sellers_money_newest_first()
    {
        using var app = new SafeholdApp();
        var seller = await SellerWithAvailable(app);
        await Run(app);

        var items = await Api.ItemsOf(seller, "/api/v1/balance/statement");

        // The payout (available → owed) and its sending (owed → paid out) happen at one instant of the test's clock.
        Assert.Equal(["payout", "payout_sent"], items.Take(2).Select(i => i!["kind"]!.GetValue<string>()).Order());
        Assert.Equal(["credit_available", "release"], items.Skip(2).Select(i => i!["kind"]!.GetValue<string>()));
        Assert.Equal((0L, -9_500L, 0L), Changes(items.Single(i => i!["kind"]!.GetValue<string>() == "payout")!));
        Assert.Equal((0L, 0L, 9_500L), Changes(items.Single(i => i!["kind"]!.GetValue<string>() == "payout_sent")!));
        Assert.Equal((-9_500L, 9_500L, 0L), Changes(items[2]!));
        Assert.Equal((9_500L, 0L, 0L), Changes(items[3]!));
        await Api.ExpectProblem(await seller.Http.GetAsync("/api/v1/balance/statement?currency=DOLLARS"), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Empty(await Api.ItemsOf(seller, "/api/v1/balance/statement?currency=GEL"));

        static (long, long, long) Changes(JsonNode i) =>
            (i["pending"]!.GetValue<long>(), i["available"]!.GetValue<long>(), i["paidOut"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_refused_payout_is_retried_with_back_off_then_waits_for_an_admin_owed_to_the_seller()
    {
        var provider = new FaultyPayouts { Refuse = true };
        using var app = new SafeholdApp { TestServices = provider.Install };
        var seller = await SellerWithAvailable(app);

        var run = await Run(app);

        Assert.Equal("processing", PayoutOf(run, seller)!["status"]!.GetValue<string>());
        for (var wait = 1; wait <= 8; wait *= 2) await app.AdvanceAndSweep(TimeSpan.FromMinutes(wait)); // the back-off: 1, 2, 4, 8 minutes
        Assert.Equal(5, provider.Calls);
        var queued = Assert.Single(await Api.ItemsOf(app.Admin, "/api/v1/payment-instructions?status=failed"))!;
        Assert.Equal("payout", queued["kind"]!.GetValue<string>());
        Assert.Equal("account_closed", queued["failureCode"]!.GetValue<string>());
        Assert.Equal(5, queued["attempts"]!.GetValue<int>());
        var balance = await Balance(seller);
        Assert.Equal(0, balance["available"]!.GetValue<long>()); // taken out, owed to the seller, not paid
        Assert.Equal(0, balance["paidOut"]!.GetValue<long>());
        var inbox = await Api.ItemsOf(seller, "/api/v1/notifications");
        Assert.Contains(inbox, n => n!["kind"]!.GetValue<string>() == "payout_failed");
        await app.AssertLedgerOk();

        var resolved = await app.Admin.PostAsJsonAsync($"/api/v1/payment-instructions/{queued["id"]}/resolve", new { note = "Paid by bank transfer, ticket 7" });
        await Api.ExpectStatus(resolved, HttpStatusCode.OK);

        Assert.Equal("paid", Assert.Single(await Api.ItemsOf(seller, "/api/v1/payouts"))!["status"]!.GetValue<string>());
        Assert.Equal(9_500, (await Balance(seller))["paidOut"]!.GetValue<long>());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_payout_whose_answer_was_lost_is_sent_again_under_its_key_without_paying_twice()
    {
        var provider = new FaultyPayouts { LoseFirstAnswer = true };
        using var app = new SafeholdApp { TestServices = provider.Install };
        var seller = await SellerWithAvailable(app);

        var first = await Run(app);
        Assert.Equal("processing", PayoutOf(first, seller)!["status"]!.GetValue<string>());
        Assert.Equal(1, app.Payments.CountSucceeded("payout")); // the provider paid; Safehold never heard

        await app.AdvanceAndSweep(PaymentInstructionBackoff);

        var payouts = await Api.ItemsOf(seller, "/api/v1/payouts");
        Assert.Equal("paid", Assert.Single(payouts)!["status"]!.GetValue<string>());
        Assert.Equal(1, app.Payments.CountSucceeded("payout"));
        Assert.Equal(2, provider.Calls);
        Assert.Equal(9_500, (await Balance(seller))["paidOut"]!.GetValue<long>());
        await app.AssertLedgerOk();
    }

    private static readonly TimeSpan PaymentInstructionBackoff = Domain.Payments.PaymentInstruction.FirstBackoff;

    [Fact]
    public async Task Two_runs_at_once_pay_each_seller_once()
    {
        using var app = new SafeholdApp();
        var sellers = new List<TestUser>();
        for (var i = 0; i < 4; i++) sellers.Add(await SellerWithAvailable(app));

        var runs = await Task.WhenAll(Run(app), Run(app), Run(app));

        foreach (var seller in sellers)
        {
            Assert.Single(runs, r => PayoutOf(r, seller) is not null);
            Assert.Equal(9_500, (await Balance(seller))["paidOut"]!.GetValue<long>());
        }
        Assert.Equal(4, app.Payments.CountSucceeded("payout"));
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task The_weekly_schedule_pays_once_per_week_as_the_sandbox_clock_passes_it()
    {
        using var app = new SafeholdApp { Settings = { ["Safehold:Payouts:Scheduled"] = "true" } };
        var seller = await SellerWithAvailable(app);

        var advanced = await Api.Json(await app.Admin.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { hours = 1 }));
        Assert.Equal(1, advanced["payoutsSent"]!.GetValue<int>());
        var sameWeek = await Api.Json(await app.Admin.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { hours = 1 }));
        Assert.Equal(0, sameWeek["payoutsSent"]!.GetValue<int>());
        var second = await SellerWithAvailable(app);
        Assert.Equal(9_500, (await Balance(second))["available"]!.GetValue<long>());

        var nextWeek = await Api.Json(await app.Admin.PostAsJsonAsync("/api/v1/sandbox/clock/advance", new { days = 7 }));

        Assert.Equal(1, nextWeek["payoutsSent"]!.GetValue<int>());
        Assert.Equal(9_500, (await Balance(second))["paidOut"]!.GetValue<long>());
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var runs = await db.PayoutRuns.AsNoTracking().Select(r => r.Key).ToListAsync();
            Assert.Equal(2, runs.Count);
            Assert.All(runs, key => Assert.StartsWith("scheduled:", key));
        }
        await app.AssertLedgerOk();
    }

    [Fact]
    public void The_schedule_starts_each_period_on_a_monday_at_midnight_utc()
    {
        var weekly = new PayoutOptions();
        var (key, start) = weekly.ScheduledRunAt(new DateTimeOffset(2026, 11, 26, 15, 30, 0, TimeSpan.Zero)); // a Thursday
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero), start);
        Assert.Equal(DayOfWeek.Monday, start.DayOfWeek);
        Assert.Equal("scheduled:2026-11-23", key);
        Assert.Equal("scheduled:2026-11-30", weekly.ScheduledRunAt(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero)).Key);
    }

    /// <summary>The sandbox provider, except that payouts can be refused, or paid with the answer lost on the way back.</summary>
    private sealed class FaultyPayouts
    {
        public bool Refuse { get; init; }
        public bool LoseFirstAnswer { get; init; }
        public int Calls;

        public void Install(IServiceCollection services)
        {
            services.RemoveAll<IPaymentProvider>();
            services.AddSingleton<IPaymentProvider>(sp => new Provider(sp.GetRequiredService<SandboxPaymentProvider>(), this));
        }

        private sealed class Provider(SandboxPaymentProvider inner, FaultyPayouts faults) : IPaymentProvider
        {
            public Task<PaymentResult> CaptureAsync(string key, Money amount, string card, CancellationToken ct) => inner.CaptureAsync(key, amount, card, ct);
            public Task<PaymentResult> RefundAsync(string key, string capture, Money amount, CancellationToken ct) => inner.RefundAsync(key, capture, amount, ct);
            public Task<PaymentResult?> FindCaptureAsync(string key, CancellationToken ct) => inner.FindCaptureAsync(key, ct);

            public async Task<PaymentResult> PayoutAsync(string key, Guid sellerId, Money amount, CancellationToken ct)
            {
                var call = Interlocked.Increment(ref faults.Calls);
                if (faults.Refuse) return PaymentResult.Declined("account_closed", "The seller's bank account is closed.");
                var answer = await inner.PayoutAsync(key, sellerId, amount, ct);
                if (faults.LoseFirstAnswer && call == 1) throw new HttpRequestException("The connection was reset.");
                return answer;
            }
        }
    }
}
