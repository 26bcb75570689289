using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Safehold.Domain;
using Safehold.Web.Data;

namespace Safehold.Web.Api;

/// <summary>
/// The marketplace's own name for a user, a product or an order (<c>externalId</c>, unique per kind) and its free
/// <c>metadata</c> (string pairs, with Stripe's bounds), so that a marketplace keeps no mapping table of its own.
/// Safehold stores and returns both, and finds an object by its <c>externalId</c>; it never reads them otherwise.
/// </summary>
public static class ExternalIds
{
    public const int MaxExternalId = 100;
    public const int MaxMetadataKeys = 50;
    public const int MaxMetadataKey = 40;
    public const int MaxMetadataValue = 500;

    public const string ExternalIdSays = "The marketplace's own id for this object: unique among objects of its kind, 1 to 100 characters, "
        + "without control characters or leading and trailing white space. Set when the object is created.";

    public const string MetadataSays = "The marketplace's own notes: at most 50 keys of 1 to 40 characters, each with a text value of at most "
        + "500 characters. Set when the object is created; Safehold never reads them.";

    /// <summary>Stored as written: any script is kept as characters, not six-character escapes.</summary>
    private static readonly JsonSerializerOptions StoredJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>();

    /// <summary>
    /// Checks an <c>externalId</c>: absent, or 1 to <see cref="MaxExternalId"/> characters without control characters and
    /// without white space at either end. It is an identifier, so it is refused rather than trimmed.
    /// </summary>
    public static string? ExternalId(this InputErrors errors, string? value, string field = "externalId")
    {
        if (value is null) return null;
        if (value.Length is 0 or > MaxExternalId) errors.Add(field, $"From 1 to {MaxExternalId} characters.");
        else if (value.Any(char.IsControl)) errors.Add(field, "Contains control characters.");
        else if (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1])) errors.Add(field, "Starts or ends with white space.");
        else return value;
        return null;
    }

    /// <summary>
    /// Checks <c>metadata</c> and returns it as the JSON text to store (null when there is none): at most
    /// <see cref="MaxMetadataKeys"/> keys of 1 to <see cref="MaxMetadataKey"/> characters, each with a text value of at most
    /// <see cref="MaxMetadataValue"/>. A value that is not text never gets here: the body is refused as malformed.
    /// </summary>
    public static string? Metadata(this InputErrors errors, IReadOnlyDictionary<string, string?>? value)
    {
        if (value is null || value.Count == 0) return null;
        var valid = true;
        if (value.Count > MaxMetadataKeys)
        {
            errors.Add("metadata", $"At most {MaxMetadataKeys} keys.");
            return null;
        }
        foreach (var (key, text) in value)
        {
            if (key.Length is 0 or > MaxMetadataKey || key.Any(char.IsControl))
            {
                errors.Add("metadata", $"Every key is 1 to {MaxMetadataKey} characters without control characters.");
                valid = false;
                continue;
            }
            var field = $"metadata.{key}";
            if (text is null) errors.Add(field, "Must be text.");
            else if (text.Length > MaxMetadataValue) errors.Add(field, $"At most {MaxMetadataValue} characters.");
            else if (text.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t')) errors.Add(field, "Contains control characters.");
            else continue;
            valid = false;
        }
        return valid ? JsonSerializer.Serialize(value, StoredJson) : null;
    }

    /// <summary>The <c>externalId</c> a list is asked for (<c>?externalId=</c>), checked as it is on create; null for the whole list.</summary>
    public static string? Wanted(string? externalId)
    {
        if (externalId is null) return null;
        var errors = new InputErrors();
        var wanted = errors.ExternalId(externalId);
        errors.ThrowIfAny();
        return wanted;
    }

    /// <summary>The stored metadata as the API answers it: an object, empty when there is none.</summary>
    public static IReadOnlyDictionary<string, string> Read(string? stored) =>
        stored is null ? None : JsonSerializer.Deserialize<Dictionary<string, string>>(stored) ?? None;

    /// <summary>
    /// Saves a new object with an <c>externalId</c>: when another of its kind already has it (checked by the unique index,
    /// so two creates racing with one id leave one winner on every host), refuses with 409 <c>external_id_taken</c>.
    /// </summary>
    public static async Task SaveNewAsync(SafeholdDb db, string table, string kind, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (Exception e) when (IsTaken(e, table))
        {
            throw new DomainException(RefusalKind.WrongState, "external_id_taken", $"Another {kind} already has this externalId.");
        }
    }

    /// <summary>The index that keeps a kind's externalIds unique: <c>IX_Orders_ExternalId</c>.</summary>
    public static string IndexOf(string table) => $"IX_{table}_ExternalId";

    private static bool IsTaken(Exception exception, string table) => (exception is DbUpdateException ? exception.InnerException : exception) switch
    {
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation && p.ConstraintName == IndexOf(table),
        // SQLITE_CONSTRAINT_UNIQUE names the table and column it was refused on.
        SqliteException s => s.SqliteExtendedErrorCode == 2067 && s.Message.Contains($"{table}.ExternalId", StringComparison.Ordinal),
        _ => false,
    };
}
