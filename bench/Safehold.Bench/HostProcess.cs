using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Safehold.Bench;

/// <summary>A real Safehold host in its own process (the built Safehold.Web.dll), as a marketplace would run it.</summary>
public sealed class HostProcess : IDisposable
{
    private readonly Process _process;

    private HostProcess(Process process, Uri address, string adminKey)
    {
        _process = process;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(10) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
    }

    public Uri Address { get; }

    /// <summary>An HTTP client authenticated as the configured admin.</summary>
    public HttpClient Http { get; }

    public int ProcessId => _process.Id;

    /// <summary>The Web project's build output for this configuration; builds it when missing.</summary>
    public static string WebDll()
    {
        var root = RepoRoot();
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(root, "src", "Safehold.Web", "bin", configuration, "net10.0", "Safehold.Web.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"Build the host first: dotnet build src/Safehold.Web -c {configuration}", dll);
        return dll;
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Safehold.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find Safehold.slnx above " + AppContext.BaseDirectory);
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Starts the host with these settings (as <c>--Key=Value</c>) and waits until it answers.</summary>
    /// <param name="environment">Extra environment variables of the host process (e.g. <c>DOTNET_gcServer=0</c> for an experiment).</param>
    public static async Task<HostProcess> StartAsync(IDictionary<string, string> settings, string adminKey, TextWriter? log = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(WebDll());
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(address.ToString().TrimEnd('/'));
        info.ArgumentList.Add($"--Safehold:AdminApiKey={adminKey}");
        foreach (var (k, v) in settings) info.ArgumentList.Add($"--{k}={v}");
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the host.");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log?.WriteLine("[host] " + e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log?.WriteLine("[host] " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new HostProcess(process, address, adminKey);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"The host exited with code {process.ExitCode} before answering.");
            try
            {
                var r = await host.Http.GetAsync("/api/v1/users/me");
                if (r.IsSuccessStatusCode) return host;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The host did not answer within two minutes.");
            await Task.Delay(100);
        }
    }

    /// <summary>Kills the host at once, as a crash would: no shutdown, no flushing.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>The host's peak resident memory so far, from /proc (Linux).</summary>
    public long PeakMemoryBytes()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException)
        {
        }
        return 0;
    }

    /// <summary>The CPU time (user and system) the host has used so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    public void Dispose()
    {
        Kill();
        Http.Dispose();
        _process.Dispose();
    }
}
