using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Safehold.Domain.Process;

namespace Safehold.Web.Api;

/// <summary>
/// The field holds the API name (<see cref="ProcessNames"/>) of a <typeparamref name="TEnum"/> member, or a list of them:
/// the OpenAPI document lists every name as the field's <c>enum</c>, from the same enum and the same naming that writes
/// and parses it, so the document cannot drift from the values.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class ApiEnumAttribute<TEnum>(params string[] also) : Attribute, IApiEnum
    where TEnum : struct, Enum
{
    /// <summary>The enum's names, then <c>also</c>: the values the field holds besides them.</summary>
    public IReadOnlyList<string> Names => [.. ProcessNames.All<TEnum>(), .. also];
}

/// <summary>The field holds one of a closed set of words that the code checks by hand (constants, not an enum).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class ApiValuesAttribute(params string[] names) : Attribute, IApiEnum
{
    public IReadOnlyList<string> Names => names;
}

/// <summary>The field holds one of the words a static list of the code holds (<paramref name="source"/>'s <paramref name="member"/>), the list the code checks by.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class ApiValuesOfAttribute(Type source, string member) : Attribute, IApiEnum
{
    public IReadOnlyList<string> Names =>
        [.. (IEnumerable<string>)(source.GetField(member)?.GetValue(null) ?? source.GetProperty(member)?.GetValue(null)
            ?? throw new InvalidOperationException($"{source.Name}.{member} is no static list of words."))];
}

/// <summary>An <see cref="ApiEnumAttribute{TEnum}"/>, <see cref="ApiValuesAttribute"/> or <see cref="ApiValuesOfAttribute"/>.</summary>
public interface IApiEnum
{
    IReadOnlyList<string> Names { get; }
}

/// <summary>
/// A request field that may be left out (a positional record's parameter that cannot have a default because required
/// ones follow it): the document does not list it as required.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ApiOptionalAttribute : Attribute;

/// <summary>The field or query parameter is the marketplace's <c>externalId</c> (<see cref="ExternalIds"/>): the document gives its limits.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class ApiExternalIdAttribute : Attribute;

/// <summary>The field is the marketplace's <c>metadata</c> (<see cref="ExternalIds"/>): the document gives its limits.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ApiMetadataAttribute : Attribute;

/// <summary>
/// Applies <see cref="ApiEnumAttribute{TEnum}"/>, <see cref="ApiOptionalAttribute"/>, <see cref="ApiExternalIdAttribute"/> and
/// <see cref="ApiMetadataAttribute"/> to the document's schemas and parameters.
/// </summary>
public static class ApiSchema
{
    public static Task Transform(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken _)
    {
        if (context.JsonPropertyInfo?.AttributeProvider is { } property)
        {
            if (property.GetCustomAttributes(true).OfType<IApiEnum>().FirstOrDefault() is { } names) Enumerate(schema, names);
            if (property.IsDefined(typeof(ApiExternalIdAttribute), true)) LimitExternalId(schema);
            if (property.IsDefined(typeof(ApiMetadataAttribute), true)) LimitMetadata(schema);
        }
        if (schema.Properties is not null && schema.Required is { Count: > 0 } required && IsRequest(context.JsonTypeInfo.Type))
        {
            foreach (var p in context.JsonTypeInfo.Properties)
                if (p.AttributeProvider?.IsDefined(typeof(ApiOptionalAttribute), true) == true) required.Remove(p.Name);
            // A request's fields are nullable in C# so that a missing one gets a field error (400 validation_failed)
            // rather than a binding failure; null is no more accepted than absence, so a required field is not nullable.
            foreach (var name in required)
                if (schema.Properties.TryGetValue(name, out var field) && NotNull(field) is { } notNull) schema.Properties[name] = notNull;
        }
        return Task.CompletedTask;
    }

    /// <summary>A request body: a use case's nested <c>Input</c>, or a <c>...Request</c>.</summary>
    private static bool IsRequest(Type type) => type.Name.EndsWith("Input", StringComparison.Ordinal) || type.Name.EndsWith("Request", StringComparison.Ordinal);

    /// <summary>The field's schema without null, or null when it has none to remove.</summary>
    private static IOpenApiSchema? NotNull(IOpenApiSchema field)
    {
        if (field is not OpenApiSchema s) return null;
        if (s.OneOf is { Count: 2 } oneOf && oneOf.FirstOrDefault(o => o is OpenApiSchema { Type: JsonSchemaType.Null }) is { } nullOption)
            return oneOf.Single(o => o != nullOption);
        if (s.Type is { } type && type.HasFlag(JsonSchemaType.Null))
        {
            s.Type = type & ~JsonSchemaType.Null;
            s.Enum?.Remove(null!);
            return s;
        }
        return null;
    }

    public static Task Transform(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken _)
    {
        foreach (var description in context.Description.ParameterDescriptions)
        {
            if (description.ParameterDescriptor is not Microsoft.AspNetCore.Mvc.Infrastructure.IParameterInfoParameterDescriptor { ParameterInfo: { } info }
                || operation.Parameters?.FirstOrDefault(p => p.Name == description.Name) is not OpenApiParameter { Schema: OpenApiSchema schema } parameter)
                continue;
            if (info.GetCustomAttributes(true).OfType<IApiEnum>().FirstOrDefault() is { } names) Enumerate(schema, names);
            if (info.IsDefined(typeof(ApiExternalIdAttribute), true))
            {
                LimitExternalId(schema);
                parameter.Description ??= "Only the one with this externalId (the marketplace's own id), if the caller may see it: a page of zero or one.";
            }
        }
        return Task.CompletedTask;
    }

    private static void LimitExternalId(OpenApiSchema schema)
    {
        schema.MinLength = 1;
        schema.MaxLength = ExternalIds.MaxExternalId;
        schema.Description ??= ExternalIds.ExternalIdSays;
    }

    private static void LimitMetadata(OpenApiSchema schema)
    {
        schema.MaxProperties = ExternalIds.MaxMetadataKeys;
        schema.PropertyNames = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = ExternalIds.MaxMetadataKey };
        schema.AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = ExternalIds.MaxMetadataValue };
        schema.Description ??= ExternalIds.MetadataSays;
    }

    /// <summary>The names as the schema's enum, or as its items' enum for a list.</summary>
    private static void Enumerate(OpenApiSchema schema, IApiEnum names)
    {
        var target = schema.Items as OpenApiSchema ?? schema;
        target.Enum = names.Names.Select(n => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(n)!).ToList();
        if (target.Type is { } type && type.HasFlag(JsonSchemaType.Null))
            target.Enum.Add(null!);
    }
}
