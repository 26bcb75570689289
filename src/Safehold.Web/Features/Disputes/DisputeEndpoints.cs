using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Safehold.Web.Api;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Disputes;

/// <summary>The dispute paths of SPEC 5: each use case maps its own (its file), the reads and the evidence are here.</summary>
public static class DisputeEndpoints
{
    public static void MapDisputes(this RouteGroupBuilder api)
    {
        OpenDispute.Map(api);

        var disputes = api.MapGroup("/disputes").WithTags("Disputes");
        disputes.MapGet("/", List);
        disputes.MapGet("/{id:guid}", Get);
        AcceptRequest.Map(disputes);
        CounterOffer.Map(disputes);
        Reject.Map(disputes);
        AcceptOffer.Map(disputes);
        Escalate.Map(disputes);
        Withdraw.Map(disputes);
        ShipReturn.Map(disputes);
        ConfirmReturn.Map(disputes);
        Decide.Map(disputes);
        Appeal.Map(disputes);
        disputes.MapGet("/{id:guid}/evidence/{evidenceId:guid}", GetEvidence)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is Microsoft.OpenApi.OpenApiResponse response)
                {
                    response.Description = "The file as it was uploaded, with its own content type (PNG, JPEG or PDF).";
                    response.Content = new[] { "image/png", "image/jpeg", "application/pdf" }.ToDictionary(type => type, _ => new Microsoft.OpenApi.OpenApiMediaType
                    {
                        Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, Format = "binary" },
                    });
                }
                return Task.CompletedTask;
            });
        disputes.MapGet("/{id:guid}/messages", (Guid id, string? cursor, int? limit, HttpContext http, DisputeMessages m, CancellationToken ct) =>
            Ok(m.ListAsync(Caller.From(http.User), id, cursor, limit, ct)));
        disputes.MapPost("/{id:guid}/messages", async (Guid id, DisputeMessages.SendInput input, HttpContext http, DisputeMessages m, CancellationToken ct) =>
            TypedResults.Created($"/api/v1/disputes/{id}/messages", await m.SendAsync(Caller.From(http.User), id, input, ct)));
    }

    /// <summary>
    /// Mapped outside the write-transaction filter: the upload is read before any transaction begins, and the evidence
    /// is written in a transaction of its own (see <see cref="DisputeEvidenceFeature.AddAsync"/>).
    /// </summary>
    public static void MapDisputeEvidenceUpload(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/v1/disputes/{id:guid}/evidence", AddEvidence)
            .RequireAuthorization()
            .AddEndpointFilter<WriteTransaction>().WithMetadata(new OwnTransactions())
            .WithTags("Disputes")
            .DisableAntiforgery()
            .WithMetadata(new AcceptsFile(), new RequestSizeLimitAttribute(DisputeEvidenceFeature.MaxBytes + 1_000_000))
            .Produces<EvidenceResponse>(StatusCodes.Status201Created)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // The form is read by hand (outside the write transaction), so the document is told what it holds.
                operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
                {
                    Required = true,
                    Description = "One file (PNG, JPEG or PDF) and an optional description.",
                    Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                    {
                        ["multipart/form-data"] = new()
                        {
                            Schema = new Microsoft.OpenApi.OpenApiSchema
                            {
                                Type = Microsoft.OpenApi.JsonSchemaType.Object,
                                Required = new HashSet<string> { "file" },
                                Properties = new Dictionary<string, Microsoft.OpenApi.IOpenApiSchema>
                                {
                                    ["file"] = new Microsoft.OpenApi.OpenApiSchema
                                    {
                                        Type = Microsoft.OpenApi.JsonSchemaType.String,
                                        Format = "binary",
                                        Description = $"At most {DisputeEvidenceFeature.MaxBytes / 1024 / 1024} MB.",
                                    },
                                    ["description"] = new Microsoft.OpenApi.OpenApiSchema
                                    {
                                        Type = Microsoft.OpenApi.JsonSchemaType.String,
                                        MaxLength = DisputeEvidenceFeature.MaxDescription,
                                    },
                                },
                            },
                        },
                    },
                };
                return Task.CompletedTask;
            });

    public static async Task<Ok<DisputeListResponse>> List([ApiEnum<Domain.Disputes.DisputeStatus>] string? status, string? cursor, int? limit, HttpContext http, SafeholdDb db, TimeProvider clock,
        CancellationToken ct) =>
        TypedResults.Ok(await DisputeQueries.ListAsync(db, Caller.From(http.User), status, cursor, limit, clock.GetUtcNow(), ct));

    public static async Task<Ok<DisputeResponse>> Get(Guid id, HttpContext http, SafeholdDb db, TimeProvider clock, CancellationToken ct) =>
        TypedResults.Ok(await DisputeQueries.GetAsync(db, Caller.From(http.User), id, clock.GetUtcNow(), ct));

    /// <summary><c>multipart/form-data</c> with a <c>file</c> and, optionally, a <c>description</c>.</summary>
    public static async Task<IResult> AddEvidence(Guid id, HttpContext http, DisputeEvidenceFeature evidence, CancellationToken ct)
    {
        if (!http.Request.HasFormContentType)
            throw new InvalidInputException(new Dictionary<string, string[]> { ["file"] = ["Send multipart/form-data with the file in a field named file."] });
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(ct);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // No boundary, a body cut short, a header too long: the client's malformed form, not our failure (found by FuzzTests).
            throw new BadHttpRequestException("The multipart form could not be read.", StatusCodes.Status400BadRequest, e);
        }
        var file = form.Files.GetFile("file");
        if (file is null || form.Files.Count != 1)
            throw new InvalidInputException(new Dictionary<string, string[]> { ["file"] = ["Exactly one file, in a field named file."] });
        await using var content = file.OpenReadStream();
        var added = await evidence.AddAsync(Caller.From(http.User), id,
            new DisputeEvidenceFeature.Upload(file.FileName, file.ContentType, file.Length, content, form["description"].FirstOrDefault()), ct);
        return TypedResults.Created(added.Url, added);
    }

    public static async Task<IResult> GetEvidence(Guid id, Guid evidenceId, HttpContext http, DisputeEvidenceFeature evidence, CancellationToken ct)
    {
        var (row, path) = await evidence.FindAsync(Caller.From(http.User), id, evidenceId, ct);
        return TypedResults.PhysicalFile(path, row.ContentType, row.FileName);
    }

    private static async Task<Ok<T>> Ok<T>(Task<T> work) => TypedResults.Ok(await work);
}

/// <summary>The dispute's use cases, one scoped service each, called alike by the API and the portal's pages.</summary>
public static class DisputeUseCases
{
    public static IServiceCollection AddDisputeUseCases(this IServiceCollection services) => services
        .AddScoped<DisputeChange>()
        .AddScoped<OpenDispute>()
        .AddScoped<AcceptRequest>()
        .AddScoped<CounterOffer>()
        .AddScoped<Reject>()
        .AddScoped<AcceptOffer>()
        .AddScoped<Escalate>()
        .AddScoped<Withdraw>()
        .AddScoped<ShipReturn>()
        .AddScoped<ConfirmReturn>()
        .AddScoped<Decide>()
        .AddScoped<Appeal>();
}
