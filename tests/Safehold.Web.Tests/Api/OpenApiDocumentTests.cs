using System.Text.Json.Nodes;

namespace Safehold.Web.Tests.Http;

/// <summary>
/// The served document tells the truth by convention (Api/OpenApiConventions.cs): every operation a unique, readable
/// operationId, the bearer scheme where a key is needed, Idempotency-Key on every POST, and its problem answers.
/// With <c>SAFEHOLD_OPENAPI_OUT</c> set it also writes the document there, for CI's Spectral lint (.ci/run).
/// </summary>
public sealed class OpenApiDocumentTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private async Task<JsonNode> Document()
    {
        var response = await app.CreateClient().GetAsync("/openapi/v1.json");
        var text = await response.Content.ReadAsStringAsync();
        if (Environment.GetEnvironmentVariable("SAFEHOLD_OPENAPI_OUT") is { Length: > 0 } file) await File.WriteAllTextAsync(file, text);
        return JsonNode.Parse(text)!;
    }

    private async Task<List<(string Method, string Path, JsonObject Operation)>> Operations() =>
        (await Document())["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => (m.Key.ToUpperInvariant(), p.Key, m.Value!.AsObject()))).ToList();

    [Fact]
    public async Task Every_text_and_number_a_request_body_takes_states_its_limits_from_the_attributes_its_checks_read()
    {
        var schemas = (await Document())["components"]!["schemas"]!.AsObject();
        var unbounded = new List<string>();
        foreach (var (name, schema) in schemas)
        {
            foreach (var (field, property) in schema!["properties"]?.AsObject() ?? [])
            {
                var type = property!["type"] is JsonArray types ? types.Select(t => t?.GetValue<string>()).FirstOrDefault(t => t != "null") : property["type"]?.GetValue<string>();
                var bounded = type switch
                {
                    "string" => property["maxLength"] is not null || property["enum"] is not null || property["format"] is not null,
                    "integer" => property["maximum"] is not null,
                    _ => true,
                };
                // Answers carry what the server wrote; only what a client sends must say its limits.
                if (!bounded && (name.EndsWith("Input", StringComparison.Ordinal) || name.EndsWith("Request", StringComparison.Ordinal) || name == "PlaceOrderItem"))
                    unbounded.Add($"{name}.{field}");
            }
        }
        Assert.Empty(unbounded);
        var product = schemas["ProductEndpointsCreateRequest"]!["properties"]!;
        Assert.Equal(200, product["title"]!["maxLength"]!.GetValue<int>());
        Assert.Equal((1, 60), (product["handlingDays"]!["minimum"]!.GetValue<int>(), product["handlingDays"]!["maximum"]!.GetValue<int>()));
        Assert.Equal(Web.Api.Limits.Length<Web.Features.Orders.Ship.Input>(nameof(Web.Features.Orders.Ship.Input.Carrier)),
            schemas["ShipInput"]!["properties"]!["carrier"]!["maxLength"]!.GetValue<int>());
    }

    [Fact]
    public async Task Every_operation_has_a_unique_readable_operationId()
    {
        var operations = await Operations();
        var ids = operations.Select(o => o.Operation["operationId"]?.GetValue<string>()).ToList();
        Assert.All(ids, id => Assert.Matches("^[a-z][A-Za-z]+$", id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        string Id(string method, string path) => operations.Single(o => o.Method == method && o.Path == path).Operation["operationId"]!.GetValue<string>();
        Assert.Equal("payOrder", Id("POST", "/api/v1/orders/{id}/pay"));
        Assert.Equal("approveProtectionExtension", Id("POST", "/api/v1/orders/{id}/protection-extensions/{extensionId}/approve"));
        Assert.Equal("markOrderDelivered", Id("POST", "/api/v1/orders/{id}/mark-delivered"));
        Assert.Equal("listOrders", Id("GET", "/api/v1/orders"));
        Assert.Equal("getOrder", Id("GET", "/api/v1/orders/{id}"));
        Assert.Equal("createOrder", Id("POST", "/api/v1/orders"));
        Assert.Equal("createOrderDispute", Id("POST", "/api/v1/orders/{id}/disputes"));
        Assert.Equal("decideDispute", Id("POST", "/api/v1/disputes/{id}/decision"));
        Assert.Equal("runPayouts", Id("POST", "/api/v1/payouts/run"));
        Assert.Equal("revokeApiKey", Id("POST", "/api/v1/api-keys/{keyId}/revoke"));
        Assert.Equal("updateCurrentUser", Id("PATCH", "/api/v1/users/me"));
    }

    [Fact]
    public async Task Statuses_reasons_outcomes_roles_and_actions_are_enums_of_every_value_the_API_writes()
    {
        var schemas = (await Document())["components"]!["schemas"]!;
        string[] Enum(string schema, string property)
        {
            var field = schemas[schema]!["properties"]![property]!;
            var values = (field["enum"] ?? field["items"]!["enum"])!.AsArray();
            return values.Where(v => v is not null).Select(v => v!.GetValue<string>()).ToArray();
        }
        Assert.Equal(Safehold.Domain.Process.ProcessNames.All<Safehold.Domain.Orders.OrderStatus>(), Enum("OrderResponse", "status"));
        Assert.Equal(Safehold.Domain.Process.ProcessNames.All<Safehold.Domain.Disputes.DisputeStatus>(), Enum("DisputeResponse", "status"));
        Assert.Contains("not_as_described", Enum("OpenDisputeInput", "reason"));
        Assert.Contains("partial_refund", Enum("DecideInput", "outcome"));
        Assert.Contains("confirm_receipt", Enum("OrderResponse", "actions"));
        Assert.Contains("add_evidence", Enum("DisputeResponse", "actions"));
        Assert.Equal(["admin", "arbiter", "buyer", "platform", "seller"], Enum("UserEndpointsCreateRequest", "role").Order());
    }

    [Fact]
    public async Task A_request_lists_as_required_only_the_fields_it_refuses_to_go_without_and_those_are_not_nullable()
    {
        var schemas = (await Document())["components"]!["schemas"]!;
        string[] Required(string schema) => schemas[schema]!["required"]?.AsArray().Select(r => r!.GetValue<string>()).Order().ToArray() ?? [];
        Assert.Equal(["description", "reason", "requestedOutcome"], Required("OpenDisputeInput"));
        Assert.Equal(["description", "price", "title"], Required("ProductEndpointsCreateRequest"));
        Assert.Empty(Required("CancelInput"));
        Assert.Equal("string", schemas["OpenDisputeInput"]!["properties"]!["reason"]!["type"]!.GetValue<string>());
        var address = schemas["PlaceOrderRequest"]!["properties"]!["shippingAddress"]!["oneOf"]!.AsArray();
        Assert.Equal("#/components/schemas/ShippingAddress", address[0]!["$ref"]!.GetValue<string>());
        Assert.Null(schemas["JsonElement"]);
    }

    [Fact]
    public async Task Every_POST_takes_an_Idempotency_Key_and_every_keyed_operation_names_the_bearer_scheme()
    {
        var document = await Document();
        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
        foreach (var (method, path, operation) in await Operations())
        {
            if (method == "POST")
                Assert.Contains(operation["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "Idempotency-Key" && p["in"]!.GetValue<string>() == "header");
            if (path.StartsWith("/api/v1/", StringComparison.Ordinal) && !(method == "GET" && path.StartsWith("/api/v1/products", StringComparison.Ordinal)))
                Assert.True(operation["security"]?.AsArray().Any(s => s!.AsObject().ContainsKey("bearer")), $"{method} {path} names no security");
        }
    }

    [Fact]
    public async Task Every_operation_documents_its_problem_answers_as_problem_json_with_a_code()
    {
        var document = await Document();
        Assert.Contains("code", document["components"]!["schemas"]!["Problem"]!["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        foreach (var (method, path, operation) in await Operations())
        {
            var responses = operation["responses"]!.AsObject();
            var expected = new List<string> { "429" };
            if (path.Contains('{', StringComparison.Ordinal)) expected.Add("404");
            if (method == "POST") expected.AddRange(["400", "409", "422"]);
            foreach (var status in expected)
            {
                Assert.True(responses.ContainsKey(status), $"{method} {path} documents no {status}");
                Assert.Equal("#/components/schemas/Problem", responses[status]!["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>());
            }
        }
    }

    [Fact]
    public async Task The_external_rails_operations_document_their_fields()
    {
        var document = await Document();
        var schemas = document["components"]!["schemas"]!;
        JsonNode Body(string path) => document["paths"]![path]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!;
        JsonNode Resolve(JsonNode schema) => schema["$ref"] is { } r ? schemas[r.GetValue<string>().Split('/')[^1]]!
            : schema["oneOf"] is JsonArray any ? Resolve(any.Single(s => s!["$ref"] is not null)!) : schema;

        var result = document["paths"]!["/api/v1/payment-instructions/{id}/result"]!["post"]!;
        Assert.False(string.IsNullOrEmpty(result["operationId"]?.GetValue<string>()));
        var input = Resolve(Body("/api/v1/payment-instructions/{id}/result"))["properties"]!;
        Assert.Equal(["succeeded", "failed"], input["status"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.NotNull(input["reference"]);
        Assert.NotNull(input["failureCode"]);
        Assert.NotNull(input["amount"]);
        Assert.Equal(["status"], Resolve(Body("/api/v1/payment-instructions/{id}/result"))["required"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("#/components/schemas/InstructionResponse",
            result["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.NotNull(schemas["InstructionResponse"]!["properties"]!["captureReference"]);

        var external = Resolve(Resolve(Body("/api/v1/orders/{id}/pay"))["properties"]!["externalPayment"]!);
        Assert.NotNull(external["properties"]!["reference"]);
        Assert.NotNull(external["properties"]!["amount"]);
    }

    [Fact]
    public async Task ExternalId_and_metadata_are_documented_with_their_limits_on_users_products_and_orders()
    {
        var document = await Document();
        var schemas = document["components"]!["schemas"]!;
        JsonNode Body(string path) => document["paths"]![path]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!;
        JsonNode Resolve(JsonNode schema) => schema["$ref"] is { } r ? schemas[r.GetValue<string>().Split('/')[^1]]! : schema;

        foreach (var (path, response) in new[] { ("/api/v1/users", "UserResponse"), ("/api/v1/products", "ProductResponse"), ("/api/v1/orders", "OrderResponse") })
        {
            var request = Resolve(Body(path));
            foreach (var schema in new[] { request, schemas[response]! })
            {
                var externalId = schema["properties"]!["externalId"]!;
                Assert.Equal(1, externalId["minLength"]!.GetValue<int>());
                Assert.Equal(100, externalId["maxLength"]!.GetValue<int>());
                var metadata = schema["properties"]!["metadata"]!;
                Assert.Equal(50, metadata["maxProperties"]!.GetValue<int>());
                Assert.Equal(40, metadata["propertyNames"]!["maxLength"]!.GetValue<int>());
                Assert.Equal("string", metadata["additionalProperties"]!["type"]!.GetValue<string>());
                Assert.Equal(500, metadata["additionalProperties"]!["maxLength"]!.GetValue<int>());
            }
            Assert.DoesNotContain("externalId", request["required"]?.AsArray().Select(r => r!.GetValue<string>()) ?? []);
            Assert.DoesNotContain("metadata", request["required"]?.AsArray().Select(r => r!.GetValue<string>()) ?? []);

            var query = document["paths"]![path]!["get"]!["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "externalId")!;
            Assert.Equal("query", query["in"]!.GetValue<string>());
            Assert.Equal(100, query["schema"]!["maxLength"]!.GetValue<int>());
        }
    }
}
