using Microsoft.Extensions.DependencyInjection;
using Safehold.Web.Data;

namespace Safehold.Web.Tests.Data;

public sealed class WriteGateTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    // Not a timing: how long a step may take before the test calls it stuck rather than hanging the run.
    private static readonly TimeSpan Stuck = TimeSpan.FromSeconds(30);

    private WriteGate Gate => app.Services.GetRequiredService<WriteGate>();

    [Fact]
    public async Task On_SQLite_a_second_writer_waits_in_the_queue_until_the_first_commits_and_on_PostgreSQL_it_does_not()
    {
        var (firstScope, firstDb) = app.OpenDb();
        var (secondScope, secondDb) = app.OpenDb();
        using (firstScope)
        using (secondScope)
        {
            await using var first = await Gate.BeginTransactionAsync(firstDb, default);

            var second = Gate.BeginTransactionAsync(secondDb, default);

            if (TestDatabase.IsPostgres)
            {
                await using var begun = await second.WaitAsync(Stuck);
                await begun.CommitAsync();
                return;
            }
            Assert.False(second.IsCompleted); // queued in the process, not asleep inside SQLite's busy handler
            await first.CommitAsync();
            await using var secondTransaction = await second.WaitAsync(Stuck);
            await secondTransaction.CommitAsync();
        }
    }

    [Fact]
    public async Task A_writer_that_rolls_back_or_is_disposed_without_committing_gives_its_place_up()
    {
        var (scope, db) = app.OpenDb();
        var (otherScope, otherDb) = app.OpenDb();
        using (scope)
        using (otherScope)
        {
            await (await Gate.BeginTransactionAsync(db, default)).DisposeAsync();
            var rolledBack = await Gate.BeginTransactionAsync(db, default).WaitAsync(Stuck);
            await rolledBack.RollbackAsync();
            await rolledBack.DisposeAsync(); // gives nothing up twice

            await using var next = await Gate.BeginTransactionAsync(db, default).WaitAsync(Stuck);
            var afterNext = Gate.BeginTransactionAsync(otherDb, default);
            if (!TestDatabase.IsPostgres) Assert.False(afterNext.IsCompleted); // still one writer at a time
            await next.CommitAsync();
            await (await afterNext.WaitAsync(Stuck)).DisposeAsync();
        }
    }
}
