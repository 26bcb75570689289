using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Tests.Features.Portal;

/// <summary>
/// Words: amounts read and written as the page's language writes them, spans rounded as promised, times in the reader's
/// zone, and Georgian dates and counts declined by the grammar (checked against a table of correct forms).
/// </summary>
public sealed class WordsTests : IDisposable
{
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

    public void Dispose()
    {
        CultureInfo.CurrentCulture = _culture;
        CultureInfo.CurrentUICulture = _uiCulture;
        Words.Zone = TimeZoneInfo.Utc;
    }

    private static void In(string culture) => CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(culture);

    /// <summary>Every month: the nominative, the dative of "on" (-ს) and the terminative of "until" (-მდე), as a Georgian writes them.</summary>
    public static TheoryData<int, string, string, string> GeorgianMonths => new()
    {
        { 1, "23 იანვარი", "23 იანვარს", "23 იანვრამდე" },
        { 2, "23 თებერვალი", "23 თებერვალს", "23 თებერვლამდე" },
        { 3, "23 მარტი", "23 მარტს", "23 მარტამდე" },
        { 4, "23 აპრილი", "23 აპრილს", "23 აპრილამდე" },
        { 5, "23 მაისი", "23 მაისს", "23 მაისამდე" },
        { 6, "23 ივნისი", "23 ივნისს", "23 ივნისამდე" },
        { 7, "23 ივლისი", "23 ივლისს", "23 ივლისამდე" },
        { 8, "23 აგვისტო", "23 აგვისტოს", "23 აგვისტომდე" },
        { 9, "23 სექტემბერი", "23 სექტემბერს", "23 სექტემბრამდე" },
        { 10, "23 ოქტომბერი", "23 ოქტომბერს", "23 ოქტომბრამდე" },
        { 11, "23 ნოემბერი", "23 ნოემბერს", "23 ნოემბრამდე" },
        { 12, "23 დეკემბერი", "23 დეკემბერს", "23 დეკემბრამდე" },
    };

    [Theory]
    [MemberData(nameof(GeorgianMonths))]
    public void A_Georgian_date_is_declined_by_its_case_never_glued_on_with_a_hyphen(int month, string nominative, string on, string until)
    {
        In("ka-GE");
        var day = new DateTimeOffset(2027, month, 23, 12, 0, 0, TimeSpan.Zero);
        var now = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var phrase = Words.On(day, now);
        Assert.Equal(nominative, phrase.ToString());
        Assert.Equal(on, string.Format(CultureInfo.CurrentCulture, "{0:at}", phrase));
        Assert.Equal(until, string.Format(CultureInfo.CurrentCulture, "{0:until}", phrase));
        // Another year's day says its year first, in the genitive: "2028 წლის 23 მარტს".
        Assert.Equal("2026 წლის " + on, string.Format(CultureInfo.CurrentCulture, "{0:at}", Words.On(day.AddYears(-1), now)));
    }

    [Theory]
    [InlineData(59, "59 დღე", "59 დღეში", "59 დღით")]
    [InlineData(1, "1 დღე", "1 დღეში", "1 დღით")]
    public void A_Georgian_count_of_days_takes_its_case_on_the_noun(int days, string nominative, string within, string by)
    {
        In("ka-GE");
        var count = Words.Duration(TimeSpan.FromDays(days));
        Assert.Equal(nominative, count.ToString());
        Assert.Equal(within, string.Format(CultureInfo.CurrentCulture, "{0:in}", count));
        Assert.Equal(by, string.Format(CultureInfo.CurrentCulture, "{0:by}", count));
        Assert.Equal("5 საათში", string.Format(CultureInfo.CurrentCulture, "{0:in}", Words.Duration(TimeSpan.FromHours(5))));
        Assert.Equal("5 წუთით", string.Format(CultureInfo.CurrentCulture, "{0:by}", Words.Duration(TimeSpan.FromMinutes(5))));
    }

    [Fact]
    public void Georgian_deadlines_read_as_a_Georgian_writes_them()
    {
        using var app = new SafeholdApp();
        var l = app.Services.GetRequiredService<IStringLocalizer<PortalText>>();
        In("ka-GE");
        var now = new DateTimeOffset(2027, 1, 14, 9, 0, 0, TimeSpan.Zero);
        Assert.Equal("დაცვა მთავრდება 59 დღეში, 14 მარტს", Words.Deadline(l, "protectionEndsAt", now.AddDays(59), now));
        Assert.Equal("გამყიდველმა უნდა გააგზავნოს 9 დღეში, 23 იანვრამდე", Words.Deadline(l, "shipBy", now.AddDays(9), now));
        Assert.Equal("ვადა გადაცილებულია 2 დღით", l["Overdue by {0}", Words.Duration(TimeSpan.FromDays(2))]);
        Assert.DoesNotContain("-", Words.Deadline(l, "sellerResponseBy", now.AddDays(4), now), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5, 0, -1, "5 days")] // a minute after payment, "ships within 5 days" stays 5
    [InlineData(40, 0, -1, "40 days")] // just after shipping, 40 days of protection read 40
    [InlineData(4, 2, 0, "4 days")]
    [InlineData(1, 0, -1, "1 day")]
    [InlineData(0, 5, -1, "5 hours")]
    [InlineData(0, 0, 30, "30 minutes")]
    public void A_span_is_rounded_to_its_nearest_whole_unit_not_down(int days, int hours, int minutes, string expected)
    {
        In("en");
        Assert.Equal(expected, Words.Duration(new TimeSpan(days, hours, minutes, 0)).ToString());
    }

    [Theory]
    [InlineData("en", "19.50", 1950L)]
    [InlineData("en", "1,950.00", 195000L)]
    [InlineData("en", " 40 ", 4000L)]
    [InlineData("ka-GE", "19,50", 1950L)]
    [InlineData("ka-GE", "1 950,5", 195050L)]
    [InlineData("en", "19,50", null)] // ambiguous on an English page: refused, never 1,950.00
    [InlineData("en", "1,950", null)]
    [InlineData("ka-GE", "19.50", null)]
    [InlineData("en", "19.505", null)]
    [InlineData("en", "abc", null)]
    [InlineData("en", "-5", null)]
    public void An_amount_is_read_with_the_decimal_mark_of_the_pages_language_and_refused_when_it_reads_two_ways(string culture, string typed, long? minor)
    {
        In(culture);
        var read = Words.ReadAmount(typed, 2);
        Assert.Equal(minor, read.Minor);
        Assert.Equal(minor is null, read.Problem is not null);
    }

    [Fact]
    public void An_amount_refused_on_an_English_page_says_how_to_write_it()
    {
        using var app = new SafeholdApp();
        var l = app.Services.GetRequiredService<IStringLocalizer<PortalText>>();
        In("en");
        Assert.Equal("Write the amount with a point before the cents, like 19.50.", Words.AmountProblem(l, Words.ReadAmount("19,50", 2).Problem!, 2));
        In("ka-GE");
        Assert.Equal("თანხა ჩაწერეთ ასე: 19,50 (ათწილადის წინ — მძიმე).", Words.AmountProblem(l, Words.ReadAmount("19.50", 2).Problem!, 2));
    }

    [Fact]
    public void Times_are_shown_in_the_readers_time_zone_with_its_offset()
    {
        In("en");
        var at = new DateTimeOffset(2027, 1, 3, 21, 5, 0, TimeSpan.Zero);
        Assert.Equal("3 January 2027, 21:05 UTC", Words.Instant(at));
        Words.Zone = PortalSetup.ZoneOf("Asia/Tbilisi");
        Assert.Equal("4 January 2027, 01:05 UTC+4", Words.Instant(at));
        Assert.Equal("4 January", Words.Day(at, at));
        Assert.Equal(TimeZoneInfo.Utc, PortalSetup.ZoneOf("Mars/Olympus_Mons"));
    }

    [Fact]
    public void Timeline_details_show_money_and_outcomes_never_minor_units_or_raw_codes()
    {
        using var app = new SafeholdApp();
        var l = app.Services.GetRequiredService<IStringLocalizer<PortalText>>();
        In("en");
        Assert.Equal("Refunded 25.00 USD", EventWords.Order(l, "dispute_refunded_in_part", "2500 USD"));
        Assert.Equal("Damaged", EventWords.Order(l, "dispute_opened", "damaged"));
        Assert.Equal("7 days: travelling", EventWords.Order(l, "extension_requested", "7 days: travelling"));
        Assert.Null(EventWords.Order(l, "timer_discarded", "protection_ends: order moved on"));
        Assert.Equal("Damaged: Partial refund 40.00 USD", EventWords.Dispute(l, "opened", "damaged: partial_refund 4000", "USD"));
        Assert.Equal("Partial refund 40.00 USD: the screen is cracked", EventWords.Dispute(l, "decided", "partial_refund 4000: the screen is cracked", "USD"));
        Assert.Equal("Full refund", EventWords.Dispute(l, "offer_accepted", "full_refund", "USD"));
        In("ka-GE");
        Assert.Equal("7 დღე: travelling", EventWords.Order(l, "extension_requested", "7 days: travelling"));
        Assert.DoesNotContain("partial_refund", EventWords.Dispute(l, "offer_made", "partial_refund 4000", "USD"), StringComparison.Ordinal);
        Assert.Contains("40,00 USD", EventWords.Dispute(l, "offer_made", "partial_refund 4000", "USD"), StringComparison.Ordinal);
    }
}
