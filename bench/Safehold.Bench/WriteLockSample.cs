using System.Globalization;

namespace Safehold.Bench;

/// <summary>
/// The host's own histograms of its write lock (<c>safehold_write_lock_held_seconds</c>, <c>..._wait_seconds</c> on
/// <c>/metrics</c>), read at the start and the end of a window: how many write transactions there were, how long each
/// held the lock (mean, and percentiles to the histogram's bucket), how long SQLite's writers queued for it, and how many
/// requests' writes each group commit wrote (<c>safehold_group_commit_writes</c>, SQLite only).
/// </summary>
public sealed record WriteLockSample(LockHistogram Held, LockHistogram Waited, LockHistogram Grouped)
{
    public static async Task<WriteLockSample?> TakeAsync(HttpClient adminHttp)
    {
        try
        {
            var text = await adminHttp.GetStringAsync("/metrics");
            return new WriteLockSample(LockHistogram.Parse(text, "safehold_write_lock_held_seconds"), LockHistogram.Parse(text, "safehold_write_lock_wait_seconds"),
                LockHistogram.Parse(text, "safehold_group_commit_writes"));
        }
        catch (HttpRequestException)
        {
            return null; // a host without the histograms (an older build, in an A/B run): reported as not measured
        }
    }

    public WriteLockSample Since(WriteLockSample before) => new(Held.Since(before.Held), Waited.Since(before.Waited), Grouped.Since(before.Grouped));

    /// <summary>One line for the report: transactions a second, the time each held the lock, and the lock's busy share.</summary>
    public string Describe(double seconds) => Held.Count == 0 ? "no write transactions" :
        $"{Held.Count / seconds:N0} transactions/s, held mean {Held.Mean * 1000:F2} ms, p50 ≤ {Held.Quantile(0.5) * 1000:F2} ms, "
        + $"p99 ≤ {Held.Quantile(0.99) * 1000:F2} ms; held {Held.Sum / seconds:P0} of the time; "
        + $"queued for it: mean {Waited.Mean * 1000:F2} ms, p99 ≤ {Waited.Quantile(0.99) * 1000:F2} ms"
        + (Grouped.Count == 0 ? "" : $"; {Grouped.Count / seconds:N0} group commits/s of {Grouped.Mean:F1} writes on average (p50 ≤ {Grouped.Quantile(0.5):N0}, p99 ≤ {Grouped.Quantile(0.99):N0})");
}

/// <summary>A Prometheus histogram's cumulative buckets (upper bound → count), sum and count.</summary>
public sealed record LockHistogram(IReadOnlyList<(double UpperBound, double Count)> Buckets, double Sum, double Count)
{
    public double Mean => Count == 0 ? 0 : Sum / Count;

    /// <summary>The upper bound of the bucket the <paramref name="q"/> quantile falls in.</summary>
    public double Quantile(double q)
    {
        if (Count == 0) return 0;
        foreach (var (bound, count) in Buckets)
            if (count >= q * Count) return bound;
        return double.PositiveInfinity;
    }

    public LockHistogram Since(LockHistogram before) => new(
        Buckets.Select(b => (b.UpperBound, b.Count - before.Buckets.FirstOrDefault(x => x.UpperBound == b.UpperBound).Count)).ToList(),
        Sum - before.Sum, Count - before.Count);

    public static LockHistogram Parse(string text, string name)
    {
        var buckets = new List<(double, double)>();
        double sum = 0, count = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name + "_bucket{le=\"", StringComparison.Ordinal))
            {
                var bound = line[(name.Length + 12)..line.IndexOf('"', name.Length + 12)];
                buckets.Add((bound == "+Inf" ? double.PositiveInfinity : double.Parse(bound, CultureInfo.InvariantCulture), Value(line)));
            }
            else if (line.StartsWith(name + "_sum ", StringComparison.Ordinal)) sum = Value(line);
            else if (line.StartsWith(name + "_count ", StringComparison.Ordinal)) count = Value(line);
        }
        return new LockHistogram(buckets, sum, count);
    }

    private static double Value(string line) => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
}
