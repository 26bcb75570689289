using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Safehold.Web.Tests.Features.Orders;

public sealed class ProtectionExtensionTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static Task<HttpResponseMessage> Ask(TestUser user, Guid orderId, int days, string reason = "Still in transit") =>
        user.Http.PostAsJsonAsync($"/api/v1/orders/{orderId}/protection-extensions", new { days, reason });

    private static DateTimeOffset ProtectionEnds(JsonNode order) => order["deadlines"]!["protectionEndsAt"]!.GetValue<DateTimeOffset>();

    [Fact]
    public async Task A_buyer_asks_for_more_time_and_the_seller_approves_so_protection_ends_later()
    {
        var (buyer, seller, id) = await app.OrderIn("awaiting_delivery");
        var before = ProtectionEnds(await Api.GetOrder(buyer, id));

        var asked = await Ask(buyer, id, 10);
        await Api.ExpectStatus(asked, HttpStatusCode.Created);
        var extension = await Api.Json(asked);
        Assert.Equal("pending", extension["status"]!.GetValue<string>());
        var pending = await Api.GetOrder(seller, id);
        Assert.Equal(app.Now.AddDays(3), pending["deadlines"]!["extensionDecisionBy"]!.GetValue<DateTimeOffset>());
        Assert.Contains("approve_extension", pending.Actions());
        Assert.DoesNotContain("extend_protection", (await Api.GetOrder(buyer, id)).Actions());

        var approved = await Api.Json(await seller.Http.PostAsync($"/api/v1/orders/{id}/protection-extensions/{extension.Id()}/approve", null));
        Assert.Equal(before.AddDays(10), ProtectionEnds(approved));
        Assert.False(approved["deadlines"]!.AsObject().ContainsKey("extensionDecisionBy"));
        Assert.Equal("approved", approved["extensions"]![0]!["status"]!.GetValue<string>());

        await app.AdvanceAndSweep(TimeSpan.FromDays(40));
        Assert.Equal("awaiting_delivery", (await Api.GetOrder(buyer, id)).Status());
        await app.AdvanceAndSweep(TimeSpan.FromDays(10));
        Assert.Equal("completed", (await Api.GetOrder(buyer, id)).Status());
    }

    [Fact]
    public async Task A_declined_extension_leaves_protection_where_it_was()
    {
        var (buyer, seller, id) = await app.OrderIn("awaiting_delivery");
        var before = ProtectionEnds(await Api.GetOrder(buyer, id));
        var extension = await Api.Json(await Ask(buyer, id, 5));
        var declined = await Api.Json(await seller.Http.PostAsync($"/api/v1/orders/{id}/protection-extensions/{extension.Id()}/decline", null));
        Assert.Equal(before, ProtectionEnds(declined));
        Assert.Equal("declined", declined["extensions"]![0]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Three_days_of_silence_from_the_seller_approve_the_extension()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery");
        var before = ProtectionEnds(await Api.GetOrder(buyer, id));
        await Ask(buyer, id, 30);

        await app.AdvanceAndSweep(TimeSpan.FromDays(3));

        var order = await Api.GetOrder(buyer, id);
        Assert.Equal(before.AddDays(30), ProtectionEnds(order));
        Assert.Equal("auto_approved", order["extensions"]![0]!["status"]!.GetValue<string>());
        var last = order["timeline"]!.AsArray().Last()!;
        Assert.Equal(("extension_auto_approved", "system"), (last["event"]!.GetValue<string>(), last["actor"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_extension_of_more_than_30_days_is_refused_and_changes_nothing()
    {
        var (buyer, _, id) = await app.OrderIn("awaiting_delivery");
        var before = await Api.GetOrder(buyer, id);
        await Api.ExpectProblem(await Ask(buyer, id, 31), HttpStatusCode.UnprocessableEntity, "extension_too_long");
        await Api.ExpectProblem(await Ask(buyer, id, 0), HttpStatusCode.BadRequest, "validation_failed");
        var after = await Api.GetOrder(buyer, id);
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
    }

    [Fact]
    public async Task An_order_gets_at_most_two_extensions_one_at_a_time()
    {
        var (buyer, seller, id) = await app.OrderIn("awaiting_delivery");
        var first = await Api.Json(await Ask(buyer, id, 5));
        await Api.ExpectProblem(await Ask(buyer, id, 5), HttpStatusCode.Conflict, "invalid_state");
        await seller.Http.PostAsync($"/api/v1/orders/{id}/protection-extensions/{first.Id()}/decline", null);
        var second = await Api.Json(await Ask(buyer, id, 5));
        await seller.Http.PostAsync($"/api/v1/orders/{id}/protection-extensions/{second.Id()}/approve", null);

        await Api.ExpectProblem(await Ask(buyer, id, 5), HttpStatusCode.UnprocessableEntity, "extension_limit_reached");
        Assert.Equal(2, (await Api.GetOrder(buyer, id))["extensions"]!.AsArray().Count);
    }

    [Fact]
    public async Task Only_the_buyer_asks_only_the_seller_answers_and_never_on_a_completed_order()
    {
        var (buyer, seller, id) = await app.OrderIn("awaiting_delivery");
        await Api.ExpectProblem(await Ask(seller, id, 5), HttpStatusCode.Forbidden, "action_not_allowed");
        var extension = await Api.Json(await Ask(buyer, id, 5));
        await Api.ExpectProblem(await buyer.Http.PostAsync($"/api/v1/orders/{id}/protection-extensions/{extension.Id()}/approve", null),
            HttpStatusCode.Forbidden, "action_not_allowed");
        await Api.ExpectProblem(await seller.Http.PostAsync($"/api/v1/orders/{id}/protection-extensions/{Guid.NewGuid()}/approve", null),
            HttpStatusCode.NotFound, "not_found");

        var (completedBuyer, _, completed) = await app.OrderIn("completed");
        await Api.ExpectProblem(await Ask(completedBuyer, completed, 5), HttpStatusCode.Conflict, "invalid_state");

        var stranger = await app.NewUser("buyer");
        await Api.ExpectProblem(await Ask(stranger, id, 5), HttpStatusCode.NotFound, "not_found");
    }
}
