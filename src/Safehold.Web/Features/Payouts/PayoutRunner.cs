using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain;
using Safehold.Domain.Payouts;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;
using Safehold.Domain.Payments;
using Safehold.Web.Jobs;

namespace Safehold.Web.Features.Payouts;

/// <summary><c>Safehold:Payouts</c>: when sellers' available balances are paid out, and from how much.</summary>
public sealed class PayoutOptions
{
    /// <summary>Scheduled runs on or off (an admin can always run payouts).</summary>
    public bool Scheduled { get; set; } = true;

    /// <summary>Days between scheduled runs; runs start at midnight UTC, weekly runs on Mondays.</summary>
    public int EveryDays { get; set; } = 7;

    /// <summary>The least a payout may be, in the currency's minor units (1000 = USD 10.00).</summary>
    public long MinimumAmount { get; set; } = 1000;

    /// <summary>Minimums per currency code, overriding <see cref="MinimumAmount"/> (e.g. <c>"JPY": 1500</c>).</summary>
    public Dictionary<string, long> MinimumByCurrency { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public Money MinimumFor(Currency currency) =>
        new(MinimumByCurrency.TryGetValue(currency.Code, out var m) ? m : MinimumAmount, currency);

    /// <summary>Refuses at start a schedule or minimum that cannot work.</summary>
    public void Validate()
    {
        if (EveryDays is < 1 or > 366) throw new InvalidOperationException("Safehold:Payouts:EveryDays must be from 1 to 366.");
        foreach (var (code, amount) in MinimumByCurrency.Append(KeyValuePair.Create("(default)", MinimumAmount)))
        {
            if (amount < 1) throw new InvalidOperationException($"Safehold:Payouts minimum for {code} must be at least one unit.");
            if (code != "(default)" && !Currency.TryParse(code, out _)) throw new InvalidOperationException($"Safehold:Payouts: unknown currency {code}.");
        }
    }

    /// <summary>The scheduled run whose period contains <paramref name="now"/>: periods start on Monday 1 January 2024, UTC.</summary>
    public (string Key, DateTimeOffset Start) ScheduledRunAt(DateTimeOffset now)
    {
        var epoch = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var periods = (long)Math.Floor((now - epoch).TotalDays / EveryDays);
        var start = epoch.AddDays(periods * EveryDays);
        return ("scheduled:" + start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), start);
    }
}

/// <summary>A payout run: started by the schedule or an admin, finished when every seller in it has been sent their payout.</summary>
public sealed class PayoutRun
{
    private PayoutRun()
    {
        Key = "";
    }

    public PayoutRun(string key, Guid? requestedBy, DateTimeOffset now)
    {
        Key = key;
        RequestedBy = requestedBy;
        StartedAt = now;
    }

    /// <summary><c>scheduled:2026-11-23</c> or <c>admin:{id}</c>.</summary>
    public string Key { get; private set; }

    /// <summary>The admin who asked for it; none for a scheduled run.</summary>
    public Guid? RequestedBy { get; private set; }
    public DateTimeOffset StartedAt { get; private set; }
    public DateTimeOffset? CompletedAt { get; private set; }

    public void Complete(DateTimeOffset now) => CompletedAt ??= now;
}

/// <summary>
/// Pays sellers their available balances. Each seller's payout starts in one short transaction: the journal moves the
/// money from available to payouts owed, and a payment instruction is written with it; the instruction worker sends it
/// under the payout's own key and records the answer (<see cref="InstructionWorker"/>). A run cut short by a crash is
/// finished by the next pass on any host; a seller is paid at most once per run and currency (a unique key), and a payout
/// at most once (the provider's idempotency key).
/// </summary>
public sealed class PayoutRunner(IServiceScopeFactory scopes, InstructionWorker instructions, TimeProvider clock,
    IOptions<PayoutOptions> options, ILogger<PayoutRunner> log)
{
    /// <summary>Starts the scheduled run that has fallen due, if it has not been made yet, and finishes every unfinished run.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        // The sandbox clock is every host's: read it first, and pay nothing when it cannot be read.
        if (clock is Sandbox.SandboxClock sandbox) await sandbox.RefreshAsync(scopes, ct);
        if (options.Value.Scheduled)
        {
            var (key, _) = options.Value.ScheduledRunAt(clock.GetUtcNow());
            await CreateRunAsync(key, null, ct);
        }
        var paid = 0;
        List<string> open;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
            open = await db.PayoutRuns.AsNoTracking().Where(r => r.CompletedAt == null).OrderBy(r => r.StartedAt).Select(r => r.Key).ToListAsync(ct);
        }
        foreach (var key in open) paid += (await ExecuteAsync(key, ct)).Count;
        return paid;
    }

    /// <summary>An admin's run, now: returns its payouts.</summary>
    public async Task<(string Key, IReadOnlyList<Payout> Payouts)> RunNowAsync(Guid adminId, CancellationToken ct)
    {
        var key = "admin:" + Guid.CreateVersion7(clock.GetUtcNow()).ToString("N");
        await CreateRunAsync(key, adminId, ct);
        return (key, await ExecuteAsync(key, ct));
    }

    private async Task CreateRunAsync(string key, Guid? requestedBy, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        if (await db.PayoutRuns.AnyAsync(r => r.Key == key, ct)) return;
        db.PayoutRuns.Add(new PayoutRun(key, requestedBy, clock.GetUtcNow()));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another host made the same scheduled run first (its key is unique): it is one run, and both may work on it.
            await using var again = scopes.CreateAsyncScope();
            if (!await again.ServiceProvider.GetRequiredService<SafeholdDb>().PayoutRuns.AnyAsync(r => r.Key == key, ct)) throw;
        }
    }

    /// <summary>
    /// Starts the run's payout for every seller balance at or above the minimum, marks the run complete, and sends what is
    /// due (these payouts among it) before answering.
    /// </summary>
    private async Task<IReadOnlyList<Payout>> ExecuteAsync(string runKey, CancellationToken ct)
    {
        List<(Guid Seller, string Currency)> candidates;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
            var rows = await db.SellerBalances.AsNoTracking().Where(b => b.Available > 0)
                .OrderBy(b => b.SellerId).ThenBy(b => b.Currency).Select(b => new { b.SellerId, b.Currency }).ToListAsync(ct);
            candidates = rows.Select(r => (r.SellerId, r.Currency)).ToList();
        }
        foreach (var (seller, currency) in candidates) await StartAsync(runKey, seller, currency, ct);

        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
            var run = await db.PayoutRuns.FirstAsync(r => r.Key == runKey, ct);
            run.Complete(clock.GetUtcNow()); // every payout of it is started: its instruction carries it from here
            await db.SaveChangesAsync(ct);
        }
        await instructions.RunDueAsync(ct);
        await using (var scope = scopes.CreateAsyncScope())
        {
            return await scope.ServiceProvider.GetRequiredService<SafeholdDb>().Payouts.AsNoTracking()
                .Where(p => p.RunKey == runKey).OrderBy(p => p.SellerId).ThenBy(p => p.Currency).ToListAsync(ct);
        }
    }

    /// <summary>One transaction: the seller's available balance, read under its lock, becomes a processing payout and its instruction.</summary>
    private async Task StartAsync(string runKey, Guid sellerId, string currency, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var now = clock.GetUtcNow();
        try
        {
            await using var tx = await scope.ServiceProvider.GetRequiredService<WriteGate>().BeginTransactionAsync(db, ct);
            if (db.OnPostgres)
            {
                // Credits and other runs wait for this seller's row; on SQLite the write transaction is already exclusive.
                await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "SellerBalances" WHERE "SellerId" = {sellerId} AND "Currency" = {currency} FOR UPDATE""", ct);
            }
            if (await db.Payouts.AnyAsync(p => p.RunKey == runKey && p.SellerId == sellerId && p.Currency == currency, ct)) return;
            var available = await db.SellerBalances.AsNoTracking()
                .Where(b => b.SellerId == sellerId && b.Currency == currency).Select(b => b.Available).FirstOrDefaultAsync(ct);
            var money = new Money(available, Currency.Of(currency));
            if (Payout.Start(Guid.CreateVersion7(now), sellerId, money, options.Value.MinimumFor(money.Currency), runKey, now) is not { } started) return;
            db.Payouts.Add(started.Payout);
            db.PaymentInstructions.Add(PaymentInstruction.ForPayout(started.Payout.Id, sellerId, started.Payout.ProviderKey, money, now));
            await db.PostAsync(started.Entry, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateException e)
        {
            // Another host started this seller's payout in this run first (the unique run, seller and currency).
            log.LogInformation("Payout of {Seller} in {Currency} for {Run} was started elsewhere ({Message})", sellerId, currency, runKey, e.InnerException?.Message ?? e.Message);
        }
    }
}
