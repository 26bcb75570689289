using System.Text.Json;
using Safehold.Bench;

namespace Safehold.Web.Tests.Operations;

/// <summary><c>Safehold:LogFormat=json</c>: one JSON object a line on the console, for a log shipper to read.</summary>
public sealed class LogFormatTests : IDisposable
{
    private readonly string _directory = SafeholdApp.NewDirectory();
    private readonly LineWriter _lines = new();
    private readonly HostProcess _host;

    public LogFormatTests()
    {
        _host = new HostProcess("json-logs", [$"--ConnectionStrings:Safehold=Data Source={Path.Combine(_directory, "safehold.db")}", "--Safehold:LogFormat=json"],
            log: _lines, environment: new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" });
    }

    public void Dispose()
    {
        _host.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    [Trait("Database", "SQLite")]
    public async Task With_the_JSON_setting_every_console_line_is_a_JSON_object()
    {
        await _host.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!_lines.All.Any(l => l.Contains("Safehold is listening", StringComparison.Ordinal)) && DateTime.UtcNow < deadline) await Task.Delay(100);

        var lines = _lines.All.Select(l => l["[json-logs] ".Length..]).Where(l => l.Length > 0).ToList();
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var entry = JsonDocument.Parse(line); // throws for a plain line
            Assert.True(entry.RootElement.TryGetProperty("LogLevel", out _), line);
        }
        Assert.Contains(lines, l => JsonDocument.Parse(l).RootElement.GetProperty("Message").GetString()!.StartsWith("Safehold is listening", StringComparison.Ordinal));
    }

    private sealed class LineWriter : TextWriter
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _queue = new();
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
        public IReadOnlyList<string> All => _queue.ToList();
        public override void WriteLine(string? value) => _queue.Enqueue(value ?? "");
    }
}
