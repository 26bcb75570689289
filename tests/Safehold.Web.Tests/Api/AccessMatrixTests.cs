using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Safehold.Web.Tests.Http;

/// <summary>
/// Every operation of the served OpenAPI document, called with a valid body by everyone against someone else's objects:
/// two buyers and two sellers (each against the other pair's world, <see cref="ApiWorld"/>), the platform's key acting
/// for each of them and for no one, two arbiters (the disputes not escalated), the admin (against a world of its own,
/// since it may change it), no key, a wrong key and a revoked key.
/// The expected answer of each is a row of <see cref="Expected"/>; an operation without a row fails the test by name, and
/// no answer to anyone but the admin may carry the owners' ids, email or words.
/// </summary>
public sealed class AccessMatrixTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    /// <summary>
    /// Per operation, the answers of: a buyer, a seller and an arbiter who are not parties, the admin, and the platform's
    /// key acting for no one (the platform acting for a buyer or seller answers as they do; 401 for the three bad keys).
    /// The bodies are valid (<see cref="ApiExamples"/>), so no answer here is a body's 400.
    /// </summary>
    private static readonly Dictionary<string, (int Buyer, int Seller, int Arbiter, int Admin, int Platform)> Expected = new()
    {
        // The catalog is public; lists and "me" answer with the caller's own things; a buyer may order another seller's product.
        ["GET /api/v1/balance"] = (403, 200, 403, 403, 403),
        ["GET /api/v1/balance/statement"] = (403, 200, 403, 403, 403),
        ["GET /api/v1/disputes"] = (200, 200, 200, 200, 200),
        ["GET /api/v1/disputes/{id}"] = (404, 404, 404, 200, 404),
        ["GET /api/v1/disputes/{id}/evidence/{evidenceId}"] = (404, 404, 404, 404, 404), // the files are the parties' and the arbiters' (SPEC 3)
        ["GET /api/v1/disputes/{id}/messages"] = (404, 404, 404, 200, 404),
        ["GET /api/v1/events"] = (403, 403, 403, 200, 403),
        ["GET /api/v1/ledger/check"] = (403, 403, 403, 200, 403),
        ["GET /api/v1/ledger/journal.csv"] = (403, 403, 403, 200, 403),
        ["GET /api/v1/reconciliation"] = (403, 403, 403, 200, 403),
        ["GET /api/v1/notifications"] = (200, 200, 200, 200, 200),
        ["GET /api/v1/orders"] = (200, 200, 200, 200, 200),
        ["GET /api/v1/orders/{id}"] = (404, 404, 404, 200, 404),
        ["GET /api/v1/orders/{id}/ledger"] = (404, 404, 404, 200, 404),
        ["GET /api/v1/orders/{id}/messages"] = (404, 404, 404, 200, 404),
        ["GET /api/v1/orders/{id}/images/{imageId}"] = (404, 404, 404, 200, 404), // the listing snapshot's copy is the order's
        ["GET /api/v1/payouts"] = (403, 200, 403, 200, 403),
        ["GET /api/v1/products"] = (200, 200, 200, 200, 200),
        ["GET /api/v1/products/{id}"] = (200, 200, 200, 200, 200),
        ["GET /api/v1/products/{id}/images/{imageId}"] = (200, 200, 200, 200, 200),
        ["DELETE /api/v1/products/{id}/images/{imageId}"] = (404, 404, 404, 404, 404), // only the product's seller
        ["POST /api/v1/products/{id}/images"] = (404, 404, 404, 404, 404),
        ["GET /api/v1/sandbox/clock"] = (403, 403, 403, 200, 403),
        ["GET /api/v1/users"] = (403, 403, 403, 200, 403),
        ["GET /api/v1/users/{id}/api-keys"] = (404, 404, 404, 200, 404),
        ["GET /api/v1/users/me"] = (200, 200, 200, 200, 200),
        ["PATCH /api/v1/users/me"] = (200, 200, 200, 200, 200), // everyone's own preferences
        ["GET /api/v1/webhook-endpoints"] = (403, 403, 403, 200, 403),
        ["POST /api/v1/api-keys/{keyId}/revoke"] = (404, 404, 404, 200, 404),
        ["POST /api/v1/disputes/{id}/accept"] = (404, 404, 403, 403, 404),
        ["POST /api/v1/disputes/{id}/accept-offer"] = (404, 404, 403, 403, 404),
        ["POST /api/v1/disputes/{id}/appeal"] = (404, 404, 403, 403, 404),
        ["POST /api/v1/disputes/{id}/confirm-return"] = (404, 404, 403, 403, 404),
        ["POST /api/v1/disputes/{id}/counter-offer"] = (404, 404, 403, 403, 404),
        ["POST /api/v1/disputes/{id}/decision"] = (404, 404, 409, 403, 404),
        ["POST /api/v1/disputes/{id}/escalate"] = (404, 404, 403, 403, 404),
        ["POST /api/v1/disputes/{id}/evidence"] = (404, 404, 404, 403, 404),
        ["POST /api/v1/disputes/{id}/messages"] = (404, 404, 404, 403, 404),
        ["POST /api/v1/disputes/{id}/reject"] = (404, 404, 403, 403, 404),
        ["POST /api/v1/disputes/{id}/return-shipment"] = (404, 404, 403, 403, 404),
        ["POST /api/v1/disputes/{id}/withdraw"] = (404, 404, 403, 403, 404),
        ["POST /api/v1/orders"] = (201, 403, 403, 403, 403),
        ["POST /api/v1/checkouts"] = (201, 403, 403, 403, 403),
        ["GET /api/v1/checkouts/{id}"] = (404, 404, 404, 200, 404),
        ["POST /api/v1/checkouts/{id}/pay"] = (404, 404, 404, 403, 404),
        ["POST /api/v1/orders/{id}/cancel"] = (404, 404, 404, 403, 404),
        ["POST /api/v1/orders/{id}/confirm-receipt"] = (404, 404, 404, 403, 404),
        ["POST /api/v1/orders/{id}/disputes"] = (404, 404, 404, 403, 404),
        ["POST /api/v1/orders/{id}/mark-delivered"] = (404, 404, 404, 409, 404),
        ["POST /api/v1/orders/{id}/messages"] = (404, 404, 404, 403, 404),
        ["POST /api/v1/orders/{id}/pay"] = (404, 404, 404, 403, 404),
        ["POST /api/v1/orders/{id}/protection-extensions"] = (404, 404, 404, 403, 404),
        ["POST /api/v1/orders/{id}/protection-extensions/{extensionId}/approve"] = (404, 404, 404, 403, 404),
        ["POST /api/v1/orders/{id}/protection-extensions/{extensionId}/decline"] = (404, 404, 404, 403, 404),
        ["POST /api/v1/orders/{id}/ship"] = (404, 404, 404, 403, 404),
        ["GET /api/v1/disputes/{id}/evidence-pack"] = (404, 404, 404, 200, 404),
        ["POST /api/v1/payment-events"] = (403, 403, 403, 409, 409), // the platform's and the admin's: a closed order takes no chargeback
        ["POST /api/v1/sandbox/chargebacks"] = (403, 403, 403, 409, 403),
        ["POST /api/v1/tracking-events"] = (403, 403, 403, 200, 200), // the platform's and the admin's: a scan of a number no shipment has yet is kept
        ["POST /api/v1/sandbox/tracking-events"] = (403, 403, 403, 409, 403), // the admin's: a cancelled order has nothing shipped to scan
        ["GET /api/v1/payment-instructions"] = (403, 403, 403, 200, 200), // the platform executes them on external rails
        ["GET /api/v1/payment-instructions/{id}"] = (403, 403, 403, 200, 200),
        ["POST /api/v1/payment-instructions/{id}/result"] = (403, 403, 403, 403, 422), // the platform's, on external rails only (ExternalRailsTests)
        ["POST /api/v1/payment-instructions/{id}/resolve"] = (403, 403, 403, 409, 403), // the admin's: an instruction not failed cannot be resolved
        ["POST /api/v1/payment-instructions/{id}/retry"] = (403, 403, 403, 409, 403),
        ["POST /api/v1/sandbox/failures"] = (403, 403, 403, 200, 403),
        ["POST /api/v1/payouts/run"] = (403, 403, 403, 200, 403),
        ["POST /api/v1/products"] = (403, 201, 403, 403, 403),
        ["POST /api/v1/sandbox/clock/advance"] = (403, 403, 403, 200, 403),
        ["POST /api/v1/users"] = (403, 403, 403, 201, 403),
        ["POST /api/v1/users/{id}/api-keys"] = (404, 404, 404, 201, 404),
        ["POST /api/v1/users/{id}/disable"] = (403, 403, 403, 200, 403),
        ["POST /api/v1/users/{id}/enable"] = (403, 403, 403, 200, 403),
        ["POST /api/v1/webhook-endpoints"] = (403, 403, 403, 201, 403),
        ["POST /api/v1/webhook-endpoints/{id}/replay"] = (403, 403, 403, 200, 403),
        ["POST /api/v1/webhook-endpoints/{id}/roll-secret"] = (403, 403, 403, 200, 403),
    };

    /// <summary>
    /// The platform's own operations, where the platform acting for a user is the platform reporting for that user's
    /// orders (SPEC 5): someone else's order answers 404, where the user's own key is refused by role.
    /// </summary>
    private static readonly Dictionary<string, int> ActingDiffers = new()
    {
        ["POST /api/v1/payment-events"] = 404,
        ["POST /api/v1/tracking-events"] = 404, // a number that is none of the user's shipments
    };

    /// <summary>
    /// What the platform's own key reads of everyone, as the admin does (SPEC 5: "admin, platform"): on external rails the
    /// marketplace executes every refund and payout, so it sees every instruction and the orders they are for.
    /// </summary>
    private static readonly HashSet<string> PlatformSeesAll = ["GET /api/v1/payment-instructions", "GET /api/v1/payment-instructions/{id}"];

    private sealed record Role(string Name, HttpClient Http, ApiWorld Against, Func<(int Buyer, int Seller, int Arbiter, int Admin, int Platform), int> Expects);

    [Fact]
    public async Task Every_operation_with_a_valid_body_refuses_everyone_but_the_owners_and_leaks_nothing_of_theirs()
    {
        var a = await ApiWorld.CreateAsync(app, "world A");
        var b = await ApiWorld.CreateAsync(app, "world B");
        var z = await ApiWorld.CreateAsync(app, "the admin's world");
        var revoked = await app.NewUser("buyer");
        var revokedKeyId = (await Api.ItemsOf(revoked, $"/api/v1/users/{revoked.Id}/api-keys"))[0]!.Id();
        await Api.ExpectStatus(await app.Admin.PostAsync($"/api/v1/api-keys/{revokedKeyId}/revoke", null), HttpStatusCode.OK);
        var platform = await app.NewUser("platform");
        Role[] roles =
        [
            new("buyer of A", a.Buyer.Http, b, e => e.Buyer), new("buyer of B", b.Buyer.Http, a, e => e.Buyer),
            new("seller of A", a.Seller.Http, b, e => e.Seller), new("seller of B", b.Seller.Http, a, e => e.Seller),
            new("arbiter 1", (await app.NewUser("arbiter")).Http, a, e => e.Arbiter), new("arbiter 2", (await app.NewUser("arbiter")).Http, b, e => e.Arbiter),
            new("admin", app.Admin, z, e => e.Admin),
            // The platform's key acting for each buyer and seller answers as they do; with no one named it is the platform itself.
            new("platform for buyer of A", app.ActingFor(platform, a.Buyer).Http, b, e => e.Buyer),
            new("platform for buyer of B", app.ActingFor(platform, b.Buyer).Http, a, e => e.Buyer),
            new("platform for seller of A", app.ActingFor(platform, a.Seller).Http, b, e => e.Seller),
            new("platform for seller of B", app.ActingFor(platform, b.Seller).Http, a, e => e.Seller),
            new("platform", platform.Http, a, e => e.Platform),
            new("no key", app.As(null), a, _ => 401), new("wrong key", app.As("sh_not-a-key-anyone-was-given"), a, _ => 401),
            new("revoked key", revoked.Http, a, _ => 401),
        ];

        var operations = await ApiExamples.OperationsAsync(app);
        var wrong = new List<string>();
        var observed = new StringBuilder();
        foreach (var (operation, documentedBody, _) in operations)
        {
            var (method, template) = (operation.Split(' ')[0], operation.Split(' ')[1]);
            if (!Expected.TryGetValue(operation, out var expected))
                wrong.Add($"MISSING ROW: {operation} has no row in AccessMatrixTests.Expected; add what a buyer, a seller, an arbiter and the admin who are not its parties should get.");
            var answers = new Dictionary<string, int>();
            foreach (var role in roles)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), role.Against.Path(template));
                try
                {
                    request.Content = ApiExamples.ContentFor(operation, role.Against, documentedBody);
                }
                catch (KeyNotFoundException e)
                {
                    wrong.Add($"MISSING EXAMPLE: {e.Message}");
                    break;
                }
                var response = await role.Http.SendAsync(request);
                var status = answers[role.Name] = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync();
                if (role.Name != "admin" && !(role.Name == "platform" && PlatformSeesAll.Contains(operation)))
                    foreach (var secret in role.Against.Secrets)
                        if (body.Contains(secret, StringComparison.OrdinalIgnoreCase)) wrong.Add($"{operation} as {role.Name}: the answer carries {secret}");
                if (status >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    wrong.Add($"{operation} as {role.Name}: {status} is not problem+json");
                if (status == 400) wrong.Add($"{operation} as {role.Name}: 400 to a valid body ({body}); fix its example in ApiExamples");
                var want = role.Name.StartsWith("platform for ", StringComparison.Ordinal) && ActingDiffers.TryGetValue(operation, out var acting)
                    ? acting : role.Expects(expected);
                if (expected != default && status != want)
                    wrong.Add($"{operation} as {role.Name}: {status}, expected {want}");
            }
            observed.AppendLine($"        [\"{operation}\"] = ({string.Join(", ", new[] { "buyer of A", "seller of A", "arbiter 1", "admin", "platform" }.Select(r => answers.GetValueOrDefault(r)))}),");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong) + "\n\nObserved:\n" + observed);
        Assert.Empty(Expected.Keys.Except(operations.Select(o => o.Operation))); // a row for an operation that is gone
    }
}
