using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Safehold.Web.Tests.Hosting;

/// <summary>
/// Safehold as a real, separate host process (<c>dotnet Safehold.Web.dll</c> from the web project's build output),
/// as it runs behind a load balancer: it can be killed without warning and started again on the same port.
/// </summary>
public sealed class HostProcess : IDisposable
{
    private readonly IReadOnlyList<string> _arguments;
    private readonly string _log;
    private Process? _process;

    public HostProcess(string name, string logDirectory, IEnumerable<string> settings)
    {
        Name = name;
        Port = FreePort();
        _log = Path.Combine(logDirectory, $"{name}.log");
        _arguments = [WebDll, "--urls", BaseAddress.ToString().TrimEnd('/'), .. settings];
    }

    public string Name { get; }
    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The web project's own build output, of the configuration the tests were built in.</summary>
    public static string WebDll
    {
        get
        {
            var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)); // .../bin/<config>/<tfm>
            var (framework, configuration) = (testBin.Name, testBin.Parent!.Name);
            var root = testBin;
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Safehold.slnx"))) root = root.Parent;
            if (root is null) throw new InvalidOperationException($"No Safehold.slnx above {AppContext.BaseDirectory}.");
            var dll = Path.Combine(root.FullName, "src", "Safehold.Web", "bin", configuration, framework, "Safehold.Web.dll");
            return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing: build the solution first.");
        }
    }

    /// <summary>Starts the process and waits until it answers HTTP (it migrates the database first).</summary>
    public async Task StartAsync()
    {
        if (IsRunning) throw new InvalidOperationException($"{Name} is already running.");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(WebDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in _arguments) start.ArgumentList.Add(a);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Name}.");
        _process = process;
        var log = new StreamWriter(_log, append: true) { AutoFlush = true };
        await log.WriteLineAsync($"--- {Name} started as process {process.Id}");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{Name} exited with {process.ExitCode} while starting; see {_log}:\n{Tail()}");
            try
            {
                var response = await http.GetAsync("/openapi/v1.json");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"{Name} did not answer within a minute; see {_log}:\n{Tail()}");
    }

    /// <summary>Kills the process at once, whatever it is doing (SIGKILL: no graceful shutdown, transactions cut off).</summary>
    public void Kill()
    {
        if (_process is null) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public string Tail(int lines = 40) =>
        File.Exists(_log) ? string.Join('\n', File.ReadLines(_log).TakeLast(lines)) : "(no log)";

    public void Dispose() => Kill();

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null) return;
        lock (log) log.WriteLine(line);
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
