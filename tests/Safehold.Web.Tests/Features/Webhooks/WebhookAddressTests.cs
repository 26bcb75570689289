using System.Net;
using System.Net.Http.Json;
using Safehold.Web.Features.Events;
using Safehold.Web.Features.Webhooks;
using static Safehold.Web.Tests.Features.Webhooks.WebhookTests;

namespace Safehold.Web.Tests.Features.Webhooks;

/// <summary>The app as production runs it: webhooks only to public addresses (<c>Safehold:Webhooks:AllowPrivateAddresses</c> false).</summary>
public sealed class PublicAddressesOnlyApp : IDisposable
{
    public SafeholdApp App { get; } = new() { Settings = { ["Safehold:Webhooks:AllowPrivateAddresses"] = "false" } };

    public void Dispose() => App.Dispose();
}

/// <summary>SSRF: a webhook cannot be aimed at the host itself, a metadata service or the internal network.</summary>
public sealed class WebhookAddressTests(PublicAddressesOnlyApp fixture) : IClassFixture<PublicAddressesOnlyApp>
{
    private SafeholdApp App => fixture.App;

    [Theory]
    [InlineData("http://10.0.0.1/hook")]
    [InlineData("http://127.0.0.1/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("http://[::1]:8080/hook")]
    [InlineData("http://localhost:8080/hook")]
    [InlineData("http://[::ffff:127.0.0.1]/hook")]
    [InlineData("http://[::ffff:a9fe:a9fe]/hook")]
    [InlineData("https://172.16.0.5/hook")]
    [InlineData("https://192.168.1.10/hook")]
    [InlineData("https://[fd12:3456::1]/hook")]
    [InlineData("https://[fe80::1]/hook")]
    [InlineData("http://0.0.0.0/hook")]
    public async Task A_url_on_a_loopback_link_local_or_private_address_is_refused_and_nothing_is_registered(string url)
    {
        var response = await App.Admin.PostAsJsonAsync("/api/v1/webhook-endpoints", new { url, events = new[] { "*" } });

        await Api.ExpectProblem(response, HttpStatusCode.UnprocessableEntity, WebhookAddresses.RefusalCode);
        Assert.DoesNotContain(url.TrimEnd('/'), await App.Admin.GetStringAsync("/api/v1/webhook-endpoints"));
        var (scope, db) = App.OpenDb();
        using (scope) Assert.DoesNotContain(db.WebhookEndpoints.AsEnumerable(), w => w.Url == url);
    }

    [Fact]
    public async Task A_public_address_is_accepted()
    {
        // Of events no test here makes: the dispatcher never calls out of the machine.
        var response = await App.Admin.PostAsJsonAsync("/api/v1/webhook-endpoints", new { url = "https://93.184.215.14/hook", events = new[] { "payment_instruction.retried" } });

        await Api.ExpectStatus(response, HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_delivery_to_an_address_that_became_private_fails_without_connecting()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // As if the host had resolved to a public address when registered, and resolves to loopback now.
        var (scope, db) = App.OpenDb();
        var id = Guid.NewGuid();
        using (scope)
        {
            db.WebhookEndpoints.Add(new WebhookEndpoint(id, receiver.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal), ["*"],
                WebhookEndpoint.NewSecret(), await EventLog.EndAsync(db, CancellationToken.None), Guid.Empty, App.Now));
            await db.SaveChangesAsync();
        }
        await App.OrderIn("awaiting_payment");

        await Deliver(App);

        Assert.Empty(receiver.Received);
        var state = (await Api.Json(await App.Admin.GetAsync("/api/v1/webhook-endpoints")))["items"]!.AsArray().Single(i => i!.Id() == id)!;
        Assert.Equal(1, state["failedAttempts"]!.GetValue<int>());
        Assert.Contains("private address", state["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("93.184.215.14", true)]
    [InlineData("2606:4700:4700::1111", true)]
    [InlineData("::ffff:93.184.215.14", true)]
    [InlineData("10.1.2.3", false)]
    [InlineData("127.0.0.2", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("100.64.0.1", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("::1", false)]
    [InlineData("::", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("::ffff:169.254.169.254", false)]
    [InlineData("64:ff9b::a9fe:a9fe", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fc00::1", false)]
    [InlineData("ff02::1", false)]
    public void Only_public_addresses_are_allowed(string address, bool allowed) =>
        Assert.Equal(allowed, WebhookAddresses.IsPublic(IPAddress.Parse(address)));
}
