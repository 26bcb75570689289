using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Safehold.Domain.Disputes;
using Safehold.Domain.Policy;
using Safehold.Web.Features.Portal;

namespace Safehold.Web.Features.Policy;

/// <summary>The protection policy the app runs with (configuration, checked at start), every rule of it.</summary>
[Authorize(Roles = nameof(Users.UserRole.Admin))]
public sealed class PolicyModel(IOptions<ProtectionPolicy> policy) : PortalPage
{
    public ProtectionPolicy Policy => policy.Value;

    /// <summary>Each public property of the policy, by name, as the culture writes its value.</summary>
    public IEnumerable<(string Name, string Value)> Rows =>
        typeof(ProtectionPolicy).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .SelectMany(p => p.GetValue(policy.Value) is DisputeTerms terms
                ? typeof(DisputeTerms).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(t => t.CanWrite)
                    .Select(t => ($"{p.Name}:{t.Name}", Show(t.Name, t.GetValue(terms))))
                : [(p.Name, Show(p.Name, p.GetValue(policy.Value)))]);

    /// <summary>The process tables themselves, as the generated policy document has them (its settings table is <see cref="Rows"/>, in words).</summary>
    public IEnumerable<PolicyDocument.Table> ProcessTables => PolicyDocument.Tables(policy.Value).Where(t => t.Title != PolicyDocument.SettingsTitle);

    /// <summary>A cell's text split at its back-quotes: the odd pieces are names the API writes, shown as code.</summary>
    public static IEnumerable<(string Text, bool Code)> Pieces(string cell) => cell.Split('`').Select((text, i) => (text, i % 2 == 1));

    private string Show(string name, object? value) => value switch
    {
        null => "—",
        TimeSpan t => Words.Span(L, t),
        int bp when name.EndsWith("BasisPoints", StringComparison.Ordinal) => (bp / 100m).ToString("0.##", System.Globalization.CultureInfo.CurrentCulture) + " %",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.CurrentCulture),
        System.Collections.IDictionary d => d.Count == 0 ? "—" : string.Join(", ", d.Keys.Cast<object>().Select(k => $"{k}: {(d[k] is int v ? (v / 100m).ToString("0.##", System.Globalization.CultureInfo.CurrentCulture) + " %" : d[k])}")),
        _ => value.ToString() ?? "",
    };
}
