using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace Safehold.Web.Tests.Http;

/// <summary>
/// A fuzzer made from the served OpenAPI document: each request is one operation with its valid body
/// (<see cref="ApiExamples"/>) spoiled one way (malformed JSON, a field of the wrong type, an overflowing number, a long
/// string, NUL and right-to-left characters, an unknown enum value, a wrong content type, an odd path id or query value,
/// a <c>Safehold-Acting-For</c> naming no one it may), sent by one of the owners, the platform's key acting for them or
/// for no one, the admin or an arbiter. No answer may be a 5xx; every 4xx is problem+json with a
/// <c>code</c>; a refused request changes nothing (the counts and versions of every table are compared before and after
/// it); and the ledger check holds at the end. Seeded: the seed is printed, and <c>SAFEHOLD_FUZZ_SEED</c> replays it
/// (<c>SAFEHOLD_FUZZ_REQUESTS</c> sends more).
/// </summary>
public sealed class FuzzTests(SafeholdApp app, ITestOutputHelper output) : IClassFixture<SafeholdApp>
{
    private const int DefaultSeed = 20261204;
    private const int DefaultRequests = 3_000;
    private const int RequestsPerWorld = 400; // then fresh objects, so spoiled requests that went through do not leave every later one a 409

    private static readonly string[] RawNumbers =
    [
        "9223372036854775808", "-9223372036854775809", "2147483648", "-2147483649", "1e400", "-1e400", "1e-400", "-0", "1.5",
        "0.1e1", "99999999999999999999999999999999", "-1", "0", "1e15", "NaN", "Infinity",
    ];

    private static readonly string[] Strings =
    [
        "", " ", "\t", "\0", "a\0b", "\u202Eevil\u202C", "\u200F\u05E9\u05DC\u05D5\u05DD", "\uFEFF", "\U0001D54F", "<script>alert(1)</script>",
        "' OR 1=1 --", "../../etc/passwd", "%00", "__unknown_value__", "NULL", "\r\n\r\nX-Injected: 1", "ქართული", "USD ", "usd", "XXX",
    ];

    private static readonly string[] OddIds =
    [
        "not-a-guid", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "-1", "0", "99999999999999999999",
        "..%2F..%2Fusers", "%2e%2e", "1%20OR%201%3D1", "%E2%80%AEevil", "%D0%BA%D0%BB%D1%8E%D1%87", "%25", "{id}", "null", "%20",
    ];

    private static readonly string[] OddQueries =
    [
        "-1", "0", "101", "2147483648", "99999999999999999999", "abc", "", "%00", "%E2%80%AE", "Zm9v", "MTox", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5Ojk5",
        "__unknown_value__", "%27%20OR%201%3D1", "1e400", "true", "%5B%5D",
    ];

    private static readonly string[] ContentTypes =
    [
        "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data", "application/json; charset=utf-16",
        "application/octet-stream", "application/json-patch+json", "image/png",
    ];

    [Fact]
    public async Task Thousands_of_spoiled_requests_get_no_5xx_only_problems_with_a_code_change_nothing_and_leave_the_ledger_balanced()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("SAFEHOLD_FUZZ_SEED"), out var s) ? s : DefaultSeed;
        var requests = int.TryParse(Environment.GetEnvironmentVariable("SAFEHOLD_FUZZ_REQUESTS"), out var n) ? n : DefaultRequests;
        output.WriteLine($"Fuzz seed {seed}, {requests} requests (replay: SAFEHOLD_FUZZ_SEED={seed} SAFEHOLD_FUZZ_REQUESTS={requests})");
        var random = new Random(seed);
        var operations = await ApiExamples.OperationsAsync(app);
        var arbiter = await app.NewUser("arbiter");
        var platform = await app.NewUser("platform");
        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        ApiWorld world = null!;
        HttpClient[] callers = [];
        var before = "";

        for (var i = 0; i < requests && failures.Count < 20; i++)
        {
            if (i % RequestsPerWorld == 0)
            {
                world = await ApiWorld.CreateAsync(app, $"fuzz world {i / RequestsPerWorld}");
                callers = [world.Buyer.Http, world.Seller.Http, app.Admin, arbiter.Http, app.ActingFor(platform, world.Buyer).Http,
                    app.ActingFor(platform, world.Seller).Http, platform.Http];
                before = await FingerprintAsync();
            }
            var (operation, documentedBody, spec) = operations[random.Next(operations.Count)];
            var caller = callers[random.Next(callers.Length)];
            using var request = Spoil(random, operation, documentedBody, spec, world, out var how);
            var what = $"#{i} {request.Method} {request.RequestUri} [{how}]";
            HttpResponseMessage response;
            try
            {
                response = await caller.SendAsync(request);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException)
            {
                failures.Add($"{what}: the request failed without an answer: {e.Message}");
                continue;
            }
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var body = await response.Content.ReadAsStringAsync();
            if (status >= 500) failures.Add($"{what}: {status} {body}");
            else if (status >= 400)
            {
                JsonNode? problem = null;
                try
                {
                    problem = JsonNode.Parse(body);
                }
                catch (System.Text.Json.JsonException)
                {
                }
                if (response.Content.Headers.ContentType?.MediaType != "application/problem+json" || problem?["code"]?.GetValue<string>() is not { Length: > 0 })
                    failures.Add($"{what}: {status} is not problem+json with a code: {response.Content.Headers.ContentType} {body}");
                var after = await FingerprintAsync();
                if (after != before) failures.Add($"{what}: refused with {status} but changed the data: {before} → {after}");
                before = after;
            }
            else
            {
                // A spoiled request may still be a valid one: a user disabled that way is let back in, so the fuzzing goes on.
                if (request.Method == HttpMethod.Post && request.RequestUri!.OriginalString.EndsWith("/disable", StringComparison.Ordinal))
                    await Api.ExpectStatus(await app.Admin.PostAsync(request.RequestUri.OriginalString[..^"/disable".Length] + "/enable", null), HttpStatusCode.OK);
                before = await FingerprintAsync();
            }
        }

        output.WriteLine("Answers: " + string.Join(", ", statuses.Select(p => $"{p.Key}×{p.Value}")));
        Assert.True(failures.Count == 0, $"Fuzz seed {seed}:\n" + string.Join("\n", failures));
        await app.AssertLedgerOk();
    }

    /// <summary>The operation's valid request for the world, spoiled one way; <paramref name="how"/> says which.</summary>
    private static HttpRequestMessage Spoil(Random random, string operation, bool documentedBody, JsonObject spec, ApiWorld world, out string how)
    {
        var (method, template) = (operation.Split(' ')[0], operation.Split(' ')[1]);
        var path = world.Path(template);
        var query = "";
        var json = ApiExamples.IsUpload(operation) ? null : ApiExamples.JsonFor(operation, world, documentedBody);
        var content = ApiExamples.ContentFor(operation, world, documentedBody);
        var parameters = spec["parameters"]?.AsArray().Select(p => (Name: p!["name"]!.GetValue<string>(), In: p["in"]!.GetValue<string>())).ToList() ?? [];
        var pathParameters = parameters.Where(p => p.In == "path").ToList();
        var queryParameters = parameters.Where(p => p.In == "query").ToList();

        var kinds = new List<string> { "content type", "acting for" };
        if (pathParameters.Count > 0) kinds.Add("path id");
        if (queryParameters.Count > 0) kinds.AddRange(["query", "query"]);
        if (json is not null) kinds.AddRange(["malformed json", "field", "field", "field", "field", "raw number"]);
        if (method == "POST") kinds.AddRange(["idempotency key", "huge body"]);
        var kind = kinds[random.Next(kinds.Count)];
        string? mediaType = content?.Headers.ContentType?.ToString();
        switch (kind)
        {
            case "path id":
                {
                    var p = pathParameters[random.Next(pathParameters.Count)];
                    var segments = template.Split('/');
                    var filled = world.Path(template).Split('/');
                    var at = Array.IndexOf(segments, $"{{{p.Name}}}");
                    filled[at] = random.Next(6) == 0 ? new string('a', 3_000) : OddIds[random.Next(OddIds.Length)];
                    path = string.Join('/', filled);
                    how = $"path {p.Name}";
                    break;
                }
            case "query":
                {
                    var p = queryParameters[random.Next(queryParameters.Count)];
                    var value = random.Next(8) == 0 ? new string('z', 5_000) : OddQueries[random.Next(OddQueries.Length)];
                    query = $"?{p.Name}={value}";
                    how = $"query {p.Name}";
                    break;
                }
            case "malformed json":
                {
                    var text = json!.ToJsonString();
                    var choice = random.Next(9);
                    text = choice switch
                    {
                        0 => text[..random.Next(text.Length)],
                        1 => text + "garbage",
                        2 => "{\"a\":" + new string('[', 2_000),
                        3 => "null",
                        4 => "[]",
                        5 => "\"just a string\"",
                        6 => text.Replace("\"", "'", StringComparison.Ordinal),
                        7 => text.Insert(1, "\"__proto__\": {\"admin\": true}, "),
                        _ => text.Insert(text.Length - 1, ", \"extra\": \"" + new string('x', 100) + "\""),
                    };
                    content = new StringContent(text, Encoding.UTF8, "application/json");
                    how = $"malformed json {choice}";
                    break;
                }
            case "field" or "raw number":
                {
                    var fields = Fields(json!).ToList();
                    var (parent, key) = fields[random.Next(fields.Count)];
                    JsonNode? value;
                    string raw = "";
                    if (kind == "raw number")
                    {
                        raw = RawNumbers[random.Next(RawNumbers.Length)];
                        value = JsonValue.Create("@@RAW@@");
                    }
                    else
                    {
                        value = random.Next(10) switch
                        {
                            0 => null,
                            1 => JsonValue.Create(random.Next(2) == 0),
                            2 => new JsonArray(JsonValue.Create("x")),
                            3 => new JsonObject { ["x"] = 1 },
                            4 => JsonValue.Create(new string('é', random.Next(2) == 0 ? 2_001 : 100_000)),
                            5 => JsonValue.Create(long.MaxValue),
                            6 => JsonValue.Create(int.MinValue),
                            _ => JsonValue.Create(Strings[random.Next(Strings.Length)]),
                        };
                    }
                    if (parent is JsonObject o) o[key.ToString()!] = value;
                    else ((JsonArray)parent)[(int)key] = value;
                    var text = json!.ToJsonString().Replace("\"@@RAW@@\"", raw, StringComparison.Ordinal);
                    if (random.Next(12) == 0) text = text.Replace("\"Test", "\"\\ud800Test", StringComparison.Ordinal); // a lone surrogate
                    content = new StringContent(text, Encoding.UTF8, "application/json");
                    how = $"{kind} {key} = {(kind == "raw number" ? raw : Shorten(value?.ToJsonString() ?? "null"))}";
                    break;
                }
            case "idempotency key":
                how = "idempotency key";
                break;
            case "acting for":
                how = "acting for";
                break;
            case "huge body":
                content = new StringContent("{\"body\": \"" + new string('x', 1_100_000) + "\"}", Encoding.UTF8, "application/json");
                how = "1.1 MB body";
                break;
            default:
                {
                    mediaType = ContentTypes[random.Next(ContentTypes.Length)];
                    var bytes = content is null ? Encoding.UTF8.GetBytes("{}") : content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
                    content = new ByteArrayContent(bytes);
                    content.Headers.TryAddWithoutValidation("Content-Type", mediaType);
                    how = $"content type {mediaType}";
                    break;
                }
        }
        var request = new HttpRequestMessage(new HttpMethod(method), path + query) { Content = method == "GET" && kind != "content type" ? null : content };
        if (kind == "idempotency key")
            request.Headers.TryAddWithoutValidation("Idempotency-Key", random.Next(2) == 0 ? new string('k', 5_000) : "\u202E key with spaces\u00e9");
        if (kind == "acting for")
            request.Headers.TryAddWithoutValidation("Safehold-Acting-For", OddActingFor[random.Next(OddActingFor.Length)](world));
        return request;
    }

    /// <summary>Whom a spoiled request claims to act for: no id, the owners by another spelling, someone who is no buyer or seller, nobody.</summary>
    private static readonly Func<ApiWorld, string>[] OddActingFor =
    [
        _ => "", _ => "not-a-guid", _ => Guid.Empty.ToString(), _ => Guid.NewGuid().ToString(), w => w.Buyer.Id.ToString("N"),
        w => $"{w.Buyer.Id}, {w.Seller.Id}", w => w.Seller.Id.ToString().ToUpperInvariant(), _ => new string('9', 3_000), _ => "\u202E",
        w => w.Product.ToString(),
    ];

    /// <summary>Every property and array element of a JSON body, with its parent, so one can be replaced.</summary>
    private static IEnumerable<(JsonNode Parent, object Key)> Fields(JsonNode node)
    {
        if (node is JsonObject o)
            foreach (var (k, v) in o.ToList())
            {
                yield return (o, k);
                if (v is not null) foreach (var f in Fields(v)) yield return f;
            }
        else if (node is JsonArray a)
            for (var i = 0; i < a.Count; i++)
            {
                yield return (a, i);
                if (a[i] is { } v) foreach (var f in Fields(v)) yield return f;
            }
    }

    private static string Shorten(string s) => s.Length > 40 ? s[..40] + $"…({s.Length})" : s;

    private static readonly string[] Counted =
    [
        "Users", "ApiKeys", "Products", "Orders", "OrderLines", "OrderEvents", "ProtectionExtensions", "OrderMessages", "Timers", "Disputes",
        "DisputeEvents", "DisputeOffers", "DisputeMessages", "DisputeEvidence", "DisputeTimers", "JournalEntries", "JournalLines", "SellerBalances",
        "Notifications", "EventLog", "Payouts", "PayoutRuns", "WebhookEndpoints",
    ];

    /// <summary>The count of every table's rows, the sum of the aggregates' versions, revoked keys, disabled users and the clock's offset.</summary>
    private async Task<string> FingerprintAsync()
    {
        var parts = Counted.Select(t => $"CAST((SELECT COUNT(*) FROM \"{t}\") AS TEXT)").Concat(
        [
            "CAST((SELECT COALESCE(SUM(\"Version\"), 0) FROM \"Orders\") AS TEXT)",
            "CAST((SELECT COALESCE(SUM(\"Version\"), 0) FROM \"Disputes\") AS TEXT)",
            "CAST((SELECT COUNT(\"RevokedAt\") FROM \"ApiKeys\") AS TEXT)",
            "CAST((SELECT COUNT(\"DisabledAt\") FROM \"Users\") AS TEXT)",
            "CAST((SELECT COALESCE(SUM(\"OffsetTicks\"), 0) FROM \"SandboxClock\") AS TEXT)",
        ]);
        var sql = "SELECT " + string.Join(" || ',' || ", parts) + " AS \"Value\"";
        var (scope, db) = app.OpenDb();
        using (scope) return await db.Database.SqlQueryRaw<string>(sql).SingleAsync();
    }
}
