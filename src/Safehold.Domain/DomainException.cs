namespace Safehold.Domain;

/// <summary>How a refusal should be read: what the caller did wrong, in one word.</summary>
public enum RefusalKind
{
    /// <summary>The input is malformed or out of range.</summary>
    Invalid,

    /// <summary>The caller may never do this, whatever the state.</summary>
    NotAllowed,

    /// <summary>The thing asked for does not exist or is not the caller's.</summary>
    NotFound,

    /// <summary>The object is not in a state that allows this now.</summary>
    WrongState,

    /// <summary>A business rule refused an otherwise well-formed request.</summary>
    RuleRefused,

    /// <summary>The payment provider refused the card.</summary>
    PaymentRefused,

    /// <summary>Another request holds this for a moment (a payment being taken): the same request may succeed when sent again.</summary>
    InProgress,
}

/// <summary>
/// A refusal with a stable machine-readable <see cref="Code"/> (for example <c>invalid_state</c>).
/// Thrown before anything is changed, so the caller's transaction can simply be rolled back.
/// </summary>
public sealed class DomainException(RefusalKind kind, string code, string message) : Exception(message)
{
    public RefusalKind Kind { get; } = kind;

    public string Code { get; } = code;

    public static DomainException InvalidState(string message) => new(RefusalKind.WrongState, "invalid_state", message);
}
