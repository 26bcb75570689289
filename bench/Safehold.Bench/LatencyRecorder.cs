namespace Safehold.Bench;

/// <summary>
/// Latencies and errors of one load client, by endpoint. Each client records into its own recorder (no locks
/// on the hot path); the recorders are merged once the run is over.
/// </summary>
public sealed class LatencyRecorder
{
    private readonly Dictionary<string, List<double>> _latencies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _errors = new(StringComparer.Ordinal);

    private volatile bool _recording;

    /// <summary>Whether calls are recorded now (off during the warm-up).</summary>
    public bool Recording
    {
        get => _recording;
        set => _recording = value;
    }

    public void Record(string endpoint, double milliseconds)
    {
        if (!Recording) return;
        if (!_latencies.TryGetValue(endpoint, out var list)) _latencies[endpoint] = list = new List<double>(4096);
        list.Add(milliseconds);
    }

    /// <summary>An error, by HTTP status and problem <c>code</c> (e.g. <c>409 invalid_state</c>) or by exception type.</summary>
    public void Error(string endpoint, string kind)
    {
        if (!Recording) return;
        var key = $"{endpoint}: {kind}";
        _errors[key] = _errors.GetValueOrDefault(key) + 1;
    }

    public static LatencyRecorder Merge(IEnumerable<LatencyRecorder> recorders)
    {
        var all = new LatencyRecorder();
        foreach (var r in recorders)
        {
            foreach (var (endpoint, list) in r._latencies)
            {
                if (!all._latencies.TryGetValue(endpoint, out var into)) all._latencies[endpoint] = into = [];
                into.AddRange(list);
            }
            foreach (var (key, n) in r._errors) all._errors[key] = all._errors.GetValueOrDefault(key) + n;
        }
        return all;
    }

    public IReadOnlyDictionary<string, int> Errors => _errors;

    /// <summary>Count and percentiles of each endpoint (nearest-rank), in milliseconds.</summary>
    public IReadOnlyList<EndpointStats> Stats()
    {
        var stats = new List<EndpointStats>();
        foreach (var (endpoint, list) in _latencies)
        {
            var sorted = list.ToArray();
            Array.Sort(sorted);
            stats.Add(new EndpointStats(endpoint, sorted.Length, Percentile(sorted, 50), Percentile(sorted, 95), Percentile(sorted, 99),
                sorted.Length == 0 ? 0 : sorted[^1], sorted.Length == 0 ? 0 : sorted.Average()));
        }
        return stats;
    }

    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) return 0;
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>One endpoint's calls in the measured window; latencies in milliseconds.</summary>
public sealed record EndpointStats(string Endpoint, int Count, double P50, double P95, double P99, double Max, double Mean)
{
    public bool IsWrite => Endpoint.StartsWith("POST ", StringComparison.Ordinal);
}
