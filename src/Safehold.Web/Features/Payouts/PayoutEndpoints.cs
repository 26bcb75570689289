using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Ledger;
using Safehold.Domain.Payouts;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Payouts;

public sealed record PayoutResponse(Guid Id, Guid SellerId, MoneyDto Amount, string Status, string Run, string? Reference,
    DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt)
{
    public static PayoutResponse From(Payout p) => new(p.Id, p.SellerId, new MoneyDto(p.Amount, p.Currency),
        p.Status.ToString().ToLowerInvariant(), p.RunKey, p.Reference, p.CreatedAt, p.CompletedAt);
}

public sealed record PayoutListResponse(IReadOnlyList<PayoutResponse> Items, string? NextCursor);
public sealed record PayoutRunResponse(string Run, IReadOnlyList<PayoutResponse> Payouts);

/// <summary>How one journal entry moved a seller's money: the change to each of their balances.</summary>
public sealed record StatementItem(Guid EntryId, DateTimeOffset At, string Kind, Guid? OrderId, string Currency, long Pending, long Available, long PaidOut);
public sealed record StatementResponse(IReadOnlyList<StatementItem> Items, string? NextCursor);

/// <summary>Payouts (SPEC 4, 5): a seller's payouts and statement; an admin's payout run.</summary>
public static class PayoutEndpoints
{
    public static void MapPayouts(this RouteGroupBuilder api)
    {
        api.MapGet("/payouts", List).WithTags("Payouts");
        api.MapGet("/balance/statement", Statement).WithTags("Ledger");
    }

    /// <summary>Mapped outside the write-transaction filter: a run is many short transactions with provider calls between them.</summary>
    public static void MapPayoutRun(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1/payouts").RequireAuthorization().WithTags("Payouts")
            .AddEndpointFilter<WriteTransaction>().WithMetadata(new OwnTransactions())
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(10_000))
            .MapPost("/run", Run).Produces<PayoutRunResponse>();
    }

    /// <summary>A seller's own payouts, newest first; an admin's, everyone's (or one seller's with <c>sellerId</c>).</summary>
    public static async Task<Ok<PayoutListResponse>> List(HttpContext http, SafeholdDb db, Guid? sellerId, string? cursor, int? limit, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        IQueryable<Payout> query = db.Payouts.AsNoTracking();
        query = caller.Role switch
        {
            UserRole.Seller => query.Where(p => p.SellerId == caller.Id),
            UserRole.Admin => sellerId is { } s ? query.Where(p => p.SellerId == s) : query,
            _ => throw new Domain.DomainException(Domain.RefusalKind.NotAllowed, "action_not_allowed", "Only sellers and admins see payouts."),
        };
        var page = await query.PageAsync(p => p.CreatedAt, p => p.Id, newestFirst: true, cursor, limit, ct);
        return TypedResults.Ok(new PayoutListResponse(page.Items.Select(PayoutResponse.From).ToList(), page.NextCursor));
    }

    /// <summary>Pays every seller whose available balance reaches the minimum, now; answers when each payout has its provider's answer.</summary>
    public static async Task<Ok<PayoutRunResponse>> Run(HttpContext http, PayoutRunner runner, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        caller.Require(UserRole.Admin, "run payouts");
        var (key, payouts) = await runner.RunNowAsync(caller.Id, ct);
        var answer = new PayoutRunResponse(key, payouts.Select(PayoutResponse.From).ToList());
        return TypedResults.Ok(answer);
    }

    /// <summary>The seller's statement: every journal entry that moved their money, newest first, with what it did to each balance.</summary>
    public static async Task<Ok<StatementResponse>> Statement(HttpContext http, SafeholdDb db, string? currency, string? cursor, int? limit, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        caller.Require(UserRole.Seller, "see a seller's statement");
        var code = currency?.ToUpperInvariant();
        if (code is not null && !Domain.Currency.TryParse(code, out _))
            throw new InvalidInputException(new Dictionary<string, string[]> { ["currency"] = ["Not an ISO 4217 currency code."] });
        // The page's entries are found from the seller's lines, which carry their entry's instant: one seek in the seller's
        // index of lines, however long the statement (reading the entries with any line of the seller sorted them all).
        var keys = db.JournalLines.Where(l => l.SellerId == caller.Id && (code == null || l.Currency == code))
            .GroupBy(l => new { l.At, l.EntryId }).Select(g => g.Key);
        var page = await Keyset.PageByKeysAsync(keys, k => k.At, k => k.EntryId, newestFirst: true, cursor, limit,
            (ids, ct) => db.JournalEntries.AsNoTracking().Where(e => ids.Contains(e.Id)).ToListAsync(ct), e => e.Id, ct);
        var next = page.NextCursor;
        var items = page.Items.SelectMany(e => e.Lines
                .Where(l => l.SellerId == caller.Id && (code == null || l.Currency == code))
                .GroupBy(l => l.Currency)
                .Select(g => new StatementItem(e.Id, e.At, e.Kind, e.OrderId, g.Key,
                    g.Where(l => l.AccountType == AccountType.SellerPending).Sum(l => l.Amount),
                    g.Where(l => l.AccountType == AccountType.SellerAvailable).Sum(l => l.Amount),
                    g.Where(l => l.AccountType == AccountType.PayoutsOut).Sum(l => l.Amount))))
            .ToList();
        return TypedResults.Ok(new StatementResponse(items, next));
    }
}
