using Safehold.Domain.Orders;

namespace Safehold.Domain.Process;

/// <summary>
/// One step of a process's history (an order's or a dispute's): its place in the sequence, when, who (their part, their
/// user id, and the platform that acted for them), what and with which detail. Written once, never changed.
/// </summary>
/// <typeparam name="TParty">The process's parties.</typeparam>
public abstract class ProcessEvent<TParty>
    where TParty : struct, Enum
{
    protected ProcessEvent()
    {
        Kind = "";
    }

    protected ProcessEvent(int sequence, DateTimeOffset at, TParty actor, Guid? actorUserId, ActingPlatform? via, string kind, string? detail)
    {
        Sequence = sequence;
        At = at;
        Actor = actor;
        ActorUserId = actorUserId;
        PlatformUserId = via?.UserId;
        PlatformKeyId = via?.KeyId;
        Kind = kind;
        Detail = detail;
    }

    public int Sequence { get; private set; }
    public DateTimeOffset At { get; private set; }
    public TParty Actor { get; private set; }
    public Guid? ActorUserId { get; private set; }

    /// <summary>The platform that acted for <see cref="ActorUserId"/>, when one did, and its key.</summary>
    public Guid? PlatformUserId { get; private set; }
    public Guid? PlatformKeyId { get; private set; }
    public string Kind { get; private set; }
    public string? Detail { get; private set; }
}
