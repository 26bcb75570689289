using System.Net;
using Safehold.Web.Tests.Features.Portal;
using static Safehold.Web.Tests.Features.Chargebacks.ChargebackApi;

namespace Safehold.Web.Tests.Features.Chargebacks;

/// <summary>The portal's chargeback pages over a real database: the seller's negative balance explained, the admin's list, the PDF download.</summary>
public sealed class ChargebackPagesTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task A_seller_whose_paid_out_money_was_charged_back_sees_the_negative_balance_explained_in_english_and_georgian()
    {
        var (_, seller, orderId) = await app.OrderInCompletedPastWindow(10_000);
        await Api.ExpectStatus(await app.Admin.PostAsync("/api/v1/payouts/run", null), HttpStatusCode.OK);
        await app.OpenChargeback(orderId);

        var english = PortalClient.Text(await (await PortalClient.As(app, seller)).Page("/seller/balance"));
        var georgian = PortalClient.Text(await (await PortalClient.As(app, seller, "ka-GE")).Page("/seller/balance"));

        Assert.Matches(@"Your available balance is below zero \([^)]*95[^)]*\): a chargeback took back money you had already been paid\.", english);
        Assert.Contains("Chargeback: taken back and held", english);
        Assert.Contains("თქვენი ხელმისაწვდომი ბალანსი ნულზე ნაკლებია", georgian);
        Assert.Contains("ჩარჯბექი: თანხა ჩამოიჭრა და დაკავებულია", georgian);
    }

    [Fact]
    public async Task The_admin_lists_chargebacks_and_the_seller_downloads_the_evidence_pack_as_a_pdf()
    {
        var (_, seller, orderId) = await app.OrderIn("completed");
        var chargeback = await app.OpenChargeback(orderId);
        var admin = await PortalClient.As(app, await app.NewUser("admin"));

        var list = PortalClient.Text(await admin.Page("/admin/chargebacks"));

        Assert.Contains("Test product", list);
        Assert.Contains("fraudulent", list);
        Assert.Contains("The seller", list);
        var pdf = await (await PortalClient.As(app, seller)).Http.GetAsync($"/disputes/{chargeback.Id()}/evidence-pack");
        Assert.Equal(HttpStatusCode.OK, pdf.StatusCode);
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType?.MediaType);
        var order = PortalClient.Text(await (await PortalClient.As(app, seller)).Page($"/orders/{orderId}"));
        Assert.Contains("The buyer's bank reversed the payment.", order);
    }
}
