using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Safehold.Domain.Disputes;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Disputes;
using Safehold.Web.Features.Users;
using static Safehold.Web.Tests.Features.Disputes.DisputeApi;

namespace Safehold.Web.Tests.Features.Disputes;

/// <summary>Loading a dispute and its order for a change.</summary>
public sealed class DisputeAccessTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    /// <summary>Runs <paramref name="between"/> once, right after the dispute's own row has been read (before its timers, offers and timeline).</summary>
    private sealed class AfterTheDisputesRow(Func<Task> between) : DbCommandInterceptor
    {
        private bool _done;

        public bool Done => _done;

        public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
            CancellationToken ct = default)
        {
            var text = command.CommandText;
            if (!_done && text.Contains("FROM \"Disputes\" AS", StringComparison.Ordinal) && text.Contains("\"Version\"", StringComparison.Ordinal)
                && !text.Contains("JOIN", StringComparison.Ordinal))
            {
                _done = true;
                await between();
            }
            return result;
        }
    }

    /// <summary>A context of its own on the test's database, with <paramref name="interceptor"/> on its commands.</summary>
    private static SafeholdDb With(SafeholdDb db, IInterceptor interceptor)
    {
        var options = db.GetService<IDbContextOptions>();
        return db switch
        {
            SqliteSafeholdDb => new SqliteSafeholdDb(new DbContextOptionsBuilder<SqliteSafeholdDb>((DbContextOptions<SqliteSafeholdDb>)options).AddInterceptors(interceptor).Options),
            _ => new PostgresSafeholdDb(new DbContextOptionsBuilder<PostgresSafeholdDb>((DbContextOptions<PostgresSafeholdDb>)options).AddInterceptors(interceptor).Options),
        };
    }

    [Fact]
    public async Task A_dispute_loaded_ahead_of_the_lock_while_a_step_of_it_commits_is_read_whole_as_it_was_before_that_step_and_can_take_its_own()
    {
        var (buyer, seller, _, opened) = await app.Disputed(amount: 8_000);
        var id = opened.Id();
        var (scope, pooled) = app.OpenDb();
        using (scope)
        {
            // Between the dispute's row and its timeline, the buyer withdraws it (one more event in its timeline).
            var between = new AfterTheDisputesRow(() => PostOk(buyer, id, "withdraw"));
            await using var db = With(pooled, between);

            var (dispute, order) = await DisputeAccess.LoadAheadAsync(db, id, new Caller(seller.Id, UserRole.Seller), orderTracked: true, CancellationToken.None);

            Assert.True(between.Done);
            Assert.Equal(DisputeStatus.AwaitingSellerResponse, dispute.Status);
            Assert.Equal(["opened"], dispute.Timeline.Select(e => e.Kind));
            Assert.Equal(order.OpenDisputeId, dispute.Id);
            // The seller's answer, decided on what was read, adds the timeline's next event: no other is tracked under its key.
            dispute.Accept(DisputeAccess.ActorOf(dispute, new Caller(seller.Id, UserRole.Seller)), app.Clock.GetUtcNow());
            db.ChangeTracker.DetectChanges();
        }
        Assert.Equal("withdrawn", (await Get(buyer, id))["status"]!.GetValue<string>()); // the step that committed meanwhile stands
    }
}
