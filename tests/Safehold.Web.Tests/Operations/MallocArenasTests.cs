using Safehold.Bench;
using Safehold.Web.Operations;

namespace Safehold.Web.Tests.Operations;

/// <summary>glibc's malloc arenas, limited at the start of the host's process.</summary>
public sealed class MallocArenasTests
{
    [Fact]
    public void On_glibc_the_limit_is_set_unless_the_environment_set_it()
    {
        var expected = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(MallocArenas.Variable))
            ? MallocArenas.Outcome.SetByEnvironment
            : MallocArenas.Outcome.Limited;

        Assert.Equal(expected, MallocArenas.Configure());
    }

    [Fact]
    [Trait("Database", "SQLite")]
    public async Task A_host_under_load_gives_no_thread_an_arena_of_its_own_after_the_limit_where_a_host_told_otherwise_does()
    {
        // The same host twice under the same load: as it starts by default, and with the operator's own MALLOC_ARENA_MAX,
        // which it keeps, set high. The second shows what glibc does without the limit, and that the count below sees it.
        var limited = await ArenasUnderLoadAsync(new Dictionary<string, string>());
        var unlimited = await ArenasUnderLoadAsync(new Dictionary<string, string> { [MallocArenas.Variable] = "64" });

        // glibc's own ceiling is eight arenas a core; a host has more threads than that on a small machine, so without the
        // limit it reaches the ceiling (14 to 15 besides the main one here, on two cores) or comes near it. The runtime's own
        // threads allocate before the host's first statement sets the limit and keep the arenas they took (6 here); no
        // thread started after it takes one more. Half the ceiling (at least 8) tells the two apart on two cores or more.
        var bound = Math.Max(8, 4 * Environment.ProcessorCount);
        Assert.True(unlimited.UnderLoad > bound, $"without the limit: {unlimited.UnderLoad} arenas besides the main one, on {Environment.ProcessorCount} cores");
        Assert.True(limited.UnderLoad <= limited.AtStart, $"with the limit: {limited.AtStart} arenas at the start, {limited.UnderLoad} under load");
        Assert.True(limited.UnderLoad <= bound, $"with the limit: {limited.UnderLoad} arenas besides the main one, on {Environment.ProcessorCount} cores");
    }

    /// <summary>
    /// A host started with this environment: the arenas glibc made for it besides the main one once it answers, and after
    /// 64 concurrent clients have read orders from it for two seconds.
    /// </summary>
    private static async Task<(int AtStart, int UnderLoad)> ArenasUnderLoadAsync(IReadOnlyDictionary<string, string> environment)
    {
        var dir = SafeholdApp.NewDirectory();
        var settings = new Dictionary<string, string>
        {
            ["Safehold:Sandbox"] = "true",
            ["Safehold:Demo"] = "false",
            ["ConnectionStrings:Safehold"] = $"Data Source={Path.Combine(dir, "safehold.db")}",
            ["Safehold:RateLimits:PerAddressPerMinute"] = "100000000",
            ["Safehold:RateLimits:PerCallerPerMinute"] = "100000000",
        };
        using var host = await HostProcess.StartAsync(settings, "arenas-admin-key", environment: environment);
        var atStart = ArenaHeaps(await File.ReadAllLinesAsync($"/proc/{host.ProcessId}/maps"));
        var until = DateTime.UtcNow.AddSeconds(2);
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            while (DateTime.UtcNow < until) (await host.Http.GetAsync("/api/v1/orders")).EnsureSuccessStatusCode();
        }));
        return (atStart, ArenaHeaps(await File.ReadAllLinesAsync($"/proc/{host.ProcessId}/maps")));
    }

    /// <summary>
    /// glibc's arenas but the main one, from a process's memory map: each lives in a heap glibc maps anonymously, 64 MB
    /// and aligned to 64 MB, readable and writable as far as it is used and inaccessible beyond (glibc's arena.c, new_heap).
    /// </summary>
    private static int ArenaHeaps(string[] maps)
    {
        const long heapSize = 64L << 20;
        var regions = maps.Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries)).Select(f =>
        {
            var range = f[0].Split('-');
            return (Start: Convert.ToInt64(range[0], 16), End: Convert.ToInt64(range[1], 16), Access: f[1], Anonymous: f[4] == "0" && f.Length < 6);
        }).ToList();
        var heaps = 0;
        for (var i = 0; i < regions.Count; i++)
        {
            var (start, end, access, anonymous) = regions[i];
            if (start % heapSize != 0 || access != "rw-p" || !anonymous) continue;
            for (var j = i + 1; j < regions.Count && regions[j].Start == end && regions[j].Access == "---p" && regions[j].Anonymous; j++) end = regions[j].End;
            if (end - start == heapSize) heaps++;
        }
        return heaps;
    }
}
