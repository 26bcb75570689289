using System.Runtime.InteropServices;

namespace Safehold.Web.Operations;

/// <summary>
/// How many arenas glibc's malloc may keep for the host's native allocations, limited once at the start of the process.
/// </summary>
/// <remarks>
/// glibc gives each thread that allocates an arena of its own, up to eight a core, and keeps what each arena once held:
/// the native allocations of every thread that ran a request (SQLite's page caches and statements, the JIT's
/// compilations, Npgsql and OpenSSL) spread over many arenas, each holding its high-water mark: about 70 MB of the host's
/// 310 MB under the load benchmark. The runtime's own threads allocate before the host's first statement and keep their
/// arenas, so this limit alone took about 12 MB off the peak, and glibc's variable set in the service's environment
/// about 21 MB, at no cost in CPU (docs/benchmarks.md, 2026-12-06 07:54; docs/operations.md). The limit is glibc's own
/// <c>MALLOC_ARENA_MAX</c>: an operator who sets that variable keeps their value, and where the C library is not glibc
/// (musl, macOS, Windows) nothing is set.
/// </remarks>
public static class MallocArenas
{
    /// <summary>The arenas threads share once the limit is set: the main one and one more.</summary>
    public const int Limit = 2;

    /// <summary>The name of glibc's own setting, read when the process starts.</summary>
    public const string Variable = "MALLOC_ARENA_MAX";

    private const int ArenaMax = -8; // M_ARENA_MAX in glibc's malloc.h

    /// <summary>What <see cref="Configure"/> found and did.</summary>
    public enum Outcome
    {
        /// <summary>The limit is set: threads that allocate from now on share the arenas there are, up to <see cref="Limit"/>.</summary>
        Limited,

        /// <summary><see cref="Variable"/> was set when the process started; glibc applied it and it is kept.</summary>
        SetByEnvironment,

        /// <summary>The C library is not glibc, or refused the setting: its allocator is left as it is.</summary>
        NotAvailable,
    }

    private static readonly Lazy<Outcome> Configured = new(Apply, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Sets the limit, once a process: at the start of the host, before its threads allocate, since threads that already
    /// have an arena keep it. Later calls answer what the first did.
    /// </summary>
    public static Outcome Configure() => Configured.Value;

    private static Outcome Apply()
    {
        if (!OperatingSystem.IsLinux()) return Outcome.NotAvailable;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable))) return Outcome.SetByEnvironment;
        try
        {
            return Glibc.Mallopt(ArenaMax, Limit) == 1 ? Outcome.Limited : Outcome.NotAvailable;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return Outcome.NotAvailable;
        }
    }

    private static class Glibc
    {
        [DllImport("libc.so.6", EntryPoint = "mallopt", ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int Mallopt(int param, int value);
    }
}
