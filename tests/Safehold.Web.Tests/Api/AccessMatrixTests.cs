using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Safehold.Web.Tests.Features.Disputes;

namespace Safehold.Web.Tests.Http;

/// <summary>
/// Every operation of the served OpenAPI document, called by everyone who is not the owner of the objects in its path:
/// another buyer, another seller, an arbiter (the dispute is not escalated), no key, a wrong key and a revoked key.
/// The expected answer of each is a row of <see cref="Expected"/>; an operation without a row fails the test, and no
/// answer may carry the owners' order, dispute, message or email.
/// </summary>
public sealed class AccessMatrixTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static readonly string[] Roles = ["other buyer", "other seller", "arbiter", "no key", "wrong key", "revoked key"];

    /// <summary>Per operation, the answers of: other buyer, other seller, arbiter (then 401 for the three bad keys).</summary>
    private static readonly Dictionary<string, (int Buyer, int Seller, int Arbiter)> Expected = new()
    {
        // The catalog is public; lists and "me" answer with the caller's own (empty) things. A body checked before the
        // object is looked up answers 400 to "{}" whatever the object, so it tells nothing either.
        ["GET /api/v1/balance"] = (422, 200, 422),
        ["GET /api/v1/balance/statement"] = (422, 200, 422),
        ["GET /api/v1/disputes"] = (200, 200, 200),
        ["GET /api/v1/disputes/{id}"] = (404, 404, 404),
        ["GET /api/v1/disputes/{id}/evidence/{evidenceId}"] = (404, 404, 404),
        ["GET /api/v1/disputes/{id}/evidence-pack"] = (404, 404, 404),
        ["GET /api/v1/disputes/{id}/messages"] = (404, 404, 404),
        ["GET /api/v1/events"] = (422, 422, 422),
        ["GET /api/v1/ledger/check"] = (422, 422, 422),
        ["GET /api/v1/notifications"] = (200, 200, 200),
        ["GET /api/v1/orders"] = (200, 200, 200),
        ["GET /api/v1/orders/{id}"] = (404, 404, 404),
        ["GET /api/v1/orders/{id}/ledger"] = (404, 404, 404),
        ["GET /api/v1/orders/{id}/messages"] = (404, 404, 404),
        ["GET /api/v1/payouts"] = (422, 200, 422),
        ["GET /api/v1/products"] = (200, 200, 200),
        ["GET /api/v1/products/{id}"] = (200, 200, 200),
        ["GET /api/v1/sandbox/clock"] = (422, 422, 422),
        ["GET /api/v1/users"] = (422, 422, 422),
        ["GET /api/v1/users/{id}/api-keys"] = (404, 404, 404),
        ["GET /api/v1/users/me"] = (200, 200, 200),
        ["GET /api/v1/webhook-endpoints"] = (422, 422, 422),
        ["POST /api/v1/api-keys/{keyId}/revoke"] = (404, 404, 404),
        ["POST /api/v1/disputes/{id}/accept"] = (404, 404, 422),
        ["POST /api/v1/disputes/{id}/accept-offer"] = (404, 404, 422),
        ["POST /api/v1/disputes/{id}/appeal"] = (400, 400, 400),
        ["POST /api/v1/disputes/{id}/confirm-return"] = (404, 404, 422),
        ["POST /api/v1/disputes/{id}/counter-offer"] = (400, 400, 400),
        ["POST /api/v1/disputes/{id}/decision"] = (400, 400, 400),
        ["POST /api/v1/disputes/{id}/escalate"] = (404, 404, 422),
        ["POST /api/v1/disputes/{id}/evidence"] = (400, 400, 400),
        ["POST /api/v1/disputes/{id}/messages"] = (400, 400, 400),
        ["POST /api/v1/disputes/{id}/reject"] = (400, 400, 400),
        ["POST /api/v1/disputes/{id}/return-shipment"] = (400, 400, 400),
        ["POST /api/v1/disputes/{id}/withdraw"] = (404, 404, 422),
        ["POST /api/v1/orders"] = (400, 422, 422),
        ["POST /api/v1/orders/{id}/cancel"] = (404, 404, 404),
        ["POST /api/v1/orders/{id}/confirm-receipt"] = (404, 404, 404),
        ["POST /api/v1/orders/{id}/disputes"] = (400, 400, 400),
        ["POST /api/v1/orders/{id}/mark-delivered"] = (404, 404, 404),
        ["POST /api/v1/orders/{id}/messages"] = (400, 400, 400),
        ["POST /api/v1/orders/{id}/pay"] = (404, 404, 404),
        ["POST /api/v1/orders/{id}/protection-extensions"] = (400, 400, 400),
        ["POST /api/v1/orders/{id}/protection-extensions/{extensionId}/approve"] = (404, 404, 404),
        ["POST /api/v1/orders/{id}/protection-extensions/{extensionId}/decline"] = (404, 404, 404),
        ["POST /api/v1/orders/{id}/ship"] = (400, 400, 400),
        ["POST /api/v1/payment-events"] = (422, 422, 422),
        ["POST /api/v1/payouts/run"] = (422, 422, 422),
        ["POST /api/v1/products"] = (422, 400, 422),
        ["POST /api/v1/sandbox/chargebacks"] = (422, 422, 422),
        ["POST /api/v1/sandbox/clock/advance"] = (422, 422, 422),
        ["POST /api/v1/users"] = (422, 422, 422),
        ["POST /api/v1/users/{id}/api-keys"] = (404, 404, 404),
        ["POST /api/v1/users/{id}/disable"] = (422, 422, 422),
        ["POST /api/v1/users/{id}/enable"] = (422, 422, 422),
        ["POST /api/v1/webhook-endpoints"] = (422, 422, 422),
    };

    [Fact]
    public async Task Every_operation_refuses_everyone_but_the_owners_and_leaks_nothing_of_theirs()
    {
        // The owners' objects: an order of seller A bought by buyer A, with a dispute (evidence, a message) and a protection extension.
        var (buyer, seller, orderId, dispute) = await app.Disputed();
        var disputeId = dispute.Id();
        var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(TestFiles.Png()), "file", "crack.png");
        var evidenceId = (await Api.Json(await buyer.Http.PostAsync($"/api/v1/disputes/{disputeId}/evidence", form))).Id();
        await Api.ExpectStatus(await buyer.Http.PostAsJsonAsync($"/api/v1/disputes/{disputeId}/messages", new { body = "Secret words of the owners" }), HttpStatusCode.Created);
        var product = (await Api.Json(await seller.Http.GetAsync("/api/v1/products?limit=1")))["items"]![0]!.Id();
        var keyId = (await Api.Json(await buyer.Http.GetAsync($"/api/v1/users/{buyer.Id}/api-keys")))["items"]![0]!.Id();
        var ids = new Dictionary<string, string>
        {
            ["/orders/{id}"] = orderId.ToString(),
            ["/disputes/{id}"] = disputeId.ToString(),
            ["/users/{id}"] = buyer.Id.ToString(),
            ["/products/{id}"] = product.ToString(),
            ["{evidenceId}"] = evidenceId.ToString(),
            ["{keyId}"] = keyId.ToString(),
            ["{extensionId}"] = Guid.NewGuid().ToString(),
        };
        string[] secrets = [orderId.ToString(), disputeId.ToString(), evidenceId.ToString(), keyId.ToString(), buyer.Email, "Secret words of the owners"];

        var revoked = await app.NewUser("buyer");
        var revokedKeyId = (await Api.Json(await revoked.Http.GetAsync($"/api/v1/users/{revoked.Id}/api-keys")))["items"]![0]!.Id();
        await Api.ExpectStatus(await app.Admin.PostAsync($"/api/v1/api-keys/{revokedKeyId}/revoke", null), HttpStatusCode.OK);
        var callers = new[]
        {
            (await app.NewUser("buyer")).Http, (await app.NewUser("seller")).Http, (await app.NewUser("arbiter")).Http,
            app.As(null), app.As("sh_not-a-key-anyone-was-given"), revoked.Http,
        };

        var document = await Api.Json(await app.CreateClient().GetAsync("/openapi/v1.json"));
        var operations = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => $"{m.Key.ToUpperInvariant()} {p.Key}"))
            .Where(o => !o.EndsWith("/openapi/v1.json", StringComparison.Ordinal))
            .Order().ToList();

        var wrong = new List<string>();
        var observed = new StringBuilder();
        foreach (var operation in operations)
        {
            var (method, template) = (operation.Split(' ')[0], operation.Split(' ')[1]);
            var path = template;
            foreach (var (part, value) in ids)
                path = part.StartsWith('{') ? path.Replace(part, value, StringComparison.Ordinal)
                    : path.Replace(part.Replace("{id}", "", StringComparison.Ordinal) + "{id}", part.Replace("{id}", value, StringComparison.Ordinal), StringComparison.Ordinal);
            var answers = new int[Roles.Length];
            for (var r = 0; r < Roles.Length; r++)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method == "POST") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                var response = await callers[r].SendAsync(request);
                answers[r] = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync();
                foreach (var secret in secrets)
                    if (body.Contains(secret, StringComparison.OrdinalIgnoreCase)) wrong.Add($"{operation} as {Roles[r]}: the answer carries {secret}");
                if (answers[r] >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    wrong.Add($"{operation} as {Roles[r]}: {answers[r]} is not problem+json");
            }
            observed.AppendLine($"        [\"{operation}\"] = ({answers[0]}, {answers[1]}, {answers[2]}),");
            if (!Expected.TryGetValue(operation, out var expected))
            {
                wrong.Add($"{operation}: no row in the table");
                continue;
            }
            int[] want = [expected.Buyer, expected.Seller, expected.Arbiter, 401, 401, 401];
            for (var r = 0; r < Roles.Length; r++)
                if (answers[r] != want[r]) wrong.Add($"{operation} as {Roles[r]}: {answers[r]}, expected {want[r]}");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong) + "\n\nObserved:\n" + observed);
        Assert.Empty(Expected.Keys.Except(operations)); // a row for an operation that is gone
    }
}
