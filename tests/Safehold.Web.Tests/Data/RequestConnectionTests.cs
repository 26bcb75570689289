using System.Collections.Concurrent;
using System.Data;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Safehold.Web.Data;

namespace Safehold.Web.Tests.Data;

/// <summary>
/// <see cref="RequestConnection"/>: on SQLite a request opens its database connection once, however many statements it
/// runs outside a transaction.
/// </summary>
public sealed class RequestConnectionTests : IDisposable
{
    private readonly ConcurrentQueue<Seen> _seen = new();
    private readonly SafeholdApp _app;

    public RequestConnectionTests() => _app = new SafeholdApp
    {
        TestServices = services => services.AddTransient<IStartupFilter>(_ => new CountOpens(_seen)),
    };

    public void Dispose() => _app.Dispose();

    [Fact]
    [Trait("Database", "SQLite")]
    public async Task A_request_on_SQLite_opens_its_database_connection_once_for_all_its_statements_and_closes_it_when_it_ends()
    {
        var (buyer, seller, id) = await _app.OrderIn("completed");
        _seen.Clear();

        // My orders (the sandbox clock, the caller's key, the page's ids, its orders, their shipments' scans), More
        // details, and a change; each of them ran four or more statements with no transaction open.
        await Api.ExpectStatus(await buyer.Http.GetAsync("/api/v1/orders?limit=20"), HttpStatusCode.OK);
        await Api.ExpectStatus(await buyer.Http.GetAsync($"/api/v1/orders/{id}"), HttpStatusCode.OK);
        await Api.ExpectStatus(await seller.Http.GetAsync($"/api/v1/orders/{id}"), HttpStatusCode.OK);
        var (otherBuyer, _, other) = await _app.OrderIn("awaiting_payment");
        await Api.ExpectStatus(await SafeholdApp.Pay(otherBuyer, other), HttpStatusCode.OK);

        var seen = _seen.ToList();
        Assert.Contains(seen, s => s.Request == "GET /api/v1/orders");
        Assert.Contains(seen, s => s.Request == $"POST /api/v1/orders/{other}/pay");
        Assert.All(seen, s => Assert.True(s.Opens == 1, $"{s.Request} opened the connection {s.Opens} times"));
        Assert.All(seen, s => Assert.Equal(ConnectionState.Closed, s.After)); // and closed it when it ended
    }

    private sealed record Seen(string Request, int Opens, ConnectionState After);

    /// <summary>Counts, around the whole pipeline, how often each request's database connection opens.</summary>
    private sealed class CountOpens(ConcurrentQueue<Seen> seen) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (http, inner) =>
            {
                var connection = http.RequestServices.GetRequiredService<SafeholdDb>().Database.GetDbConnection();
                var opens = 0;
                void Count(object? _, StateChangeEventArgs e)
                {
                    if (e.CurrentState == ConnectionState.Open) Interlocked.Increment(ref opens);
                }
                connection.StateChange += Count;
                try
                {
                    await inner(http);
                }
                finally
                {
                    connection.StateChange -= Count;
                    seen.Enqueue(new Seen($"{http.Request.Method} {http.Request.Path}", opens, connection.State));
                }
            });
            next(app);
        };
    }
}
