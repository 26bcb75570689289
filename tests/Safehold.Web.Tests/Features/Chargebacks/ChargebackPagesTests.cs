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

    [Fact]
    public async Task The_admins_chargebacks_list_puts_those_awaiting_an_answer_first_by_deadline_and_then_the_decided_ones()
    {
        async Task<Guid> Open(string reason, int respondInDays)
        {
            var (_, _, orderId) = await app.OrderIn("completed");
            await Api.ExpectStatus(await Event(app.Admin, "chargeback.opened", orderId, reason: reason, respondBy: app.Now.AddDays(respondInDays)), HttpStatusCode.OK);
            app.Clock.Advance(TimeSpan.FromMinutes(1));
            return orderId;
        }
        await Open("late-deadline", 20);
        await Open("near-deadline", 5);
        await EventOk(app, "chargeback.won", await Open("decided-latest", 3));
        var admin = await PortalClient.As(app, await app.NewUser("admin"));

        var list = PortalClient.Text(await admin.Page("/admin/chargebacks"));

        var near = list.IndexOf("near-deadline", StringComparison.Ordinal);
        var late = list.IndexOf("late-deadline", StringComparison.Ordinal);
        var decided = list.IndexOf("decided-latest", StringComparison.Ordinal);
        Assert.True(near >= 0 && late >= 0 && decided >= 0, list);
        Assert.True(near < late && late < decided, $"near {near}, late {late}, decided {decided}");
    }
}
