using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Safehold.Bench;

/// <summary>
/// A real Safehold host in its own process (<c>dotnet Safehold.Web.dll</c> from the web project's build output), as a
/// marketplace runs it behind a load balancer: it can be killed without warning (SIGKILL) and started again on the same
/// port. The benchmarks and the tests that need real processes (several hosts, crashes) share it.
/// </summary>
public sealed class HostProcess : IDisposable
{
    private readonly IReadOnlyList<string> _arguments;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string? _logFile;
    private readonly TextWriter? _log;
    private Process? _process;

    /// <param name="name">Its name in logs and messages.</param>
    /// <param name="settings">Its settings, as <c>--Key=Value</c> arguments.</param>
    /// <param name="logFile">Where its output goes (appended across restarts), if anywhere.</param>
    /// <param name="log">Another place its output goes, line by line, if anywhere.</param>
    /// <param name="environment">Extra environment variables (e.g. <c>DOTNET_gcServer=0</c> for an experiment).</param>
    /// <param name="adminKey">The admin API key it is started with, which <see cref="Http"/> then sends.</param>
    public HostProcess(string name, IEnumerable<string> settings, string? logFile = null, TextWriter? log = null,
        IReadOnlyDictionary<string, string>? environment = null, string? adminKey = null)
    {
        Name = name;
        Port = FreePort();
        _logFile = logFile;
        _log = log;
        _environment = environment ?? new Dictionary<string, string>();
        _arguments = [WebDll(), "--urls", Address.ToString().TrimEnd('/'), .. adminKey is null ? [] : new[] { $"--Safehold:AdminApiKey={adminKey}" }, .. settings];
        Http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(10) };
        if (adminKey is not null) Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
    }

    public string Name { get; }
    public int Port { get; }
    public Uri Address => new($"http://127.0.0.1:{Port}/");
    public bool IsRunning => _process is { HasExited: false };
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException($"{Name} is not running.");

    /// <summary>An HTTP client of the host, authenticated as the admin when it was started with an admin key.</summary>
    public HttpClient Http { get; }

    /// <summary>Starts a host with these settings (as <c>--Key=Value</c>) and the admin key, and waits until it answers.</summary>
    public static async Task<HostProcess> StartAsync(IDictionary<string, string> settings, string adminKey, TextWriter? log = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var environmentWithLogging = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) environmentWithLogging[k] = v;
        var host = new HostProcess("host", settings.Select(s => $"--{s.Key}={s.Value}"), log: log, environment: environmentWithLogging, adminKey: adminKey);
        try
        {
            await host.StartAsync();
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>The web project's build output, of the configuration the caller was built in (…/bin/&lt;configuration&gt;/&lt;framework&gt;/).</summary>
    public static string WebDll()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (bin.Name, bin.Parent!.Name);
        var dll = Path.Combine(RepoRoot(), "src", "Safehold.Web", "bin", configuration, framework, "Safehold.Web.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the host first: dotnet build src/Safehold.Web -c {configuration}", dll);
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Safehold.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find Safehold.slnx above " + AppContext.BaseDirectory);
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Starts the process (again, after a kill) and waits until it answers HTTP; it migrates the database first.</summary>
    public async Task StartAsync()
    {
        if (IsRunning) throw new InvalidOperationException($"{Name} is already running.");
        // From the web project's output folder, as it is deployed: its appsettings.json is found there.
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(WebDll())!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in _arguments) info.ArgumentList.Add(a);
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in _environment) info.Environment[k] = v;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {Name}.");
        _process = process;
        var file = _logFile is null ? null : new StreamWriter(_logFile, append: true) { AutoFlush = true };
        file?.WriteLine($"--- {Name} started as process {process.Id}");
        void Write(string? line)
        {
            if (line is null) return;
            if (file is not null) lock (file) file.WriteLine(line);
            _log?.WriteLine($"[{Name}] {line}");
        }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{Name} exited with {process.ExitCode} while starting:\n{Tail()}");
            try
            {
                if ((await probe.GetAsync("/openapi/v1.json")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Name} did not answer within two minutes:\n{Tail()}");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Kills the process (<see cref="Kill"/>) as soon as <paramref name="condition"/> holds, watched every 2 ms on a thread of
    /// its own: a thread pool kept busy by other work (a test suite's other tests) cannot make the kill late. Returns
    /// whether it killed; false when <paramref name="patience"/> ran out first, the process left running.
    /// </summary>
    public Task<bool> KillWhenAsync(Func<bool> condition, TimeSpan patience) => Task.Factory.StartNew(() =>
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > patience) return false;
            Thread.Sleep(2);
        }
        Kill();
        return true;
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Kills the process at once, whatever it is doing (SIGKILL: no graceful shutdown, transactions cut off).</summary>
    public void Kill()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    /// <summary>The last lines of its log file.</summary>
    public string Tail(int lines = 40) =>
        _logFile is not null && File.Exists(_logFile) ? string.Join('\n', File.ReadLines(_logFile).TakeLast(lines)) : "(no log file)";

    /// <summary>
    /// The host's peak resident memory so far, from /proc (Linux): the highest <c>VmHWM</c> of this read and of every sample
    /// <see cref="SampleMemory"/> took. The kernel keeps its high-water mark lazily: it raises the kept mark only when it
    /// unmaps pages, and a read reports the higher of the kept mark and the resident memory of that moment, from counts
    /// it keeps per CPU and sums approximately. So a later read can show a peak below what an earlier read saw resident.
    /// </summary>
    public long PeakMemoryBytes()
    {
        var now = StatusBytes("VmHWM:")[0];
        lock (_sampled) return Math.Max(now, _highestPeak);
    }

    private readonly Lock _sampled = new();
    private Timer? _sampler;
    private (long Anonymous, long Files, long Shared) _highest;
    private long _highestPeak;

    /// <summary>
    /// From now on, reads the host's resident memory every <paramref name="every"/>, apart: its own (the GC's heap, malloc's
    /// arenas, stacks: <c>RssAnon</c>), files mapped into it (<c>RssFile</c>: the runtime's libraries and SQLite's shared WAL
    /// index, pages of the operating system's file cache) and shared memory (<c>RssShmem</c>: the runtime's compiled code and
    /// type data, which it maps twice, writable and executable, so that no page is both). It keeps the highest sample's parts
    /// (<see cref="HighestMemoryBytes"/>): what the memory was made of near its peak, which the peak alone does not say.
    /// </summary>
    public void SampleMemory(TimeSpan every) => _sampler ??= new Timer(_ =>
    {
        if (!IsRunning) return;
        long[] status;
        try
        {
            // The parts and the peak in one read, so that they are of one moment: the peak is then at least the parts' sum.
            status = StatusBytes("RssAnon:", "RssFile:", "RssShmem:", "VmHWM:");
        }
        catch (InvalidOperationException)
        {
            return; // killed meanwhile: no process to read
        }
        var now = (Anonymous: status[0], Files: status[1], Shared: status[2]);
        lock (_sampled)
        {
            if (now.Anonymous + now.Files + now.Shared > _highest.Anonymous + _highest.Files + _highest.Shared) _highest = now;
            _highestPeak = Math.Max(_highestPeak, status[3]);
        }
    }, null, TimeSpan.Zero, every);

    /// <summary>The parts of the highest of the samples <see cref="SampleMemory"/> took so far.</summary>
    public (long Anonymous, long Files, long Shared) HighestMemoryBytes()
    {
        lock (_sampled) return _highest;
    }

    /// <summary>The values of <paramref name="fields"/> in /proc's status of the host, in bytes, read at once; 0 for one not there.</summary>
    private long[] StatusBytes(params string[] fields)
    {
        var values = new long[fields.Length];
        try
        {
            foreach (var line in File.ReadAllLines($"/proc/{ProcessId}/status"))
                for (var i = 0; i < fields.Length; i++)
                    if (line.StartsWith(fields[i], StringComparison.Ordinal))
                        values[i] = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException)
        {
        }
        return values;
    }

    /// <summary>The CPU time (user and system) the host has used so far.</summary>
    public TimeSpan CpuTime()
    {
        _process!.Refresh();
        return _process.TotalProcessorTime;
    }

    public void Dispose()
    {
        _sampler?.Dispose();
        Kill();
        Http.Dispose();
    }
}
