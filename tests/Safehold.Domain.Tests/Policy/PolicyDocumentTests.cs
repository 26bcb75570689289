using Safehold.Domain.Policy;

namespace Safehold.Domain.Tests.Policy;

public sealed class PolicyDocumentTests
{
    [Fact]
    public void The_policy_document_in_docs_is_the_one_the_process_tables_make_today()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Safehold.slnx"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var file = Path.Combine(dir.FullName, "docs", "protection-policy.md");

        var expected = PolicyDocument.Markdown(new ProtectionPolicy());

        Assert.True(File.Exists(file) && File.ReadAllText(file) == expected,
            "docs/protection-policy.md is stale: run `dotnet run --project src/Safehold.Web --no-launch-profile -- policy-document > docs/protection-policy.md`.");
    }

    [Fact]
    public void The_document_shows_every_row_and_the_durations_of_the_policy_it_is_made_for()
    {
        var policy = new ProtectionPolicy { Disputes = new DisputeTerms(SellerResponseDays: 9) };

        var md = PolicyDocument.Markdown(policy);

        foreach (var t in Domain.Orders.OrderProcess.Table)
            Assert.Contains($"| {Domain.Process.ProcessNames.Of(t.From)} | {Domain.Process.ProcessNames.Of(t.Trigger)} |", md);
        foreach (var t in DisputeProcess.Table.Where(t => t.From is not null))
            Assert.Contains($"| {Domain.Process.ProcessNames.Of(t.From!.Value)} | {Domain.Process.ProcessNames.Of(t.Trigger)} |", md);
        Assert.Contains("| seller_response | awaiting_seller_response | seller_response_missed | the seller's answer days after opening | 9 days |", md);
        Assert.Contains("| `Disputes:SellerResponseDays` | 9 |", md);
    }
}
