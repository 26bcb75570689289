using SQLitePCL;

namespace Safehold.Web.Data;

/// <summary>
/// SQLite's settings for the whole process, made once before its first connection opens (SQLite refuses them after).
/// </summary>
/// <remarks>
/// Both remove a mutex every SQLite call took, and neither changes what is written or when it is durable:
/// <list type="bullet">
/// <item><b>Multi-thread mode</b> instead of serialized: no mutex around each call on a connection. Multi-thread mode
/// asks that a connection and its statements be used by one thread at a time, which is how this app uses them: an EF
/// Core context (one per request or job, never shared while in use), the connection pool, the group commit's writer
/// (its own connection and statements, behind the write lock), the prepared reads' connections (one read at a time,
/// <see cref="PreparedReads"/>), the sandbox provider's connections (one per call).</item>
/// <item><b>No memory statistics</b>: SQLite then takes no process-wide mutex on every allocation and free to count
/// them, which every request's connection contended for. Nothing here reads the statistics or sets a heap limit.</item>
/// </list>
/// Together they took about a fifth of the host's CPU a request off the load benchmark (docs/benchmarks.md,
/// 2026-12-06 04:38), where each alone moved it within the noise.
/// </remarks>
public static class SqliteRuntime
{
    private static readonly Lazy<bool> Configured = new(TryApply, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Makes the settings, once a process. False when SQLite had started before (a test or a tool that opened a
    /// connection first): it then runs with its defaults, slower and as correct.
    /// </summary>
    public static bool Configure() => Configured.Value;

    /// <summary>Makes the settings now; false when SQLite refuses them because it has started.</summary>
    internal static bool TryApply()
    {
        Batteries_V2.Init();
        var threading = raw.sqlite3_config(raw.SQLITE_CONFIG_MULTITHREAD);
        var statistics = raw.sqlite3_config(raw.SQLITE_CONFIG_MEMSTATUS, 0);
        return threading == raw.SQLITE_OK && statistics == raw.SQLITE_OK;
    }
}
