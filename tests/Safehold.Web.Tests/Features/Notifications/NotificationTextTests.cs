using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Safehold.Domain.Disputes;
using Safehold.Web.Features.Notifications;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Tests.Features.Notifications;

/// <summary>
/// Every kind of notification, with each of its variants, written in English and in Georgian from its stored values: money
/// as money (never minor units), no raw code, no template hole, times in the reader's time zone, and a Georgian reader
/// reads Georgian words around the values.
/// </summary>
public sealed partial class NotificationTextTests : IClassFixture<SafeholdApp>, IDisposable
{
    private readonly IStringLocalizer<PortalText> _l;
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

    private static readonly DateTimeOffset Created = new(2027, 3, 1, 20, 30, 0, TimeSpan.Zero);
    private const string Title = "Mobvoi Ticwatch";

    public NotificationTextTests(SafeholdApp app) => _l = app.Services.GetRequiredService<IStringLocalizer<PortalText>>();

    public void Dispose()
    {
        CultureInfo.CurrentCulture = _culture;
        CultureInfo.CurrentUICulture = _uiCulture;
        Words.Zone = TimeZoneInfo.Utc;
    }

    /// <summary>One set of values per kind and variant, as the code that writes each kind stores them (amounts of 1,234.56 USD).</summary>
    private static IEnumerable<(string Kind, NoticeValues Values)> Samples()
    {
        NoticeValues Base() => new NoticeValues().Text("title", Title).Text("orderNumber", "7C41-09AF").Id("disputeId", Guid.NewGuid())
            .At("protectionEndsAt", Created.AddDays(3)).At("shipBy", Created.AddDays(1)).At("sellerResponseBy", Created.AddDays(5))
            .At("buyerResponseBy", Created.AddDays(7)).At("returnShipBy", Created.AddDays(10)).At("returnReceiptBy", Created.AddDays(15))
            .At("appealBy", Created.AddDays(30));
        yield return ("protection_ending", Base());
        yield return ("ship_by_reminder", Base());
        yield return ("order_message", Base().Text("from", "buyer").Text("message", "Is it boxed?"));
        yield return ("order_message", Base().Text("from", "seller").Text("message", "Is it boxed?"));
        yield return ("dispute_opened", Base().Text("reason", "not_as_described").Text("requestedOutcome", "partial_refund").Money("requestedAmount", 123456, "USD"));
        yield return ("dispute_answered", Base().Text("answer", "offer").Text("offerOutcome", "partial_refund").Money("offerAmount", 123456, "USD"));
        yield return ("dispute_answered", Base().Text("answer", "rejected"));
        yield return ("dispute_return_requested", Base());
        yield return ("dispute_return_shipped", Base().Text("carrier", "DHL").Text("trackingNumber", "JD0142"));
        yield return ("dispute_return_delivered", Base().Text("carrier", "DHL").Text("trackingNumber", "JD0142"));
        foreach (var reader in new[] { "buyer", "seller" })
        {
            yield return ("dispute_escalated", Base().Text("reader", reader));
            yield return ("dispute_appealed", Base().Text("reader", reader));
        }
        yield return ("dispute_resolved", Base().Text("settled", "no").Text("outcome", "partial_refund").Money("refundAmount", 123456, "USD"));
        yield return ("dispute_resolved", Base().Text("settled", "yes").Text("outcome", "full_refund").Money("refundAmount", 123456, "USD"));
        yield return ("dispute_resolved", Base().Text("settled", "yes").Text("outcome", "released_to_seller"));
        yield return ("dispute_withdrawn", Base());
        yield return ("chargeback_opened", Base().Text("reader", "buyer").At("respondBy", Created.AddDays(7)));
        yield return ("chargeback_opened", Base().Text("reader", "seller").At("respondBy", Created.AddDays(7)));
        yield return ("chargeback_decided", Base().Text("outcome", "released_to_seller"));
        yield return ("chargeback_decided", Base().Text("outcome", "full_refund"));
        yield return ("dispute_superseded", Base());
        yield return ("dispute_response_reminder", Base());
        yield return ("dispute_return_reminder", Base());
        yield return ("dispute_message", Base().Text("message", "Here is the photo."));
        yield return ("payout_paid", new NoticeValues().Money("amount", 123456, "USD").Text("reference", "PO-88412"));
        yield return ("payout_failed", new NoticeValues().Money("amount", 123456, "USD").Text("declineCode", "account_closed"));
    }

    [Fact]
    public void Every_notification_kind_reads_in_both_languages_with_money_as_money_and_no_minor_units_or_raw_codes()
    {
        Assert.Equal(NotificationText.Kinds.Order(), Samples().Select(s => s.Kind).Distinct().Order());
        var wrong = new List<string>();
        foreach (var (culture, money) in new[] { ("en", "1,234.56 USD"), ("ka-GE", "1 234,56 USD") })
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(culture);
            foreach (var (kind, values) in Samples())
            {
                var text = NotificationText.Write(_l, kind, NoticeValues.Parse(values.ToJson()), Created, Created);
                var all = text.Subject + "\n" + text.Body;
                var shown = all.Replace('\u00A0', ' ');
                if (all.Contains("123456", StringComparison.Ordinal)) wrong.Add($"{culture} {kind}: a minor-unit amount: {all}");
                if (values.MoneyOf("amount") is not null || values.MoneyOf("requestedAmount") is not null || values.MoneyOf("offerAmount") is not null
                    || values.MoneyOf("refundAmount") is not null)
                {
                    if (!shown.Contains(money, StringComparison.Ordinal)) wrong.Add($"{culture} {kind}: no {money} in: {all}");
                }
                if (RawCode().Match(all) is { Success: true } code) wrong.Add($"{culture} {kind}: the raw code {code.Value} in: {all}");
                if (all.Contains('{', StringComparison.Ordinal)) wrong.Add($"{culture} {kind}: a template hole in: {all}");
                if (string.IsNullOrWhiteSpace(text.Subject) || string.IsNullOrWhiteSpace(text.Body)) wrong.Add($"{culture} {kind}: empty");
                if (culture == "ka-GE")
                {
                    // Around the values (the title, carrier, reference, message, order number, currency, zone), only Georgian.
                    var words = all;
                    foreach (var value in new[] { Title, "DHL", "JD0142", "PO-88412", "Is it boxed?", "Here is the photo.", "7C41-09AF", "USD", "UTC" })
                        words = words.Replace(value, "", StringComparison.Ordinal);
                    if (LatinWord().Match(words) is { Success: true } english) wrong.Add($"ka {kind}: the English word {english.Value} in: {all}");
                    if (words.Contains('-', StringComparison.Ordinal)) wrong.Add($"ka {kind}: an ending glued on with a hyphen in: {all}");
                }
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void Every_notice_the_dispute_table_sends_has_its_words()
    {
        var sent = DisputeProcess.Table.Select(t => t.Notice.Kind).Where(k => k.Length > 0).Distinct();
        Assert.All(sent, kind => Assert.Contains(kind, NotificationText.Kinds));
    }

    [Fact]
    public void A_deadline_reads_in_the_readers_time_zone_and_a_Georgian_date_takes_its_case()
    {
        var values = new NoticeValues().Text("title", Title).Text("orderNumber", "7C41-09AF").At("shipBy", Created.AddDays(1));
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo("en");
        Assert.Equal("Ship \"Mobvoi Ticwatch\" by 2 March, 20:30 UTC", NotificationText.Write(_l, "ship_by_reminder", values, Created, Created).Subject);
        using (Words.For(new CultureInfo("ka-GE"), PortalSetup.ZoneOf("Asia/Tbilisi")))
        {
            // 20:30 UTC is half past midnight of the next day in Tbilisi.
            Assert.Equal("გააგზავნეთ 3 მარტამდე (00:30 UTC+4): „Mobvoi Ticwatch“",
                NotificationText.Write(_l, "ship_by_reminder", values, Created, Created).Subject);
        }
        Assert.Equal("en", CultureInfo.CurrentUICulture.Name); // the reader before is back
        Assert.Equal(TimeZoneInfo.Utc, Words.Zone);
    }

    [Fact]
    public void A_count_of_days_reads_as_it_was_promised()
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo("ka-GE");
        var values = new NoticeValues().Text("title", Title).Text("orderNumber", "7C41-09AF").At("protectionEndsAt", Created.AddDays(3));
        Assert.Equal("მყიდველის დაცვა მთავრდება 3 დღეში: „Mobvoi Ticwatch“", NotificationText.Write(_l, "protection_ending", values, Created, Created).Subject);
    }

    /// <summary>A notice stored without its deadline's date names "the deadline", in the case its sentence needs.</summary>
    [Theory]
    [InlineData("en", "ship_by_reminder", "Ship \"Mobvoi Ticwatch\" by the deadline")]
    [InlineData("ka-GE", "ship_by_reminder", "გააგზავნეთ დადგენილ ვადამდე: „Mobvoi Ticwatch“")]
    [InlineData("ka-GE", "dispute_response_reminder", "უპასუხეთ დავას დადგენილ ვადამდე: „Mobvoi Ticwatch“")]
    public void A_notice_without_its_deadlines_date_declines_the_deadline_as_it_would_the_date(string culture, string kind, string subject)
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(culture);
        var values = new NoticeValues().Text("title", Title).Text("orderNumber", "7C41-09AF");
        Assert.Equal(subject, NotificationText.Write(_l, kind, values, Created, Created).Subject);
    }

    [Fact]
    public void Protection_without_its_date_ends_on_the_set_day_in_Georgian()
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo("ka-GE");
        var values = new NoticeValues().Text("title", Title).Text("orderNumber", "7C41-09AF");
        Assert.StartsWith("შეკვეთა 7C41-09AF: დაცვა მთავრდება დადგენილ დღეს.", NotificationText.Write(_l, "protection_ending", values, Created, Created).Body, StringComparison.Ordinal);
    }

    // A snake_case API value (partial_refund, not_as_described, account_closed): never shown to a reader.
    [GeneratedRegex(@"\b[a-z]+_[a-z_]+\b")]
    private static partial Regex RawCode();

    [GeneratedRegex(@"[A-Za-z]{2,}")]
    private static partial Regex LatinWord();
}
