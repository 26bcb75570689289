using Microsoft.Extensions.Options;
using Safehold.Web.Features.Payouts;

namespace Safehold.Web.Jobs;

/// <summary>
/// Runs the payout schedule in the host: at start (a run missed while it was down) and then every minute it makes
/// the period's run once it falls due and finishes any run or payout a crash cut short. Off with the rest of the
/// timed work (<c>Safehold:Sweeper:Enabled=false</c>) or with <c>Safehold:Payouts:Scheduled=false</c>.
/// </summary>
public sealed class PayoutSchedulerService(PayoutRunner runner, TimeProvider clock, IOptions<SweeperOptions> sweeper,
    ILogger<PayoutSchedulerService> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!sweeper.Value.Enabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var paid = await runner.RunDueAsync(stoppingToken);
                if (paid > 0) log.LogInformation("Sent {Count} payouts", paid);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogError(e, "The payout run failed; it will try again");
            }
            try
            {
                await Task.Delay(Interval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
