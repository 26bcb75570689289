using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Tracking;

/// <summary>
/// <c>POST /tracking-events</c>: the carrier's scans report deliveries (of orders and of returns) through the same rows as a
/// person's report, once, in any order, and are kept until their shipment is reported.
/// </summary>
public sealed class TrackingEventTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static string NewNumber() => "TRK" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();

    private static object Scan(string number, string status, DateTimeOffset occurredAt, string carrier = "DHL", string? signedBy = null) =>
        new { carrier, trackingNumber = number, status, occurredAt, signedBy };

    private static Task<HttpResponseMessage> Report(HttpClient http, object body) => http.PostAsJsonAsync("/api/v1/tracking-events", body);

    private async Task<JsonNode> ReportOk(object body, HttpClient? http = null)
    {
        var response = await Report(http ?? app.Admin, body);
        await Api.ExpectStatus(response, HttpStatusCode.OK);
        return await Api.Json(response);
    }

    /// <summary>An order paid and shipped with a tracking number of its own.</summary>
    private async Task<(TestUser Buyer, TestUser Seller, Guid OrderId, string Number)> Shipped(string carrier = "DHL")
    {
        var (buyer, seller, orderId) = await app.OrderIn("awaiting_shipment");
        var number = NewNumber();
        await Api.ExpectStatus(await seller.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/ship", new { carrier, trackingNumber = number }), HttpStatusCode.OK);
        app.Clock.Advance(TimeSpan.FromHours(12)); // the parcel travels: its scans come after the order was placed
        return (buyer, seller, orderId, number);
    }

    private async Task<int> ScansOf(string number)
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.TrackingScans.CountAsync(s => s.TrackingNumber == number);
    }

    [Fact]
    public async Task A_delivered_scan_reports_the_delivery_by_the_system_and_starts_the_days_to_auto_complete()
    {
        var (buyer, _, orderId, number) = await Shipped();

        var answer = await ReportOk(Scan(number.ToLowerInvariant() + " ", "delivered", app.Now.AddHours(-1), carrier: " dhl", signedBy: "A. Buyer"));

        var reported = Assert.Single(answer["events"]!.AsArray())!;
        Assert.Equal(number, reported["trackingNumber"]!.GetValue<string>());
        Assert.Equal("DHL", reported["carrier"]!.GetValue<string>());
        Assert.False(reported["duplicate"]!.GetValue<bool>());
        var match = Assert.Single(reported["matches"]!.AsArray())!;
        Assert.Equal(orderId, Guid.Parse(match["orderId"]!.GetValue<string>()));
        Assert.Equal("delivery_reported", match["effect"]!.GetValue<string>());
        var order = await Api.GetOrder(buyer, orderId);
        Assert.Equal(app.Now, order["deliveredAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(app.Now.AddDays(15), order["deadlines"]!["autoCompleteAt"]!.GetValue<DateTimeOffset>());
        var delivered = order["timeline"]!.AsArray().Single(e => e!["event"]!.GetValue<string>() == "delivered")!;
        Assert.Equal("system", delivered["actor"]!.GetValue<string>());
        Assert.Equal($"tracking: DHL {number}, signed by A. Buyer", delivered["detail"]!.GetValue<string>());
        Assert.Equal("A. Buyer", Assert.Single(order["tracking"]!.AsArray())!["signedBy"]!.GetValue<string>());
        Assert.DoesNotContain("mark_delivered", order.Actions());

        await app.AdvanceAndSweep(TimeSpan.FromDays(15) + TimeSpan.FromMinutes(1));
        Assert.Equal("completed", (await Api.GetOrder(buyer, orderId)).Status());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task The_same_scan_twice_is_one_scan_and_a_later_delivered_scan_changes_nothing()
    {
        var (buyer, _, orderId, number) = await Shipped();
        var at = app.Now.AddHours(-2);
        await ReportOk(Scan(number, "delivered", at));
        var deliveredAt = (await Api.GetOrder(buyer, orderId))["deliveredAt"]!.GetValue<DateTimeOffset>();
        app.Clock.Advance(TimeSpan.FromHours(1));

        var again = await ReportOk(new { events = new[] { Scan(number, "delivered", at), Scan(number, "delivered", at) } });
        var other = await ReportOk(Scan(number, "delivered", at.AddMinutes(5)));

        Assert.All(again["events"]!.AsArray(), e => Assert.True(e!["duplicate"]!.GetValue<bool>()));
        Assert.Null(Assert.Single(other["events"]![0]!["matches"]!.AsArray())!["effect"]);
        var order = await Api.GetOrder(buyer, orderId);
        Assert.Equal(deliveredAt, order["deliveredAt"]!.GetValue<DateTimeOffset>());
        Assert.Single(order["timeline"]!.AsArray(), e => e!["event"]!.GetValue<string>() == "delivered");
        Assert.Equal(2, order["tracking"]!.AsArray().Count);
        Assert.Equal(2, await ScansOf(number));
    }

    [Fact]
    public async Task Scans_out_of_order_are_shown_by_when_they_happened_and_an_earlier_delivered_scan_still_counts()
    {
        var (buyer, _, orderId, number) = await Shipped();
        var t0 = app.Now.AddHours(-10);

        await ReportOk(new { events = new[] { Scan(number, "in_transit", t0.AddHours(5)), Scan(number, "out_for_delivery", t0.AddHours(1)) } });
        await ReportOk(Scan(number, "delivered", t0.AddHours(2)));
        await ReportOk(Scan(number, "in_transit", t0));

        var order = await Api.GetOrder(buyer, orderId);
        Assert.NotNull(order["deliveredAt"]);
        Assert.Equal(["in_transit", "out_for_delivery", "delivered", "in_transit"],
            order["tracking"]!.AsArray().Select(s => s!["status"]!.GetValue<string>()).ToArray());
    }

    [Fact]
    public async Task A_scan_of_an_unknown_number_is_kept_and_reports_the_delivery_when_the_order_ships()
    {
        var (buyer, seller, orderId) = await app.OrderIn("awaiting_shipment");
        var number = NewNumber();
        var platform = await app.NewUser("platform");

        app.Clock.Advance(TimeSpan.FromHours(1));
        var early = await ReportOk(Scan(number, "delivered", app.Now.AddMinutes(-30), signedBy: "Neighbour"), platform.Http);
        Assert.Empty(early["events"]![0]!["matches"]!.AsArray());
        Assert.Null((await Api.GetOrder(buyer, orderId))["deliveredAt"]);

        await Api.ExpectStatus(await seller.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/ship", new { carrier = "dhl", trackingNumber = number }), HttpStatusCode.OK);

        var order = await Api.GetOrder(buyer, orderId);
        Assert.Equal("awaiting_delivery", order.Status());
        Assert.Equal(app.Now, order["deliveredAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(app.Now.AddDays(15), order["deadlines"]!["autoCompleteAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal("system", order["timeline"]!.AsArray().Single(e => e!["event"]!.GetValue<string>() == "delivered")!["actor"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_returns_delivered_scan_starts_the_sellers_days_to_confirm_it_from_the_delivery()
    {
        var (buyer, seller, _, dispute) = await app.Disputed(outcome: "return_and_refund", reason: "wrong_item");
        var id = dispute.Id();
        await PostOk(seller, id, "accept");
        var number = NewNumber();
        await PostOk(buyer, id, "return-shipment", new { carrier = "UPS", trackingNumber = number });
        app.Clock.Advance(TimeSpan.FromDays(4));

        var answer = await ReportOk(Scan(number, "delivered", app.Now.AddHours(-1), carrier: "UPS"));

        var match = Assert.Single(answer["events"]![0]!["matches"]!.AsArray())!;
        Assert.Equal("return", match["shipment"]!.GetValue<string>());
        Assert.Equal("return_delivered", match["effect"]!.GetValue<string>());
        var after = await Get(seller, id);
        Assert.Equal("awaiting_return_receipt", after.Status());
        Assert.Equal(app.Now.AddDays(15), after["deadlines"]!["returnReceiptBy"]!.GetValue<DateTimeOffset>());
        Assert.Contains(("system", "return_delivered"), after.Timeline());
        Assert.Equal(1, await app.Notifications(seller.Id, "dispute_return_delivered"));

        // A second delivered scan of the return changes nothing: the window started once.
        app.Clock.Advance(TimeSpan.FromDays(1));
        var late = await ReportOk(Scan(number, "delivered", app.Now.AddHours(-1), carrier: "UPS"));
        Assert.Null(late["events"]![0]!["matches"]![0]!["effect"]);
        Assert.Equal(app.Now.AddDays(14), (await Get(seller, id))["deadlines"]!["returnReceiptBy"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task A_returns_delivered_scan_reported_before_the_return_shipment_starts_the_window_when_the_buyer_reports_it()
    {
        var (buyer, seller, _, dispute) = await app.Disputed(outcome: "return_and_refund", reason: "wrong_item");
        var id = dispute.Id();
        await PostOk(seller, id, "accept");
        var number = NewNumber();
        await ReportOk(Scan(number, "delivered", app.Now, carrier: "UPS"));

        var shipped = await PostOk(buyer, id, "return-shipment", new { carrier = "UPS", trackingNumber = number });

        Assert.Equal("awaiting_return_receipt", shipped.Status());
        Assert.Contains(("system", "return_delivered"), shipped.Timeline());
        Assert.Equal(app.Now.AddDays(15), shipped["deadlines"]!["returnReceiptBy"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task A_delivered_scan_while_a_dispute_is_open_or_after_completion_is_kept_and_changes_nothing()
    {
        var (buyer, _, orderId, number) = await Shipped();
        await OpenOk(buyer, orderId, reason: "not_received");
        var disputed = await ReportOk(Scan(number, "delivered", app.Now, signedBy: "J. Doe"));
        Assert.Null(disputed["events"]![0]!["matches"]![0]!["effect"]);
        Assert.Null((await Api.GetOrder(buyer, orderId))["deliveredAt"]);

        var (buyer2, seller2, completed) = await app.OrderIn("awaiting_shipment");
        var number2 = NewNumber();
        await Api.ExpectStatus(await seller2.Http.PostAsJsonAsync($"/api/v1/orders/{completed}/ship", new { carrier = "DHL", trackingNumber = number2 }),
            HttpStatusCode.OK);
        await Api.ExpectStatus(await buyer2.Http.PostAsync($"/api/v1/orders/{completed}/confirm-receipt", null), HttpStatusCode.OK);
        var late = await ReportOk(Scan(number2, "delivered", app.Now));
        Assert.Null(late["events"]![0]!["matches"]![0]!["effect"]);
        var order = await Api.GetOrder(buyer2, completed);
        Assert.Equal("completed", order.Status());
        Assert.Null(order["deliveredAt"]);
        Assert.Single(order["tracking"]!.AsArray());
        await app.AssertLedgerOk();
    }

    [Fact]
    public async Task Returned_and_exception_scans_are_shown_to_both_parties_and_change_nothing()
    {
        var (buyer, seller, orderId, number) = await Shipped();
        await ReportOk(new { events = new[] { Scan(number, "exception", app.Now.AddHours(-3)), Scan(number, "returned", app.Now.AddHours(-1)) } });

        foreach (var party in new[] { buyer, seller })
        {
            var order = await Api.GetOrder(party, orderId);
            Assert.Equal(["exception", "returned"], order["tracking"]!.AsArray().Select(s => s!["status"]!.GetValue<string>()).ToArray());
            Assert.Equal("awaiting_delivery", order.Status());
            Assert.Null(order["deliveredAt"]);
        }
    }

    [Fact]
    public async Task An_unknown_status_a_far_future_date_or_a_bad_event_in_a_batch_is_refused_whole_and_nothing_is_written()
    {
        var (buyer, _, orderId, number) = await Shipped();

        var unknown = await Api.ExpectProblem(await Report(app.Admin, Scan(number, "lost_in_space", app.Now)), HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(unknown["errors"]!["status"]);
        var future = await Api.ExpectProblem(await Report(app.Admin, Scan(number, "delivered", app.Now.AddDays(2))), HttpStatusCode.BadRequest,
            "validation_failed");
        Assert.NotNull(future["errors"]!["occurredAt"]);
        var batch = await Api.ExpectProblem(await Report(app.Admin, new { events = new[] { Scan(number, "delivered", app.Now), Scan(number, "nope", app.Now) } }),
            HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(batch["errors"]!["events[1].status"]);
        await Api.ExpectProblem(await Report(app.Admin, new { carrier = "DHL" }), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await Report(app.Admin, new { events = Array.Empty<object>() }), HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await Report(app.Admin, new { carrier = "DHL", events = new[] { Scan(number, "delivered", app.Now) } }),
            HttpStatusCode.BadRequest, "validation_failed");
        await Api.ExpectProblem(await app.Admin.PostAsync("/api/v1/tracking-events",
            new StringContent("""{"carrier":"DHL","trackingNumber":"X","status":"delivered","occurredAt":"yesterday"}""", System.Text.Encoding.UTF8,
                "application/json")), HttpStatusCode.BadRequest, "malformed_request");

        Assert.Equal(0, await ScansOf(number));
        Assert.Null((await Api.GetOrder(buyer, orderId))["deliveredAt"]);
    }

    [Fact]
    public async Task A_buyer_seller_or_arbiter_with_their_own_key_cannot_report_tracking_events()
    {
        var (buyer, seller, orderId, number) = await Shipped();
        var arbiter = await app.NewUser("arbiter");
        foreach (var user in new[] { buyer, seller, arbiter })
            await Api.ExpectProblem(await Report(user.Http, Scan(number, "delivered", app.Now)), HttpStatusCode.Forbidden, "action_not_allowed");
        Assert.Equal(0, await ScansOf(number));
        Assert.Null((await Api.GetOrder(buyer, orderId))["deliveredAt"]);
    }

    [Fact]
    public async Task A_platform_key_acting_for_a_user_reports_scans_of_their_shipments_only_and_learns_nothing_of_anyone_elses()
    {
        var platform = await app.NewUser("platform");
        var (_, seller, mine, myNumber) = await Shipped();
        var (othersBuyer, _, others, othersNumber) = await Shipped();
        var actingForSeller = app.ActingFor(platform, seller);

        var refused = await Api.ExpectProblem(await Report(actingForSeller.Http, Scan(othersNumber, "delivered", app.Now)), HttpStatusCode.NotFound, "not_found");
        Assert.DoesNotContain(others.ToString(), refused.ToJsonString());
        await Api.ExpectProblem(await Report(actingForSeller.Http, Scan(NewNumber(), "delivered", app.Now)), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(0, await ScansOf(othersNumber));
        Assert.Null((await Api.GetOrder(othersBuyer, others))["deliveredAt"]);

        var answer = await ReportOk(Scan(myNumber, "delivered", app.Now), actingForSeller.Http);
        Assert.Equal("delivery_reported", answer["events"]![0]!["matches"]![0]!["effect"]!.GetValue<string>());
        Assert.Equal(mine, Guid.Parse(answer["events"]![0]!["matches"]![0]!["orderId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_sandbox_sends_a_scan_of_an_orders_shipment_as_its_carrier_would()
    {
        var (buyer, _, orderId, _) = await Shipped();
        var response = await app.Admin.PostAsJsonAsync("/api/v1/sandbox/tracking-events", new { orderId, status = "delivered", signedBy = "Front desk" });
        await Api.ExpectStatus(response, HttpStatusCode.OK);
        Assert.NotNull((await Api.GetOrder(buyer, orderId))["deliveredAt"]);
        await Api.ExpectProblem(await buyer.Http.PostAsJsonAsync("/api/v1/sandbox/tracking-events", new { orderId, status = "delivered" }),
            HttpStatusCode.Forbidden, "action_not_allowed");
    }
}
