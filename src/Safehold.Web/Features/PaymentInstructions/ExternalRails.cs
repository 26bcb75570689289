using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Safehold.Domain.Payments;
using Safehold.Web.Jobs;

namespace Safehold.Web.Features.PaymentInstructions;

/// <summary>
/// An event of a payment instruction in the event log (<c>payment_instruction.{Kind}</c>); a database trigger appends it to
/// the log as it is written, as it does for order and dispute events. On <c>external</c> rails, what the marketplace is to
/// send, through the webhooks: <c>created</c>, each refund and payout Safehold decides; <c>retried</c>, one an admin
/// sends again from the queue. On any rails, what became of a refund or payout: <c>succeeded</c> (the money left),
/// <c>failed</c> (it did not, or came back, and waits for an admin), <c>resolved</c> (an admin settled it by hand).
/// </summary>
public sealed class PaymentInstructionEvent
{
    public const string Created = "created", Retried = "retried", Succeeded = "succeeded", Failed = "failed", Resolved = "resolved";

    private PaymentInstructionEvent()
    {
        Kind = "";
    }

    public PaymentInstructionEvent(Guid instructionId, int sequence, string kind, DateTimeOffset at)
    {
        InstructionId = instructionId;
        Sequence = sequence;
        Kind = kind;
        At = at;
    }

    public Guid InstructionId { get; private set; }

    /// <summary>Counts the instruction's events from 1.</summary>
    public int Sequence { get; private set; }

    public string Kind { get; private set; }
    public DateTimeOffset At { get; private set; }
}

/// <summary>
/// <c>external</c> rails (SPEC 4): every refund or payout instruction written is announced in the same transaction, as a
/// <c>payment_instruction.created</c> event that the webhook endpoints deliver, signed, to the marketplace.
/// </summary>
/// <remarks>
/// A save interceptor rather than a call at each place that writes an instruction (a refund a row asks for, a payout a
/// run starts): whatever writes one, it cannot be written unannounced, and sandbox rails, which execute their own
/// instructions, announce nothing.
/// </remarks>
public static class ExternalRails
{
    private static readonly Announcer Announce = new();

    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, PaymentRails rails) =>
        rails == PaymentRails.External ? options.AddInterceptors(Announce) : options;

    /// <summary>
    /// What the interceptor does, for a writer that does not go through <c>SaveChanges</c> (the sweeper's prepared batches,
    /// <see cref="Data.PreparedSaver"/>): adds the events of the new instructions when the context is on external rails.
    /// </summary>
    public static void AnnounceNew(DbContext context)
    {
        if (context.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?.Interceptors?.Contains(Announce) == true)
            AddEvents(context);
    }

    private static void AddEvents(DbContext context)
    {
        var written = context.ChangeTracker.Entries<PaymentInstruction>()
            .Where(e => e.State == EntityState.Added && e.Entity.Kind != InstructionKind.Capture)
            .Select(e => e.Entity).ToList();
        // A save that failed and is tried again has them already.
        var announced = context.ChangeTracker.Entries<PaymentInstructionEvent>().Select(e => e.Entity.InstructionId).ToHashSet();
        foreach (var instruction in written.Where(i => !announced.Contains(i.Id)))
            context.Add(new PaymentInstructionEvent(instruction.Id, 1, PaymentInstructionEvent.Created, instruction.CreatedAt));
    }

    private sealed class Announcer : SaveChangesInterceptor
    {
        public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
        {
            if (eventData.Context is { } context) AddEvents(context);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
            CancellationToken cancellationToken = default)
        {
            if (eventData.Context is { } context) AddEvents(context);
            return ValueTask.FromResult(result);
        }
    }
}
