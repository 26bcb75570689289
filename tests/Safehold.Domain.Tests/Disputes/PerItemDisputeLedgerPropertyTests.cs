using Safehold.Domain.Disputes;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Policy;
using static Safehold.Domain.Tests.Orders.TestOrders;

namespace Safehold.Domain.Tests.Disputes;

/// <summary>
/// Orders of several items with disputes naming random items and quantities, driven at random with the rest's own clock
/// (delivery, confirm receipt, the sweeper's protection end and dispute window) and chargebacks: money is never created
/// or lost, no balance goes negative, escrow holds exactly what is not yet released or refunded, and commission is charged
/// on released money only, per part (the rest, and what stays of the claimed part). Seeds are fixed, so a failure replays.
/// </summary>
public sealed class PerItemDisputeLedgerPropertyTests
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
    public void Random_per_item_disputes_never_create_or_lose_a_unit_and_charge_commission_only_on_released_money(int seed)
    {
        var random = new Random(seed);
        var policy = new ProtectionPolicy { CommissionBasisPoints = random.Next(0, 2_001) };
        var cases = new List<Case>();
        var entries = new List<JournalEntry>();
        var now = T0;

        for (var step = 0; step < 3_000; step++)
        {
            now = random.Next(30) == 0 ? now.AddDays(random.Next(1, 12)) : now.AddMinutes(random.Next(1, 240));
            if (cases.Count == 0 || random.Next(25) == 0)
            {
                var currency = Currencies[random.Next(Currencies.Length)];
                var lines = Enumerable.Range(0, random.Next(1, 4))
                    .Select(_ => (Listing(random.Next(3) == 0 ? random.Next(1, 30) : random.NextInt64(1, 2_000_000), currency), random.Next(1, 4)))
                    .ToList();
                var placed = Order.Place(Guid.NewGuid(), Guid.NewGuid(), lines, "somewhere", policy, now);
                entries.Add(placed.Pay(Buyer(placed), now, "pay"));
                placed.Ship(Seller(placed), now, "UPS", "1Z");
                cases.Add(new Case(placed));
                continue;
            }
            if (random.Next(5) == 0)
            {
                foreach (var c in cases) Sweep(c, entries, now);
                foreach (var c in cases) AssertInvariants(c, entries);
                continue;
            }
            var live = cases.Where(x => x.Order.Status is not OrderStatus.Closed && x.Order.CreditAvailableAt is null).ToList();
            var picked = live.Count > 0 && random.Next(6) != 0 ? live[random.Next(live.Count)] : cases[random.Next(cases.Count)];
            try
            {
                Move(random, picked, entries, now);
            }
            catch (DomainException)
            {
                // Refused: nothing was posted (checked by the invariants).
            }
            AssertInvariants(picked, entries);
        }
        foreach (var c in cases) AssertInvariants(c, entries);

        Assert.Contains(entries, e => e.Kind == "dispute_release");
        Assert.Contains(entries, e => e.Kind == "dispute_partial_refund");
        Assert.Contains(cases, c => c.Order.PartAmount > 0 && c.Order.Status == OrderStatus.Completed && c.Order.PartSettledAt is not null);
        Assert.Contains(entries, e => e.Kind == "dispute_hold");
        Assert.Equal(entries.Count, entries.Select(e => e.DedupeKey).Distinct().Count());
        foreach (var currency in Currencies)
            Assert.Equal(0, entries.SelectMany(e => e.Lines).Where(l => l.Currency == currency).Sum(l => l.Amount));
    }

    private static void Move(Random random, Case c, List<JournalEntry> entries, DateTimeOffset now)
    {
        var o = c.Order;
        void Post(JournalEntry? entry)
        {
            if (entry is not null) entries.Add(entry);
        }

        var d = c.Open;
        switch (random.Next(d is null ? 5 : 12))
        {
            case 0: o.MarkDelivered(Seller(o), now); return;
            case 1: Post(o.ConfirmReceipt(Buyer(o), now)); return;
            case 2 when random.Next(6) == 0 && o.ChargebackId is null:
                var (chargeback, held) = o.OpenChargeback(now, Guid.NewGuid(), d, "fraud", now.AddDays(10), null, ChargebackBearer.Seller, null, new DisputeTerms());
                Post(held);
                c.Disputes.Add(chargeback);
                return;
            case 2 or 3 or 4 when d is null:
                var items = o.Lines.Where(_ => random.Next(2) == 0).Select(l => (l.ItemId, random.Next(1, l.Quantity + 1))).ToList();
                var claim = o.ClaimOf(items)?.Value ?? o.TotalAmount;
                var asks = (DisputeOutcome)random.Next(3);
                var (opened, hold) = o.OpenDisputeWithEntry(Buyer(o), now, Guid.NewGuid(), (DisputeReason)random.Next(1, 6), asks,
                    asks == DisputeOutcome.PartialRefund ? random.NextInt64(1, claim + 1) : null, "Not right.", new DisputeTerms(), items);
                c.Disputes.Add(opened);
                Post(hold);
                return;
        }
        if (d is null) return;
        if (d.IsChargeback)
        {
            var outcome = random.Next(2) == 0 ? ChargebackOutcome.Won : ChargebackOutcome.Lost;
            Post(d.DecideChargeback(outcome, now, null).ApplyTo(o, now));
            return;
        }
        var decided = (DisputeOutcome)random.Next(4);
        long? Amount() => random.NextInt64(1, d.ClaimedAmount + 1);
        var step = random.Next(7) switch
        {
            0 => d.Accept(TestDisputes.SellerOf(d), now),
            1 => d.CounterOffer(TestDisputes.SellerOf(d), now, DisputeOutcome.PartialRefund, Amount(), "offer"),
            2 => d.AcceptOffer(TestDisputes.BuyerOf(d), now),
            3 => d.Withdraw(TestDisputes.BuyerOf(d), now),
            4 => d.Escalate(TestDisputes.BuyerOf(d), now),
            5 => d.Reject(TestDisputes.SellerOf(d), now, "no"),
            _ => d.Decide(DisputeActor.Arbiter(TestDisputes.ArbiterA), now, decided, decided == DisputeOutcome.PartialRefund ? Amount() : null, "because"),
        };
        Post(step.ApplyTo(o, now));
    }

    /// <summary>What the deadline sweeper does: fire every due timer of the order and its open dispute, each at its due instant.</summary>
    private static void Sweep(Case c, List<JournalEntry> entries, DateTimeOffset now)
    {
        for (var fired = 0; fired < 30; fired++)
        {
            var orderTimer = c.Order.Timers.Where(t => t.DueAt <= now).MinBy(t => t.DueAt);
            var disputeTimer = c.Open?.Timers.Where(t => t.DueAt <= now).MinBy(t => t.DueAt);
            if (orderTimer is null && disputeTimer is null) break;
            if (disputeTimer is not null && (orderTimer is null || disputeTimer.DueAt <= orderTimer.DueAt))
            {
                if (c.Open!.FireTimer(disputeTimer.Kind, disputeTimer.DueAt).ApplyTo(c.Order, disputeTimer.DueAt) is { } entry) entries.Add(entry);
            }
            else
            {
                // The rest of an order with a per-item dispute runs on; a whole dispute pauses every timer.
                Assert.True(c.Order.OpenDisputeId is null || c.Order.PartAmount > 0);
                if (c.Order.FireTimer(orderTimer!.Kind, orderTimer.DueAt).Entry is { } entry) entries.Add(entry);
            }
        }
    }

    private static void AssertInvariants(Case c, List<JournalEntry> entries)
    {
        var o = c.Order;
        var lines = entries.Where(e => e.OrderId == o.Id).SelectMany(e => e.Lines).ToList();
        long Balance(AccountType type) => lines.Where(l => l.AccountType == type).Sum(l => l.Amount);
        var held = Balance(AccountType.Escrow);
        var refunded = Balance(AccountType.RefundsOwed);
        var seller = Balance(AccountType.SellerPending) + Balance(AccountType.SellerAvailable);
        var commission = Balance(AccountType.PlatformCommission);
        var chargedBack = Balance(AccountType.ChargebacksOut);
        var captured = -Balance(AccountType.PaymentClearing);
        Assert.Equal(o.TotalAmount, captured);
        Assert.Equal(captured, held + refunded + seller + commission + chargedBack);
        Assert.True(held >= 0 && refunded >= 0 && commission >= 0, $"Order {o.Id}: {held} {refunded} {seller} {commission}");
        if (o.ChargebackId is not null) return; // a chargeback's money is its own property test's (OrderChargebackTests)

        Assert.True(seller >= 0);
        Assert.Equal(o.RefundedAmount, refunded);
        // Released so far, per part: the rest once the order completed, and the claimed part (less its refund) once settled.
        var part = o.PartAmount;
        var partHeld = part > 0 && o.PartSettledAt is null;
        var restReleased = o.CompletedAt is not null ? (part > 0 ? o.TotalAmount - part : o.TotalAmount - o.RefundedAmount) : 0;
        var partReleased = part > 0 && !partHeld ? part - o.RefundedAmount : 0;
        if (o.Status == OrderStatus.Closed) (restReleased, partReleased) = (0, 0);
        Assert.Equal(o.TotalAmount - o.RefundedAmount - restReleased - partReleased, held);
        Assert.Equal(ExpectedCommission(restReleased, o.CommissionBasisPoints) + ExpectedCommission(partReleased, o.CommissionBasisPoints), commission);
        Assert.Equal(restReleased + partReleased - commission, seller);
        if (partHeld) Assert.NotNull(o.OpenDisputeId);
    }
}
