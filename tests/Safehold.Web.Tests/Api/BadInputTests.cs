using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Payments;

namespace Safehold.Web.Tests.Http;

/// <summary>Every bad input is answered with problem+json and a stable code, and writes nothing.</summary>
public sealed class BadInputTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private const string Address = """{"fullName": "Test Buyer", "line1": "1 Test Street", "city": "Tbilisi", "country": "GE"}""";

    // Bodies of POST /orders; {product} is a product of the seller, {other} one of another seller, {eur} the seller's product priced in EUR.
    public static TheoryData<string, string, string?> BadOrders => new()
    {
        { "{", "malformed_request", null },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": """, "malformed_request", null },
        { """{"items": [{"productId": "{product}", "quantity": "two"}], "shippingAddress": "1 Test Street"}""", "malformed_request", null },
        { """{"items": [{"productId": "{product}", "quantity": 1.5}], "shippingAddress": "1 Test Street"}""", "malformed_request", null },
        { """{"items": [{"productId": "{product}", "quantity": 2147483648}], "shippingAddress": "1 Test Street"}""", "malformed_request", null },
        { """{"items": [{"productId": 42, "quantity": 1}], "shippingAddress": "1 Test Street"}""", "malformed_request", null },
        { """{"items": [{"productId": "not-a-guid", "quantity": 1}], "shippingAddress": "1 Test Street"}""", "malformed_request", null },
        { """{"items": {"productId": "{product}", "quantity": 1}, "shippingAddress": "1 Test Street"}""", "malformed_request", null },
        { """[{"productId": "{product}", "quantity": 1}]""", "malformed_request", null },
        { "{}", "validation_failed", "items" },
        { """{"items": [], "shippingAddress": "1 Test Street"}""", "validation_failed", "items" },
        { """{"items": null, "shippingAddress": "1 Test Street"}""", "validation_failed", "items" },
        { """{"items": [null], "shippingAddress": "1 Test Street"}""", "validation_failed", "items[0]" },
        { """{"items": [{"quantity": 1}], "shippingAddress": "1 Test Street"}""", "validation_failed", "items[0].productId" },
        { """{"items": [{"productId": "00000000-0000-0000-0000-000000000000", "quantity": 1}], "shippingAddress": "1 Test Street"}""", "validation_failed", "items[0].productId" },
        { """{"items": [{"productId": "0193a4b2-0000-7000-8000-000000000001", "quantity": 1}], "shippingAddress": "1 Test Street"}""", "validation_failed", "items[0].productId" },
        { """{"items": [{"productId": "{product}", "quantity": 1}, {"productId": "0193a4b2-0000-7000-8000-000000000001", "quantity": 1}], "shippingAddress": "1 Test Street"}""", "validation_failed", "items[1].productId" },
        { """{"items": [{"productId": "{product}"}], "shippingAddress": "1 Test Street"}""", "validation_failed", "items[0].quantity" },
        { """{"items": [{"productId": "{product}", "quantity": 0}], "shippingAddress": "1 Test Street"}""", "validation_failed", "items[0].quantity" },
        { """{"items": [{"productId": "{product}", "quantity": -1}], "shippingAddress": "1 Test Street"}""", "validation_failed", "items[0].quantity" },
        { """{"items": [{"productId": "{product}", "quantity": -2147483648}], "shippingAddress": "1 Test Street"}""", "validation_failed", "items[0].quantity" },
        { """{"items": [{"productId": "{product}", "quantity": 1001}], "shippingAddress": "1 Test Street"}""", "validation_failed", "items[0].quantity" },
        { """{"items": [{"productId": "{product}", "quantity": 2147483647}], "shippingAddress": "1 Test Street"}""", "validation_failed", "items[0].quantity" },
        { """{"items": [{"productId": "{product}", "quantity": 1}, {"productId": "{product}", "quantity": 2}], "shippingAddress": "1 Test Street"}""", "validation_failed", "items" },
        { """{"items": [{"productId": "{product}", "quantity": 1}]}""", "validation_failed", "shippingAddress" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": null}""", "validation_failed", "shippingAddress" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": ""}""", "validation_failed", "shippingAddress" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": "   "}""", "validation_failed", "shippingAddress" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": "1 Test Street\u0000"}""", "validation_failed", "shippingAddress" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": "{501}"}""", "validation_failed", "shippingAddress" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": 42}""", "validation_failed", "shippingAddress" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": ["1 Test Street", "Tbilisi"]}""", "validation_failed", "shippingAddress" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": {}}""", "validation_failed", "shippingAddress.line1" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": {"city": "Tbilisi", "country": "GE"}}""", "validation_failed", "shippingAddress.line1" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": {"line1": "1 Test Street", "country": "GE"}}""", "validation_failed", "shippingAddress.city" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": {"line1": "1 Test Street", "city": "Tbilisi"}}""", "validation_failed", "shippingAddress.country" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": {"line1": "1 Test Street", "city": "Tbilisi", "country": "GE", "planet": "Mars"}}""", "validation_failed", "shippingAddress.planet" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": {"line1": "1 Test Street", "city": 42, "country": "GE"}}""", "validation_failed", "shippingAddress.city" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": {"line1": "{201}", "city": "Tbilisi", "country": "GE"}}""", "validation_failed", "shippingAddress.line1" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": {"line1": "1 Test Street", "city": "Tbilisi", "country": "{57}"}}""", "validation_failed", "shippingAddress.country" },
        // Half a surrogate pair, escaped, is no text (FuzzTests seed 20261204 found these answered 500).
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": "\ud8001 Test Street"}""", "validation_failed", "shippingAddress" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": {"line1": "\ud800Test", "city": "Tbilisi", "country": "GE"}}""", "validation_failed", "shippingAddress.line1" },
        { """{"items": [{"productId": "{product}", "quantity": 1}], "shippingAddress": {"line1": "1 Test Street", "city": "Tbilisi", "country": "GE", "\udc00": "x"}}""", "validation_failed", "shippingAddress" },
        { """{"items": [{"productId": "{product}", "quantity": 1}, {"productId": "{other}", "quantity": 1}], "shippingAddress": "1 Test Street"}""", "multiple_sellers", null },
        { """{"items": [{"productId": "{product}", "quantity": 1}, {"productId": "{eur}", "quantity": 1}], "shippingAddress": "1 Test Street"}""", "mixed_currencies", null },
    };

    [Theory]
    [MemberData(nameof(BadOrders))]
    public async Task A_bad_order_is_refused_with_a_stable_code_and_nothing_is_written(string body, string code, string? field)
    {
        var seller = await app.NewUser("seller");
        var other = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller);
        var json = body
            .Replace("{product}", product.ToString(), StringComparison.Ordinal)
            .Replace("{other}", (await app.NewProduct(other)).ToString(), StringComparison.Ordinal)
            .Replace("{eur}", (await app.NewProduct(seller, currency: "EUR")).ToString(), StringComparison.Ordinal)
            .Replace("{501}", new string('a', 501), StringComparison.Ordinal)
            .Replace("{201}", new string('a', 201), StringComparison.Ordinal)
            .Replace("{57}", new string('a', 57), StringComparison.Ordinal);

        var problem = await RefusedAndNothingWritten(() => buyer.Http.PostAsync("/api/v1/orders", Json(json)),
            code is "multiple_sellers" or "mixed_currencies" ? HttpStatusCode.UnprocessableEntity : HttpStatusCode.BadRequest, code);

        if (field is not null) Assert.NotNull(problem["errors"]?[field]);
        Assert.Empty(await MyOrders(buyer));
    }

    [Fact]
    public async Task An_order_of_more_than_50_lines_is_refused()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var products = new List<Guid>();
        for (var i = 0; i < 51; i++) products.Add(await app.NewProduct(seller));

        var problem = await RefusedAndNothingWritten(() => buyer.Http.PostAsJsonAsync("/api/v1/orders", new
        {
            items = products.Select(productId => new { productId, quantity = 1 }),
            shippingAddress = "1 Test Street, Tbilisi",
        }), HttpStatusCode.BadRequest, "validation_failed");

        Assert.NotNull(problem["errors"]?["items"]);
        Assert.Empty(await MyOrders(buyer));
    }

    [Fact]
    public async Task Every_problem_with_an_order_is_reported_at_once()
    {
        var buyer = await app.NewUser("buyer");
        var problem = await RefusedAndNothingWritten(() => buyer.Http.PostAsync("/api/v1/orders", Json(
            """{"items": [{"productId": "00000000-0000-0000-0000-000000000000", "quantity": 0}], "shippingAddress": {"planet": "Mars"}}""")),
            HttpStatusCode.BadRequest, "validation_failed");

        var fields = problem["errors"]!.AsObject().Select(e => e.Key).Order().ToList();
        Assert.Equal(
            ["items[0].productId", "items[0].quantity", "shippingAddress.city", "shippingAddress.country", "shippingAddress.line1", "shippingAddress.planet"],
            fields);
    }

    [Fact]
    public async Task An_empty_body_on_POST_orders_is_malformed()
    {
        var buyer = await app.NewUser("buyer");

        await RefusedAndNothingWritten(() => buyer.Http.PostAsync("/api/v1/orders", Json("")), HttpStatusCode.BadRequest, "malformed_request");
        await RefusedAndNothingWritten(() => buyer.Http.PostAsync("/api/v1/orders", Json("null")), HttpStatusCode.BadRequest, "malformed_request");

        Assert.Empty(await MyOrders(buyer));
    }

    [Fact]
    public async Task A_POST_without_any_body_or_content_type_is_malformed()
    {
        var buyer = await app.NewUser("buyer");

        await RefusedAndNothingWritten(() => buyer.Http.PostAsync("/api/v1/orders", null), HttpStatusCode.BadRequest, "malformed_request");

        Assert.Empty(await MyOrders(buyer));
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_is_refused_as_an_unsupported_media_type()
    {
        var buyer = await app.NewUser("buyer");

        await RefusedAndNothingWritten(
            () => buyer.Http.PostAsync("/api/v1/orders", new StringContent("items=1", Encoding.UTF8, "application/x-www-form-urlencoded")),
            HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");

        Assert.Empty(await MyOrders(buyer));
    }

    // Bodies of POST /products.
    public static TheoryData<string, string, string?> BadProducts => new()
    {
        { "{", "malformed_request", null },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": "ten", "currency": "USD"}}""", "malformed_request", null },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 10.5, "currency": "USD"}}""", "malformed_request", null },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1e3, "currency": "USD"}}""", "malformed_request", null },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 99999999999999999999, "currency": "USD"}}""", "malformed_request", null },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": true, "currency": "USD"}}""", "malformed_request", null },
        { """{"title": "Lamp", "description": "A lamp.", "price": 1000}""", "malformed_request", null },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": 840}}""", "malformed_request", null },
        { """{"title": 42, "description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}}""", "malformed_request", null },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}, "handlingDays": "soon"}""", "malformed_request", null },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}, "images": "https://example.com/a.jpg"}""", "malformed_request", null },
        { """{"description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}}""", "validation_failed", "title" },
        { """{"title": "   ", "description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}}""", "validation_failed", "title" },
        { """{"title": "{201}", "description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}}""", "validation_failed", "title" },
        { """{"title": "Lamp\u0007", "description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}}""", "validation_failed", "title" },
        { """{"title": "Lamp", "price": {"amount": 1000, "currency": "USD"}}""", "validation_failed", "description" },
        { """{"title": "Lamp", "description": "{5001}", "price": {"amount": 1000, "currency": "USD"}}""", "validation_failed", "description" },
        { """{"title": "Lamp", "description": "A lamp."}""", "validation_failed", "price" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"currency": "USD"}}""", "validation_failed", "price.amount" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 0, "currency": "USD"}}""", "validation_failed", "price.amount" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": -1, "currency": "USD"}}""", "validation_failed", "price.amount" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": -9223372036854775808, "currency": "USD"}}""", "validation_failed", "price.amount" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000000000001, "currency": "USD"}}""", "validation_failed", "price.amount" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000}}""", "validation_failed", "price.currency" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": ""}}""", "validation_failed", "price.currency" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": "XYZ"}}""", "validation_failed", "price.currency" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": "US"}}""", "validation_failed", "price.currency" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": "USDD"}}""", "validation_failed", "price.currency" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}, "handlingDays": 0}""", "validation_failed", "handlingDays" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}, "handlingDays": 61}""", "validation_failed", "handlingDays" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}, "protectionDays": 0}""", "validation_failed", "protectionDays" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}, "protectionDays": 366}""", "validation_failed", "protectionDays" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}, "category": "{65}"}""", "validation_failed", "category" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}, "images": ["ftp://example.com/a.jpg"]}""", "validation_failed", "images[0]" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}, "images": ["a.jpg"]}""", "validation_failed", "images[0]" },
        { """{"title": "Lamp", "description": "A lamp.", "price": {"amount": 1000, "currency": "USD"}, "images": [{11}]}""", "validation_failed", "images" },
    };

    [Theory]
    [MemberData(nameof(BadProducts))]
    public async Task A_bad_product_is_refused_with_a_stable_code_and_nothing_is_written(string body, string code, string? field)
    {
        var seller = await app.NewUser("seller");
        var json = body
            .Replace("{201}", new string('t', 201), StringComparison.Ordinal)
            .Replace("{5001}", new string('d', 5001), StringComparison.Ordinal)
            .Replace("{65}", new string('c', 65), StringComparison.Ordinal)
            .Replace("{11}", string.Join(", ", Enumerable.Range(1, 11).Select(i => $"\"https://example.com/{i}.jpg\"")), StringComparison.Ordinal);

        var problem = await RefusedAndNothingWritten(() => seller.Http.PostAsync("/api/v1/products", Json(json)), HttpStatusCode.BadRequest, code);

        if (field is not null) Assert.NotNull(problem["errors"]?[field]);
        Assert.Empty(await ProductsOf(seller));
    }

    [Fact]
    public async Task A_price_amount_sent_as_a_string_is_refused()
    {
        var seller = await app.NewUser("seller");
        var body = """{"title": "Lamp", "description": "A lamp.", "price": {"amount": "12999", "currency": "USD"}}""";

        await RefusedAndNothingWritten(() => seller.Http.PostAsync("/api/v1/products", Json(body)), HttpStatusCode.BadRequest, "malformed_request");

        Assert.Empty(await ProductsOf(seller));
    }

    [Fact]
    public async Task A_quantity_sent_as_a_string_is_refused()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var product = await app.NewProduct(seller);
        var body = $$"""{"items": [{"productId": "{{product}}", "quantity": "1"}], "shippingAddress": """ + Address + "}";

        await RefusedAndNothingWritten(() => buyer.Http.PostAsync("/api/v1/orders", Json(body)), HttpStatusCode.BadRequest, "malformed_request");

        Assert.Empty(await MyOrders(buyer));
    }

    public static TheoryData<string, string?> BadCards => new()
    {
        { """{}""", "card.number" },
        { """{"card": null}""", "card.number" },
        { """{"card": {}}""", "card.number" },
        { """{"card": {"number": ""}}""", "card.number" },
        { """{"card": {"number": "4242424242424241"}}""", "card.number" },
        { """{"card": {"number": "4242"}}""", "card.number" },
        { """{"card": {"number": "42424242424242424242"}}""", "card.number" },
        { """{"card": {"number": "4242abcd42424242"}}""", "card.number" },
        { """{"card": {"number": "４２４２４２４２４２４２４２４２"}}""", "card.number" },
        { """{"card": {"number": 4242424242424242}}""", null },
        { """{"card": "4242424242424242"}""", null },
    };

    [Theory]
    [MemberData(nameof(BadCards))]
    public async Task An_invalid_card_is_refused_before_the_provider_is_asked_and_the_order_is_unchanged(string body, string? field)
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_payment");
        var before = await Api.GetOrder(buyer, id);
        var captures = app.Payments.CountSucceeded("capture");

        var problem = await RefusedAndNothingWritten(() => buyer.Http.PostAsync($"/api/v1/orders/{id}/pay", Json(body)),
            HttpStatusCode.BadRequest, field is null ? "malformed_request" : "validation_failed");

        if (field is not null) Assert.NotNull(problem["errors"]?[field]);
        await AssertUnchanged(buyer, id, before);
        Assert.Equal(captures, app.Payments.CountSucceeded("capture"));
    }

    [Theory]
    [InlineData(SandboxPaymentProvider.DeclinedCard, "card_declined")]
    [InlineData(SandboxPaymentProvider.InsufficientFundsCard, "insufficient_funds")]
    [InlineData("4000 0000 0000 0002", "card_declined")]
    [InlineData("5555555555554444", "card_declined")]
    public async Task A_refused_card_answers_402_with_its_own_code_and_leaves_the_order_awaiting_payment(string card, string code)
    {
        var (buyer, seller, id) = await app.OrderIn("awaiting_payment");
        var before = await Api.GetOrder(buyer, id);
        var captures = app.Payments.CountSucceeded("capture");

        await RefusedAndNothingWritten(() => SafeholdApp.Pay(buyer, id, card), HttpStatusCode.PaymentRequired, code);

        var after = await AssertUnchanged(buyer, id, before);
        Assert.Equal("awaiting_payment", after.Status());
        Assert.Equal(["pay", "cancel"], after.Actions());
        Assert.Null(after["paidAt"]);
        var ledger = await Api.Json(await buyer.Http.GetAsync($"/api/v1/orders/{id}/ledger"));
        Assert.Empty(ledger["entries"]!.AsArray());
        Assert.Equal(captures, app.Payments.CountSucceeded("capture"));
        var balance = await Api.Json(await seller.Http.GetAsync("/api/v1/balance"));
        Assert.Empty(balance["balances"]!.AsArray());
        await app.AssertLedgerOk();

        // The buyer may try again with a good card.
        var paid = await Api.Json(await SafeholdApp.Pay(buyer, id));
        Assert.Equal("awaiting_shipment", paid.Status());
        Assert.Equal(captures + 1, app.Payments.CountSucceeded("capture"));
        await app.AssertLedgerOk();
    }

    public static TheoryData<string, string?> BadShipments => new()
    {
        { "{", null },
        { """{"carrier": 42, "trackingNumber": "JD0146000038"}""", null },
        { """{}""", "carrier" },
        { """{"trackingNumber": "JD0146000038"}""", "carrier" },
        { """{"carrier": "", "trackingNumber": "JD0146000038"}""", "carrier" },
        { """{"carrier": "DHL"}""", "trackingNumber" },
        { """{"carrier": "DHL", "trackingNumber": "  "}""", "trackingNumber" },
        { """{"carrier": "{101}", "trackingNumber": "JD0146000038"}""", "carrier" },
        { """{"carrier": "DHL", "trackingNumber": "{101}"}""", "trackingNumber" },
        { """{"carrier": "DHL", "trackingNumber": "JD01\u000146000038"}""", "trackingNumber" },
    };

    [Theory]
    [MemberData(nameof(BadShipments))]
    public async Task A_bad_shipment_is_refused_and_the_order_still_awaits_shipment(string body, string? field)
    {
        var (_, seller, id) = await app.OrderIn("awaiting_shipment");
        var before = await Api.GetOrder(seller, id);

        var problem = await RefusedAndNothingWritten(
            () => seller.Http.PostAsync($"/api/v1/orders/{id}/ship", Json(body.Replace("{101}", new string('x', 101), StringComparison.Ordinal))),
            HttpStatusCode.BadRequest, field is null ? "malformed_request" : "validation_failed");

        if (field is not null) Assert.NotNull(problem["errors"]?[field]);
        var after = await AssertUnchanged(seller, id, before);
        Assert.Equal("awaiting_shipment", after.Status());
        Assert.Null(after["shipment"]);
    }

    [Fact]
    public async Task An_over_long_cancellation_reason_is_refused_and_the_order_stays_paid()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_shipment");
        var before = await Api.GetOrder(buyer, id);
        var refunds = app.Payments.CountSucceeded("refund");

        var problem = await RefusedAndNothingWritten(
            () => buyer.Http.PostAsJsonAsync($"/api/v1/orders/{id}/cancel", new { reason = new string('r', 501) }),
            HttpStatusCode.BadRequest, "validation_failed");

        Assert.NotNull(problem["errors"]?["reason"]);
        Assert.Equal("awaiting_shipment", (await AssertUnchanged(buyer, id, before)).Status());
        Assert.Equal(refunds, app.Payments.CountSucceeded("refund"));
    }

    [Theory]
    [InlineData("shipped")]
    [InlineData("AwaitingPayment")]
    [InlineData("AWAITING_PAYMENT")]
    [InlineData("awaiting-payment")]
    [InlineData("1")]
    public async Task An_unknown_status_filter_is_refused(string status)
    {
        var (buyer, _, _) = await app.OrderIn("awaiting_payment");

        var problem = await Api.ExpectProblem(await buyer.Http.GetAsync($"/api/v1/orders?status={Uri.EscapeDataString(status)}"),
            HttpStatusCode.BadRequest, "validation_failed");

        Assert.NotNull(problem["errors"]?["status"]);
    }

    [Theory]
    [InlineData("/api/v1/orders")]
    [InlineData("/api/v1/products")]
    [InlineData("/api/v1/users")]
    public async Task A_cursor_this_API_never_gave_out_is_refused(string path)
    {
        var cursors = new[]
        {
            "not-a-cursor",
            "%21%21%21",
            Base64Url("hello"),
            Base64Url("123:not-a-guid"),
            Base64Url($"{long.MaxValue}:{Guid.NewGuid():N}"),
            Base64Url($"-1:{Guid.NewGuid():N}"),
            Base64Url($"1:2:{Guid.NewGuid():N}"),
        };
        foreach (var cursor in cursors)
        {
            var problem = await Api.ExpectProblem(await app.Admin.GetAsync($"{path}?cursor={cursor}"), HttpStatusCode.BadRequest, "validation_failed");
            Assert.NotNull(problem["errors"]?["cursor"]);
        }
    }

    [Theory]
    [InlineData("/api/v1/orders", "0")]
    [InlineData("/api/v1/orders", "-1")]
    [InlineData("/api/v1/orders", "101")]
    [InlineData("/api/v1/orders", "2147483647")]
    [InlineData("/api/v1/products", "0")]
    [InlineData("/api/v1/products", "101")]
    [InlineData("/api/v1/users", "0")]
    [InlineData("/api/v1/users", "101")]
    public async Task A_limit_out_of_range_is_refused(string path, string limit)
    {
        var problem = await Api.ExpectProblem(await app.Admin.GetAsync($"{path}?limit={limit}"), HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]?["limit"]);
    }

    [Theory]
    [InlineData("ten")]
    [InlineData("1.5")]
    [InlineData("99999999999")]
    public async Task A_limit_that_is_not_a_whole_number_is_malformed(string limit)
    {
        await Api.ExpectProblem(await app.Admin.GetAsync($"/api/v1/orders?limit={limit}"), HttpStatusCode.BadRequest, "malformed_request");
    }

    [Fact]
    public async Task The_limits_at_the_edges_of_the_range_are_accepted()
    {
        await Api.ExpectStatus(await app.Admin.GetAsync("/api/v1/orders?limit=1"), HttpStatusCode.OK);
        await Api.ExpectStatus(await app.Admin.GetAsync("/api/v1/orders?limit=100"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_Idempotency_Key_longer_than_255_characters_is_refused_and_nothing_is_written()
    {
        var seller = await app.NewUser("seller");

        var problem = await RefusedAndNothingWritten(() => PostProduct(seller, new string('k', 256)), HttpStatusCode.BadRequest, "validation_failed");

        Assert.NotNull(problem["errors"]?["Idempotency-Key"]);
        Assert.Empty(await ProductsOf(seller));
        await Api.ExpectStatus(await PostProduct(seller, new string('k', 255)), HttpStatusCode.Created);
        Assert.Single(await ProductsOf(seller));
    }

    [Theory]
    [InlineData("GET", "/api/v1/nothing-here")]
    [InlineData("GET", "/api/v2/orders")]
    [InlineData("GET", "/api/v1/orders/not-a-guid")]
    [InlineData("GET", "/api/v1/products/123")]
    [InlineData("POST", "/api/v1/orders/0193a4b2-0000-7000-8000-000000000001/teleport")]
    public async Task An_unknown_route_answers_404_not_found_as_a_problem(string method, string path)
    {
        var before = await CountRows();
        foreach (var client in new[] { app.Admin, app.As(null) })
        {
            var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Json("{}") });
            await Api.ExpectProblem(response, HttpStatusCode.NotFound, "not_found");
        }
        Assert.Equal(before, await CountRows());
    }

    [Theory]
    [InlineData("DELETE", "/api/v1/orders")]
    [InlineData("PUT", "/api/v1/products")]
    [InlineData("DELETE", "/api/v1/orders/0193a4b2-0000-7000-8000-000000000001")]
    [InlineData("GET", "/api/v1/orders/0193a4b2-0000-7000-8000-000000000001/pay")]
    public async Task A_known_route_with_the_wrong_method_answers_405_as_a_problem(string method, string path)
    {
        var before = await CountRows();

        var response = await app.Admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Json("{}") });

        await Api.ExpectProblem(response, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        Assert.Equal(before, await CountRows());
    }

    [Fact]
    public async Task An_unknown_order_answers_404_not_found()
    {
        var buyer = await app.NewUser("buyer");
        var unknown = Guid.NewGuid();

        await Api.ExpectProblem(await buyer.Http.GetAsync($"/api/v1/orders/{unknown}"), HttpStatusCode.NotFound, "not_found");
        await RefusedAndNothingWritten(() => SafeholdApp.Pay(buyer, unknown), HttpStatusCode.NotFound, "not_found");
        await RefusedAndNothingWritten(() => buyer.Http.PostAsync($"/api/v1/orders/{unknown}/cancel", null), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await buyer.Http.GetAsync($"/api/v1/orders/{unknown}/ledger"), HttpStatusCode.NotFound, "not_found");
    }

    private async Task<JsonNode> RefusedAndNothingWritten(Func<Task<HttpResponseMessage>> send, HttpStatusCode status, string code)
    {
        var before = await CountRows();
        var problem = await Api.ExpectProblem(await send(), status, code);
        Assert.Equal(before, await CountRows());
        return problem;
    }

    private sealed record Rows(int Users, int ApiKeys, int Products, int Orders, int JournalEntries, int JournalLines, int SellerBalances, int IdempotencyRecords);

    private async Task<Rows> CountRows()
    {
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            return new Rows(
                await db.Users.CountAsync(),
                await db.ApiKeys.CountAsync(),
                await db.Products.CountAsync(),
                await db.Orders.CountAsync(),
                await db.JournalEntries.CountAsync(),
                await db.JournalLines.CountAsync(),
                await db.SellerBalances.CountAsync(),
                await db.IdempotencyRecords.CountAsync());
        }
    }

    /// <summary>The order as its reader saw it before, unchanged in every field.</summary>
    private static async Task<JsonNode> AssertUnchanged(TestUser reader, Guid id, JsonNode before)
    {
        var after = await Api.GetOrder(reader, id);
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
        return after;
    }

    private static async Task<JsonArray> MyOrders(TestUser user)
    {
        var response = await user.Http.GetAsync("/api/v1/orders");
        await Api.ExpectStatus(response, HttpStatusCode.OK);
        return (await Api.Json(response))["items"]!.AsArray();
    }

    private async Task<JsonArray> ProductsOf(TestUser seller)
    {
        var response = await app.Admin.GetAsync($"/api/v1/products?sellerId={seller.Id}");
        await Api.ExpectStatus(response, HttpStatusCode.OK);
        return (await Api.Json(response))["items"]!.AsArray();
    }

    private static Task<HttpResponseMessage> PostProduct(TestUser seller, string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/products")
        {
            Content = JsonContent.Create(new { title = "Lamp", description = "A lamp.", price = new { amount = 1000, currency = "USD" } }),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        return seller.Http.SendAsync(request);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string Base64Url(string text) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
