using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Globalization;
using Microsoft.EntityFrameworkCore;

namespace Safehold.Web.Tests.Http;

/// <summary>API keys: who gets in, how keys are issued and kept, and who may create users.</summary>
public sealed class AuthenticationTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Theory]
    [InlineData("GET", "/api/v1/orders")]
    [InlineData("GET", "/api/v1/products")]
    [InlineData("GET", "/api/v1/users/me")]
    [InlineData("GET", "/api/v1/balance")]
    [InlineData("GET", "/api/v1/ledger/check")]
    [InlineData("POST", "/api/v1/orders")]
    [InlineData("POST", "/api/v1/products")]
    [InlineData("POST", "/api/v1/users")]
    public async Task Without_a_key_every_API_call_answers_401_with_a_bearer_challenge(string method, string path)
    {
        var users = await UserCount();
        var response = await app.As(null).SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Body() });

        await Api.ExpectProblem(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Equal(users, await UserCount());
    }

    [Fact]
    public async Task A_wrong_key_answers_401()
    {
        var buyer = await app.NewUser("buyer");
        var wrong = buyer.ApiKey[..^1] + (buyer.ApiKey[^1] == 'A' ? 'B' : 'A');

        foreach (var key in new[] { "sh_not-a-key-this-app-issued", wrong, buyer.ApiKey.ToUpperInvariant(), SafeholdApp.AdminKey + "x" })
        {
            var response = await app.As(key).GetAsync("/api/v1/orders");
            await Api.ExpectProblem(response, HttpStatusCode.Unauthorized, "unauthorized");
            Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        }
        await Api.ExpectStatus(await buyer.Http.GetAsync("/api/v1/orders"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_wrong_key_cannot_write()
    {
        var users = await UserCount();
        var response = await app.As("sh_wrong").PostAsJsonAsync("/api/v1/users",
            new { email = $"x-{Guid.NewGuid():N}@test.example", displayName = "X", role = "admin" });

        await Api.ExpectProblem(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(users, await UserCount());
    }

    public static TheoryData<string> MalformedAuthorizations => new()
    {
        $"Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + SafeholdApp.AdminKey))}",
        $"Token {SafeholdApp.AdminKey}",
        $"Bearer{SafeholdApp.AdminKey}",
        SafeholdApp.AdminKey,
        "Bearer",
        "Bearer ",
        "Bearer     ",
        $"Bearer {SafeholdApp.AdminKey} extra",
        $"Bearer {new string('k', 201)}",
        $"Bearer {new string('k', 100_000)}",
        "Bearer ' OR 1=1 --",
    };

    [Theory]
    [MemberData(nameof(MalformedAuthorizations))]
    public async Task A_malformed_Authorization_header_answers_401(string authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/users/me");
        Assert.True(request.Headers.TryAddWithoutValidation("Authorization", authorization));

        var response = await app.As(null).SendAsync(request);

        await Api.ExpectProblem(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task The_bearer_scheme_is_case_insensitive()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/users/me");
        request.Headers.TryAddWithoutValidation("Authorization", $"bearer {SafeholdApp.AdminKey}");

        await Api.ExpectStatus(await app.As(null).SendAsync(request), HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_key_issued_by_an_admin_works_alongside_the_first_one()
    {
        var buyer = await app.NewUser("buyer");

        var response = await app.Admin.PostAsync($"/api/v1/users/{buyer.Id}/api-keys", null);

        await Api.ExpectStatus(response, HttpStatusCode.Created);
        var issued = await Api.Json(response);
        var key = issued["apiKey"]!.GetValue<string>();
        Assert.StartsWith("sh_", key, StringComparison.Ordinal);
        Assert.NotEqual(buyer.ApiKey, key);
        Assert.Equal(buyer.Id, Guid.Parse(issued["userId"]!.GetValue<string>()));
        Assert.Equal(key[..8], issued["prefix"]!.GetValue<string>());

        var me = await Api.Json(await app.As(key).GetAsync("/api/v1/users/me"));
        Assert.Equal(buyer.Id, me.Id());
        Assert.Equal("buyer", me["role"]!.GetValue<string>());
        Assert.Equal(buyer.Email, me["email"]!.GetValue<string>());
        await Api.ExpectStatus(await buyer.Http.GetAsync("/api/v1/users/me"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_created_user_can_call_the_API_with_the_key_they_were_given()
    {
        var seller = await app.NewUser("seller");

        var me = await Api.Json(await seller.Http.GetAsync("/api/v1/users/me"));

        Assert.Equal(seller.Id, me.Id());
        Assert.Equal("seller", me["role"]!.GetValue<string>());
        await Api.ExpectStatus(await seller.Http.PostAsJsonAsync("/api/v1/products",
            new { title = "Lamp", description = "A lamp.", price = new { amount = 1000, currency = "USD" } }), HttpStatusCode.Created);
    }

    [Fact]
    public async Task Only_admins_issue_keys_for_others_and_only_for_users_that_exist()
    {
        var buyer = await app.NewUser("buyer");
        var other = await app.NewUser("buyer");
        var keys = await KeyCount();

        await Api.ExpectProblem(await buyer.Http.PostAsync($"/api/v1/users/{other.Id}/api-keys", null), HttpStatusCode.NotFound, "not_found");
        await Api.ExpectProblem(await app.Admin.PostAsync($"/api/v1/users/{Guid.NewGuid()}/api-keys", null), HttpStatusCode.NotFound, "not_found");

        Assert.Equal(keys, await KeyCount());
    }

    [Fact]
    public async Task Only_a_hash_of_a_key_is_stored()
    {
        var buyer = await app.NewUser("buyer");
        var second = (await Api.Json(await app.Admin.PostAsync($"/api/v1/users/{buyer.Id}/api-keys", null)))["apiKey"]!.GetValue<string>();

        var rows = await ApiKeyRows(buyer.Id);

        Assert.Equal(2, rows.Count);
        Assert.Equal(new[] { Sha256Hex(buyer.ApiKey), Sha256Hex(second) }.Order(), rows.Select(r => r["Hash"]!).Order());
        foreach (var row in rows)
        {
            foreach (var value in row.Values)
            {
                Assert.DoesNotContain(buyer.ApiKey, value ?? "", StringComparison.Ordinal);
                Assert.DoesNotContain(second, value ?? "", StringComparison.Ordinal);
            }
            Assert.Equal(8, row["Prefix"]!.Length);
        }
        AssertNotInDatabaseFiles(buyer.ApiKey);
        AssertNotInDatabaseFiles(second);
    }

    [Fact]
    public async Task The_raw_key_is_not_stored_even_when_the_user_was_created_with_an_Idempotency_Key()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/users")
        {
            Content = JsonContent.Create(new { email = $"idem-{Guid.NewGuid():N}@test.example", displayName = "Idem", role = "buyer" }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        var response = await app.Admin.SendAsync(request);
        await Api.ExpectStatus(response, HttpStatusCode.Created);
        var key = (await Api.Json(response))["apiKey"]!.GetValue<string>();

        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var bodies = await db.IdempotencyRecords.AsNoTracking().Select(r => r.Body).ToListAsync();
            Assert.DoesNotContain(bodies, b => b.Contains(key, StringComparison.Ordinal));
        }
        AssertNotInDatabaseFiles(key);
    }

    [Theory]
    [InlineData("buyer")]
    [InlineData("seller")]
    [InlineData("arbiter")]
    public async Task Only_admins_create_users(string role)
    {
        var caller = await app.NewUser(role);
        var users = await UserCount();

        var response = await caller.Http.PostAsJsonAsync("/api/v1/users",
            new { email = $"sneaky-{Guid.NewGuid():N}@test.example", displayName = "Sneaky", role = "admin" });

        await Api.ExpectProblem(response, HttpStatusCode.Forbidden, "action_not_allowed");
        Assert.Equal(users, await UserCount());
    }

    [Fact]
    public async Task An_admin_may_create_a_user_of_every_role()
    {
        foreach (var role in new[] { "buyer", "seller", "arbiter", "admin", "Seller", "ADMIN" })
        {
            var email = $"{role}-{Guid.NewGuid():N}@Test.Example";
            var response = await app.Admin.PostAsJsonAsync("/api/v1/users", new { email, displayName = $"  A {role}  ", role });
            await Api.ExpectStatus(response, HttpStatusCode.Created);
            var created = await Api.Json(response);
            Assert.Equal(role.ToLowerInvariant(), created["role"]!.GetValue<string>());
            Assert.Equal(email.ToLowerInvariant(), created["email"]!.GetValue<string>());
            Assert.Equal($"A {role}", created["displayName"]!.GetValue<string>());
            Assert.Equal($"/api/v1/users/{created.Id()}", response.Headers.Location?.OriginalString);
        }
    }

    [Fact]
    public async Task A_second_user_with_the_same_email_is_refused_as_taken()
    {
        var buyer = await app.NewUser("buyer");
        var users = await UserCount();

        foreach (var email in new[] { buyer.Email, buyer.Email.ToUpperInvariant(), $"  {buyer.Email}  " })
        {
            var response = await app.Admin.PostAsJsonAsync("/api/v1/users", new { email, displayName = "Twin", role = "seller" });
            await Api.ExpectProblem(response, HttpStatusCode.Conflict, "email_taken");
        }
        Assert.Equal(users, await UserCount());
    }

    public static TheoryData<string, string> BadUsers => new()
    {
        { """{"email": "{email}", "displayName": "X", "role": "superuser"}""", "role" },
        { """{"email": "{email}", "displayName": "X", "role": "buyers"}""", "role" },
        { """{"email": "{email}", "displayName": "X", "role": ""}""", "role" },
        { """{"email": "{email}", "displayName": "X", "role": "0"}""", "role" },
        { """{"email": "{email}", "displayName": "X", "role": "3"}""", "role" },
        { """{"email": "{email}", "displayName": "X", "role": "buyer,seller"}""", "role" },
        { """{"email": "{email}", "displayName": "X", "role": "seller,arbiter"}""", "role" },
        { """{"email": "{email}", "displayName": "X"}""", "role" },
        { """{"displayName": "X", "role": "buyer"}""", "email" },
        { """{"email": "", "displayName": "X", "role": "buyer"}""", "email" },
        { """{"email": "not-an-email", "displayName": "X", "role": "buyer"}""", "email" },
        { """{"email": "someone@localhost", "displayName": "X", "role": "buyer"}""", "email" },
        { """{"email": "Some One <someone@test.example>", "displayName": "X", "role": "buyer"}""", "email" },
        { """{"email": "some one@test.example", "displayName": "X", "role": "buyer"}""", "email" },
        { """{"email": "{255}@test.example", "displayName": "X", "role": "buyer"}""", "email" },
        { """{"email": "{email}", "role": "buyer"}""", "displayName" },
        { """{"email": "{email}", "displayName": "  ", "role": "buyer"}""", "displayName" },
        { """{"email": "{email}", "displayName": "{101}", "role": "buyer"}""", "displayName" },
        { """{"email": "{email}", "displayName": "X", "role": "buyer", "password": "short"}""", "password" },
        { """{"email": "{email}", "displayName": "X", "role": "buyer", "password": "{129}"}""", "password" },
    };

    [Theory]
    [MemberData(nameof(BadUsers))]
    public async Task An_invalid_user_is_refused_and_nobody_is_created(string body, string field)
    {
        var users = await UserCount();
        var json = body
            .Replace("{email}", $"new-{Guid.NewGuid():N}@test.example", StringComparison.Ordinal)
            .Replace("{255}", new string('e', 255), StringComparison.Ordinal)
            .Replace("{101}", new string('n', 101), StringComparison.Ordinal)
            .Replace("{129}", new string('p', 129), StringComparison.Ordinal);

        var response = await app.Admin.PostAsync("/api/v1/users", new StringContent(json, Encoding.UTF8, "application/json"));

        var problem = await Api.ExpectProblem(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]?[field]);
        Assert.Equal(users, await UserCount());
    }

    [Theory]
    [InlineData("{")]
    [InlineData("""{"email": 42, "displayName": "X", "role": "buyer"}""")]
    [InlineData("""{"email": "x@test.example", "displayName": "X", "role": 1}""")]
    [InlineData("""["buyer"]""")]
    public async Task A_malformed_user_is_refused_and_nobody_is_created(string body)
    {
        var users = await UserCount();

        var response = await app.Admin.PostAsync("/api/v1/users", new StringContent(body, Encoding.UTF8, "application/json"));

        await Api.ExpectProblem(response, HttpStatusCode.BadRequest, "malformed_request");
        Assert.Equal(users, await UserCount());
    }

    [Fact]
    public async Task A_key_never_appears_in_a_read_of_the_user()
    {
        var buyer = await app.NewUser("buyer");

        var me = await (await buyer.Http.GetAsync("/api/v1/users/me")).Content.ReadAsStringAsync();
        var list = await (await app.Admin.GetAsync("/api/v1/users?limit=100")).Content.ReadAsStringAsync();

        Assert.DoesNotContain(buyer.ApiKey, me, StringComparison.Ordinal);
        Assert.DoesNotContain(buyer.ApiKey, list, StringComparison.Ordinal);
        Assert.DoesNotContain(Sha256Hex(buyer.ApiKey), list, StringComparison.Ordinal);
    }

    private async Task<int> UserCount()
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.Users.CountAsync();
    }

    private async Task<int> KeyCount()
    {
        var (scope, db) = app.OpenDb();
        using (scope) return await db.ApiKeys.CountAsync();
    }

    /// <summary>Every column of the user's rows in the ApiKeys table, read with plain SQL as an intruder would.</summary>
    private async Task<List<Dictionary<string, string?>>> ApiKeyRows(Guid userId)
    {
        var (scope, db) = app.OpenDb();
        using (scope)
        {
            await db.Database.OpenConnectionAsync();
            try
            {
                await using var command = db.Database.GetDbConnection().CreateCommand();
                command.CommandText = "SELECT * FROM \"ApiKeys\"";
                var rows = new List<Dictionary<string, string?>>();
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    var row = new Dictionary<string, string?>();
                    for (var i = 0; i < reader.FieldCount; i++)
                        row[reader.GetName(i)] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture);
                    if (string.Equals(row["UserId"], userId.ToString(), StringComparison.OrdinalIgnoreCase)) rows.Add(row);
                }
                return rows;
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }
    }

    /// <summary>The key's text appears in no byte of the SQLite database file or its write-ahead log (nothing to scan on PostgreSQL).</summary>
    private void AssertNotInDatabaseFiles(string key)
    {
        var needle = Encoding.UTF8.GetBytes(key);
        foreach (var path in new[] { app.DatabasePath, app.DatabasePath + "-wal", app.DatabasePath + "-journal" })
        {
            if (!File.Exists(path)) continue;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            Assert.True(copy.ToArray().AsSpan().IndexOf(needle) < 0, $"The raw key was found in {Path.GetFileName(path)}.");
        }
    }

    private static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static StringContent Body() => new("{}", Encoding.UTF8, "application/json");
}
