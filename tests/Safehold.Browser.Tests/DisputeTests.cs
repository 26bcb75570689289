using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Safehold.Browser.Tests;

/// <summary>A dispute through the portal: the buyer opens it with a photo, the seller answers, an arbiter decides, an appeal goes to another.</summary>
[Collection(PortalCollection.Name)]
public sealed partial class DisputeTests(Portal portal)
{
    /// <summary>A real PNG (a grey screen with a crack across it): evidence is checked by its content, not its name.</summary>
    private static readonly byte[] Photo = TestPng.Make(160, 120);

    [GeneratedRegex("/disputes/([0-9a-f-]{36})$")]
    private static partial Regex DisputeUrl();

    private async Task ShipThroughTheApi(Guid orderId)
    {
        using var seller = portal.App.CreateClient();
        seller.BaseAddress = portal.BaseAddress;
        seller.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sh_demo_seller");
        var response = await seller.PostAsJsonAsync($"/api/v1/orders/{orderId}/ship", new { carrier = "DHL", trackingNumber = "JD014600003800000001" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_buyer_opens_a_dispute_with_a_photo_the_seller_rejects_it_an_arbiter_decides_and_an_appeal_goes_to_another_arbiter()
    {
        var buyer = await portal.InSession(BuyerPathTests.Buyer, BuyerPathTests.BuyerPassword);
        var orderId = await BuyerPathTests.Checkout(buyer, BuyerPathTests.Ticwatch);
        await ShipThroughTheApi(orderId);

        // The buyer: More details offers "Open a dispute"; the form takes a reason, a partial refund and a photo.
        await buyer.GotoAsync($"/orders/{orderId}");
        await buyer.GetByRole(AriaRole.Link, new() { Name = "Open a dispute" }).ClickAsync();
        await Portal.AssertAccessible(buyer);
        await buyer.GetByLabel("What is wrong?").SelectOptionAsync(new SelectOptionValue { Label = "Damaged" });
        await buyer.GetByLabel("What do you ask for?").SelectOptionAsync(new SelectOptionValue { Label = "Partial refund" });
        await buyer.GetByLabel("Refund amount, for a partial refund (USD)").FillAsync("40.00");
        await buyer.GetByLabel("Describe the problem").FillAsync("The screen arrived cracked across the middle.");
        await buyer.GetByLabel("A photo, video or PDF (optional)").SetInputFilesAsync(new FilePayload { Name = "crack.png", MimeType = "image/png", Buffer = Photo });
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Open the dispute" }).ClickAsync();
        await buyer.WaitForURLAsync(DisputeUrl());
        var disputeId = Guid.Parse(DisputeUrl().Match(buyer.Url).Groups[1].Value);
        await Assertions.Expect(buyer.Locator(".badge").First).ToHaveTextAsync("Waiting for the seller");
        await Assertions.Expect(buyer.GetByText("The seller must answer within 5 days")).ToBeVisibleAsync();
        var preview = buyer.GetByRole(AriaRole.Img, new() { Name = "Evidence: crack.png" });
        await Assertions.Expect(preview).ToBeVisibleAsync();
        Assert.Equal(160, await preview.EvaluateAsync<int>("img => img.naturalWidth")); // the photo itself, served to its buyer
        await Portal.AssertAccessible(buyer);
        await Portal.Screenshot(buyer, "dispute");

        // The seller: the dispute waits for them on "Disputes to answer"; they write, then reject with a reason.
        var seller = await portal.SignedIn(BuyerPathTests.Seller, BuyerPathTests.SellerPassword);
        await seller.GetByRole(AriaRole.Link, new() { Name = "Disputes to answer" }).ClickAsync();
        await Assertions.Expect(seller.GetByRole(AriaRole.Row).Filter(new() { Has = seller.Locator($"a[href='/disputes/{disputeId}']") })).ToContainTextAsync("Your turn");
        await Portal.AssertAccessible(seller);
        await seller.Locator($"a[href='/disputes/{disputeId}']").ClickAsync();
        await seller.GetByLabel("Your message").FillAsync("It left us in one piece; please send a photo of the box.");
        await seller.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();
        await Assertions.Expect(seller.Locator("#messages-title + ol")).ToContainTextAsync("photo of the box");
        await seller.GetByRole(AriaRole.Button, new() { Name = "Reject the request" }).ClickAsync();
        await Assertions.Expect(seller.Locator("#reject-reason-error")).ToHaveTextAsync("Required."); // beside its field; nothing changed
        await Assertions.Expect(seller.Locator(".badge").First).ToHaveTextAsync("Waiting for the seller");
        await seller.GetByLabel("Why do you reject the request?").FillAsync("Shipped sealed and insured; the courier reports no damage.");
        await seller.GetByRole(AriaRole.Button, new() { Name = "Reject the request" }).ClickAsync();
        await Assertions.Expect(seller.Locator(".badge").First).ToHaveTextAsync("Waiting for the buyer");
        await Portal.AssertAccessible(seller);

        // The buyer takes it to the platform.
        await buyer.ReloadAsync();
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Ask the platform to decide" }).ClickAsync();
        await Assertions.Expect(buyer.Locator(".badge").First).ToHaveTextAsync("Under review by the platform");

        // The arbiter: the desk lists it; the case shows the listing beside both parties' evidence; they decide.
        var arbiter = await portal.SignedIn("arbiter@demo.test", "demo-arbiter");
        Assert.EndsWith("/arbiter", arbiter.Url, StringComparison.Ordinal);
        await Assertions.Expect(arbiter.GetByRole(AriaRole.Row).Filter(new() { Has = arbiter.Locator($"a[href='/disputes/{disputeId}']") })).ToContainTextAsync("Due in 7 days");
        await Portal.AssertAccessible(arbiter);
        await arbiter.Locator($"a[href='/disputes/{disputeId}']").ClickAsync();
        await Assertions.Expect(arbiter.Locator("#snapshot-title + h3")).ToHaveTextAsync(BuyerPathTests.Ticwatch);
        await Assertions.Expect(arbiter.GetByRole(AriaRole.Img, new() { Name = "Evidence: crack.png" })).ToBeVisibleAsync();
        await Assertions.Expect(arbiter.Locator("section[aria-labelledby='evidence-seller']")).ToContainTextAsync("No evidence yet.");
        await Assertions.Expect(arbiter.Locator("ol.timeline")).ToContainTextAsync("Escalated to the platform");
        await Portal.AssertAccessible(arbiter);
        await Portal.Screenshot(arbiter, "arbiter-case");
        await arbiter.GetByLabel("Outcome", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Partial refund" });
        await arbiter.GetByLabel("Refund amount, for a partial refund (USD)").FillAsync("40.00");
        await arbiter.GetByLabel("Rationale").FillAsync("The photo shows a crack; the listing promised a new watch. Part of the price is refunded.");
        await arbiter.GetByRole(AriaRole.Button, new() { Name = "Record the decision" }).ClickAsync();
        await Assertions.Expect(arbiter.Locator(".confirm")).ToContainTextAsync("40.00 USD is refunded to the buyer and 89.99 USD is paid to the seller");
        await arbiter.GetByRole(AriaRole.Button, new() { Name = "Yes, record the decision" }).ClickAsync();
        await Assertions.Expect(arbiter.Locator(".badge").First).ToHaveTextAsync("Resolved");
        await Assertions.Expect(arbiter.GetByText("The decision can be appealed for 30 days")).ToBeVisibleAsync();

        // The seller appeals; the arbiter who decided sees it among the appeals but may not decide it; another arbiter does.
        await seller.ReloadAsync();
        await seller.GetByLabel("Why should another arbiter look again?").FillAsync("The courier's report shows the parcel undamaged.");
        await seller.GetByRole(AriaRole.Button, new() { Name = "Appeal the decision" }).ClickAsync();
        await Assertions.Expect(seller.Locator(".badge").First).ToHaveTextAsync("Under review by the platform");

        await arbiter.GotoAsync("/arbiter/appeals");
        await arbiter.Locator($"a[href='/disputes/{disputeId}']").ClickAsync();
        await Assertions.Expect(arbiter.GetByRole(AriaRole.Button, new() { Name = "Record the decision" })).ToHaveCountAsync(0);

        var second = await portal.InSession("arbiter2@demo.test", "demo-arbiter2");
        await second.GotoAsync("/arbiter/appeals");
        await Portal.AssertAccessible(second);
        await second.Locator($"a[href='/disputes/{disputeId}']").ClickAsync();
        await second.GetByLabel("Outcome", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Released to the seller" });
        await second.GetByLabel("Rationale").FillAsync("The courier's report and the seller's insurance hold; the money goes to the seller.");
        await second.GetByRole(AriaRole.Button, new() { Name = "Record the decision" }).ClickAsync();
        await second.GetByRole(AriaRole.Button, new() { Name = "Yes, record the decision" }).ClickAsync();
        await Assertions.Expect(second.Locator(".badge").First).ToHaveTextAsync("Resolved");

        await buyer.GotoAsync($"/orders/{orderId}");
        await Assertions.Expect(buyer.Locator(".badge").First).ToHaveTextAsync("Completed");
        foreach (var page in new[] { buyer, seller, arbiter, second }) await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_file_that_is_not_a_photo_is_refused_beside_the_field_and_no_dispute_is_opened()
    {
        var buyer = await portal.InSession(BuyerPathTests.Buyer, BuyerPathTests.BuyerPassword);
        var orderId = await BuyerPathTests.Checkout(buyer, "Wireless noise-cancelling headphones");
        await ShipThroughTheApi(orderId);
        await buyer.GotoAsync($"/orders/{orderId}/dispute");
        await buyer.GetByLabel("Describe the problem").FillAsync("Never arrived.");
        await buyer.GetByLabel("A photo, video or PDF (optional)").SetInputFilesAsync(new FilePayload
        {
            Name = "photo.png",
            MimeType = "image/png",
            Buffer = "MZ this is not a picture"u8.ToArray(),
        });
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Open the dispute" }).ClickAsync();
        await Assertions.Expect(buyer.Locator("#file-error")).ToContainTextAsync("Only JPEG, PNG, WebP, MP4 and PDF files are accepted");
        await Assertions.Expect(buyer.GetByRole(AriaRole.Alert)).ToContainTextAsync("Some fields need attention");
        await buyer.GotoAsync($"/orders/{orderId}");
        await Assertions.Expect(buyer.GetByRole(AriaRole.Link, new() { Name = "Open a dispute" })).ToBeVisibleAsync();
        await Assertions.Expect(buyer.GetByRole(AriaRole.Link, new() { Name = "Open the dispute page" })).ToHaveCountAsync(0);
        await buyer.Context.CloseAsync();
    }
}
