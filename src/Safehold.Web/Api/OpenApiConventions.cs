using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Safehold.Web.Api;

/// <summary>
/// What the served document says about every operation, by convention and in one place, so an endpoint added anywhere
/// gets it without a word of its own: a readable <c>operationId</c> made from its method and path (<c>payOrder</c>,
/// <c>approveProtectionExtension</c>), the bearer scheme where a key is needed, <c>Idempotency-Key</c> on every POST, and
/// its problem answers (schema <c>Problem</c>, with <c>code</c>) as they apply: 400 with input, 401 and 403 with a key,
/// 404 with an id in the path, 409 and 422 for a change, 429 for everyone.
/// </summary>
public static class OpenApiConventions
{
    public const string BearerScheme = "bearer";
    public const string ProblemSchema = "Problem";

    public static void AddSafeholdOpenApi(this IServiceCollection services) => services.AddOpenApi(o =>
    {
        // A use case's nested input (Pay.Input, Decide.Input, ...) is named with its use case: by default every nested
        // record called Input became one schema, and the document gave every such operation the same body.
        o.CreateSchemaReferenceId = type => OpenApiOptions.CreateDefaultSchemaReferenceId(type) is { } id && type.Type.DeclaringType is { } declaring
            && !type.Type.IsGenericType ? declaring.Name + id : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
        o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Safehold API";
            doc.Info.Description = "Buyer protection: escrow, protection periods, disputes. Authenticate with 'Authorization: Bearer <api key>'. "
                + "Errors are RFC 9457 problem+json with a stable 'code'.";
            doc.Components ??= new OpenApiComponents();
            doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            doc.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key: 'Authorization: Bearer sh_...'.",
            };
            doc.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            doc.Components.Schemas[ProblemSchema] = Problem();
            TypeShippingAddresses(doc);
            return Task.CompletedTask;
        });
        o.AddSchemaTransformer(ApiSchema.Transform);
        o.AddOperationTransformer(ApiSchema.Transform);
        o.AddOperationTransformer((operation, context, _) =>
        {
            Describe(operation, context);
            return Task.CompletedTask;
        });
    });

    private static void Describe(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var description = context.Description;
        var method = description.HttpMethod?.ToUpperInvariant() ?? "GET";
        var path = "/" + (description.RelativePath ?? "").TrimStart('/');
        var all = context.ApplicationServices.GetRequiredService<IApiDescriptionGroupCollectionProvider>().ApiDescriptionGroups.Items
            .SelectMany(g => g.Items).Select(d => (Method: d.HttpMethod?.ToUpperInvariant() ?? "GET", Path: "/" + (d.RelativePath ?? "").TrimStart('/'))).ToList();
        operation.OperationId ??= OperationId(method, path, all);

        var metadata = description.ActionDescriptor.EndpointMetadata;
        var needsKey = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        if (needsKey)
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
        }
        if (method == "POST")
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "Idempotency-Key",
                In = ParameterLocation.Header,
                Required = false,
                Description = "Retry safely: the same key with the same request replays the first answer; with another request it is refused (409 idempotency_key_reused). Keys are per caller.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255 },
            });
        }

        var hasInput = description.ParameterDescriptions.Any(p => p.Source.Id is "Body" or "Form" or "FormFile" or "Query");
        var hasId = path.Contains('{', StringComparison.Ordinal);
        var problems = new List<(int Status, string Says)>();
        if (hasInput || method == "POST") problems.Add((400, "The request is malformed or invalid (validation_failed, with the fields' errors, or malformed_request)."));
        if (needsKey)
        {
            problems.Add((401, "No valid API key (unauthorized)."));
            problems.Add((403, "The caller's role may never do this (action_not_allowed, or forbidden for a whole area)."));
        }
        if (hasId) problems.Add((404, "Not found, or not yours (not_found)."));
        if (method == "POST")
        {
            problems.Add((409, "Not in a state that allows this (invalid_state), a concurrent change (concurrent_change), or an Idempotency-Key reused with another request (idempotency_key_reused)."));
            problems.Add((422, "A rule of buyer protection refused it (the code names the rule)."));
        }
        if (method == "POST" && path.EndsWith("/pay", StringComparison.Ordinal))
        {
            // A payment's own answers: an order's, or a checkout's for all its orders.
            problems.Add((402, "The payment provider refused the payment method (card_declined, insufficient_funds): nothing was paid."));
            problems.Add((503, "The payment provider did not answer in time (payment_pending): the payment is being checked; look again in a minute."));
        }
        if (description.ActionDescriptor.EndpointMetadata.OfType<AcceptsFile>().Any())
        {
            problems.Add((413, "The file is larger than the operation allows (file_too_large), or the picture has too many pixels (image_too_large)."));
            problems.Add((415, "The file's content is not of a type accepted here (unsupported_file_type), or not a sound file of its type (file_damaged)."));
        }
        problems.Add((429, "Too many requests (rate_limited): wait the seconds in Retry-After."));
        operation.Responses ??= [];
        foreach (var (status, says) in problems)
        {
            var key = status.ToString(CultureInfo.InvariantCulture);
            if (operation.Responses.ContainsKey(key)) continue;
            var response = new OpenApiResponse
            {
                Description = says,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, context.Document) },
                },
            };
            if (status == 429)
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } },
                };
            }
            operation.Responses[key] = response;
        }
    }

    public const string AddressSchema = "ShippingAddress";

    /// <summary>
    /// <c>shippingAddress</c> is read as raw JSON (one line of text, or an object of address fields: see
    /// <see cref="Features.Orders.PlaceOrder.AddressFieldLimits"/>); the document says exactly that, with the fields and
    /// their limits, instead of an empty object a generated client cannot fill.
    /// </summary>
    private static void TypeShippingAddresses(OpenApiDocument doc)
    {
        var limits = Features.Orders.PlaceOrder.AddressFieldLimits;
        doc.Components!.Schemas![AddressSchema] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "A postal address, field by field.",
            Required = new HashSet<string>(Features.Orders.PlaceOrder.RequiredAddressFields),
            AdditionalPropertiesAllowed = false,
            Properties = limits.ToDictionary(f => f.Key, f => (IOpenApiSchema)new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = f.Value }),
        };
        var replaced = false;
        foreach (var schema in doc.Components.Schemas.Values.OfType<OpenApiSchema>())
        {
            if (schema.Properties is null || !schema.Properties.ContainsKey("shippingAddress")) continue;
            schema.Properties["shippingAddress"] = new OpenApiSchema
            {
                Description = "Where the seller ships: an address field by field, or one line of text.",
                OneOf =
                [
                    // The fields first: generators that cannot make a union of text and an object (NSwag's C#) take the first.
                    new OpenApiSchemaReference(AddressSchema, doc),
                    new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = Features.Orders.PlaceOrder.MaxAddressLine },
                ],
            };
            replaced = true;
        }
        if (replaced && !doc.Components.Schemas.Values.OfType<OpenApiSchema>().Any(s => s.Properties?.Values.Any(p => p is OpenApiSchemaReference { Reference.Id: "JsonElement" }) == true))
            doc.Components.Schemas.Remove("JsonElement");
    }

    /// <summary>RFC 9457 problem details, with Safehold's stable <c>code</c> and the request's id.</summary>
    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 problem details. 'code' is stable: branch on it, not on 'title' or 'detail'.",
        Required = new HashSet<string> { "code", "status", "title" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Stable and machine-readable: validation_failed, not_found, invalid_state, rate_limited, ..." },
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's Request-Id." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "For validation_failed: each invalid field's messages.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
    };

    /// <summary>
    /// A readable id from the method and the path under <c>/api/v1</c>: <c>GET /orders</c> listOrders, <c>GET /orders/{id}</c>
    /// getOrder, <c>POST /orders</c> createOrder, <c>POST /orders/{id}/pay</c> payOrder, <c>POST /orders/{id}/mark-delivered</c>
    /// markOrderDelivered, <c>POST /orders/{id}/protection-extensions/{extensionId}/approve</c> approveProtectionExtension.
    /// A POST to a path that is a collection (one with a GET, with items under it, or a plural noun) creates; any other POST
    /// is an action, named by its last segment and the thing it acts on.
    /// </summary>
    public static string OperationId(string method, string path, IReadOnlyCollection<(string Method, string Path)> all)
    {
        var trimmed = path.StartsWith("/api/v1/", StringComparison.Ordinal) ? path["/api/v1/".Length..] : path.TrimStart('/');
        var segments = trimmed.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0) return method.ToLowerInvariant() + "Root";
        var nouns = segments.Where(s => !s.StartsWith('{')).Select(Pascal).ToList();
        var last = segments[^1];
        if (last == "me") return (method == "GET" ? "getCurrent" : "updateCurrent") + Singular(nouns[^2]);
        if (last.StartsWith('{'))
            return (method switch { "GET" => "get", "DELETE" => "delete", "PUT" => "replace", "PATCH" => "update", _ => method.ToLowerInvariant() })
                + string.Concat(nouns.Select(Singular));
        var collection = all.Any(o => o.Path == path && o.Method == "GET")
            || all.Any(o => o.Path.StartsWith(path + "/{", StringComparison.Ordinal))
            || (last.EndsWith('s') && !last.EndsWith("ss", StringComparison.Ordinal)); // a plural noun: POST /orders/{id}/disputes
        var owners = string.Concat(nouns.Take(nouns.Count - 1).Select(Singular));
        if (method == "GET")
            return (last.EndsWith('s') ? "list" : "get") + owners + nouns[^1];
        if (method == "POST" && collection)
            return "create" + owners + Singular(nouns[^1]);
        // An action on the thing before it: POST /orders/{id}/mark-delivered acts on one order, POST /payouts/run on the
        // payouts, POST /sandbox/clock/advance on the sandbox clock.
        var words = last.Split('-');
        var verb = Verbs.TryGetValue(words[0], out var v) ? v : words[0];
        var target = segments.Length < 2 ? ""
            : segments[^2].StartsWith('{') ? Singular(nouns[^2])
            : string.Concat(segments.Reverse().Skip(1).TakeWhile(s => !s.StartsWith('{')).Reverse().Select(Pascal));
        return verb + target + string.Concat(words.Skip(1).Select(Pascal));
    }

    /// <summary>Path segments that name an action with a noun.</summary>
    private static readonly Dictionary<string, string> Verbs = new(StringComparer.Ordinal) { ["decision"] = "decide" };

    private static string Pascal(string segment)
    {
        var b = new StringBuilder();
        foreach (var word in segment.Split('-', '_', StringSplitOptions.RemoveEmptyEntries))
            b.Append(char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
        return b.ToString();
    }

    private static string Singular(string noun) => noun.EndsWith("ies", StringComparison.Ordinal) ? noun[..^3] + "y"
        : noun.EndsWith('s') && !noun.EndsWith("ss", StringComparison.Ordinal) ? noun[..^1] : noun;
}

/// <summary>Marks an operation that takes a file upload: the document lists its 413 and 415 answers.</summary>
public sealed class AcceptsFile;
