using Safehold.Domain.Disputes;
using Safehold.Domain.Orders;
using Safehold.Domain.Policy;
using Safehold.Domain.Process;
using Safehold.Web.Tests.Features.Portal;

namespace Safehold.Web.Tests.Features.Policy;

/// <summary>The admin's policy page shows the settings in force and the process tables, the same the generated document has.</summary>
public sealed class PolicyPageTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task The_policy_page_shows_every_row_of_the_order_and_dispute_tables_and_every_timer()
    {
        var portal = await PortalClient.As(app, await app.NewUser("admin"));
        var html = await portal.Page("/admin/policy");

        var tables = PolicyDocument.Tables(new ProtectionPolicy()).Where(t => t.Title != PolicyDocument.SettingsTitle).ToList();
        // After the settings, one HTML row per row of each process table, and a header row per table.
        var process = html[html.IndexOf("How the process runs", StringComparison.Ordinal)..];
        Assert.Equal(tables.Sum(t => t.Rows.Count + 1), System.Text.RegularExpressions.Regex.Count(process, "<tr>"));
        var text = PortalClient.Text(html);
        foreach (var trigger in OrderProcess.Table.Select(t => ProcessNames.Of(t.Trigger)).Concat(DisputeProcess.Table.Select(t => ProcessNames.Of(t.Trigger))))
            Assert.Contains(trigger, text, StringComparison.Ordinal);
        foreach (var timer in OrderProcess.Timers.Select(t => ProcessNames.Of(t.Kind)).Concat(DisputeProcess.Timers.Select(t => ProcessNames.Of(t.Kind))))
            Assert.Contains(timer, text, StringComparison.Ordinal);
        Assert.Contains("<code>protectionEndsAt</code>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_policy_page_in_Georgian_names_its_tables_in_Georgian()
    {
        var portal = await PortalClient.As(app, await app.NewUser("admin"), language: "ka-GE");
        var text = PortalClient.Text(await portal.Page("/admin/policy"));

        Assert.Contains("როგორ მიმდინარეობს პროცესი", text, StringComparison.Ordinal);
        Assert.Contains("დავის ტაიმერები", text, StringComparison.Ordinal);
        Assert.DoesNotContain("The dispute's timers", text, StringComparison.Ordinal);
    }
}
