using Safehold.Domain.Disputes;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Policy;
using static Safehold.Domain.Tests.Orders.TestOrders;

namespace Safehold.Domain.Tests.Disputes;

/// <summary>
/// Orders and their disputes driven at random through legal and illegal moves, with a sweeper firing both kinds of
/// timers: money is never created or lost, an open dispute keeps its order frozen, and a paused timer never fires.
/// Seeds are fixed, so a failure replays.
/// </summary>
public sealed class DisputeLedgerPropertyTests
{
    private static readonly string[] Currencies = ["USD", "JPY", "KWD"];

    public static TheoryData<int> Seeds() => new(Enumerable.Range(1, 15));

    private sealed class Case(Order order)
    {
        public Order Order { get; } = order;
        public List<Dispute> Disputes { get; } = [];
        public Dispute? Open => Disputes.LastOrDefault(d => d.IsOpen);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_disputes_never_create_or_lose_money_and_keep_their_orders_frozen(int seed)
    {
        var random = new Random(seed);
        var policy = new ProtectionPolicy { CommissionBasisPoints = random.Next(0, 2_001) };
        var cases = new List<Case>();
        var entries = new List<JournalEntry>();
        var now = T0;
        var refusals = 0;

        for (var step = 0; step < 3_000; step++)
        {
            now = random.Next(40) == 0 ? now.AddDays(random.Next(1, 12)) : now.AddMinutes(random.Next(1, 120));
            if (cases.Count == 0 || random.Next(30) == 0)
            {
                var price = random.Next(3) == 0 ? random.Next(1, 25) : random.NextInt64(1, 5_000_000);
                cases.Add(new Case(Order.Place(Guid.NewGuid(), Guid.NewGuid(), [(Listing(price, Currencies[random.Next(Currencies.Length)]), random.Next(1, 3))],
                    "somewhere", policy, now)));
                continue;
            }
            if (random.Next(6) == 0)
            {
                Sweep(cases, entries, now);
                foreach (var swept in cases) AssertInvariants(swept, entries);
                continue;
            }
            // Mostly an order still going somewhere, so that disputes get far (decided, appealed).
            var live = cases.Where(x => x.Order.Status is not OrderStatus.Closed && x.Order.CreditAvailableAt is null).ToList();
            var c = live.Count > 0 && random.Next(8) != 0 ? live[random.Next(live.Count)] : cases[random.Next(cases.Count)];
            var orderBefore = Snapshot(c.Order);
            var disputeBefore = c.Open is { } open ? TestDisputes.Snapshot(open) : null;
            try
            {
                Move(random, c, entries, now);
            }
            catch (DomainException)
            {
                refusals++;
                Assert.Equal(orderBefore, Snapshot(c.Order));
                if (disputeBefore is not null) Assert.Equal(disputeBefore, TestDisputes.Snapshot(c.Disputes.Last(d => d.IsOpen)));
            }
            AssertInvariants(c, entries);
        }
        foreach (var c in cases) AssertInvariants(c, entries);

        Assert.True(refusals > 0);
        Assert.Contains(entries, e => e.Kind == "dispute_refund");
        Assert.Contains(entries, e => e.Kind == "dispute_partial_refund");
        Assert.Contains(cases, c => c.Disputes.Any(d => d.Status == DisputeStatus.Withdrawn));
        Assert.Contains(cases, c => c.Disputes.Any(d => d.AppealedAt is not null));
        Assert.Equal(entries.Count, entries.Select(e => e.DedupeKey).Distinct().Count());
        foreach (var currency in Currencies)
            Assert.Equal(0, entries.SelectMany(e => e.Lines).Where(l => l.Currency == currency).Sum(l => l.Amount));
    }

    private static void Move(Random random, Case c, List<JournalEntry> entries, DateTimeOffset now)
    {
        var o = c.Order;
        var total = o.TotalAmount;
        long? Amount() => random.Next(8) == 0 ? random.NextInt64(-1, total + 3) : random.NextInt64(1, total + 1);
        void Post(JournalEntry? entry)
        {
            if (entry is not null) entries.Add(entry);
        }

        if (c.Open is not { } d)
        {
            switch (random.Next(6))
            {
                case 0: Post(o.Pay(Buyer(o), now, "pay")); break;
                case 1: o.Ship(Seller(o), now, "DHL", "1"); break;
                case 2: o.MarkDelivered(Seller(o), now); break;
                case 3: Post(o.ConfirmReceipt(Buyer(o), now)); break;
                default:
                    var asks = (DisputeOutcome)random.Next(3); // full, partial, return
                    var dispute = o.OpenDispute(Buyer(o), now, Guid.NewGuid(), (DisputeReason)random.Next(6), asks,
                        asks == DisputeOutcome.PartialRefund ? Amount() : null, "It is not right.", new DisputeTerms());
                    c.Disputes.Add(dispute);
                    break;
            }
            return;
        }

        var outcome = (DisputeOutcome)random.Next(4);
        var arbiter = DisputeActor.Arbiter(random.Next(2) == 0 ? TestDisputes.ArbiterA : TestDisputes.ArbiterB);
        var buyer = TestDisputes.BuyerOf(d);
        var seller = TestDisputes.SellerOf(d);
        // Usually the party the action belongs to; now and then anybody.
        DisputeActor By(DisputeActor usual) => random.Next(5) != 0 ? usual : random.Next(3) switch { 0 => buyer, 1 => seller, _ => arbiter };
        var step = random.Next(12) switch
        {
            0 => d.Accept(By(seller), now),
            1 or 2 => d.CounterOffer(By(seller), now, outcome, outcome == DisputeOutcome.PartialRefund ? Amount() : null, "offer"),
            3 => d.Reject(By(seller), now, "no"),
            4 => d.AcceptOffer(By(buyer), now),
            5 => d.Escalate(By(random.Next(2) == 0 ? buyer : seller), now),
            6 => d.Withdraw(By(buyer), now),
            7 => d.ShipReturn(By(buyer), now, "UPS", "1Z"),
            8 => d.ConfirmReturn(By(seller), now),
            9 => d.Appeal(By(random.Next(2) == 0 ? buyer : seller), now, "again"),
            _ => d.Decide(By(arbiter), now, outcome, outcome == DisputeOutcome.PartialRefund ? Amount() : null, "because"),
        };
        Post(step.ApplyTo(o, now));
    }

    /// <summary>What the deadline sweeper will do: fire every due timer of orders and disputes, each at its due instant.</summary>
    private static void Sweep(List<Case> cases, List<JournalEntry> entries, DateTimeOffset now)
    {
        foreach (var c in cases)
        {
            for (var fired = 0; fired < 30; fired++)
            {
                var orderTimer = c.Order.Timers.Where(t => t.DueAt <= now).MinBy(t => t.DueAt);
                var disputeTimer = c.Open?.Timers.Where(t => t.DueAt <= now).MinBy(t => t.DueAt);
                if (orderTimer is null && disputeTimer is null) break;
                if (disputeTimer is not null && (orderTimer is null || disputeTimer.DueAt <= orderTimer.DueAt))
                {
                    var step = c.Open!.FireTimer(disputeTimer.Kind, disputeTimer.DueAt);
                    if (step.ApplyTo(c.Order, disputeTimer.DueAt) is { } entry) entries.Add(entry);
                }
                else
                {
                    Assert.False(orderTimer!.IsPaused);
                    Assert.Null(c.Order.OpenDisputeId); // a frozen order has nothing due
                    if (c.Order.FireTimer(orderTimer.Kind, orderTimer.DueAt).Entry is { } entry) entries.Add(entry);
                }
            }
        }
    }

    private static void AssertInvariants(Case c, List<JournalEntry> entries)
    {
        {
            var o = c.Order;
            Assert.True(c.Disputes.Count(d => d.IsOpen) <= 1);
            Assert.Equal(c.Open?.Id, o.OpenDisputeId);
            if (o.OpenDisputeId is not null) Assert.All(o.Timers, t => Assert.True(t.IsPaused));
            else Assert.All(o.Timers, t => Assert.False(t.IsPaused));

            var lines = entries.Where(e => e.OrderId == o.Id).SelectMany(e => e.Lines).ToList();
            long Balance(AccountType type) => lines.Where(l => l.AccountType == type).Sum(l => l.Amount);
            var held = Balance(AccountType.Escrow);
            var refunded = Balance(AccountType.RefundsOwed); // owed until its instruction is sent
            var seller = Balance(AccountType.SellerPending) + Balance(AccountType.SellerAvailable);
            var commission = Balance(AccountType.PlatformCommission);
            var captured = -Balance(AccountType.PaymentClearing);
            Assert.Equal(captured, held + refunded + seller + commission);
            Assert.True(held >= 0 && refunded >= 0 && seller >= 0 && commission >= 0, $"Order {o.Id}: {held} {refunded} {seller} {commission}");
            var expectedHeld = o.Status is OrderStatus.AwaitingShipment or OrderStatus.AwaitingDelivery ? o.TotalAmount : 0;
            Assert.Equal(expectedHeld, held);
            if (o.Status == OrderStatus.Completed)
            {
                var released = o.TotalAmount - o.RefundedAmount;
                Assert.Equal(o.RefundedAmount, refunded);
                Assert.Equal(ExpectedCommission(released, o.CommissionBasisPoints), commission);
                Assert.Equal(released - commission, seller);
            }
            if (o.Status == OrderStatus.Closed) Assert.Equal(captured, refunded);
        }
    }
}
