using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Safehold.Web.Features.Sandbox;

namespace Safehold.Browser.Tests;

/// <summary>
/// Safehold on a real Kestrel port (a browser needs one), in sandbox mode with the demo data, over a SQLite file of its
/// own, with a fake clock under the sandbox clock so that every date a page shows is known.
/// </summary>
public sealed class PortalApp : WebApplicationFactory<Program>
{
    /// <summary>The clock's start: a protection period of 40 days from here ends on 3 January 2027.</summary>
    public static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    public FakeTimeProvider Clock { get; } = new(Start);

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "safehold-tests", "browser-" + Guid.NewGuid().ToString("N"));

    public PortalApp()
    {
        System.IO.Directory.CreateDirectory(Directory);
        UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
    }

    /// <summary>Where the browser goes: the address Kestrel chose.</summary>
    public Uri BaseAddress
    {
        get
        {
            StartServer();
            var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Safehold:Sandbox", "true");
        builder.UseSetting("Safehold:Demo", "true");
        builder.UseSetting("Safehold:Database:Provider", "sqlite");
        builder.UseSetting("ConnectionStrings:Safehold", $"Data Source={Path.Combine(Directory, "safehold.db")}");
        builder.UseSetting("Safehold:SandboxProviderStore", Path.Combine(Directory, "sandbox-provider.db"));
        builder.UseSetting("Safehold:Sweeper:Enabled", "false"); // time moves only when a test moves it
        // Every test signs in from this one address, often as the same demo user: budgets no test reaches (the limiter still runs).
        builder.UseSetting("Safehold:RateLimits:PerAddressPerMinute", "100000000");
        builder.UseSetting("Safehold:RateLimits:PerCallerPerMinute", "100000000");
        builder.UseSetting("Safehold:RateLimits:SignInsPerAddressPerMinute", "1000000");
        builder.UseSetting("Safehold:RateLimits:SignInsPerEmailPerMinute", "1000000");
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAllKeyed<TimeProvider>(SandboxClock.RealClockKey);
            services.AddKeyedSingleton<TimeProvider>(SandboxClock.RealClockKey, Clock);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
