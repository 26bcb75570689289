using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Payouts;
using Safehold.Web.Features.Users;
using Safehold.Web.Jobs;

namespace Safehold.Web.Features.Sandbox;

public sealed record ClockResponse(DateTimeOffset Now, double OffsetHours, int? TimersFired = null, int? PayoutsSent = null, int? InstructionsRecorded = null);

/// <summary>
/// The sandbox clock (admin, sandbox only): read it, or move it forward and run everything that fell
/// due, in due order (deadlines, then a payout run, then the payment instructions they wrote: the refunds a sweep decides
/// leave in the same advance), before answering. Outside sandbox mode these paths do not exist (404).
/// </summary>
public static class SandboxClockEndpoints
{
    public sealed record AdvanceRequest(double? Days = null, double? Hours = null);

    /// <summary>The largest single step: ten years.</summary>
    public const double MaxDays = 3650;

    /// <summary>Mapped outside the write-transaction filter: advancing commits the offset, then sweeps in transactions of its own.</summary>
    public static void MapSandboxClock(this IEndpointRouteBuilder app)
    {
        var sandbox = app.MapGroup("/api/v1/sandbox/clock").RequireAuthorization().WithTags("Sandbox")
            .AddEndpointFilter<WriteTransaction>().WithMetadata(new OwnTransactions())
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(10_000));
        sandbox.MapGet("/", Get);
        sandbox.MapPost("/advance", Advance).Produces<ClockResponse>();
    }

    public static Ok<ClockResponse> Get(HttpContext http, SandboxClock clock)
    {
        Caller.From(http.User).Require(UserRole.Admin, "read the sandbox clock");
        return TypedResults.Ok(new ClockResponse(clock.GetUtcNow(), clock.Offset.TotalHours));
    }

    public static async Task<Ok<ClockResponse>> Advance(AdvanceRequest request, HttpContext http, SafeholdDb db, SandboxClock clock,
        DeadlineSweeper sweeper, PayoutRunner payouts, InstructionWorker instructions, WriteGate writes, CancellationToken ct)
    {
        Caller.From(http.User).Require(UserRole.Admin, "advance the sandbox clock");
        var errors = new InputErrors();
        var days = request.Days ?? 0;
        var hours = request.Hours ?? 0;
        if (request.Days is null && request.Hours is null) errors.Add("days", "Give days, hours or both.");
        if (days < 0 || double.IsNaN(days) || days > MaxDays) errors.Add("days", $"From 0 to {MaxDays}; the clock never moves backwards.");
        if (hours < 0 || double.IsNaN(hours) || hours > MaxDays * 24) errors.Add("hours", $"From 0 to {MaxDays * 24}; the clock never moves backwards.");
        errors.ThrowIfAny(); // before any TimeSpan is built: a huge or negative number must not overflow one
        var step = TimeSpan.FromDays(days) + TimeSpan.FromHours(hours);
        if (step > TimeSpan.FromDays(MaxDays)) errors.Add("days", $"At most {MaxDays} days in one step.");
        errors.ThrowIfAny();

        await using (var tx = await writes.BeginTransactionAsync(db, ct))
        {
            var state = await db.SandboxClock.FirstOrDefaultAsync(c => c.Id == SandboxClockState.SingletonId, ct);
            if (state is null) db.SandboxClock.Add(state = new SandboxClockState(clock.Offset.Ticks));
            var offset = TimeSpan.FromTicks(Math.Max(state.OffsetTicks, clock.Offset.Ticks)) + step;
            state.MoveTo(offset.Ticks);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            clock.SetOffset(offset);
        }
        var fired = await sweeper.RunDueAsync(ct);
        var paid = await payouts.RunDueAsync(ct); // a payout day the clock passed
        var recorded = await instructions.RunDueAsync(ct); // refunds the sweep decided, retries whose back-off the clock passed
        var answer = new ClockResponse(clock.GetUtcNow(), clock.Offset.TotalHours, fired, paid, recorded);
        return TypedResults.Ok(answer);
    }
}
