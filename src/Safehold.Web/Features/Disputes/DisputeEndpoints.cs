using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Safehold.Web.Api;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Disputes;

/// <summary>The dispute paths of SPEC 5; each is a thin call into the use cases, which pages call too.</summary>
public static class DisputeEndpoints
{
    public static void MapDisputes(this RouteGroupBuilder api)
    {
        api.MapPost("/orders/{id:guid}/disputes", Open).WithTags("Disputes");
        api.MapGet("/orders/{id:guid}/messages", Orders.OrderMessages.List).WithTags("Orders");
        api.MapPost("/orders/{id:guid}/messages", Orders.OrderMessages.Send).WithTags("Orders");

        var disputes = api.MapGroup("/disputes").WithTags("Disputes");
        disputes.MapGet("/", List);
        disputes.MapGet("/{id:guid}", Get);
        disputes.MapPost("/{id:guid}/accept", (Guid id, HttpContext http, DisputeActions a, CancellationToken ct) => Ok(a.AcceptAsync(Caller.From(http.User), id, ct)));
        disputes.MapPost("/{id:guid}/counter-offer", (Guid id, DisputeActions.CounterOfferInput input, HttpContext http, DisputeActions a, CancellationToken ct) =>
            Ok(a.CounterOfferAsync(Caller.From(http.User), id, input, ct)));
        disputes.MapPost("/{id:guid}/reject", (Guid id, DisputeActions.ReasonInput input, HttpContext http, DisputeActions a, CancellationToken ct) =>
            Ok(a.RejectAsync(Caller.From(http.User), id, input, ct)));
        disputes.MapPost("/{id:guid}/accept-offer", (Guid id, HttpContext http, DisputeActions a, CancellationToken ct) => Ok(a.AcceptOfferAsync(Caller.From(http.User), id, ct)));
        disputes.MapPost("/{id:guid}/escalate", (Guid id, HttpContext http, DisputeActions a, CancellationToken ct) => Ok(a.EscalateAsync(Caller.From(http.User), id, ct)));
        disputes.MapPost("/{id:guid}/withdraw", (Guid id, HttpContext http, DisputeActions a, CancellationToken ct) => Ok(a.WithdrawAsync(Caller.From(http.User), id, ct)));
        disputes.MapPost("/{id:guid}/return-shipment", (Guid id, DisputeActions.ReturnShipmentInput input, HttpContext http, DisputeActions a, CancellationToken ct) =>
            Ok(a.ShipReturnAsync(Caller.From(http.User), id, input, ct)));
        disputes.MapPost("/{id:guid}/confirm-return", (Guid id, HttpContext http, DisputeActions a, CancellationToken ct) =>
            Ok(a.ConfirmReturnAsync(Caller.From(http.User), id, ct)));
        disputes.MapPost("/{id:guid}/decision", (Guid id, DisputeActions.DecisionInput input, HttpContext http, DisputeActions a, CancellationToken ct) =>
            Ok(a.DecideAsync(Caller.From(http.User), id, input, ct)));
        disputes.MapPost("/{id:guid}/appeal", (Guid id, DisputeActions.ReasonInput input, HttpContext http, DisputeActions a, CancellationToken ct) =>
            Ok(a.AppealAsync(Caller.From(http.User), id, input, ct)));
        disputes.MapGet("/{id:guid}/evidence/{evidenceId:guid}", GetEvidence);
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
            .WithTags("Disputes")
            .DisableAntiforgery()
            .WithMetadata(new RequestSizeLimitAttribute(DisputeEvidenceFeature.MaxBytes + 1_000_000));

    public static async Task<Created<DisputeResponse>> Open(Guid id, DisputeActions.OpenInput input, HttpContext http, DisputeActions actions, CancellationToken ct)
    {
        var dispute = await actions.OpenAsync(Caller.From(http.User), id, input, ct);
        return TypedResults.Created($"/api/v1/disputes/{dispute.Id}", dispute);
    }

    public static async Task<Ok<DisputeListResponse>> List(string? status, string? cursor, int? limit, HttpContext http, SafeholdDb db, TimeProvider clock,
        CancellationToken ct) =>
        TypedResults.Ok(await DisputeQueries.ListAsync(db, Caller.From(http.User), status, cursor, limit, clock.GetUtcNow(), ct));

    public static async Task<Ok<DisputeResponse>> Get(Guid id, HttpContext http, SafeholdDb db, TimeProvider clock, CancellationToken ct) =>
        TypedResults.Ok(await DisputeQueries.GetAsync(db, Caller.From(http.User), id, clock.GetUtcNow(), ct));

    /// <summary><c>multipart/form-data</c> with a <c>file</c> and, optionally, a <c>description</c>.</summary>
    public static async Task<IResult> AddEvidence(Guid id, HttpContext http, DisputeEvidenceFeature evidence, SafeholdDb db, TimeProvider clock,
        Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken ct)
    {
        var (replay, remember) = await WriteTransaction.OutsideTransactionAsync(db, http, clock, json.Value.SerializerOptions, ct);
        if (replay is not null) return replay;
        if (!http.Request.HasFormContentType)
            throw new InvalidInputException(new Dictionary<string, string[]> { ["file"] = ["Send multipart/form-data with the file in a field named file."] });
        var form = await http.Request.ReadFormAsync(ct);
        var file = form.Files.GetFile("file");
        if (file is null || form.Files.Count != 1)
            throw new InvalidInputException(new Dictionary<string, string[]> { ["file"] = ["Exactly one file, in a field named file."] });
        await using var content = file.OpenReadStream();
        var added = await evidence.AddAsync(Caller.From(http.User), id,
            new DisputeEvidenceFeature.Upload(file.FileName, file.ContentType, file.Length, content, form["description"].FirstOrDefault()), ct);
        if (remember is not null) await remember(StatusCodes.Status201Created, added);
        return TypedResults.Created(added.Url, added);
    }

    public static async Task<IResult> GetEvidence(Guid id, Guid evidenceId, HttpContext http, DisputeEvidenceFeature evidence, CancellationToken ct)
    {
        var (row, path) = await evidence.FindAsync(Caller.From(http.User), id, evidenceId, ct);
        return TypedResults.PhysicalFile(path, row.ContentType, row.FileName);
    }

    private static async Task<Ok<T>> Ok<T>(Task<T> work) => TypedResults.Ok(await work);
}
