using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Safehold.Domain;

namespace Safehold.Web.Api;

/// <summary>Input that fails validation: every field's problems at once, answered 400 <c>validation_failed</c>.</summary>
public sealed class InvalidInputException(IDictionary<string, string[]> errors)
    : Exception("The request has invalid fields.")
{
    public IDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>A refusal whose HTTP status is not one of a business rule's (413 a file too large, 415 a file of the wrong type).</summary>
public sealed class HttpProblemException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
}

/// <summary>
/// The one place where failures become RFC 9457 problem+json with a stable <c>code</c>.
/// Nothing about the server's internals (stack traces, SQL, exception types) ever reaches a client.
/// </summary>
public static class Problems
{
    public static int StatusOf(RefusalKind kind) => kind switch
    {
        RefusalKind.Invalid => StatusCodes.Status400BadRequest,
        RefusalKind.NotAllowed => StatusCodes.Status403Forbidden, // SPEC 5: the caller's role may never do this (a seller confirming receipt)
        RefusalKind.NotFound => StatusCodes.Status404NotFound,
        RefusalKind.WrongState or RefusalKind.InProgress => StatusCodes.Status409Conflict,
        RefusalKind.RuleRefused => StatusCodes.Status422UnprocessableEntity,
        RefusalKind.PaymentRefused => StatusCodes.Status402PaymentRequired,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>The default code for a status, used when nothing more specific was said.</summary>
    public static string CodeOf(int status) => status switch
    {
        400 => "bad_request",
        401 => "unauthorized",
        402 => "payment_refused",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "rule_refused",
        429 => "rate_limited",
        503 => "service_unavailable",
        _ when status >= 500 => "internal_error",
        _ => "error",
    };

    public static DomainException NotFound(string what) => new(RefusalKind.NotFound, "not_found", $"{what} was not found.");

    /// <summary>A refusal by the process or its rules, the answer of a request that ran (stored under its Idempotency-Key).</summary>
    public sealed record StoredAnswer(int Status, string Code, string Detail);

    /// <summary>
    /// The answer an Idempotency-Key keeps for <paramref name="exception"/>: a refusal of the request that ran (by who may,
    /// the state, a rule of the policy, the card), or null for what may be tried again (a race lost, an outage, input
    /// that never got that far).
    /// </summary>
    public static StoredAnswer? Stored(Exception exception) => exception switch
    {
        _ when IsDatabaseUnavailable(exception) || IsConcurrencyFailure(exception) => null,
        DomainException d when d.Kind is not (RefusalKind.Invalid or RefusalKind.InProgress) => new(StatusOf(d.Kind), d.Code, d.Message),
        Features.TimerFailedException { InnerException: DomainException d } when d.Kind is not (RefusalKind.Invalid or RefusalKind.InProgress) => new(StatusOf(d.Kind), d.Code, d.Message),
        _ => null,
    };

    /// <summary>The problem+json of a stored answer, as the first request got it (with its Request-Id).</summary>
    public static string Body(StoredAnswer answer, HttpContext http) => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["title"] = TitleOf(answer.Status),
        ["status"] = answer.Status,
        ["detail"] = answer.Detail,
        ["code"] = answer.Code,
        ["traceId"] = Operations.RequestIds.Of(http),
    });

    public static void AddSafeholdProblems(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            var problem = ctx.ProblemDetails;
            var status = problem.Status ?? ctx.HttpContext.Response.StatusCode;
            problem.Extensions.TryAdd("code", CodeOf(status));
            problem.Extensions.Remove("exception");
            problem.Extensions["traceId"] = Operations.RequestIds.Of(ctx.HttpContext); // the answer's Request-Id
        });
        services.AddExceptionHandler<ExceptionToProblem>();
    }

    private sealed class ExceptionToProblem(IProblemDetailsService problems, ILogger<ExceptionToProblem> log) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
        {
            var (status, code, detail, errors) = exception switch
            {
                _ when IsDatabaseUnavailable(exception) => (503, "database_unavailable",
                    "The database cannot be reached right now; nothing was changed. Try again shortly (with the same Idempotency-Key).", null),
                _ when IsConcurrencyFailure(exception) => (409, "concurrent_change", "Someone else changed this at the same moment; read it again and retry.", null),
                DomainException d => (StatusOf(d.Kind), d.Code, d.Message, null),
                // A deadline that fell due as this request touched its order or dispute, and whose refund was refused.
                Features.TimerFailedException when exception.InnerException is DomainException d =>
                    (StatusOf(d.Kind), d.Code, d.Message, null),
                InvalidInputException v => (400, "validation_failed", v.Message, v.Errors),
                HttpProblemException h => (h.Status, h.Code, h.Message, null),
                BadHttpRequestException b when b.StatusCode == 413 => (413, "payload_too_large", "The request body is too large.", null),
                BadHttpRequestException b => (b.StatusCode, "malformed_request", "The request could not be read: check that the body is valid JSON of the expected shape.", null),
                DbUpdateConcurrencyException => (409, "concurrent_change", "Someone else changed this at the same moment; read it again and retry.", null),
                DbUpdateException => (409, "concurrent_change", "A conflicting change was made at the same moment; read it again and retry.", null),
                _ => (500, "internal_error", "Something went wrong on our side; nothing was changed.", (IDictionary<string, string[]>?)null),
            };
            if (status == 503)
            {
                log.LogWarning(exception, "The database was unavailable answering {Method} {Path}", http.Request.Method, http.Request.Path);
                // Pooled connections to a database that went away are dead too: drop them, so the first
                // requests after it comes back open fresh ones instead of failing on the stale ones.
                NpgsqlConnection.ClearAllPools();
                http.Response.Headers.RetryAfter = "1";
            }
            else if (status >= 500) log.LogError(exception, "Unhandled failure answering {Method} {Path}", http.Request.Method, http.Request.Path);
            else log.LogDebug("Refused {Method} {Path}: {Code}", http.Request.Method, http.Request.Path, code);

            var problem = errors is null
                ? new ProblemDetails()
                : new HttpValidationProblemDetails(errors);
            problem.Status = status;
            problem.Title = TitleOf(status);
            problem.Detail = detail;
            problem.Extensions["code"] = code;
            http.Response.StatusCode = status;
            return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = null });
        }
    }

    /// <summary>
    /// The database went away (connection refused, dropped, server shutting down, pool exhausted) rather than
    /// refusing this request. The request's transaction never committed, so nothing changed.
    /// </summary>
    public static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException p:
                    // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot connect now; 53300: too many connections.
                    return p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState is "57P01" or "57P02" or "57P03" or "53300";
                case NpgsqlException:
                    return true; // not a server's answer: the socket, a timeout, or the pool
                case SqliteException s:
                    return s.SqliteErrorCode is 5 or 6; // SQLITE_BUSY, SQLITE_LOCKED after the busy timeout
            }
        }
        return false;
    }

    /// <summary>The database refused a write because another one got there first (unique key, serialization, deadlock).</summary>
    public static bool IsConcurrencyFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException p) return p.SqlState is "23505" or "40001" or "40P01";
        }
        return false;
    }

    private static string TitleOf(int status) => status switch
    {
        400 => "The request is invalid.",
        402 => "The payment was refused.",
        403 => "You may not do this.",
        404 => "Not found.",
        409 => "The request conflicts with the current state.",
        413 => "The request is too large.",
        415 => "The content is of a type that is not accepted.",
        422 => "A rule of buyer protection refused the request.",
        503 => "The service is unavailable for a moment.",
        _ => "The request failed.",
    };
}
