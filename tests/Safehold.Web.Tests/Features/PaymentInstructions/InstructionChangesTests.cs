using Safehold.Web.Features.PaymentInstructions;

namespace Safehold.Web.Tests.Features.PaymentInstructions;

/// <summary>
/// A provider's report that a refund or payout failed may name the instruction by the provider's own reference: the
/// database finds it through an index, not by reading every instruction inside the report's write transaction.
/// </summary>
public sealed class InstructionChangesTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task An_instruction_is_found_by_the_providers_reference_through_its_index()
    {
        var plan = await QueryPlans.Of(app, db => InstructionChanges.WithProviderReference(db, "re_123").Select(i => i.Id));

        Assert.Contains("IX_PaymentInstructions_ProviderReference", plan);
    }
}
