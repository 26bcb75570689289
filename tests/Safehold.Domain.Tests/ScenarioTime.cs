global using Safehold.Domain.Disputes;
global using static Safehold.Domain.Tests.ScenarioTime;
using Safehold.Domain.Orders;

namespace Safehold.Domain.Tests;

/// <summary>The "now" of a test's story: the instant of the last thing that happened to the order or dispute.</summary>
public static class ScenarioTime
{
    public static DateTimeOffset NowOf(Order order) => order.Timeline[^1].At;

    public static DateTimeOffset NowOf(Dispute dispute) => dispute.Timeline[^1].At;
}
