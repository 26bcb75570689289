namespace Safehold.Web.Tests.Data;

/// <summary>What a piece of code sends to PostgreSQL, as Npgsql traces it (an activity a command or batch: one a round trip).</summary>
internal static class NpgsqlTrace
{
    /// <summary>What <paramref name="run"/> answers (or throws), and the text of each command or batch it sent, in order.</summary>
    public static async Task<(T Result, List<string> Sent)> SentAsync<T>(Func<Task<T>> run)
    {
        var sent = new List<string>();
        using var test = new System.Diagnostics.Activity("test").Start();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { if (a.TraceId == test.TraceId) lock (sent) sent.Add(a.GetTagItem("db.query.text") as string ?? ""); },
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        return (await run(), sent);
    }
}
