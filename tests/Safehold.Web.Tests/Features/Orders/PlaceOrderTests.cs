using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Safehold.Domain.Orders;
using Safehold.Web.Api;
using Safehold.Web.Features.Orders;
using Safehold.Web.Features.Users;
using Safehold.Web.Tests.Http;

namespace Safehold.Web.Tests.Features.Orders;

/// <summary>A buyer's order placed ahead of the write lock (<see cref="PlaceOrder"/>, an endpoint marked <see cref="PreparedAhead"/>).</summary>
public sealed class PlaceOrderTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    [Fact]
    public async Task An_order_placed_is_staged_without_being_tracked_and_written_whole()
    {
        var seller = await app.NewUser("seller");
        var buyer = await app.NewUser("buyer");
        var (first, second) = (await app.NewProduct(seller, amount: 1_500), await app.NewProduct(seller, amount: 2_500));
        using var prepared = DeferredRequest<PlaceOrder>.In(app);
        var address = JsonSerializer.SerializeToElement(new { fullName = "Test Buyer", line1 = "1 Test Street", city = "Tbilisi", country = "GE" });
        var request = new PlaceOrder.Request([new(first, 2), new(second, 1)], address, ExternalId: $"ext-{Guid.NewGuid():N}");

        var answer = await prepared.UseCase.RunAsync(new Caller(buyer.Id, UserRole.Buyer), request, CancellationToken.None);

        Assert.NotNull(prepared.Session.Staged); // staged, no transaction begun
        Assert.False(prepared.InTransaction);
        Assert.Empty(prepared.Db.ChangeTracker.Entries<Order>());
        Assert.Empty(prepared.Db.ChangeTracker.Entries<OrderLine>());
        Assert.True(await prepared.Session.WriteStagedAsync(prepared.Session.Staged!)); // on SQLite by the group commit

        var (scope, db) = app.OpenDb();
        using (scope)
        {
            var stored = await db.Orders.AsNoTracking().AsSplitQuery().SingleAsync(o => o.Id == answer.Id);
            Assert.Equal(request.ExternalId, stored.ExternalId);
            Assert.Equal(5_500, stored.Total.Amount);
            Assert.Equal([(first, 2), (second, 1)], stored.Lines.OrderBy(l => l.LineNumber).Select(l => (l.ProductId, l.Quantity)));
            Assert.Equal(answer.Timeline.Select(e => e.Event), stored.Timeline.OrderBy(e => e.Sequence).Select(e => e.Kind));
            Assert.NotEmpty(stored.Timers); // the payment deadline
        }
        Assert.Equal("awaiting_payment", (await Api.GetOrder(buyer, answer.Id)).Status());
        await app.AssertLedgerOk();
    }
}
