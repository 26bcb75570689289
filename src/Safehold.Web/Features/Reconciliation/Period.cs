using System.Globalization;
using System.Text.RegularExpressions;
using Safehold.Web.Api;

namespace Safehold.Web.Features.Reconciliation;

/// <summary>
/// A half-open period [<see cref="From"/>, <see cref="To"/>) of at most <see cref="MaxDays"/> days, read from a query's
/// <c>from</c> and <c>to</c>: a day (<c>2026-12-01</c>, midnight UTC) or an instant with its offset
/// (<c>2026-12-01T00:00:00+04:00</c>). Without <c>to</c> it ends now; without <c>from</c> it starts <see cref="DefaultDays"/> days earlier.
/// </summary>
public sealed partial record Period(DateTimeOffset From, DateTimeOffset To)
{
    public const int MaxDays = 366;
    public const int DefaultDays = 30;

    /// <summary>The period, or a 400 <c>validation_failed</c> naming the field that is wrong.</summary>
    public static Period Parse(string? from, string? to, DateTimeOffset now)
    {
        var errors = new InputErrors();
        var end = Read(errors, "to", to) ?? now;
        var start = Read(errors, "from", from) ?? end.AddDays(-DefaultDays);
        errors.ThrowIfAny();
        if (start >= end) errors.Add("to", "Must be after from.");
        else if (end - start > TimeSpan.FromDays(MaxDays)) errors.Add("to", $"At most {MaxDays} days after from.");
        errors.ThrowIfAny();
        return new Period(start, end);
    }

    private static DateTimeOffset? Read(InputErrors errors, string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        // A '+' left unescaped in a query string arrives as a space.
        var text = value.Trim().Replace(' ', '+');
        if (Shape().IsMatch(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            return at;
        errors.Add(field, "Not a date (yyyy-mm-dd) or an instant with its offset.");
        return null;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2}))?$")]
    private static partial Regex Shape();
}
