using System.Diagnostics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Safehold.Web.Operations;

/// <summary>
/// Traces: ASP.NET Core's requests, EF Core's and Npgsql's commands, outgoing HTTP (webhooks) and Safehold's own spans
/// (<see cref="Source"/>: a sweep batch, a webhook delivery), exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// is set (the exporter reads the other standard <c>OTEL_*</c> variables itself). Without an endpoint nothing is
/// registered, so a host that exports nothing pays nothing.
/// </summary>
public static class Telemetry
{
    public const string SourceName = "Safehold";

    /// <summary>Safehold's own spans.</summary>
    public static readonly ActivitySource Source = new(SourceName);

    public static bool Exporting(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    public static void AddSafeholdTelemetry(this WebApplicationBuilder builder)
    {
        if (!Exporting(builder.Configuration)) return;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "safehold"))
            .WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !Machine(http.Request.Path))
                .AddHttpClientInstrumentation()
                .AddEntityFrameworkCoreInstrumentation()
                .AddSource("Npgsql")
                .AddSource(SourceName)
                .AddOtlpExporter());
    }

    /// <summary>The orchestrator's and the scraper's paths: answered, but not traced.</summary>
    public static bool Machine(PathString path) => path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics");
}
