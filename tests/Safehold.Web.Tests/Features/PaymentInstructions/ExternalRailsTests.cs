using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Safehold.Web.Jobs;
using Safehold.Web.Tests.Features.Chargebacks;
using Safehold.Web.Tests.Features.Disputes;
using Safehold.Web.Tests.Features.Events;
using Safehold.Web.Tests.Features.Webhooks;

namespace Safehold.Web.Tests.Features.PaymentInstructions;

/// <summary>
/// <c>Safehold:Payments:Provider=external</c>, end to end over HTTP, as a marketplace drives it: it reports the buyer's
/// capture with its platform key acting for the buyer, receives each refund and payout as a signed
/// <c>payment_instruction.created</c> webhook on a loopback listener, executes it and reports the result. The ledger check
/// holds after every step.
/// </summary>
public sealed class ExternalRailsTests : IAsyncLifetime
{
    private readonly SafeholdApp _app = new() { Settings = { ["Safehold:Payments:Provider"] = "external" } };
    private WebhookReceiver _receiver = null!;
    private string _secret = "";
    private TestUser _platform = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _platform = await _app.NewUser("platform");
        await EventLogSettling.Settled(_app);
        var hook = await _app.Admin.PostAsJsonAsync("/api/v1/webhook-endpoints", new { url = _receiver.Url, events = new[] { "payment_instruction.*" } });
        await Api.ExpectStatus(hook, HttpStatusCode.Created);
        _secret = (await Api.Json(hook))["secret"]!.GetValue<string>();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        _app.Dispose();
    }

    /// <summary>The marketplace's side of a webhook delivery: the new instruction events, each signature checked.</summary>
    /// <remarks>Each test has an app of its own, so whatever arrives is this test's.</remarks>
    private async Task<List<JsonNode>> DeliveredInstructions()
    {
        await EventLogSettling.Settled(_app);
        var before = _receiver.Received.Count;
        await _app.Services.GetRequiredService<WebhookDispatcher>().RunDueAsync(CancellationToken.None);
        var delivered = _receiver.Received.Skip(before).ToList();
        foreach (var (headers, body) in delivered)
        {
            Assert.True(WebhookReceiver.SignedWith(_secret, headers["Safehold-Signature"], body), "The signature does not verify.");
            Assert.Equal(JsonNode.Parse(body)!["type"]!.GetValue<string>(), headers["Safehold-Event-Type"]);
            Assert.StartsWith("payment_instruction.", headers["Safehold-Event-Type"], StringComparison.Ordinal);
        }
        return delivered.Select(d => JsonNode.Parse(d.Body)!).ToList();
    }

    private Task<HttpResponseMessage> PayExternally(TestUser buyerByPlatform, Guid orderId, string reference, long amount = 10_000) =>
        buyerByPlatform.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/pay",
            new { externalPayment = new { reference, amount = new { amount, currency = "USD" } } });

    private Task<HttpResponseMessage> Result(HttpClient http, Guid instructionId, object body) =>
        http.PostAsJsonAsync($"/api/v1/payment-instructions/{instructionId}/result", body);

    private async Task<JsonNode> ResultOk(Guid instructionId, object body)
    {
        var response = await Result(_platform.Http, instructionId, body);
        await Api.ExpectStatus(response, HttpStatusCode.OK);
        return await Api.Json(response);
    }

    /// <summary>An order of a new seller's product placed and paid by the marketplace for a new buyer.</summary>
    private async Task<(TestUser Buyer, TestUser Seller, Guid OrderId)> PaidOrder(string reference)
    {
        var seller = await _app.NewUser("seller");
        var buyer = _app.ActingFor(_platform, await _app.NewUser("buyer"));
        var product = await _app.NewProduct(seller);
        var orderId = (await _app.PlaceOrder(buyer, product)).Id();
        var paid = await PayExternally(buyer, orderId, reference);
        await Api.ExpectStatus(paid, HttpStatusCode.OK);
        Assert.Equal("awaiting_shipment", (await Api.Json(paid)).Status());
        await _app.AssertLedgerOk();
        return (buyer, seller, orderId);
    }

    [Fact]
    public async Task A_marketplace_reports_one_capture_for_a_checkout_and_it_pays_every_order_and_no_other_order_may_reuse_it()
    {
        var buyer = _app.ActingFor(_platform, await _app.NewUser("buyer"));
        var first = await _app.NewProduct(await _app.NewUser("seller"), 1_500);
        var second = await _app.NewProduct(await _app.NewUser("seller"), 2_500);
        var placed = await Checkouts.CheckoutTests.Place(buyer, (first, 1), (second, 2));
        var pay = (long amount) => buyer.Http.PostAsJsonAsync($"/api/v1/checkouts/{placed.Id()}/pay",
            new { externalPayment = new { reference = "ch_mkt_cart_1", amount = new { amount, currency = "USD" } } });

        await Api.ExpectProblem(await pay(1_500), HttpStatusCode.UnprocessableEntity, "external_payment_amount_mismatch");
        var paid = await pay(6_500);
        await Api.ExpectStatus(paid, HttpStatusCode.OK);

        Assert.Equal("paid", (await Api.Json(paid)).Status());
        foreach (var order in placed["orders"]!.AsArray())
            Assert.Equal(order!["total"]!["amount"]!.GetValue<long>(), Assert.Single(await _app.Entries(order.Id(), "capture"))["Escrow"]);
        var other = (await _app.PlaceOrder(buyer, first)).Id();
        await Api.ExpectProblem(await PayExternally(buyer, other, "ch_mkt_cart_1", 1_500), HttpStatusCode.UnprocessableEntity, "external_payment_reference_used");
        await _app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_reported_capture_sent_with_an_Idempotency_Key_is_written_with_its_keys_answer_in_one_transaction()
    {
        var buyer = _app.ActingFor(_platform, await _app.NewUser("buyer"));
        var orderId = (await _app.PlaceOrder(buyer, await _app.NewProduct(await _app.NewUser("seller")))).Id();
        HttpRequestMessage Pay()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/orders/{orderId}/pay")
            {
                Content = JsonContent.Create(new { externalPayment = new { reference = "ch_mkt_keyed", amount = new { amount = 10_000, currency = "USD" } } }),
            };
            request.Headers.Add(Safehold.Web.Api.WriteTransaction.Header, $"pay-{orderId}");
            return request;
        }
        await EventLogSettling.Settled(_app);
        var before = await WriteTransactions();

        var paid = await buyer.Http.SendAsync(Pay());

        await Api.ExpectStatus(paid, HttpStatusCode.OK);
        Assert.Equal(before + 1, await WriteTransactions()); // the payment and its key's answer: one commit, where there were two
        var again = await buyer.Http.SendAsync(Pay()); // the marketplace's retry: the first answer, replayed
        await Api.ExpectStatus(again, HttpStatusCode.OK);
        Assert.Equal(await paid.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        Assert.Single(await _app.Entries(orderId, "capture"));
        await _app.AssertLedgerOk();
    }

    /// <summary>How many write transactions the host has run (the write gate's histogram of their lives).</summary>
    private async Task<double> WriteTransactions() =>
        double.Parse((await (await _app.Admin.GetAsync("/metrics")).Content.ReadAsStringAsync()).Split('\n')
            .Single(l => l.StartsWith("safehold_write_lock_held_seconds_count ", StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_marketplace_takes_an_order_from_its_own_capture_to_the_sellers_payout()
    {
        var (buyer, seller, orderId) = await PaidOrder("ch_mkt_payout_1");
        Assert.Equal(10_000, Assert.Single(await _app.Entries(orderId, "capture"))["Escrow"]);
        await Api.ExpectStatus(await SafeholdApp.Ship(seller, orderId), HttpStatusCode.OK);
        await Api.ExpectStatus(await buyer.Http.PostAsync($"/api/v1/orders/{orderId}/confirm-receipt", null), HttpStatusCode.OK);
        await _app.AssertLedgerOk();
        await _app.AdvanceAndSweep(TimeSpan.FromDays(15) + TimeSpan.FromMinutes(1)); // the dispute window passes
        Assert.Equal((9_500L, 0L), await AvailableAndPaidOut(seller));
        await _app.AssertLedgerOk();

        await Api.ExpectStatus(await _app.Admin.PostAsync("/api/v1/payouts/run", null), HttpStatusCode.OK);
        await _app.AssertLedgerOk();

        var announced = Assert.Single(await DeliveredInstructions());
        Assert.Equal(("payout", seller.Id, 9_500L), (announced["instructionKind"]!.GetValue<string>(), announced["sellerId"]!.GetValue<Guid>(),
            announced["amount"]!["amount"]!.GetValue<long>()));
        var id = announced["instructionId"]!.GetValue<Guid>();
        // The worker sends nothing on external rails: the payout waits for the marketplace.
        Assert.Equal(0, await _app.SendPayments());
        var polled = await Api.ItemsOf(_platform, "/api/v1/payment-instructions?status=pending");
        Assert.Contains(polled, i => i!["id"]!.GetValue<Guid>() == id);
        Assert.Equal((0L, 0L), await AvailableAndPaidOut(seller)); // owed to the seller until it leaves

        var paid = await ResultOk(id, new { status = "succeeded", reference = "po_mkt_1", amount = new { amount = 9_500, currency = "USD" } });

        Assert.Equal(("succeeded", "po_mkt_1"), (paid["status"]!.GetValue<string>(), paid["providerReference"]!.GetValue<string>()));
        var result = Assert.Single(await DeliveredInstructions()); // the result is an event too, for whoever else listens
        Assert.Equal(("payment_instruction.succeeded", id, 2), (result["type"]!.GetValue<string>(), result["instructionId"]!.GetValue<Guid>(),
            result["sequence"]!.GetValue<int>()));
        Assert.Equal((0L, 9_500L), await AvailableAndPaidOut(seller));
        await _app.AssertLedgerOk();
        var payouts = await Api.ItemsOf(seller, "/api/v1/payouts");
        Assert.Equal("paid", Assert.Single(payouts)!["status"]!.GetValue<string>());

        // Reported again: the same answer, and nothing moves; another result is refused.
        var again = await Result(_platform.Http, id, new { status = "succeeded", reference = "po_mkt_1" });
        await Api.ExpectStatus(again, HttpStatusCode.OK);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        await Api.ExpectProblem(await Result(_platform.Http, id, new { status = "failed", failureCode = "account_closed" }), HttpStatusCode.Conflict,
            "result_already_reported");
        await Api.ExpectProblem(await Result(_platform.Http, id, new { status = "succeeded", reference = "po_mkt_2" }), HttpStatusCode.Conflict,
            "result_already_reported");
        Assert.Equal((0L, 9_500L), await AvailableAndPaidOut(seller));
        await _app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_refund_through_a_dispute_is_announced_and_leaves_when_the_marketplace_reports_it_sent()
    {
        var (buyer, seller, orderId) = await PaidOrder("ch_mkt_refund_1");
        await Api.ExpectStatus(await SafeholdApp.Ship(seller, orderId), HttpStatusCode.OK);
        var dispute = await DisputeApi.OpenOk(buyer, orderId);
        await _app.AssertLedgerOk();

        await DisputeApi.PostOk(seller, dispute.Id(), "accept");
        await _app.AssertLedgerOk();

        var announced = Assert.Single(await DeliveredInstructions());
        Assert.Equal("payment_instruction.created", announced["type"]!.GetValue<string>());
        Assert.Equal(("refund", orderId, 10_000L), (announced["instructionKind"]!.GetValue<string>(), announced["orderId"]!.GetValue<Guid>(),
            announced["amount"]!["amount"]!.GetValue<long>()));
        var id = announced["instructionId"]!.GetValue<Guid>();
        var instruction = await Api.Json(await _platform.Http.GetAsync($"/api/v1/payment-instructions/{id}"));
        Assert.Equal(("pending", "ch_mkt_refund_1"), (instruction["status"]!.GetValue<string>(), instruction["captureReference"]!.GetValue<string>()));
        Assert.Equal(0, await _app.SendPayments());

        // The marketplace's provider refused it first: it waits in the admin's queue, still owed.
        var failed = await ResultOk(id, new { status = "failed", failureCode = "card_expired" });
        Assert.Equal(("failed", "card_expired"), (failed["status"]!.GetValue<string>(), failed["failureCode"]!.GetValue<string>()));
        Assert.Empty(await _app.Entries(orderId, "refund_sent"));
        await _app.AssertLedgerOk();
        await Api.ExpectStatus(await Result(_platform.Http, id, new { status = "failed", failureCode = "card_expired" }), HttpStatusCode.OK);
        var failure = Assert.Single(await DeliveredInstructions()); // once, though reported twice
        Assert.Equal(("payment_instruction.failed", 2), (failure["type"]!.GetValue<string>(), failure["sequence"]!.GetValue<int>()));

        // The admin retries, which the marketplace is told; it sends the refund another way and reports it.
        await Api.ExpectStatus(await _app.Admin.PostAsync($"/api/v1/payment-instructions/{id}/retry", null), HttpStatusCode.OK);
        var retried = Assert.Single(await DeliveredInstructions());
        Assert.Equal(("payment_instruction.retried", id, 3), (retried["type"]!.GetValue<string>(), retried["instructionId"]!.GetValue<Guid>(),
            retried["sequence"]!.GetValue<int>()));
        var sent = await ResultOk(id, new { status = "succeeded", reference = "re_mkt_1" });

        Assert.Equal("succeeded", sent["status"]!.GetValue<string>());
        Assert.Equal(("payment_instruction.succeeded", 4), Assert.Single(await DeliveredInstructions()) is var left
            ? (left["type"]!.GetValue<string>(), left["sequence"]!.GetValue<int>()) : default);
        Assert.Equal(10_000, Assert.Single(await _app.Entries(orderId, "refund_sent"))["RefundsOut"]);
        await _app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_cancelled_order_is_refunded_through_the_marketplace()
    {
        var (buyer, _, orderId) = await PaidOrder("ch_mkt_cancel_1");
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/cancel", new { reason = "Changed my mind" }), HttpStatusCode.OK);
        await _app.AssertLedgerOk();

        var announced = Assert.Single(await DeliveredInstructions());
        await ResultOk(announced["instructionId"]!.GetValue<Guid>(), new { status = "succeeded", reference = "re_mkt_cancel_1" });

        Assert.Single(await _app.Entries(orderId, "refund_sent"));
        await _app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_refund_the_sweeper_decides_is_announced_as_well()
    {
        var (_, _, orderId) = await PaidOrder("ch_mkt_unshipped_1");

        await _app.AdvanceAndSweep(TimeSpan.FromDays(8)); // the seller missed the ship-by date: refunded in full
        await _app.AssertLedgerOk();

        var announced = Assert.Single(await DeliveredInstructions());
        Assert.Equal(("refund", orderId), (announced["instructionKind"]!.GetValue<string>(), announced["orderId"]!.GetValue<Guid>()));
        await ResultOk(announced["instructionId"]!.GetValue<Guid>(), new { status = "succeeded", reference = "re_mkt_unshipped_1" });
        Assert.Single(await _app.Entries(orderId, "refund_sent"));
        await _app.AssertLedgerOk();
    }

    [Fact]
    public async Task The_marketplace_reports_a_chargeback_lost_and_one_won_and_no_instruction_is_made_of_either()
    {
        Task<HttpResponseMessage> Chargeback(string type, Guid orderId) => _platform.Http.PostAsJsonAsync("/api/v1/payment-events", new
        {
            id = $"evt_{Guid.NewGuid():N}",
            type,
            orderId,
            reason = "fraudulent",
            respondBy = type == "chargeback.opened" ? _app.Now.AddDays(20) : (DateTimeOffset?)null,
        });
        var (_, _, lost) = await PaidOrder("ch_mkt_chargeback_lost");
        var (_, seller, won) = await PaidOrder("ch_mkt_chargeback_won");
        await Api.ExpectStatus(await SafeholdApp.Ship(seller, won), HttpStatusCode.OK);

        foreach (var (orderId, decision) in new[] { (lost, "chargeback.lost"), (won, "chargeback.won") })
        {
            await Api.ExpectStatus(await Chargeback("chargeback.opened", orderId), HttpStatusCode.OK);
            await _app.AssertLedgerOk();
            await Api.ExpectStatus(await Chargeback(decision, orderId), HttpStatusCode.OK);
            await _app.AssertLedgerOk();
        }

        // The card network moved that money itself: nothing is owed to the buyer, and nothing is announced.
        Assert.Equal(10_000, (await _app.SingleEntry(lost, "chargeback_lost"))["ChargebacksOut"]);
        Assert.Empty(await DeliveredInstructions());
        Assert.Equal("awaiting_delivery", (await Api.GetOrder(seller, won)).Status());
    }

    // On SQLite both payments are worked out ahead of the write lock, each finding the reference unused; the group commit
    // checks it again under the lock, so the second is done again there and refused.
    [Fact]
    [Trait("Database", "SQLite")]
    public async Task Two_orders_reported_paid_by_one_capture_in_one_group_commit_leave_one_paid_and_the_other_refused()
    {
        var buyer = _app.ActingFor(_platform, await _app.NewUser("buyer"));
        var product = await _app.NewProduct(await _app.NewUser("seller"));
        var first = (await _app.PlaceOrder(buyer, product)).Id();
        var second = (await _app.PlaceOrder(buyer, product)).Id();

        var answers = await Orders.OrderChangeTests.InOneGroupCommit(_app, 2,
            () => PayExternally(buyer, first, "ch_mkt_once"), () => PayExternally(buyer, second, "ch_mkt_once"));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        await Api.ExpectProblem(Assert.Single(answers, a => a.StatusCode != HttpStatusCode.OK), HttpStatusCode.UnprocessableEntity,
            "external_payment_reference_used");
        var statuses = new[] { (await Api.GetOrder(buyer, first)).Status(), (await Api.GetOrder(buyer, second)).Status() };
        Assert.Equal(["awaiting_payment", "awaiting_shipment"], statuses.Order().ToList());
        await _app.AssertLedgerOk();
    }

    [Fact]
    public async Task Captures_and_results_that_do_not_fit_are_refused_and_change_nothing()
    {
        var seller = await _app.NewUser("seller");
        var buyer = await _app.NewUser("buyer");
        var byPlatform = _app.ActingFor(_platform, buyer);
        var orderId = (await _app.PlaceOrder(byPlatform, await _app.NewProduct(seller))).Id();

        await Api.ExpectProblem(await SafeholdApp.Pay(byPlatform, orderId), HttpStatusCode.UnprocessableEntity, "external_payment_required");
        await Api.ExpectProblem(await byPlatform.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/pay", new { paymentMethod = "pm_card_visa" }),
            HttpStatusCode.UnprocessableEntity, "external_payment_required");
        await Api.ExpectProblem(await PayExternally(buyer, orderId, "ch_mkt_x"), HttpStatusCode.Forbidden, "action_not_allowed");
        await Api.ExpectProblem(await PayExternally(byPlatform, orderId, "ch_mkt_x", amount: 9_999), HttpStatusCode.UnprocessableEntity,
            "external_payment_amount_mismatch");
        var problem = await Api.ExpectProblem(await byPlatform.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/pay", new { externalPayment = new { } }),
            HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]!["externalPayment.reference"]);
        Assert.NotNull(problem["errors"]!["externalPayment.amount"]);
        Assert.Equal("awaiting_payment", (await Api.GetOrder(buyer, orderId)).Status());
        await Api.ExpectStatus(await PayExternally(byPlatform, orderId, "ch_mkt_x"), HttpStatusCode.OK);
        var other = (await _app.PlaceOrder(byPlatform, await _app.NewProduct(seller))).Id();
        await Api.ExpectProblem(await PayExternally(byPlatform, other, "ch_mkt_x"), HttpStatusCode.UnprocessableEntity, "external_payment_reference_used");
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/cancel", new { reason = "Changed my mind" }), HttpStatusCode.OK);
        var id = Assert.Single(await DeliveredInstructions())["instructionId"]!.GetValue<Guid>();

        await Api.ExpectProblem(await Result(_platform.Http, Guid.NewGuid(), new { status = "succeeded", reference = "re_1" }), HttpStatusCode.NotFound,
            "not_found");
        await Api.ExpectProblem(await Result(_platform.Http, id, new { status = "succeeded", reference = "re_1", amount = new { amount = 1, currency = "USD" } }),
            HttpStatusCode.UnprocessableEntity, "result_amount_mismatch");
        await Api.ExpectProblem(await Result(buyer.Http, id, new { status = "succeeded", reference = "re_1" }), HttpStatusCode.Forbidden,
            "action_not_allowed");
        await Api.ExpectProblem(await Result(byPlatform.Http, id, new { status = "succeeded", reference = "re_1" }), HttpStatusCode.Forbidden,
            "action_not_allowed");
        problem = await Api.ExpectProblem(await Result(_platform.Http, id, new { status = "sent" }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]!["status"]);
        problem = await Api.ExpectProblem(await Result(_platform.Http, id, new { status = "succeeded" }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]!["reference"]);
        await Api.ExpectProblem(await buyer.Http.GetAsync("/api/v1/payment-instructions"), HttpStatusCode.Forbidden, "action_not_allowed");

        Assert.Equal("pending", (await Api.Json(await _app.Admin.GetAsync($"/api/v1/payment-instructions/{id}")))["status"]!.GetValue<string>());
        Assert.Empty(await _app.Entries(orderId, "refund_sent"));
        await _app.AssertLedgerOk();
    }

    private static async Task<(long Available, long PaidOut)> AvailableAndPaidOut(TestUser seller)
    {
        var usd = (await Api.Json(await seller.Http.GetAsync("/api/v1/balance")))["balances"]!.AsArray().Single(b => b!["currency"]!.GetValue<string>() == "USD")!;
        return (usd["available"]!.GetValue<long>(), usd["paidOut"]!.GetValue<long>());
    }
}
