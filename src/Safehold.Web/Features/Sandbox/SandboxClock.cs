namespace Safehold.Web.Features.Sandbox;

/// <summary>
/// The app's one clock in sandbox mode: the real (or test) clock plus an offset that only grows.
/// Advancing it through the API lets anyone watch a 40-day protection period run out in seconds.
/// </summary>
public sealed class SandboxClock(TimeProvider inner) : TimeProvider
{
    /// <summary>The DI key of the clock underneath: the system clock, or a test's fake clock.</summary>
    public const string RealClockKey = "real";

    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + Offset;

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);

    /// <summary>Sets the offset (restored from the database at start); it never moves the clock backwards.</summary>
    public void SetOffset(TimeSpan offset)
    {
        if (offset < Offset) throw new ArgumentOutOfRangeException(nameof(offset), "The sandbox clock never moves backwards.");
        Interlocked.Exchange(ref _offsetTicks, offset.Ticks);
    }
}

/// <summary>The sandbox clock's offset, stored so that a restarted sandbox keeps its time. One row.</summary>
public sealed class SandboxClockState
{
    public const int SingletonId = 1;

    private SandboxClockState()
    {
    }

    public SandboxClockState(long offsetTicks)
    {
        Id = SingletonId;
        OffsetTicks = offsetTicks;
    }

    public int Id { get; private set; }
    public long OffsetTicks { get; private set; }

    public void MoveTo(long offsetTicks) => OffsetTicks = offsetTicks;
}
