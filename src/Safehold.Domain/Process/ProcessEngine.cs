using System.Runtime.CompilerServices;

namespace Safehold.Domain.Process;

/// <summary>Something a process runs on: it is always in one of its states.</summary>
public interface IProcessSubject<TState>
    where TState : struct, Enum
{
    TState Status { get; }
}

/// <summary>What someone is trying to do to a subject: who (their part in it), and whatever the row's guard needs to see.</summary>
public interface IProcessAct<TParty>
    where TParty : struct, Enum
{
    TParty Party { get; }
}

/// <summary>
/// One row of a process table: in state <see cref="From"/> (null: before the subject exists), <see cref="Who"/> may
/// <see cref="Trigger"/>, if the row <see cref="Takes"/> the act and its guard lets it. What the row then does (the next
/// state, money, timers, dates, notices, the provider call) is the row's own business: the engine only chooses it.
/// </summary>
public interface IProcessRow<TState, TTrigger, TParty, TSubject, TAct>
    where TState : struct, Enum
    where TTrigger : struct, Enum
    where TParty : struct, Enum
    where TSubject : class, IProcessSubject<TState>
    where TAct : IProcessAct<TParty>
{
    TTrigger Trigger { get; }
    TState? From { get; }
    TParty Who { get; }

    /// <summary>Whether this row is the one for the act among its trigger's rows (a dispute's rows differ by the outcome an act carries out).</summary>
    bool Takes(TSubject? subject, TAct act);

    /// <summary>
    /// The row's guard: null when the transition may go ahead for <paramref name="act"/> at <paramref name="now"/>, or the
    /// refusal. It sees the subject's terms (copied from the policy when the subject started) through the subject. An act
    /// that does not yet say something the guard checks (the reason of a dispute, the days of an extension) passes that
    /// check: this is how <c>actions</c> asks "could this caller do it now?".
    /// </summary>
    DomainException? Refusal(TSubject subject, TAct act, DateTimeOffset now);
}

/// <summary>
/// The machinery shared by the order's and the dispute's processes: given a table of rows, it authorizes a trigger (who
/// may, from which state, under which guard), lists the <c>actions</c> a caller may take now, and names states and
/// triggers as the API spells them. Both authorization and <c>actions</c> run the same guards with the same
/// <c>now</c>, so <c>actions</c> never offers what the same request would refuse.
/// </summary>
/// <param name="noun">What the process runs on, for messages ("order", "dispute").</param>
/// <param name="table">The rows, in the order they are tried.</param>
/// <param name="describe">How a party is named in a refusal ("buyer", "arbiter").</param>
/// <param name="system">The party of the system's own transitions: never offered to a person as an action.</param>
public sealed class ProcessEngine<TRow, TState, TTrigger, TParty, TSubject, TAct>(
    string noun, IReadOnlyList<TRow> table, Func<TParty, string> describe, TParty system)
    where TRow : IProcessRow<TState, TTrigger, TParty, TSubject, TAct>
    where TState : struct, Enum
    where TTrigger : struct, Enum
    where TParty : struct, Enum
    where TSubject : class, IProcessSubject<TState>
    where TAct : IProcessAct<TParty>
{
    private readonly Dictionary<TTrigger, TRow[]> _byTrigger = table.GroupBy(r => r.Trigger).ToDictionary(g => g.Key, g => g.ToArray());

    /// <summary>The rows, in table order.</summary>
    public IReadOnlyList<TRow> Table { get; } = table;

    /// <summary>
    /// The row <paramref name="act"/> takes by <paramref name="trigger"/> on <paramref name="subject"/> (null: it does not exist
    /// yet) at <paramref name="now"/>, or the refusal: <c>action_not_allowed</c> for a party that never may,
    /// <c>invalid_state</c> for the wrong state, or the refusal of the row's guard.
    /// </summary>
    public TRow Authorize(TSubject? subject, TTrigger trigger, TAct act, DateTimeOffset now)
    {
        var who = act.Party;
        var rows = _byTrigger.GetValueOrDefault(trigger) ?? [];
        var anyFor = false;
        foreach (var r in rows) anyFor |= Overlaps(r.Who, who);
        if (!anyFor)
            throw new DomainException(RefusalKind.NotAllowed, "action_not_allowed",
                $"The {describe(who)} of {Article(noun)} cannot {Words(trigger)}.");
        TState? state = subject is null ? null : subject.Status;
        var inState = false;
        DomainException? refusal = null;
        foreach (var r in rows)
        {
            if (!Overlaps(r.Who, who) || !Nullable.Equals(r.From, state)) continue;
            inState = true;
            if (!r.Takes(subject, act)) continue;
            refusal = subject is null ? null : r.Refusal(subject, act, now);
            if (refusal is null) return r;
        }
        if (!inState)
            throw DomainException.InvalidState(subject is null
                ? $"Cannot {Words(trigger)} {Article(noun)} that does not exist."
                : $"Cannot {Words(trigger)} {Article(noun)} that is {Name(subject.Status)}.");
        throw refusal ?? DomainException.InvalidState($"Cannot {Words(trigger)} this {noun} now.");
    }

    /// <summary>Whether <see cref="Authorize"/> would let <paramref name="act"/> trigger <paramref name="trigger"/> now.</summary>
    public bool Allows(TSubject subject, TTrigger trigger, TAct act, DateTimeOffset now)
    {
        foreach (var r in _byTrigger.GetValueOrDefault(trigger) ?? [])
        {
            if (Overlaps(r.Who, act.Party) && Nullable.Equals(r.From, subject.Status) && r.Takes(subject, act) && r.Refusal(subject, act, now) is null)
                return true;
        }
        return false;
    }

    /// <summary>What <paramref name="act"/>'s party may do to the subject now, as API action names, in table order.</summary>
    public IReadOnlyList<string> ActionsFor(TSubject subject, TAct act, DateTimeOffset now)
    {
        var actions = new List<string>();
        foreach (var r in Table)
        {
            if (!Overlaps(r.Who, act.Party) || Overlaps(r.Who, system) || !Nullable.Equals(r.From, subject.Status)) continue;
            var name = Name(r.Trigger);
            if (!actions.Contains(name) && r.Takes(subject, act) && r.Refusal(subject, act, now) is null) actions.Add(name);
        }
        return actions;
    }

    /// <summary>Whether two sets of parties share one: a row's <c>Who</c> and the party acting.</summary>
    public static bool Overlaps(TParty rowWho, TParty who) => (AsInt(rowWho) & AsInt(who)) != 0;

    /// <summary>The snake-case API name of a state, trigger, reason or outcome, e.g. <c>confirm_receipt</c>.</summary>
    public static string Name<TEnum>(TEnum value)
        where TEnum : struct, Enum => ProcessNames.Of(value);

    private static string Words(TTrigger trigger) => Name(trigger).Replace('_', ' ');

    private static string Article(string word) => (word.Length > 0 && "aeiou".Contains(word[0]) ? "an " : "a ") + word;

    private static int AsInt(TParty party) => Unsafe.SizeOf<TParty>() == sizeof(int)
        ? Unsafe.As<TParty, int>(ref party)
        : throw new InvalidOperationException($"{typeof(TParty).Name} must be an int-sized flags enum.");
}

/// <summary>The API's names of a process's states, triggers, reasons and outcomes: the enum member in snake case, parsed back exactly.</summary>
public static class ProcessNames
{
    /// <summary>The snake-case API name, e.g. <c>awaiting_delivery</c>; computed once per member.</summary>
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum => Cache<TEnum>.Names.TryGetValue(value, out var name) ? name : SnakeCase.Of(value.ToString());

    /// <summary>Every API name of an enum, in declaration order.</summary>
    public static IReadOnlyList<string> All<TEnum>()
        where TEnum : struct, Enum => Cache<TEnum>.Ordered;

    /// <summary>Parses an API name back, exactly (case-sensitive): <c>not_received</c> is <see cref="Disputes.DisputeReason.NotReceived"/>.</summary>
    public static bool TryParse<TEnum>(string? value, out TEnum parsed)
        where TEnum : struct, Enum
    {
        if (value is not null && Cache<TEnum>.Values.TryGetValue(value, out parsed)) return true;
        parsed = default;
        return false;
    }

    private static class Cache<TEnum>
        where TEnum : struct, Enum
    {
        public static readonly Dictionary<TEnum, string> Names = Enum.GetValues<TEnum>().Distinct().ToDictionary(v => v, v => SnakeCase.Of(v.ToString()));
        public static readonly Dictionary<string, TEnum> Values = Names.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
        public static readonly IReadOnlyList<string> Ordered = Enum.GetValues<TEnum>().Select(v => Names[v]).Distinct().ToList();
    }
}

/// <summary>PascalCase → snake_case, for the API's names of states and actions.</summary>
public static class SnakeCase
{
    public static string Of(string pascal)
    {
        var sb = new System.Text.StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c))
            {
                if (i > 0) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
