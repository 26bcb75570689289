using System.Globalization;
using System.Text;
using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Domain.Process;

namespace Safehold.Domain.Policy;

/// <summary>
/// The whole protection policy as one Markdown document, made from the process tables themselves (states, who may do
/// what, money, timers, dates, notices, provider calls) and the durations of a policy. <c>docs/protection-policy.md</c>
/// is this document for the default policy (<c>dotnet run --project src/Safehold.Web --no-launch-profile -- policy-document</c>); a test
/// fails when the file is stale, so the document cannot drift from the code.
/// </summary>
public static class PolicyDocument
{
    /// <summary>One table of the policy: its title (level 2 or 3), its column heads and its rows; cells may hold <c>`code`</c>.</summary>
    public sealed record Table(string Title, int Level, IReadOnlyList<string> Heads, IReadOnlyList<IReadOnlyList<string>> Rows);

    /// <summary>The title of the last table: every setting in force.</summary>
    public const string SettingsTitle = "The policy in force";

    public static string Markdown(ProtectionPolicy policy)
    {
        var md = new StringBuilder();
        md.AppendLine("# The protection policy");
        md.AppendLine();
        md.AppendLine("Made from the process tables (`OrderProcess`, `OrderMoney`, `DisputeProcess`) and the default policy by");
        md.AppendLine("`dotnet run --project src/Safehold.Web --no-launch-profile -- policy-document > docs/protection-policy.md`; do not edit by hand.");
        md.AppendLine("A test fails when this file no longer matches the code. Durations are the policy's (`Safehold:Policy`),");
        md.AppendLine("copied onto each order when it is placed and onto each dispute when it opens.");
        foreach (var table in Tables(policy))
        {
            md.AppendLine();
            md.AppendLine($"{new string('#', table.Level)} {table.Title}");
            md.AppendLine();
            md.AppendLine(Row([.. table.Heads]));
            md.AppendLine(Row([.. table.Heads.Select(_ => "---")]).Replace(" ", "", StringComparison.Ordinal));
            foreach (var row in table.Rows) md.AppendLine(Row([.. row]));
        }
        return md.ToString();
    }

    /// <summary>
    /// The policy's tables, in the order a reader needs them: the order's transitions, timers, dates and money; the
    /// dispute's transitions and timers (with this policy's durations); then every setting in force. The portal's policy
    /// page shows these same tables.
    /// </summary>
    public static IReadOnlyList<Table> Tables(ProtectionPolicy policy) =>
    [
        new("The order", 2, ["from", "trigger", "who", "part", "to", "money", "starts timers", "sets dates", "provider", "clock", "guarded"],
            [.. OrderProcess.Table.Select(t => Cells(ProcessNames.Of(t.From), ProcessNames.Of(t.Trigger), Parties(t.Who),
                t.Part == OrderPart.Any ? "" : ProcessNames.Of(t.Part), ProcessNames.Of(t.To), ProcessNames.Of(t.Money),
                List(t.Starts.Select(ProcessNames.Of)), t.Sets == OrderDate.None ? "" : Flags(t.Sets), ProcessNames.Of(t.Calls),
                t.Clock == OrderClock.Runs ? "" : ProcessNames.Of(t.Clock), t.Guard is null ? "" : "yes"))]),
        new("The order's timers", 3, ["timer", "lives in", "fires", "falls due", "deadline", "reminds"],
            [.. OrderProcess.Timers.Select(r => Cells(ProcessNames.Of(r.Kind), ProcessNames.Of(r.LivesIn), r.Fires is { } f ? ProcessNames.Of(f) : "(a reminder)", r.Due,
                r.Deadline is { } d ? $"`{d}`" : "", r.Remind == Party.None ? "" : Parties(r.Remind)))]),
        new("The order's dates", 3, ["date", "sets"], [.. OrderProcess.Dates.Select(d => Cells(ProcessNames.Of(d.Date), d.Sets))]),
        new("The order's money", 3, ["movement", "journal entry", "provider"],
            [.. OrderMoney.Movements.Where(m => m.Movement != MoneyMovement.None).Select(m => Cells(ProcessNames.Of(m.Movement), m.Describe, ProcessNames.Of(m.Calls)))]),
        new("The dispute", 2, ["from", "trigger", "who", "path", "to", "starts timers", "then the order", "tells", "guarded"],
            [.. DisputeProcess.Table.Select(t => Cells(t.From is { } from ? ProcessNames.Of(from) : "(none)", ProcessNames.Of(t.Trigger), Parties(t.Who), ProcessNames.Of(t.When),
                ProcessNames.Of(t.To), List(t.Starts.Select(ProcessNames.Of)), ProcessNames.Of(t.Settles),
                t.Notice.Tell == DisputeParty.None ? "" : $"{Parties(t.Notice.Tell)}: `{t.Notice.Kind}`", t.Guard is null ? "" : "yes"))]),
        new("The dispute's timers", 3, ["timer", "lives in", "fires", "falls due", "with this policy", "deadline", "reminds"],
            [.. DisputeProcess.Timers.Select(r => Cells(ProcessNames.Of(r.Kind), List(r.LivesIn.Select(ProcessNames.Of)), r.Fires is { } f ? ProcessNames.Of(f) : "(a reminder)", r.Due,
                Days(r.After(policy.Disputes)), r.Deadline is { } d ? $"`{d}`" : "", r.Remind == DisputeParty.None ? "" : Parties(r.Remind)))]),
        new(SettingsTitle, 2, ["setting", "value"], [.. Settings(policy).Select(s => Cells($"`{s.Name}`", s.Value))]),
    ];

    private static IReadOnlyList<string> Cells(params string[] cells) => cells;

    /// <summary>Every setting of the policy by its configuration name (<c>Disputes:AppealDays</c>), with its value in words.</summary>
    public static IEnumerable<(string Name, string Value)> Settings(ProtectionPolicy p)
    {
        var inv = CultureInfo.InvariantCulture;
        yield return ("PayWithinHours", p.PayWithin.TotalHours.ToString(inv));
        yield return ("DefaultHandlingDays", $"{p.DefaultHandlingDays}");
        yield return ("DefaultProtectionDays", $"{p.DefaultProtectionDays}");
        yield return ("AutoCompleteDaysAfterDelivery", $"{p.AutoCompleteDaysAfterDelivery}");
        yield return ("PostCompletionDisputeDays", $"{p.PostCompletionDisputeDays}");
        yield return ("MaxExtensions", $"{p.MaxExtensions}");
        yield return ("MaxExtensionDays", $"{p.MaxExtensionDays}");
        yield return ("ExtensionResponseDays", $"{p.ExtensionResponseDays}");
        yield return ("BuyerReminderDaysBeforeProtectionEnds", $"{p.BuyerReminderDaysBeforeProtectionEnds}");
        yield return ("SellerReminderDaysBeforeShipBy", $"{p.SellerReminderDaysBeforeShipBy}");
        yield return ("CommissionBasisPoints", $"{p.CommissionBasisPoints}");
        yield return ("ChargebackLiability", p.ChargebackLiability switch
        {
            ChargebackLiability.Seller => "`Seller`: the seller bears a lost chargeback on money released to them",
            ChargebackLiability.Platform => "`Platform`: the platform bears a lost chargeback on money released to the seller",
            _ => "`SellerUnlessArbiterDecided`: the seller bears a lost chargeback on money released to them, the platform when its own arbiter had decided the order for the seller",
        });
        foreach (var (category, bps) in p.CategoryCommissionBasisPoints.OrderBy(c => c.Key, StringComparer.Ordinal))
            yield return ($"CategoryCommissionBasisPoints:{category}", $"{bps}");
        var d = p.Disputes;
        yield return ("Disputes:SellerResponseDays", $"{d.SellerResponseDays}");
        yield return ("Disputes:SellerReminderDays", $"{d.SellerReminderDays}");
        yield return ("Disputes:BuyerResponseDays", $"{d.BuyerResponseDays}");
        yield return ("Disputes:NoAgreementDays", $"{d.NoAgreementDays}");
        yield return ("Disputes:ReturnShipDays", $"{d.ReturnShipDays}");
        yield return ("Disputes:ReturnReceiptDays", $"{d.ReturnReceiptDays}");
        yield return ("Disputes:DecisionTargetDays", $"{d.DecisionTargetDays}");
        yield return ("Disputes:AppealDays", $"{d.AppealDays}");
    }

    private static string Row(params string[] cells) => "| " + string.Join(" | ", cells) + " |";

    private static string List(IEnumerable<string> items) => string.Join(", ", items);

    private static string Parties<TParty>(TParty who)
        where TParty : struct, Enum =>
        List(Enum.GetValues<TParty>().Where(p => Convert.ToInt32(p, CultureInfo.InvariantCulture) != 0 && who.HasFlag(p)).Select(ProcessNames.Of));

    private static string Flags<TFlags>(TFlags flags)
        where TFlags : struct, Enum => Parties(flags);

    private static string Days(TimeSpan span) => span.TotalDays == 1 ? "1 day" : $"{span.TotalDays.ToString(CultureInfo.InvariantCulture)} days";
}
