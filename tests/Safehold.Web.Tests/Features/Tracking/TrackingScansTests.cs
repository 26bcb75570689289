using Safehold.Web.Data;
using Safehold.Web.Features.Tracking;

namespace Safehold.Web.Tests.Features.Tracking;

/// <summary>
/// Which shipments a carrier's scan is of. A carrier reports every parcel's scans, and each one looks its shipments up: the
/// database must find them through an index of the normalised tracking number, not by reading every order and dispute.
/// (The query plan is what is checked, on the database the suite runs on: a plan, not a timing.)
/// </summary>
public sealed class TrackingScansTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static readonly DateTimeOffset Until = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_scan_finds_its_orders_through_the_index_of_the_upper_cased_tracking_number()
    {
        var plan = await QueryPlans.Of(app, db => TrackingScans.OrdersShippedAs(db, "DHL", "TRK123", Until).Select(o => new { o.Id, o.BuyerId, o.SellerId }));

        Assert.Contains("IX_Orders_TrackingNumber_Upper", plan);
    }

    [Fact]
    public async Task A_scan_finds_the_returns_it_is_of_through_the_index_of_the_upper_cased_return_tracking_number()
    {
        var plan = await QueryPlans.Of(app, db => TrackingScans.ReturnsSentAs(db, "DHL", "TRK123", Until).Select(d => new { d.Id, d.OrderId, d.BuyerId, d.SellerId }));

        Assert.Contains("IX_Disputes_ReturnTrackingNumber_Upper", plan);
    }
}
