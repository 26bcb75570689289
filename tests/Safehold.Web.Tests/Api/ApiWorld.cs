using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Safehold.Web.Tests.Features.Disputes;

namespace Safehold.Web.Tests.Http;

/// <summary>
/// One party's objects, made through the API, for the tests that call every operation of the OpenAPI document (the
/// access matrix and the fuzzer): a buyer and a seller, the seller's product, an order of it with an open dispute (a
/// photo and a message on it, a message on the order), an image of the product, and a second order (with its copy of
/// the image) shipped with a protection extension waiting
/// for the seller's answer. <see cref="Path"/> fills an operation's path template with these objects.
/// </summary>
public sealed class ApiWorld
{
    private ApiWorld(string name, TestUser buyer, TestUser seller)
    {
        Name = name;
        Buyer = buyer;
        Seller = seller;
    }

    public string Name { get; }
    public TestUser Buyer { get; }
    public TestUser Seller { get; }
    public Guid Product { get; private set; }
    public Guid Order { get; private set; }
    public Guid Dispute { get; private set; }
    public Guid Evidence { get; private set; }
    /// <summary>A spare key of the buyer's (not the one <see cref="Buyer"/> calls with).</summary>
    public Guid BuyerKey { get; private set; }
    public Guid ExtensionOrder { get; private set; }

    /// <summary>An image of the seller's product, and the extension order's own copy of it.</summary>
    public Guid ProductImage { get; private set; }
    public Guid OrderImage { get; private set; }
    public Guid Extension { get; private set; }

    /// <summary>A third order, paid and then cancelled; and its refund, a payment instruction.</summary>
    public Guid CancelledOrder { get; private set; }
    public Guid Instruction { get; private set; }

    /// <summary>A webhook endpoint the admin registered for this world (webhook endpoints are the admin's alone).</summary>
    public Guid WebhookEndpoint { get; private set; }

    /// <summary>The buyer's checkout of the seller's product, not paid.</summary>
    public Guid Checkout { get; private set; }

    /// <summary>The words of the owners' messages, which no one else may ever read.</summary>
    public string Secret => $"Secret words of {Name}";

    /// <summary>What no answer to anyone but the owners (and the admin) may carry: the owners' ids, email and words.</summary>
    public IReadOnlyList<string> Secrets =>
        [Order.ToString(), Dispute.ToString(), Evidence.ToString(), BuyerKey.ToString(), ExtensionOrder.ToString(), Extension.ToString(), Instruction.ToString(),
            OrderImage.ToString(), Buyer.Email, Seller.Email, Secret];

    public static async Task<ApiWorld> CreateAsync(SafeholdApp app, string name)
    {
        var (buyer, seller, orderId, dispute) = await app.Disputed();
        var world = new ApiWorld(name, buyer, seller) { Order = orderId, Dispute = dispute.Id() };
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(TestFiles.Png()), "file", "crack.png");
        world.Evidence = (await Api.Json(await buyer.Http.PostAsync($"/api/v1/disputes/{world.Dispute}/evidence", form))).Id();
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/disputes/{world.Dispute}/messages", new { body = world.Secret }), HttpStatusCode.Created);
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/messages", new { body = world.Secret }), HttpStatusCode.Created);
        world.Product = (await Api.ItemsOf(seller, $"/api/v1/products?sellerId={seller.Id}&limit=1"))[0]!.Id();
        // A second key of the buyer's, for the operations on keys: revoking it leaves the buyer's own calls working.
        var spare = await buyer.Http.PostAsync($"/api/v1/users/{buyer.Id}/api-keys", null);
        await Api.ExpectStatus(spare, HttpStatusCode.Created);
        world.BuyerKey = (await Api.Json(spare)).Id();

        using (var image = new MultipartFormDataContent())
        {
            image.Add(new ByteArrayContent(TestFiles.Png()), "file", "front.png");
            world.ProductImage = (await Api.Json(await seller.Http.PostAsync($"/api/v1/products/{world.Product}/images", image))).Id();
        }
        var placed = await app.PlaceOrder(buyer, world.Product);
        var second = placed.Id();
        world.OrderImage = placed["items"]![0]!["listing"]!["uploadedImages"]![0]!.Id();
        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, second), HttpStatusCode.OK);
        await Api.ExpectStatus(await SafeholdApp.Ship(seller, second), HttpStatusCode.OK);
        var extension = await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{second}/protection-extensions", new { days = 10, reason = "Customs are slow." });
        await Api.ExpectStatus(extension, HttpStatusCode.Created);
        world.ExtensionOrder = second;
        world.Extension = (await Api.Json(extension)).Id();

        var third = Guid.Parse((await app.PlaceOrder(buyer, world.Product))["id"]!.GetValue<string>());
        await Api.ExpectStatus(await SafeholdApp.Pay(buyer, third), HttpStatusCode.OK);
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/orders/{third}/cancel", new { reason = "Changed my mind." }), HttpStatusCode.OK);
        var (scope, db) = app.OpenDb();
        using (scope) world.Instruction = db.PaymentInstructions.Where(i => i.OrderId == third && i.Kind == Safehold.Domain.Payments.InstructionKind.Refund).Select(i => i.Id).Single();
        world.CancelledOrder = third;
        var checkout = await buyer.Http.PostAsync("/api/v1/checkouts", ApiExamples.ContentFor("POST /api/v1/checkouts", world, documentedBody: true));
        await Api.ExpectStatus(checkout, HttpStatusCode.Created);
        world.Checkout = (await Api.Json(checkout)).Id();
        var hook = await app.Admin.PostAsJsonAsync("/api/v1/webhook-endpoints", new { url = $"https://hooks.example.com/{name.Replace(' ', '-')}", events = new[] { "order.paid" } });
        await Api.ExpectStatus(hook, HttpStatusCode.Created);
        world.WebhookEndpoint = (await Api.Json(hook)).Id();
        return world;
    }

    /// <summary>The path of an operation's template (<c>/api/v1/orders/{id}/ship</c>) for this world's objects.</summary>
    public string Path(string template)
    {
        var segments = template.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = segments[i] switch
            {
                "{id}" => segments[i - 1] switch
                {
                    "orders" when template.Contains("{extensionId}", StringComparison.Ordinal) || template.Contains("{imageId}", StringComparison.Ordinal) =>
                        ExtensionOrder.ToString(),
                    "orders" => Order.ToString(),
                    "disputes" => Dispute.ToString(),
                    "users" => Buyer.Id.ToString(),
                    "products" => Product.ToString(),
                    "payment-instructions" => Instruction.ToString(),
                    "webhook-endpoints" => WebhookEndpoint.ToString(),
                    "checkouts" => Checkout.ToString(),
                    var other => throw new InvalidOperationException($"{template}: ApiWorld.Path knows no object of '{other}/{{id}}'; add it."),
                },
                "{evidenceId}" => Evidence.ToString(),
                "{imageId}" => template.StartsWith("/api/v1/products/", StringComparison.Ordinal) ? ProductImage.ToString() : OrderImage.ToString(),
                "{keyId}" => BuyerKey.ToString(),
                "{extensionId}" => Extension.ToString(),
                var s when s.StartsWith('{') => throw new InvalidOperationException($"{template}: ApiWorld.Path knows no value of {s}; add it."),
                var s => s,
            };
        }
        return string.Join('/', segments);
    }
}

/// <summary>
/// A valid request body for every operation of the OpenAPI document that takes one, for a world's objects: the access
/// matrix sends them, so a refusal it sees is the access rule's and not the body's, and the fuzzer mutates them.
/// </summary>
public static class ApiExamples
{
    private static readonly Dictionary<string, Func<ApiWorld, JsonNode>> Json = new()
    {
        ["POST /api/v1/users"] = _ => new JsonObject { ["email"] = $"made-{Guid.NewGuid():N}@test.example", ["displayName"] = "Made by a test", ["role"] = "buyer" },
        ["POST /api/v1/products"] = _ => new JsonObject
        {
            ["title"] = "A lamp",
            ["description"] = "Warm light.",
            ["price"] = Money(2_500),
            ["handlingDays"] = 5,
        },
        ["POST /api/v1/orders"] = w => new JsonObject
        {
            ["items"] = new JsonArray(new JsonObject { ["productId"] = w.Product.ToString(), ["quantity"] = 1 }),
            ["shippingAddress"] = new JsonObject { ["fullName"] = "Test Buyer", ["line1"] = "1 Test Street", ["city"] = "Tbilisi", ["country"] = "GE" },
        },
        ["POST /api/v1/orders/{id}/pay"] = _ => new JsonObject { ["card"] = new JsonObject { ["number"] = "4242424242424242" } },
        ["POST /api/v1/checkouts"] = w => new JsonObject
        {
            ["items"] = new JsonArray(new JsonObject { ["productId"] = w.Product.ToString(), ["quantity"] = 2 }),
            ["shippingAddress"] = "1 Test Street, Tbilisi, GE",
        },
        ["POST /api/v1/checkouts/{id}/pay"] = _ => new JsonObject { ["card"] = new JsonObject { ["number"] = "4242424242424242" } },
        ["POST /api/v1/orders/{id}/cancel"] = _ => new JsonObject { ["reason"] = "Changed my mind." },
        ["POST /api/v1/orders/{id}/ship"] = _ => new JsonObject { ["carrier"] = "DHL", ["trackingNumber"] = "JD0146000038" },
        ["POST /api/v1/orders/{id}/protection-extensions"] = _ => new JsonObject { ["days"] = 10, ["reason"] = "Customs are slow." },
        ["POST /api/v1/orders/{id}/messages"] = _ => new JsonObject { ["body"] = "Is it shipped?" },
        ["POST /api/v1/orders/{id}/disputes"] = _ => new JsonObject
        {
            ["reason"] = "damaged",
            ["requestedOutcome"] = "partial_refund",
            ["requestedAmount"] = Money(1_000),
            ["description"] = "The corner is dented.",
        },
        ["POST /api/v1/disputes/{id}/counter-offer"] = _ => new JsonObject { ["outcome"] = "partial_refund", ["amount"] = Money(500), ["message"] = "Half of it?" },
        ["POST /api/v1/disputes/{id}/reject"] = _ => new JsonObject { ["reason"] = "It left here intact." },
        ["POST /api/v1/disputes/{id}/return-shipment"] = _ => new JsonObject { ["carrier"] = "DHL", ["trackingNumber"] = "JD0146000099" },
        ["POST /api/v1/disputes/{id}/decision"] = _ => new JsonObject { ["outcome"] = "partial_refund", ["refundAmount"] = Money(700), ["rationale"] = "Both photos agree." },
        ["POST /api/v1/disputes/{id}/appeal"] = _ => new JsonObject { ["reason"] = "The photos were not read." },
        ["POST /api/v1/disputes/{id}/messages"] = _ => new JsonObject { ["body"] = "Here is another photo." },
        ["POST /api/v1/webhook-endpoints"] = _ => new JsonObject { ["url"] = "https://hooks.example.com/safehold", ["events"] = new JsonArray("order.paid") },
        ["POST /api/v1/sandbox/clock/advance"] = _ => new JsonObject { ["hours"] = 1 },
        ["POST /api/v1/payment-instructions/{id}/resolve"] = _ => new JsonObject { ["note"] = "Sent by hand from the bank's portal." },
        ["POST /api/v1/payment-instructions/{id}/result"] = _ => new JsonObject { ["status"] = "succeeded", ["reference"] = "re_marketplace_1" },
        ["POST /api/v1/sandbox/failures"] = _ => new JsonObject { ["kind"] = "payout", ["count"] = 1 },
        // On the cancelled order, so that no call changes what the other operations are tried on.
        ["POST /api/v1/payment-events"] = w => new JsonObject
        {
            ["id"] = $"evt_{Guid.NewGuid():N}",
            ["type"] = "chargeback.opened",
            ["orderId"] = w.CancelledOrder.ToString(),
            ["reason"] = "fraudulent",
            ["respondBy"] = "2030-01-01T00:00:00Z",
        },
        ["POST /api/v1/sandbox/chargebacks"] = w => new JsonObject { ["orderId"] = w.CancelledOrder.ToString(), ["reason"] = "fraudulent" },
        // A number none of the world's shipments has: kept, matched to nothing, so no call changes the others' objects.
        ["POST /api/v1/tracking-events"] = _ => new JsonObject
        {
            ["carrier"] = "DHL",
            ["trackingNumber"] = "ZZ0000000001",
            ["status"] = "in_transit",
            ["occurredAt"] = "2026-11-01T00:00:00Z",
        },
        ["POST /api/v1/sandbox/tracking-events"] = w => new JsonObject { ["orderId"] = w.CancelledOrder.ToString(), ["status"] = "in_transit" },
        ["PATCH /api/v1/users/me"] = _ => new JsonObject { ["language"] = "ka", ["timeZone"] = "Asia/Tbilisi" },
    };

    private static JsonObject Money(long amount) => new() { ["amount"] = amount, ["currency"] = "USD" };

    /// <summary>Whether the operation's example body is a file upload rather than JSON.</summary>
    public static bool IsUpload(string operation) => operation is "POST /api/v1/disputes/{id}/evidence" or "POST /api/v1/products/{id}/images";

    /// <summary>The operation's valid JSON body for the world, or null when it has none; throws for an operation the table lacks.</summary>
    public static JsonNode? JsonFor(string operation, ApiWorld world, bool documentedBody) =>
        Json.TryGetValue(operation, out var make) ? make(world)
        : documentedBody || IsUpload(operation) ? throw new KeyNotFoundException($"{operation}: no example body in ApiExamples; add one.")
        : null;

    /// <summary>The operation's valid content for the world (JSON, or a photo for an upload), or null for none.</summary>
    public static HttpContent? ContentFor(string operation, ApiWorld world, bool documentedBody)
    {
        if (IsUpload(operation))
        {
            var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(TestFiles.Png()), "file", "photo.png");
            return form;
        }
        var json = JsonFor(operation, world, documentedBody);
        return json is null ? null : new StringContent(json.ToJsonString(), Encoding.UTF8, "application/json");
    }

    /// <summary>The operations of the served OpenAPI document (<c>"POST /api/v1/orders"</c>), each with whether it documents a body.</summary>
    public static async Task<List<(string Operation, bool DocumentedBody, JsonObject Spec)>> OperationsAsync(SafeholdApp app)
    {
        var document = await Api.Json(await app.CreateClient().GetAsync("/openapi/v1.json"));
        return document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => ($"{m.Key.ToUpperInvariant()} {p.Key}", m.Value!["requestBody"] is not null, m.Value!.AsObject())))
            .Where(o => !o.Item1.EndsWith("/openapi/v1.json", StringComparison.Ordinal))
            .OrderBy(o => o.Item1, StringComparer.Ordinal).ToList();
    }
}
