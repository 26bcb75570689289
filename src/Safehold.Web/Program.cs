using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain.Policy;
using Safehold.Web;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Demo;
using Safehold.Web.Features;
using Safehold.Web.Features.Disputes;
using Safehold.Web.Features.Events;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Notifications;
using Safehold.Web.Features.PaymentInstructions;
using Safehold.Web.Features.Payouts;
using Safehold.Web.Features.Chargebacks;
using Safehold.Web.Features.Sandbox;
using Safehold.Web.Features.Tracking;
using Safehold.Web.Jobs;
using Safehold.Web.Features.Orders;
using Safehold.Web.Features.Portal;
using Safehold.Web.Features.Products;
using Safehold.Web.Features.Users;
using Safehold.Web.Features.Webhooks;
using Safehold.Web.Operations;
using Safehold.Web.Payments;

// Before the host's threads allocate: they share glibc's malloc arenas rather than keep one each (MallocArenas).
var mallocArenas = MallocArenas.Configure();
var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false); // no "Server: Kestrel" to tell what to attack
var options = builder.Configuration.GetSection(SafeholdOptions.Section).Get<SafeholdOptions>() ?? new SafeholdOptions();
if (args is ["policy-document", ..])
{
    // The protection policy as a document, made from the process tables and the configured policy (docs/protection-policy.md).
    Console.Out.Write(PolicyDocument.Markdown(options.Policy.ToPolicy()));
    return;
}
builder.Services.Configure<SafeholdOptions>(builder.Configuration.GetSection(SafeholdOptions.Section));
var rails = (builder.Configuration.GetSection("Safehold:Payments").Get<PaymentOptions>() ?? new PaymentOptions()).RailsFor(options.Sandbox);
// The demo's orders are paid at the sandbox provider; with external rails there is none.
if (rails == PaymentRails.External) options.Demo = false;
// Operations (docs/operations.md): logs plain or JSON, traces over OTLP when configured, health, metrics.
if (string.Equals(builder.Configuration["Safehold:LogFormat"], "json", StringComparison.OrdinalIgnoreCase))
    builder.Logging.AddJsonConsole(o => { o.UseUtcTimestamp = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ"; });
builder.AddSafeholdTelemetry();
builder.Services.AddSafeholdHealth();
builder.Services.AddSafeholdMetrics(builder.Configuration);
builder.Services.AddSafeholdRateLimits(builder.Configuration);
builder.Services.AddSingleton<IOptions<ProtectionPolicy>>(Options.Create(options.Policy.ToPolicy()));
(builder.Configuration.GetSection("Safehold:Payouts").Get<PayoutOptions>() ?? new PayoutOptions()).Validate();
// One clock for everything. In sandbox mode it is the real clock plus an offset the sandbox API moves forward.
builder.Services.AddKeyedSingleton(SandboxClock.RealClockKey, TimeProvider.System);
if (options.Sandbox)
{
    builder.Services.AddSingleton(sp => new SandboxClock(sp.GetRequiredKeyedService<TimeProvider>(SandboxClock.RealClockKey)));
    builder.Services.AddSingleton<TimeProvider>(sp => sp.GetRequiredService<SandboxClock>());
}
else
{
    builder.Services.AddSingleton(sp => sp.GetRequiredKeyedService<TimeProvider>(SandboxClock.RealClockKey));
}

var connectionString = builder.Configuration.GetConnectionString("Safehold");
switch (options.Database.Provider.ToLowerInvariant())
{
    case "sqlite":
        SqliteRuntime.Configure(); // before any connection opens: SQLite refuses it after (logged below)
        connectionString ??= "Data Source=data/safehold.db";
        var sqlite = new SqliteConnectionStringBuilder(connectionString);
        if (Path.GetDirectoryName(Path.GetFullPath(sqlite.DataSource)) is { } dir) Directory.CreateDirectory(dir);
        if (sqlite.DefaultTimeout < 30) sqlite.DefaultTimeout = 30; // writers queue behind SQLite's one write lock
        var sqliteConnection = sqlite.ToString();
        builder.Services.AddSingleton(sp => new PreparedReads(sqliteConnection, sp.GetRequiredService<Prometheus.CollectorRegistry>())); // closed with the host
        builder.Services.AddDbContextPool<SqliteSafeholdDb>((sp, o) =>
            ExternalRails.Configure(o.UseSqlite(sqliteConnection), rails).UsePreparedReads(sp.GetRequiredService<PreparedReads>()));
        builder.Services.AddScoped<SafeholdDb>(sp => sp.GetRequiredService<SqliteSafeholdDb>());
        options.SandboxProviderStore ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(sqlite.DataSource))!, "sandbox-provider.db");
        options.EvidenceFolder ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(sqlite.DataSource))!, "evidence");
        break;
    case "postgres" or "postgresql":
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException("Safehold:Database:Provider is postgres: set ConnectionStrings:Safehold.");
        builder.Services.AddDbContextPool<PostgresSafeholdDb>(o => ExternalRails.Configure(o.UseNpgsql(PostgresConnections.WithDefaults(connectionString)), rails));
        builder.Services.AddScoped<SafeholdDb>(sp => sp.GetRequiredService<PostgresSafeholdDb>());
        break;
    default:
        throw new InvalidOperationException($"Unknown Safehold:Database:Provider '{options.Database.Provider}': use sqlite or postgres.");
}

options.EvidenceFolder ??= Path.Combine("data", "evidence");

if (options.Sandbox)
{
    // Also with external rails: the sandbox's failures endpoint is mapped in sandbox mode.
    var store = options.SandboxProviderStore ?? Path.Combine("data", "sandbox-provider.db");
    builder.Services.AddSingleton(sp => new SandboxPaymentProvider(store, sp.GetRequiredService<TimeProvider>(),
        TimeSpan.FromMilliseconds(options.SandboxProviderDelayMs)));
}
if (rails == PaymentRails.Sandbox)
{
    builder.Services.AddSingleton<IPaymentProvider>(sp => sp.GetRequiredService<SandboxPaymentProvider>());
}
else
{
    // External rails: the marketplace moves the money, so nothing here may call a provider (and none is there to ask).
    builder.Services.AddSingleton<IPaymentProvider, NoPaymentProvider>();
}

builder.Services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
// The portal's cookie and pages, and the default scheme that keeps API keys to /api and the cookie to the pages.
builder.Services.AddSafeholdPortal();
builder.Services.AddAuthentication()
    .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
builder.Services.AddAuthorization();
builder.Services.AddSafeholdProblems();
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true); // binding failures become problem+json
// Numbers are numbers: "12999" in quotes is refused rather than read as 12999.
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict);
builder.Services.AddSafeholdOpenApi(); // Api/OpenApiConventions.cs: operation ids, the bearer scheme, Idempotency-Key, problem answers
builder.Services.AddSingleton<WriteGate>();
builder.Services.AddSingleton<GroupCommit>();
builder.Services.AddSingleton<ApiKeyMemory>();
builder.Services.AddScoped<WriteTransaction>();
builder.Services.AddScoped<WriteSession>();

// Timed work: the deadline sweeper and the email outbox.
builder.Services.Configure<SweeperOptions>(builder.Configuration.GetSection("Safehold:Sweeper"));
builder.Services.AddOptions<IdempotencyOptions>().Bind(builder.Configuration.GetSection("Safehold:Idempotency"))
    .Validate(o => o.KeepHours is > 0 and <= 24 * 30, "Safehold:Idempotency:KeepHours must be more than 0 and at most 720.").ValidateOnStart();
builder.Services.Configure<SmtpOptions>(builder.Configuration.GetSection("Safehold:Smtp"));
builder.Services.AddScoped<Notifier>();
builder.Services.AddScoped<DueTimers>();
builder.Services.AddOrderUseCases();
builder.Services.AddScoped<Safehold.Web.Features.Checkouts.Checkouts>();
builder.Services.AddScoped<OrderMessages>();
builder.Services.AddScoped<DisputeNotices>();
builder.Services.AddDisputeUseCases();
builder.Services.AddChargebackUseCases();
builder.Services.AddTrackingUseCases();
builder.Services.AddScoped<DisputeEvidenceFeature>();
builder.Services.AddScoped<ProductImages>();
builder.Services.AddScoped<DisputeMessages>();
builder.Services.AddSingleton(new EvidenceStore(options.EvidenceFolder!));
builder.Services.AddScoped<DueDisputeTimers>();
builder.Services.AddSingleton<SweeperDiagnostics>();
builder.Services.AddSingleton<EfBatchWriter>();
builder.Services.AddSingleton<SqlitePreparedWriter>();
builder.Services.AddSingleton<DeadlineSweeper>();
builder.Services.AddSingleton<IdempotencyCleanup>();
builder.Services.AddHostedService<DeadlineSweeperService>();
builder.Services.Configure<PayoutOptions>(builder.Configuration.GetSection("Safehold:Payouts"));
builder.Services.Configure<PaymentOptions>(builder.Configuration.GetSection("Safehold:Payments"));
builder.Services.PostConfigure<PaymentOptions>(o => o.Rails = rails);
builder.Services.AddScoped<ReportResult>();
builder.Services.AddScoped<InstructionChanges>();
builder.Services.AddSingleton<InstructionWorker>();
builder.Services.AddHostedService<InstructionWorkerService>();
builder.Services.AddSingleton<PayoutRunner>();
builder.Services.AddHostedService<PayoutSchedulerService>();
builder.Services.Configure<WebhookOptions>(builder.Configuration.GetSection(WebhookOptions.Section));
// Deliveries connect only to addresses checked at connection time (SSRF; docs/webhooks.md), never through a proxy.
builder.Services.AddHttpClient(WebhookDispatcher.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10))
    .ConfigurePrimaryHttpMessageHandler(services =>
    {
        var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<WebhookOptions>>();
        return new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectCallback = (context, ct) => WebhookAddresses.ConnectAsync(context, options.CurrentValue.AllowPrivateAddresses, ct),
        };
    });
builder.Services.AddSingleton<WebhookDispatcher>();
builder.Services.AddHostedService<WebhookDispatcherService>();
builder.Services.AddSingleton<EmailDispatcher>();
builder.Services.AddHostedService<EmailDispatcherService>();

var app = builder.Build();

app.UseRequestIds();
app.UseExceptionHandler();
// HTTPS answers tell the browser to use nothing but HTTPS for this host from then on.
if (!app.Environment.IsDevelopment()) app.UseHsts();
app.UseSecurityHeaders();
// A bare status is problem+json for the API and the portal's own page (in the reader's language) for a person.
app.UseWhen(http => PortalSetup.IsApi(http.Request), api => api.UseStatusCodePages());
app.UseWhen(http => !PortalSetup.IsApi(http.Request), portal => portal.UseStatusCodePagesWithReExecute("/status/{0}"));
app.UseRouting(); // after the re-execution above, so that a re-executed request finds its page
app.UseSafeholdRequestMetrics();
if (options.Sandbox)
{
    // One sandbox clock for every host on the database: each request reads the stored offset before it reads the time.
    var sandboxClock = app.Services.GetRequiredService<SandboxClock>();
    app.Use(async (http, next) =>
    {
        // Not for the probes: liveness needs no database, and readiness reports an unreachable one instead of failing.
        if (!http.Request.Path.StartsWithSegments("/health"))
            await sandboxClock.RefreshAsync(http.RequestServices.GetRequiredService<SafeholdDb>(), http.RequestAborted);
        await next(http);
    });
}
app.Use((http, next) => WriteTransaction.UseIdempotencyBuffering(http, next));
app.UseAuthentication();
app.UseRateLimiter(); // after authentication: a caller's budget is the caller's
app.UseAuthorization();
app.UseSafeholdPortal();

var api = app.MapGroup("/api/v1")
    .RequireAuthorization()
    .AddEndpointFilter<WriteTransaction>()
    .WithMetadata(new RequestSizeLimitAttribute(1_000_000));
api.MapUsers();
api.MapProducts();
api.MapOrders();
Safehold.Web.Features.Checkouts.Checkouts.MapCheckouts(api);
api.MapDisputes();
api.MapChargebacks(options.Sandbox);
api.MapTracking(options.Sandbox);
api.MapLedger();
api.MapNotifications();
api.MapPayouts();
api.MapEvents();
api.MapWebhooks();
api.MapPaymentInstructions();
if (options.Sandbox) api.MapSandboxFailures();
app.MapPayoutRun();
app.MapDisputeEvidenceUpload();
app.MapProductImageUpload();
if (options.Sandbox) app.MapSandboxClock();
app.MapOpenApi();
app.MapSafeholdHealth();
app.MapSafeholdMetrics();
app.MapRazorPages();

if (options.Database.Provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase) && !SqliteRuntime.Configure())
    app.Logger.LogWarning("SQLite had started before Safehold could configure it: it keeps its serialized mode and memory statistics (as correct, slower)");
app.Logger.LogDebug("glibc's malloc arenas: {Outcome}", mallocArenas);
await Startup.PrepareDatabaseAsync(app.Services, options, app.Logger);

app.Lifetime.ApplicationStarted.Register(() =>
{
    var addresses = string.Join(", ", app.Urls);
    app.Logger.LogInformation("Safehold is listening on {Addresses} ({Mode} mode, {Provider}, {Rails} payment rails)",
        addresses, options.Sandbox ? "sandbox" : "production", options.Database.Provider, rails.ToString().ToLowerInvariant());
    if (options.SeedDemo) DemoSeeder.PrintLogins(addresses);
});

await app.RunAsync();

/// <summary>The host's entry point, public so tests can start it in-process.</summary>
public partial class Program;
