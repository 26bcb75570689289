using Microsoft.Extensions.DependencyInjection;
using Safehold.Web.Api;
using Safehold.Web.Data;

namespace Safehold.Web.Tests.Http;

/// <summary>
/// A request scope whose transaction is deferred, as the write filter (<see cref="WriteTransaction"/>) leaves it for an
/// endpoint marked <see cref="PreparedAhead"/>, with its use case <typeparamref name="TUseCase"/>: for driving a change
/// prepared ahead of the write lock step by step.
/// </summary>
internal sealed record DeferredRequest<TUseCase>(IServiceScope Scope, WriteSession Session, TUseCase UseCase, SafeholdDb Db) : IDisposable
    where TUseCase : notnull
{
    public static DeferredRequest<TUseCase> In(SafeholdApp app)
    {
        var scope = app.Services.CreateScope();
        var session = scope.ServiceProvider.GetRequiredService<WriteSession>();
        session.Defer(_ => Task.CompletedTask);
        return new(scope, session, scope.ServiceProvider.GetRequiredService<TUseCase>(), scope.ServiceProvider.GetRequiredService<SafeholdDb>());
    }

    /// <summary>
    /// Runs a use case as the write filter does: a staged write is written (on SQLite by the group commit), and if it is
    /// refused, the use case runs again with the transaction begun first; that transaction commits.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<Task<T>> run)
    {
        var answer = await run();
        if (Session.Staged is { } staged)
        {
            if (await Session.WriteStagedAsync(staged)) return answer;
            Session.Unstage();
            await Session.BeginAsync(CancellationToken.None);
            answer = await run();
        }
        await Session.Transaction!.CommitAsync();
        return answer;
    }

    /// <summary>Whether a transaction is open on the request's context now (the write lock held, on SQLite).</summary>
    public bool InTransaction => Db.Database.CurrentTransaction is not null;

    public void Dispose() => Scope.Dispose();
}
