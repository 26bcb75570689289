using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain;
using Safehold.Domain.Payments;
using Safehold.Web.Data;
using Safehold.Web.Features.Orders;
using Safehold.Web.Features.PaymentInstructions;
using Safehold.Web.Features.Sandbox;
using Safehold.Web.Payments;

namespace Safehold.Web.Jobs;

/// <summary>The payment rails (SPEC 4, <c>Safehold:Payments:Provider</c>): who moves the money.</summary>
public enum PaymentRails
{
    /// <summary>No provider is configured: every payment is refused (outside sandbox mode, by default).</summary>
    None,

    /// <summary>The built-in sandbox provider (sandbox mode only; its default).</summary>
    Sandbox,

    /// <summary>
    /// The marketplace moves the money: it reports captures (<c>externalPayment</c>), is sent each refund and payout as a
    /// <c>payment_instruction.created</c> webhook event, and reports each result; the worker executes nothing.
    /// </summary>
    External,
}

/// <summary><c>Safehold:Payments</c>: which rails carry the money, and how the instruction worker talks to the payment provider.</summary>
public sealed class PaymentOptions
{
    /// <summary><c>sandbox</c>, <c>external</c> or <c>none</c>; unset: <c>sandbox</c> in sandbox mode, else <c>none</c>.</summary>
    public string? Provider { get; set; }

    /// <summary>The rails <see cref="Provider"/> names; refuses an unknown name, and the sandbox provider outside sandbox mode.</summary>
    public PaymentRails RailsFor(bool sandbox) => Provider?.Trim().ToLowerInvariant() switch
    {
        null or "" => sandbox ? PaymentRails.Sandbox : PaymentRails.None,
        "sandbox" when sandbox => PaymentRails.Sandbox,
        "sandbox" => throw new InvalidOperationException("Safehold:Payments:Provider=sandbox needs sandbox mode (Safehold:Sandbox=true)."),
        "external" => PaymentRails.External,
        "none" => PaymentRails.None,
        _ => throw new InvalidOperationException($"Unknown Safehold:Payments:Provider '{Provider}': use sandbox, external or none."),
    };

    /// <summary>Set at start from <see cref="Provider"/> and the mode (<see cref="RailsFor"/>): the rails in force.</summary>
    public PaymentRails Rails { get; set; }

    /// <summary>Whether the marketplace moves the money (<c>external</c> rails).</summary>
    public bool External => Rails == PaymentRails.External;

    /// <summary>How long one provider call may take before the attempt counts as failed (and is tried again under its key).</summary>
    public double CallTimeoutSeconds { get; set; } = 30;

    /// <summary>How long a worker's claim lasts: an instruction claimed by a host that died is claimed again after it.</summary>
    public double LeaseSeconds { get; set; } = 120;

    /// <summary>How often each host's worker looks for due instructions.</summary>
    public double PollSeconds { get; set; } = 1;

    public TimeSpan CallTimeout => TimeSpan.FromSeconds(CallTimeoutSeconds);
    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

    /// <summary>
    /// The claim of a pay request on its capture: the request gives up on the provider after <see cref="CallTimeout"/>, so a
    /// claim that has lasted that (and 15 seconds to commit the answer) has lost its request, and the buyer, who is told to
    /// look again in a moment, waits no longer than that for a worker to finish it. Never longer than <see cref="Lease"/>.
    /// </summary>
    public TimeSpan CaptureLease => CallTimeout + TimeSpan.FromSeconds(15) < Lease ? CallTimeout + TimeSpan.FromSeconds(15) : Lease;
}

/// <summary>
/// Executes payment instructions (SPEC 4), on every host: claims a batch of due ones in a short transaction
/// (<c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL, so two hosts never claim one; SQLite's single writer on SQLite), calls the
/// provider for each with no transaction open, under the instruction's own idempotency key, and records each answer in a
/// short transaction of its own (<see cref="InstructionChanges.RecordAsync"/>). An instruction is executed at least once
/// and settled exactly once: a host that dies mid-call leaves it processing until its lease runs out, and whoever claims
/// it then asks the provider again under the same key, which answers with the first result.
/// </summary>
public sealed class InstructionWorker(IServiceScopeFactory scopes, IPaymentProvider provider, TimeProvider clock,
    IOptions<PaymentOptions> options, ILogger<InstructionWorker> log)
{
    private const int BatchSize = 20;

    /// <summary>A claimed attempt: what the provider call needs, read in the claiming transaction.</summary>
    private sealed record Claimed(Guid Id, int Attempt, InstructionKind Kind, string Key, Money Money, string? CaptureReference, Guid? SellerId, Guid? OrderId);

    /// <summary>Executes every instruction due now, batch after batch, until none is left; returns how many answers were recorded.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        // External rails: the marketplace executes every refund and payout and reports the result; nothing is called here.
        if (options.Value.External) return 0;
        if (clock is SandboxClock sandbox) await sandbox.RefreshAsync(scopes, ct); // the sandbox clock is every host's
        var recorded = 0;
        while (await ClaimAsync(ct) is { Count: > 0 } batch)
        {
            foreach (var claimed in batch)
            {
                if (await ExecuteAsync(claimed, ct)) recorded++;
            }
        }
        return recorded;
    }

    private async Task<List<Claimed>> ClaimAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        await using var tx = await scope.ServiceProvider.GetRequiredService<WriteGate>().BeginTransactionAsync(db, ct);
        var now = clock.GetUtcNow();
        IQueryable<PaymentInstruction> due;
        if (db.OnPostgres)
        {
            // PaymentInstruction.DueBy, locking the rows it finds and skipping those another host has locked.
            var ids = await db.Database.SqlQuery<Guid>($"""
                SELECT "Id" AS "Value" FROM "PaymentInstructions"
                WHERE "Status" IN ('Pending', 'Processing') AND "NextAttemptAt" <= {now}
                ORDER BY "NextAttemptAt" LIMIT {BatchSize} FOR UPDATE SKIP LOCKED
                """).ToListAsync(ct);
            if (ids.Count == 0) return [];
            due = db.PaymentInstructions.Where(i => ids.Contains(i.Id));
        }
        else
        {
            // SQLite: the write transaction is the database's only writer, so nobody claims between this read and the write.
            due = db.PaymentInstructions.Where(PaymentInstruction.DueBy(now)).OrderBy(i => i.NextAttemptAt).Take(BatchSize);
        }
        var rows = await due.ToListAsync(ct);
        var claims = rows.Where(i => i.IsDue(now)).Select(i =>
            new Claimed(i.Id, i.Claim(now, options.Value.Lease), i.Kind, i.IdempotencyKey, i.Money, i.CaptureReference, i.SellerId, i.OrderId)).ToList();
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return claims;
    }

    /// <summary>Calls the provider for one claimed attempt, with no transaction open, and records its answer.</summary>
    private async Task<bool> ExecuteAsync(Claimed claimed, CancellationToken ct)
    {
        PaymentResult answer;
        using (var call = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            call.CancelAfter(options.Value.CallTimeout); // wall time: a provider that hangs is an I/O fault, not a business deadline
            try
            {
                // WaitAsync: a provider that ignores the token is left behind; its late answer is found again under the key.
                answer = await CallAsync(claimed, call.Token).WaitAsync(call.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                answer = PaymentResult.Declined("provider_timeout", "The payment provider did not answer in time.");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Payment instruction {Id}: the provider call failed", claimed.Id);
                answer = PaymentResult.Declined("provider_error", "The payment provider could not be reached.");
            }
        }
        // A capture whose provider cannot be asked now stays claimed: when the claim runs out it is asked again. (A capture
        // is never declined for want of an answer: the money may have been taken.)
        if (claimed.Kind == InstructionKind.Capture && answer.DeclineCode is "provider_timeout" or "provider_error") return false;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        await using var tx = await scope.ServiceProvider.GetRequiredService<WriteGate>().BeginTransactionAsync(db, CancellationToken.None);
        // The money may have moved: from here on, shutting down must not lose the answer.
        var recorded = await scope.ServiceProvider.GetRequiredService<InstructionChanges>().RecordAsync(claimed.Id, claimed.Attempt, answer, CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
        return recorded;
    }

    private async Task<PaymentResult> CallAsync(Claimed claimed, CancellationToken ct) => claimed.Kind switch
    {
        InstructionKind.Refund => await provider.RefundAsync(claimed.Key, claimed.CaptureReference!, claimed.Money, ct),
        InstructionKind.Payout => await provider.PayoutAsync(claimed.Key, claimed.SellerId!.Value, claimed.Money, ct),
        InstructionKind.Capture => await FindCaptureAsync(claimed, ct),
        _ => throw new InvalidOperationException($"Unknown instruction kind {claimed.Kind}."),
    };

    /// <summary>
    /// A capture is claimed by the request that makes it; one claimed here lost its request (the host died, or the provider
    /// did not answer in time) before the answer was recorded: the provider is asked by the key. Money taken for an order
    /// that has closed since is returned to the card here, outside any transaction; else the answer pays the order.
    /// </summary>
    private async Task<PaymentResult> FindCaptureAsync(Claimed claimed, CancellationToken ct)
    {
        if (await provider.FindCaptureAsync(claimed.Key, ct) is not { Reference: { } reference } found)
            return PaymentResult.Declined(PaymentInstruction.NotFound, "The provider has no capture under this key.");
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var capture = await db.PaymentInstructions.AsNoTracking().FirstAsync(i => i.Id == claimed.Id, ct);
        // Found for an order that may still be paid by it, or that a pay (which took this claim over) has paid by it: the
        // answer is recorded if this claim is still in force, and pays the orders if they still wait.
        if (!await scope.ServiceProvider.GetRequiredService<OrderChange>().BelongsToNoOrderAsync(capture, reference, ct)) return found;
        await provider.ReturnCaptureAsync(claimed.Key, reference, claimed.Money, ct);
        return PaymentResult.Declined("capture_returned", "The order had closed: the payment was returned to the card.");
    }
}

/// <summary>
/// Runs the instruction worker on this host every <see cref="PaymentOptions.PollSeconds"/>; off with the rest of the timed
/// work (<c>Safehold:Sweeper:Enabled=false</c>), when tests drive it themselves.
/// </summary>
public sealed class InstructionWorkerService(InstructionWorker worker, IOptions<PaymentOptions> options, IOptions<SweeperOptions> sweeper,
    ILogger<InstructionWorkerService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!sweeper.Value.Enabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await worker.RunDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogError(e, "The payment instruction worker failed; it will try again");
            }
            try
            {
                // Wall time: polling is how often to look, and the sandbox clock may stand still.
                await Task.Delay(TimeSpan.FromSeconds(options.Value.PollSeconds), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
