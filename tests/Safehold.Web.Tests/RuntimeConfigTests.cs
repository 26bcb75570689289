using System.Text.Json.Nodes;
using Safehold.Bench;

namespace Safehold.Web.Tests;

/// <summary>The runtime's settings the host is built with (Safehold.Web.csproj), as its runtimeconfig.json carries them.</summary>
public sealed class RuntimeConfigTests
{
    private static JsonObject ConfigProperties()
    {
        var config = Path.ChangeExtension(HostProcess.WebDll(), ".runtimeconfig.json");
        return JsonNode.Parse(File.ReadAllText(config))!["runtimeOptions"]!["configProperties"]!.AsObject();
    }

    [Fact]
    public void The_host_runs_the_workstation_garbage_collector() => Assert.False(ConfigProperties()["System.GC.Server"]!.GetValue<bool>());

    [Fact]
    public void The_host_compiles_hot_methods_without_the_instrumented_tier() =>
        Assert.False(ConfigProperties()["System.Runtime.TieredPGO"]!.GetValue<bool>());
}
