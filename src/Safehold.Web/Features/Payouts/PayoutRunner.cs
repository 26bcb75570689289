using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain;
using Safehold.Domain.Payouts;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Notifications;
using Safehold.Web.Payments;

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
/// Pays sellers their available balances. Every step is its own short transaction, and the provider is called
/// between them, never inside one: start a seller's payout (the journal moves the money out of available), send it
/// under the payout's own key, record the answer. A run, or a payout, cut short by a crash is finished by the next
/// pass on any host; a seller is paid at most once per run and currency (a unique key), and a payout at most once
/// (the provider's idempotency key).
/// </summary>
public sealed class PayoutRunner(IServiceScopeFactory scopes, IPaymentProvider provider, TimeProvider clock,
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
        paid += await FinishProcessingAsync(ct); // payouts of finished runs whose answer a crash lost
        return paid;
    }

    /// <summary>An admin's run, now: returns its payouts.</summary>
    public async Task<(string Key, IReadOnlyList<Payout> Payouts)> RunNowAsync(Guid adminId, CancellationToken ct)
    {
        await FinishProcessingAsync(ct); // first what a crash left half-sent, so its seller is not counted twice
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

    /// <summary>Starts and sends the run's payout for every seller balance at or above the minimum; marks the run complete.</summary>
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

        List<Guid> ids;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
            ids = await db.Payouts.AsNoTracking().Where(p => p.RunKey == runKey && p.Status == PayoutStatus.Processing).Select(p => p.Id).ToListAsync(ct);
        }
        var sentAll = true;
        foreach (var id in ids) sentAll &= await SendAsync(id, ct);

        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
            if (sentAll)
            {
                var run = await db.PayoutRuns.FirstAsync(r => r.Key == runKey, ct);
                run.Complete(clock.GetUtcNow());
                await db.SaveChangesAsync(ct);
            }
            return await db.Payouts.AsNoTracking().Where(p => p.RunKey == runKey).OrderBy(p => p.SellerId).ThenBy(p => p.Currency).ToListAsync(ct);
        }
    }

    /// <summary>One transaction: the seller's available balance, read under its lock, becomes a processing payout.</summary>
    private async Task StartAsync(string runKey, Guid sellerId, string currency, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
        var now = clock.GetUtcNow();
        try
        {
            await using var tx = await scope.ServiceProvider.GetRequiredService<WriteGate>().BeginTransactionAsync(db, ct);
            if (db.Database.IsNpgsql())
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

    /// <summary>Sends every payout still processing, whatever its run: the ones a crash left between the provider and the commit.</summary>
    private async Task<int> FinishProcessingAsync(CancellationToken ct)
    {
        List<Guid> ids;
        await using (var scope = scopes.CreateAsyncScope())
        {
            ids = await scope.ServiceProvider.GetRequiredService<SafeholdDb>().Payouts.AsNoTracking()
                .Where(p => p.Status == PayoutStatus.Processing).OrderBy(p => p.CreatedAt).Select(p => p.Id).ToListAsync(ct);
        }
        var finished = 0;
        foreach (var id in ids)
        {
            if (await SendAsync(id, ct)) finished++;
        }
        return finished;
    }

    /// <summary>Calls the provider for one processing payout and records its answer; false when the provider could not be reached.</summary>
    private async Task<bool> SendAsync(Guid payoutId, CancellationToken ct)
    {
        Payout? payout;
        await using (var scope = scopes.CreateAsyncScope())
        {
            payout = await scope.ServiceProvider.GetRequiredService<SafeholdDb>().Payouts.AsNoTracking().FirstOrDefaultAsync(p => p.Id == payoutId, ct);
        }
        if (payout is not { Status: PayoutStatus.Processing }) return true;

        PaymentResult answer;
        try
        {
            answer = await provider.PayoutAsync(payout.ProviderKey, payout.SellerId, payout.Money, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Nothing is lost: the payout stays processing and the next pass sends it again under the same key.
            log.LogWarning(e, "Payout {PayoutId} could not be sent; it will be sent again", payoutId);
            return false;
        }

        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SafeholdDb>();
            var now = clock.GetUtcNow();
            try
            {
                await using var tx = await scope.ServiceProvider.GetRequiredService<WriteGate>().BeginTransactionAsync(db, ct);
                if (db.Database.IsNpgsql())
                    await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "Payouts" WHERE "Id" = {payoutId} FOR UPDATE""", ct);
                var tracked = await db.Payouts.FirstAsync(p => p.Id == payoutId, ct);
                if (tracked.Status != PayoutStatus.Processing) return true; // another host recorded the same answer
                var notifier = scope.ServiceProvider.GetRequiredService<Notifier>();
                var values = new NoticeValues().Id("payoutId", tracked.Id).Money("amount", tracked.Money);
                if (answer.Succeeded)
                {
                    tracked.MarkPaid(answer.Reference!, now);
                    await notifier.AddAsync(tracked.SellerId, null, "payout_paid", values.Text("reference", answer.Reference), now, ct);
                }
                else
                {
                    await db.PostAsync(tracked.MarkFailed(answer.DeclineCode ?? "payout_refused", now), ct);
                    await notifier.AddAsync(tracked.SellerId, null, "payout_failed", values.Text("declineCode", answer.DeclineCode), now, ct);
                }
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
            }
            catch (DbUpdateException e)
            {
                log.LogInformation("Payout {PayoutId} was recorded elsewhere ({Message})", payoutId, e.InnerException?.Message ?? e.Message);
            }
        }
        return true;
    }

}
