using System.Text;
using System.Text.Json;
using Safehold.Domain;

namespace Safehold.Web.Api;

/// <summary>Money as JSON: <c>{"amount": 12999, "currency": "USD"}</c>, the amount in minor units.</summary>
public sealed record MoneyDto(long Amount, string Currency)
{
    public static MoneyDto From(Money m) => new(m.Amount, m.Currency.Code);
}

/// <summary>Collects every problem with a request's fields, then refuses it once with all of them.</summary>
public sealed class InputErrors
{
    private readonly Dictionary<string, List<string>> _errors = [];

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
    }

    /// <summary>Checks a text field: present when required, trimmed, within <paramref name="max"/> characters, no control characters.</summary>
    public string? Text(string field, string? value, int max, bool required = true)
    {
        var v = value?.Trim();
        if (string.IsNullOrEmpty(v))
        {
            if (required) Add(field, "Required.");
            return null;
        }
        if (v.Length > max) Add(field, $"At most {max} characters.");
        else if (v.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t')) Add(field, "Contains control characters.");
        return v;
    }

    /// <summary>
    /// Checks a JSON string as <see cref="Text(string, string?, int, bool)"/> does. A string escaping half a surrogate pair
    /// (<c>"\ud800"</c>) is not text: System.Text.Json refuses to read it with an exception, which is the client's fault.
    /// </summary>
    public string? Text(string field, JsonElement value, int max, bool required = true)
    {
        if (!TryRead(field, () => value.GetString(), out var text)) return null;
        return Text(field, text, max, required);
    }

    /// <summary>Reads a JSON string (a value or a property's name), recording the field's problem when it is not valid Unicode.</summary>
    public bool TryRead(string field, Func<string?> read, out string? text)
    {
        try
        {
            text = read();
            return true;
        }
        catch (InvalidOperationException)
        {
            Add(field, "Not valid Unicode text (half of a surrogate pair).");
            text = null;
            return false;
        }
    }

    public int? Range(string field, int? value, int min, int max, bool required)
    {
        if (value is null)
        {
            if (required) Add(field, "Required.");
            return null;
        }
        if (value < min || value > max) Add(field, $"Must be from {min} to {max}.");
        return value;
    }

    /// <summary>Checks money: a known ISO 4217 currency and an amount of at least <paramref name="min"/> minor units.</summary>
    public Money? Money(string field, MoneyDto? value, long min = 1)
    {
        if (value is null)
        {
            Add(field, "Required.");
            return null;
        }
        if (!Currency.TryParse(value.Currency, out var currency))
        {
            Add($"{field}.currency", "Not an ISO 4217 currency code.");
            return null;
        }
        if (value.Amount < min)
        {
            Add($"{field}.amount", $"Must be at least {min} (minor units of {currency.Code}).");
            return null;
        }
        if (value.Amount > 1_000_000_000_000L)
        {
            Add($"{field}.amount", "Too large.");
            return null;
        }
        return new Money(value.Amount, currency);
    }

    public void ThrowIfAny()
    {
        if (_errors.Count > 0) throw new InvalidInputException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }
}

/// <summary>
/// The limits of a request's fields, declared once, on the request's record, with DataAnnotations (<c>[StringLength]</c>,
/// <c>[Range]</c>): <see cref="InputErrors"/> checks by them, and the OpenAPI document states them from the same attributes
/// (<c>maxLength</c>, <c>minimum</c>, <c>maximum</c>). The attributes are not run as validators: the checks stay
/// <see cref="InputErrors"/>', which collect every field's problem in one answer.
/// </summary>
public static class Limits
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(Type, string), Attribute> Found = new();

    /// <summary>The most characters <typeparamref name="T"/>'s <paramref name="property"/> may have (its <c>[StringLength]</c>).</summary>
    public static int Length<T>(string property) => Of<T, System.ComponentModel.DataAnnotations.StringLengthAttribute>(property).MaximumLength;

    /// <summary>The fewest characters <typeparamref name="T"/>'s <paramref name="property"/> may have (its <c>[StringLength]</c>'s minimum).</summary>
    public static int MinLength<T>(string property) => Of<T, System.ComponentModel.DataAnnotations.StringLengthAttribute>(property).MinimumLength;

    /// <summary>The least <typeparamref name="T"/>'s <paramref name="property"/> may be (its <c>[Range]</c>).</summary>
    public static int Min<T>(string property) => (int)Of<T, System.ComponentModel.DataAnnotations.RangeAttribute>(property).Minimum;

    /// <summary>The most <typeparamref name="T"/>'s <paramref name="property"/> may be (its <c>[Range]</c>).</summary>
    public static int Max<T>(string property) => (int)Of<T, System.ComponentModel.DataAnnotations.RangeAttribute>(property).Maximum;

    private static TAttribute Of<T, TAttribute>(string property)
        where TAttribute : Attribute =>
        (TAttribute)Found.GetOrAdd((typeof(T), property + "/" + typeof(TAttribute).Name), _ =>
            typeof(T).GetProperty(property)?.GetCustomAttributes(typeof(TAttribute), true).OfType<TAttribute>().FirstOrDefault()
            ?? throw new InvalidOperationException($"{typeof(T).Name}.{property} declares no {typeof(TAttribute).Name}."));
}

/// <summary>Opaque keyset cursors for lists: the position after the last item returned.</summary>
public static class Cursor
{
    public static string Encode(DateTimeOffset at, Guid id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{at.UtcTicks}:{id:N}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static (DateTimeOffset At, Guid Id)? Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor)) return null;
        try
        {
            var b64 = cursor.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(b64)).Split(':');
            if (parts.Length == 2 && long.TryParse(parts[0], out var ticks) && Guid.TryParseExact(parts[1], "N", out var id)
                && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks)
                return (new DateTimeOffset(ticks, TimeSpan.Zero), id);
        }
        catch (FormatException)
        {
        }
        throw new InvalidInputException(new Dictionary<string, string[]> { ["cursor"] = ["Not a cursor this API gave out."] });
    }

    /// <summary>A portal page's cursor from its link: a mangled one starts the list from the beginning instead of failing the page.</summary>
    public static string? FromLink(string? cursor)
    {
        try
        {
            Decode(cursor);
            return cursor;
        }
        catch (InvalidInputException)
        {
            return null;
        }
    }

    public static int Limit(int? limit)
    {
        if (limit is null) return 20;
        if (limit is < 1 or > 100)
            throw new InvalidInputException(new Dictionary<string, string[]> { ["limit"] = ["Must be from 1 to 100."] });
        return limit.Value;
    }
}
