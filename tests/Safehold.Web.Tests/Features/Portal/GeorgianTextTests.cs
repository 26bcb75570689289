using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Tests.Features.Portal;

/// <summary>
/// The Georgian strings as a Georgian reader's pass left them: one term for each concept, no English calques, no case ending
/// glued onto a name or an amount with a hyphen, every placeholder kept, and deadlines that read whole when they pass.
/// </summary>
public sealed class GeorgianTextTests : IDisposable
{
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

    public void Dispose()
    {
        CultureInfo.CurrentCulture = _culture;
        CultureInfo.CurrentUICulture = _uiCulture;
    }

    private static void InGeorgian() => CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo("ka-GE");

    /// <summary>Each deadline's name as it reads once passed: "{name} ამოიწურა 14 მარტს" is a whole sentence only when the name is a ვადა.</summary>
    [Theory]
    [InlineData("appealBy", "გასაჩივრების ვადა ამოიწურა 14 მარტს")]
    [InlineData("autoCompleteAt", "ავტომატური დასრულების ვადა ამოიწურა 14 მარტს")]
    [InlineData("availableAt", "დავის გახსნის ვადა ამოიწურა 14 მარტს")]
    [InlineData("buyerResponseBy", "მყიდველის პასუხის ვადა ამოიწურა 14 მარტს")]
    [InlineData("decisionDueAt", "არბიტრის გადაწყვეტილების ვადა ამოიწურა 14 მარტს")]
    [InlineData("escalatesAt", "შეთანხმების ვადა ამოიწურა 14 მარტს")]
    [InlineData("extensionDecisionBy", "გახანგრძლივებაზე პასუხის ვადა ამოიწურა 14 მარტს")]
    [InlineData("payBy", "გადახდის ვადა ამოიწურა 14 მარტს")]
    [InlineData("protectionEndsAt", "დაცვის ვადა ამოიწურა 14 მარტს")]
    [InlineData("respondBy", "ბარათის ქსელის ვადა ამოიწურა 14 მარტს")]
    [InlineData("returnReceiptBy", "დაბრუნების დადასტურების ვადა ამოიწურა 14 მარტს")]
    [InlineData("returnShipBy", "ნივთის დაბრუნების ვადა ამოიწურა 14 მარტს")]
    [InlineData("sellerResponseBy", "გამყიდველის პასუხის ვადა ამოიწურა 14 მარტს")]
    [InlineData("shipBy", "გაგზავნის ვადა ამოიწურა 14 მარტს")]
    public void A_passed_deadline_reads_as_its_time_running_out(string deadline, string expected)
    {
        using var app = new SafeholdApp();
        var l = app.Services.GetRequiredService<IStringLocalizer<PortalText>>();
        InGeorgian();
        var now = new DateTimeOffset(2027, 3, 20, 9, 0, 0, TimeSpan.Zero);
        Assert.Equal(expected, Words.Deadline(l, deadline, new DateTimeOffset(2027, 3, 14, 9, 0, 0, TimeSpan.Zero), now));
    }

    /// <summary>A dispute's outcomes are all of one kind (what happens to the money), each with the portal's one word for a refund.</summary>
    [Theory]
    [InlineData("full_refund", "თანხის სრული დაბრუნება")]
    [InlineData("partial_refund 4000", "თანხის ნაწილობრივი დაბრუნება 40,00 USD")]
    [InlineData("return_and_refund", "ნივთის უკან გაგზავნა და თანხის დაბრუნება")]
    [InlineData("released_to_seller", "თანხის გადაცემა გამყიდველისთვის")]
    public void A_disputes_outcome_is_named_with_one_term_for_a_refund(string detail, string expected)
    {
        using var app = new SafeholdApp();
        var l = app.Services.GetRequiredService<IStringLocalizer<PortalText>>();
        InGeorgian();
        Assert.Equal(expected, EventWords.Outcome(l, detail, "USD"));
    }

    /// <summary>Words a Georgian reader flagged, and what the portal says instead.</summary>
    [Theory]
    [InlineData("გაწვევა", "a dispute is withdrawn: დავის გაუქმება")]
    [InlineData("დღე-ში", "a count is declined on its noun: 59 დღეში")]
    [InlineData("შეკვეთა განთავსდა", "an order is placed (გაფორმდა); a product is listed (განთავსდა)")]
    [InlineData("ანაზღაურება", "a refund is თანხის დაბრუნება throughout")]
    [InlineData("გატანის", "a payout is გადარიცხვა, not a withdrawal")]
    [InlineData("საათობრივ", "a time zone is სასაათო სარტყელი")]
    [InlineData("შინაარსი", "a file's content is its შიგთავსი")]
    [InlineData("ვადა დაიხურ", "a time window runs out (ამოიწურა), it is not shut")]
    [InlineData("მაგიდა", "the arbiter's desk is დავების განხილვა, not a table")]
    [InlineData("შეჩერებულ", "money held is დაკავებული")]
    [InlineData("ჩანაწერი თანხას", "a journal entry is a გატარება")]
    [InlineData("მიიღეთ მყიდველის მოთხოვნა", "a request is agreed to (დაეთანხმეთ), not received")]
    [InlineData("პლატფორმისთვის მიმართვა", "one appeals to the platform: პლატფორმისადმი მიმართვა")]
    [InlineData("გადაწყვეტილების ჩაწერა", "an arbiter makes a decision: გადაწყვეტილების მიღება")]
    [InlineData("გადამზიდავ", "the carrier is the კურიერი, as in the notices")]
    public void No_Georgian_string_uses_a_word_the_readers_pass_replaced(string word, string instead)
    {
        var flagged = Georgian().Where(s => s.Value.Contains(word, StringComparison.Ordinal)).Select(s => s.Key).ToList();
        Assert.True(flagged.Count == 0, $"\"{word}\" ({instead}) in: " + string.Join(" | ", flagged));
    }

    /// <summary>
    /// Georgian writes a case ending onto a numeral with a hyphen ("5-დან 10-მდე"), never onto a name, an e-mail or an amount
    /// with its currency ("ნინო-ის", "129,99 USD-დან"): those templates are worded around the placeholder instead.
    /// </summary>
    [Fact]
    public void A_case_ending_is_glued_on_with_a_hyphen_only_to_a_number()
    {
        string[] numbers = ["From {0} to {1} characters.", "From {0} to {1}; the clock never moves backwards.", "Must be from {0} to {1}.", "Must be from {1} to {2}.", "The first {0} of {1} are listed."];
        var glued = Georgian().Where(s => Regex.IsMatch(s.Value, @"\}-\p{IsGeorgian}") && !numbers.Contains(s.Key)).Select(s => s.Key + " = " + s.Value).ToList();
        Assert.True(glued.Count == 0, "Endings glued onto a placeholder: " + string.Join(" | ", glued));
    }

    [Fact]
    public void Every_Georgian_string_keeps_the_placeholders_of_its_English_one()
    {
        var english = Strings("PortalText.resx");
        static string Placeholders(string s) => string.Join(",", Regex.Matches(s, @"\{(\d+)(?::\w+)?\}").Select(m => m.Groups[1].Value).Distinct().Order());
        var differ = Georgian().Where(s => Placeholders(s.Value) != Placeholders(english[s.Key])).Select(s => s.Key).ToList();
        Assert.True(differ.Count == 0, "Placeholders differ: " + string.Join(" | ", differ));
    }

    private static Dictionary<string, string> Georgian() => Strings("PortalText.ka.resx");

    private static Dictionary<string, string> Strings(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "Safehold.slnx"))) dir = dir.Parent;
        var path = Path.Combine(dir.FullName, "src", "Safehold.Web", "Features", "Portal", file);
        return XDocument.Load(path).Root!.Elements("data").ToDictionary(d => d.Attribute("name")!.Value, d => d.Element("value")!.Value);
    }
}
