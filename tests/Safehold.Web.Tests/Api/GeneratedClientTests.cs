using Safehold.Web.Payments;
using Safehold.Web.Tests.Features.Disputes;

namespace Safehold.Web.Tests.Http;

/// <summary>The app, and a client NSwag generated from the document that app serves.</summary>
public sealed class GeneratedClientFixture : IAsyncLifetime
{
    public SafeholdApp App { get; } = new();

    public GeneratedClient Client { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Client = await GeneratedClient.FromAsync(await App.Admin.GetStringAsync("/openapi/v1.json"));

    public Task DisposeAsync()
    {
        App.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// An integrator's day, through nothing but a client generated from the served OpenAPI document: every request below
/// is built, sent and read by generated code. A document that drifts from the code (a lost operation, a renamed field,
/// a body documented wrong) fails here.
/// </summary>
public sealed class GeneratedClientTests(GeneratedClientFixture fixture) : IClassFixture<GeneratedClientFixture>
{
    private readonly SafeholdApp _app = fixture.App;
    private readonly GeneratedClient _generated = fixture.Client;

    [Fact]
    public async Task A_generated_client_pays_a_cart_of_two_sellers_with_one_payment_and_a_declined_card_pays_none()
    {
        var (buyer, _) = await NewUser("buyer");
        var products = new List<Guid>();
        foreach (var (title, amount) in new[] { ("Tea set", 4_000L), ("Wool scarf", 2_500L) })
        {
            var (seller, _) = await NewUser("seller");
            products.Add((Guid)(await seller.CreateProductAsync(null, _generated.New("ProductEndpointsCreateRequest", new
            {
                Title = title,
                Description = "As in the photos.",
                Price = _generated.New("MoneyDto", new { Amount = amount, Currency = "USD" }),
                HandlingDays = 3,
            }))).Id);
        }

        var checkout = await buyer.CreateCheckoutAsync(Guid.NewGuid().ToString(), _generated.New("CheckoutsRequest", new
        {
            Items = _generated.List("PlaceOrderItem", products.Select((p, i) => _generated.New("PlaceOrderItem", new { ProductId = p, Quantity = i + 1 })).ToArray()),
            ShippingAddress = _generated.New("ShippingAddress", new { FullName = "Nino Beridze", Line1 = "12 Rustaveli Ave", City = "Tbilisi", Country = "GE" }),
        }));
        Guid checkoutId = checkout.Id;
        Assert.Equal("awaiting_payment", Wire(checkout.Status));
        Assert.Equal(9_000L, (long)checkout.Total.Amount);
        Assert.Equal(2, ((System.Collections.IEnumerable)checkout.Orders).Cast<object>().Count());

        Assert.Equal((402, "card_declined"), await GeneratedClient.ProblemOf(() =>
            buyer.PayCheckoutAsync(checkoutId, null, _generated.New("PayInput", new { PaymentMethod = SandboxPaymentProvider.Declined }))));
        Assert.Equal("awaiting_payment", Wire((await buyer.GetCheckoutAsync(checkoutId)).Status));

        checkout = await buyer.PayCheckoutAsync(checkoutId, null, _generated.New("PayInput", new { PaymentMethod = SandboxPaymentProvider.Visa }));
        Assert.Equal("paid", Wire(checkout.Status));
        foreach (var order in (System.Collections.IEnumerable)checkout.Orders)
            Assert.Equal("awaiting_shipment", Wire(((dynamic)order).Status));
        await _app.AssertLedgerOk();
    }

    [Fact]
    public async Task A_generated_client_takes_an_order_from_payment_to_the_sellers_payout()
    {
        var admin = _generated.For(_app.Admin);
        var (seller, sellerId) = await NewUser("seller");
        var (buyer, _) = await NewUser("buyer");

        var product = await seller.CreateProductAsync(null, _generated.New("ProductEndpointsCreateRequest", new
        {
            Title = "Wrist watch",
            Description = "Steel, 40 mm, as in the photos.",
            Price = _generated.New("MoneyDto", new { Amount = 12_500L, Currency = "USD" }),
            HandlingDays = 5,
        }));
        Assert.Equal(12_500L, (long)product.Price.Amount);
        // An image of the product, as the document's multipart body says.
        using (var front = new MemoryStream(TestFiles.Png()))
        {
            var image = await seller.CreateProductImageAsync((Guid)product.Id, null, _generated.File(front, "front.png", "image/png"));
            Assert.Equal($"/api/v1/products/{(Guid)product.Id}/images/{(Guid)image.Id}", (string)image.Url);
        }

        var order = await buyer.CreateOrderAsync(Guid.NewGuid().ToString(), _generated.New("PlaceOrderRequest", new
        {
            Items = _generated.List("PlaceOrderItem", _generated.New("PlaceOrderItem", new { ProductId = (Guid)product.Id, Quantity = 2 })),
            ShippingAddress = _generated.New("ShippingAddress", new { FullName = "Nino Beridze", Line1 = "12 Rustaveli Ave", City = "Tbilisi", Country = "GE" }),
        }));
        Guid orderId = order.Id;
        Assert.Equal("awaiting_payment", Wire(order.Status));
        // The order's own copy of the image, downloaded as the file the document says.
        var listing = ((System.Collections.IEnumerable)order.Items).Cast<dynamic>().Single().Listing;
        Guid copyId = ((System.Collections.IEnumerable)listing.UploadedImages).Cast<dynamic>().Single().Id;
        using (var file = (IDisposable)await buyer.GetOrderImageAsync(orderId, copyId))
        {
            using var bitmap = SkiaSharp.SKBitmap.Decode((Stream)((dynamic)file).Stream);
            Assert.Equal((48, 32), (bitmap.Width, bitmap.Height));
        }
        Assert.Equal(25_000L, (long)order.Total.Amount);

        order = await buyer.PayOrderAsync(orderId, null, _generated.New("PayInput", new { PaymentMethod = SandboxPaymentProvider.Visa }));
        Assert.Equal("awaiting_shipment", Wire(order.Status));

        order = await seller.ShipOrderAsync(orderId, null, _generated.New("ShipInput", new { Carrier = "DHL", TrackingNumber = "JD0146000038" }));
        Assert.Equal("awaiting_delivery", Wire(order.Status));
        Assert.Equal("JD0146000038", (string)order.Shipment.TrackingNumber);

        // The seller may never confirm receipt: a typed problem answer, with its stable code.
        var refused = await GeneratedClient.ProblemOf(() => seller.ConfirmOrderReceiptAsync(orderId, null));
        Assert.Equal((403, "action_not_allowed"), refused);

        order = await buyer.ConfirmOrderReceiptAsync(orderId, null);
        Assert.Equal("completed", Wire(order.Status));
        Assert.True((bool)(await admin.GetLedgerCheckAsync()).Ok);

        // The dispute window after completion passes; the seller's share becomes available and is paid out.
        await _app.AdvanceAndSweep(TimeSpan.FromDays(16));
        var run = await admin.RunPayoutsAsync(null);
        await _app.SendPayments();
        dynamic? payout = null;
        foreach (var p in run.Payouts) if ((Guid)p.SellerId == sellerId) payout = p;
        Assert.NotNull(payout);
        Assert.Equal(25_000L - 25_000L * 5 / 100, (long)payout!.Amount.Amount); // less the default 5% commission

        dynamic listed = await admin.ListPayoutsAsync(sellerId, null, null);
        Assert.Single((IEnumerable<dynamic>)listed.Items);
        Assert.True((bool)(await admin.GetLedgerCheckAsync()).Ok);
    }

    [Fact]
    public async Task A_generated_client_opens_a_dispute_and_refunds_the_buyer_on_the_sellers_offer()
    {
        var admin = _generated.For(_app.Admin);
        var (seller, _) = await NewUser("seller");
        var (buyer, _) = await NewUser("buyer");
        var product = await seller.CreateProductAsync(null, _generated.New("ProductEndpointsCreateRequest", new
        {
            Title = "Headphones",
            Description = "Wireless, black.",
            Price = _generated.New("MoneyDto", new { Amount = 8_000L, Currency = "USD" }),
        }));
        var order = await buyer.CreateOrderAsync(null, _generated.New("PlaceOrderRequest", new
        {
            Items = _generated.List("PlaceOrderItem", _generated.New("PlaceOrderItem", new { ProductId = (Guid)product.Id, Quantity = 1 })),
            ShippingAddress = _generated.New("ShippingAddress", new { FullName = "Giorgi Kapanadze", Line1 = "3 Chavchavadze Ave", Line2 = "Apt 14", City = "Tbilisi", PostalCode = "0179", Country = "GE" }),
        }));
        Guid orderId = order.Id;
        await buyer.PayOrderAsync(orderId, null, _generated.New("PayInput", new { PaymentMethod = SandboxPaymentProvider.Visa }));
        await seller.ShipOrderAsync(orderId, null, _generated.New("ShipInput", new { Carrier = "UPS", TrackingNumber = "1Z999AA10123456784" }));
        await seller.MarkOrderDeliveredAsync(orderId, null);

        var dispute = await buyer.CreateOrderDisputeAsync(orderId, null, _generated.New("OpenDisputeInput", new
        {
            Reason = "damaged",
            RequestedOutcome = "partial_refund",
            RequestedAmount = _generated.New("MoneyDto", new { Amount = 3_000L, Currency = "USD" }),
            Description = "The left ear cup is cracked.",
        }));
        Guid disputeId = dispute.Id;
        Assert.Equal("awaiting_seller_response", Wire(dispute.Status));

        // A photo of the damage, as the document's multipart body says.
        using var photo = new MemoryStream(TestFiles.Png());
        var evidence = await buyer.CreateDisputeEvidenceAsync(disputeId, null, _generated.File(photo, "cracked.png", "image/png"), "The cracked ear cup.");
        Assert.Equal("cracked.png", (string)evidence.FileName);

        dispute = await seller.CounterDisputeOfferAsync(disputeId, null, _generated.New("CounterOfferInput", new
        {
            Outcome = "partial_refund",
            Amount = _generated.New("MoneyDto", new { Amount = 2_000L, Currency = "USD" }),
            Message = "Sorry: 20.00 back, and keep them.",
        }));
        Assert.Contains("accept_offer", ((System.Collections.IEnumerable)(await buyer.GetDisputeAsync(disputeId)).Actions).Cast<object>().Select(Wire));

        dispute = await buyer.AcceptDisputeOfferAsync(disputeId, null);
        Assert.Equal("resolved", Wire(dispute.Status));
        await _app.SendPayments();

        dynamic ledger = await admin.GetOrderLedgerAsync(orderId);
        Assert.NotNull(ledger);
        Assert.True((bool)(await admin.GetLedgerCheckAsync()).Ok);

        // Another buyer's client cannot see the order at all.
        var (stranger, _) = await NewUser("buyer");
        Assert.Equal((404, "not_found"), await GeneratedClient.ProblemOf(() => stranger.GetOrderAsync(orderId)));
    }

    [Fact]
    public async Task A_generated_client_disputes_one_item_of_two_and_the_rest_of_the_order_is_released_on_receipt()
    {
        var (seller, _) = await NewUser("seller");
        var (buyer, _) = await NewUser("buyer");
        async Task<Guid> Product(string title, long amount) => (Guid)(await seller.CreateProductAsync(null, _generated.New("ProductEndpointsCreateRequest", new
        {
            Title = title,
            Description = "New in its box.",
            Price = _generated.New("MoneyDto", new { Amount = amount, Currency = "USD" }),
        }))).Id;
        var dock = await Product("Charging dock", 2_500);
        var strap = await Product("Watch strap", 1_500);
        var order = await buyer.CreateOrderAsync(null, _generated.New("PlaceOrderRequest", new
        {
            Items = _generated.List("PlaceOrderItem",
                _generated.New("PlaceOrderItem", new { ProductId = dock, Quantity = 1 }), _generated.New("PlaceOrderItem", new { ProductId = strap, Quantity = 2 })),
            ShippingAddress = _generated.New("ShippingAddress", new { Line1 = "1 Rustaveli Ave", City = "Tbilisi", Country = "GE" }),
        }));
        Guid orderId = order.Id;
        var strapItem = ((System.Collections.IEnumerable)order.Items).Cast<dynamic>().Single(i => (Guid)i.ProductId == strap);
        await buyer.PayOrderAsync(orderId, null, _generated.New("PayInput", new { PaymentMethod = SandboxPaymentProvider.Visa }));
        await seller.ShipOrderAsync(orderId, null, _generated.New("ShipInput", new { Carrier = "DHL", TrackingNumber = "JD014600003800000077" }));

        // An item named twice is refused with its code, and nothing is opened.
        dynamic Strap(int quantity) => _generated.New("OpenDisputeItemInput", new { ItemId = (Guid)strapItem.ItemId, Quantity = quantity });
        Assert.Equal((400, "duplicate_item"), await GeneratedClient.ProblemOf(() => buyer.CreateOrderDisputeAsync(orderId, null, _generated.New("OpenDisputeInput", new
        {
            Reason = "damaged",
            RequestedOutcome = "full_refund",
            Description = "One strap arrived torn.",
            Items = _generated.List("OpenDisputeItemInput", Strap(1), Strap(1)),
        }))));

        // One of the two straps, by the item's id as the order lists it: only its value is held.
        var dispute = await buyer.CreateOrderDisputeAsync(orderId, null, _generated.New("OpenDisputeInput", new
        {
            Reason = "damaged",
            RequestedOutcome = "full_refund",
            Description = "One strap arrived torn.",
            Items = _generated.List("OpenDisputeItemInput", Strap(1)),
        }));
        Assert.Equal(1_500L, (long)dispute.ClaimedAmount.Amount);
        Assert.Equal(1_500L, (long)dispute.HeldAmount.Amount);
        Assert.Equal((Guid)strapItem.ItemId, (Guid)((System.Collections.IEnumerable)dispute.Items).Cast<dynamic>().Single().ItemId);

        // The rest of the order goes on: the buyer confirms receipt while the dispute runs.
        var confirmed = await buyer.ConfirmOrderReceiptAsync(orderId, null);
        Assert.Equal("completed", Wire(confirmed.Status));
        Assert.Equal(1_500L, (long)confirmed.Dispute.HeldAmount.Amount);

        Assert.True((bool)(await _generated.For(_app.Admin).GetLedgerCheckAsync()).Ok);
    }

    [Fact]
    public async Task A_generated_client_places_an_order_under_the_marketplaces_own_id_and_finds_it_by_that_id()
    {
        var (seller, _) = await NewUser("seller");
        var (buyer, _) = await NewUser("buyer");
        var product = await seller.CreateProductAsync(null, _generated.New("ProductEndpointsCreateRequest", new
        {
            Title = "Wrist watch",
            Description = "Steel, 40 mm.",
            Price = _generated.New("MoneyDto", new { Amount = 9_900L, Currency = "USD" }),
        }));
        var externalId = $"cart-{Guid.NewGuid():N}";

        var order = await buyer.CreateOrderAsync(null, _generated.New("PlaceOrderRequest", new
        {
            Items = _generated.List("PlaceOrderItem", _generated.New("PlaceOrderItem", new { ProductId = (Guid)product.Id, Quantity = 1 })),
            ShippingAddress = _generated.New("ShippingAddress", new { Line1 = "12 Rustaveli Ave", City = "Tbilisi", Country = "GE" }),
            ExternalId = externalId,
            Metadata = new Dictionary<string, string> { ["channel"] = "app" },
        }));
        Assert.Equal(externalId, (string)order.ExternalId);

        var page = await buyer.ListOrdersAsync(null, externalId, null, null);
        var found = Assert.Single((IEnumerable<dynamic>)page.Items);
        Assert.Equal((Guid)order.Id, (Guid)found.Id);
        Assert.Equal("app", (string)found.Metadata["channel"]);
    }

    /// <summary>A new user made by the admin's generated client, and a generated client with their key.</summary>
    private async Task<(dynamic Client, Guid Id)> NewUser(string role)
    {
        var admin = _generated.For(_app.Admin);
        var created = await admin.CreateUserAsync(null, _generated.New("UserEndpointsCreateRequest", new
        {
            Email = $"{role}-{Guid.NewGuid():N}@integrator.example",
            DisplayName = $"Integrator's {role}",
            Role = role,
        }));
        return (_generated.For(_app.As((string)created.ApiKey)), (Guid)created.Id);
    }

    /// <summary>A value as it went over the wire: a string, or a generated enum's member by its <c>EnumMember</c> name.</summary>
    private static string Wire(object value) =>
        value is string s ? s
        : value.GetType().GetField(value.ToString()!)!.GetCustomAttributes(false)
            .Where(a => a.GetType().Name == "EnumMemberAttribute").Select(a => (string)a.GetType().GetProperty("Value")!.GetValue(a)!).Single();
}
