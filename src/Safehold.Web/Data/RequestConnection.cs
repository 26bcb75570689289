using Microsoft.EntityFrameworkCore;

namespace Safehold.Web.Data;

/// <summary>
/// On SQLite, a request's database connection is opened once, when the request starts, and closed when it ends, rather
/// than once for each of its statements: EF Core opens and closes the connection around every query it runs outside a
/// transaction, and each open of a pooled SQLite connection registers EF Core's SQL functions on it again and each close
/// removes them (a request reads the sandbox clock, its caller's key, the order and what goes with it: four to six
/// opens). Measured in docs/benchmarks.md.
/// </summary>
/// <remarks>
/// An open SQLite connection with no transaction holds no lock and no snapshot: each statement still reads the latest
/// commit, and the write lock is still taken only by a write transaction, as before. Not on PostgreSQL, where an open
/// connection is one of the pool's, and a request waiting for the payment provider would hold it for nothing.
/// </remarks>
public static class RequestConnection
{
    public static void UseRequestConnection(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            // Not for the probes: liveness needs no database, and readiness reports an unreachable one instead of failing.
            var db = http.Request.Path.StartsWithSegments("/health") ? null : http.RequestServices.GetRequiredService<SafeholdDb>();
            if (db is null || !db.Database.IsSqlite())
            {
                await next(http);
                return;
            }
            await db.Database.OpenConnectionAsync(http.RequestAborted);
            try
            {
                await next(http);
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        });
}
