using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Policy;
using static Safehold.Domain.Tests.Orders.TestOrders;

namespace Safehold.Domain.Tests.Ledger;

/// <summary>
/// Many orders driven at random through legal and illegal moves, in several currencies and commissions:
/// whatever happens, money is never created, lost or counted twice. Seeds are fixed, so a failure replays.
/// </summary>
public sealed class LedgerPropertyTests
{
    private const int Steps = 2_000;

    private static readonly string[] Currencies = ["USD", "JPY", "GEL"];
    private static readonly string[] Categories = ["electronics", "books", "fashion", "toys"];

    /// <summary>The moves a caller would plausibly try, weighted so that orders get far enough for every kind of movement.</summary>
    private static readonly (OrderTrigger Trigger, Party Party)[] Plausible =
    [
        .. Weighted(OrderTrigger.Pay, Party.Buyer, 4),
        .. Weighted(OrderTrigger.Ship, Party.Seller, 4),
        .. Weighted(OrderTrigger.MarkDelivered, Party.Seller, 1),
        .. Weighted(OrderTrigger.MarkDelivered, Party.Admin, 1),
        .. Weighted(OrderTrigger.ConfirmReceipt, Party.Buyer, 2),
        .. Weighted(OrderTrigger.Cancel, Party.Buyer, 1),
        .. Weighted(OrderTrigger.Cancel, Party.Seller, 1),
        .. Weighted(OrderTrigger.ExpireUnpaid, Party.System, 1),
        .. Weighted(OrderTrigger.ShipByMissed, Party.System, 1),
        .. Weighted(OrderTrigger.ProtectionEnded, Party.System, 1),
        .. Weighted(OrderTrigger.DeliveryAutoComplete, Party.System, 1),
        .. Weighted(OrderTrigger.ExtendProtection, Party.Buyer, 3),
        .. Weighted(OrderTrigger.ApproveExtension, Party.Seller, 2),
        .. Weighted(OrderTrigger.DeclineExtension, Party.Seller, 1),
        .. Weighted(OrderTrigger.ExtensionAutoApproved, Party.System, 1),
        .. Weighted(OrderTrigger.DisputeWindowClosed, Party.System, 1),
    ];

    private static IEnumerable<(OrderTrigger, Party)> Weighted(OrderTrigger trigger, Party party, int weight) =>
        Enumerable.Repeat((trigger, party), weight);

    private static readonly OrderTrigger[] AnyTrigger =
    [
        OrderTrigger.Pay, OrderTrigger.Cancel, OrderTrigger.Ship, OrderTrigger.MarkDelivered, OrderTrigger.ConfirmReceipt,
        OrderTrigger.ExtendProtection, OrderTrigger.ApproveExtension, OrderTrigger.DeclineExtension,
        OrderTrigger.ExpireUnpaid, OrderTrigger.ShipByMissed, OrderTrigger.ProtectionEnded, OrderTrigger.DeliveryAutoComplete,
        OrderTrigger.ExtensionAutoApproved, OrderTrigger.DisputeWindowClosed,
    ];

    private static readonly Party[] AnyParty = [Party.Buyer, Party.Seller, Party.Admin, Party.System];

    public static TheoryData<int> Seeds() => new(Enumerable.Range(1, 20));

    /// <summary>Running balances by (account code, currency), posted entry by entry.</summary>
    private sealed class Books
    {
        private readonly Dictionary<(string Account, string Currency), long> _balances = [];

        public List<JournalEntry> Entries { get; } = [];

        public void Post(JournalEntry entry)
        {
            Entries.Add(entry);
            foreach (var line in entry.Lines)
                _balances[(line.Account, line.Currency)] = checked(_balances.GetValueOrDefault((line.Account, line.Currency)) + line.Amount);
        }

        public long Balance(string account, string currency) => _balances.GetValueOrDefault((account, currency));

        public long SumOf(Func<string, bool> account, string currency) =>
            _balances.Where(b => b.Key.Currency == currency && account(b.Key.Account)).Sum(b => b.Value);

        public IEnumerable<(string Account, string Currency, long Balance)> All => _balances.Select(b => (b.Key.Account, b.Key.Currency, b.Value));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_order_histories_never_create_lose_or_double_count_money(int seed)
    {
        var random = new Random(seed);
        var categoryBps = Categories.ToDictionary(c => c, _ => random.Next(0, 2_001), StringComparer.OrdinalIgnoreCase);
        var policy = new ProtectionPolicy { CommissionBasisPoints = random.Next(0, 1_501), CategoryCommissionBasisPoints = categoryBps };
        Guid[] sellers = [Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid()];
        Guid[] buyers = [Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid()];
        var orders = new List<Order>();
        var books = new Books();
        var now = T0;
        var refusals = 0;

        for (var step = 0; step < Steps; step++)
        {
            // Mostly minutes and hours; now and then days, so that deadlines and windows run out.
            now = random.Next(60) == 0 ? now.AddDays(random.Next(1, 20)) : now.AddMinutes(random.Next(1, 60));
            if (orders.Count == 0 || random.Next(15) == 0)
            {
                PlaceRandomOrder(random, policy, sellers, buyers, orders, now);
            }
            else if (random.Next(5) == 0)
            {
                Sweep(orders, books, now);
            }
            else
            {
                var open = orders.Where(o => o.Status is not OrderStatus.Closed && o.CreditAvailableAt is null).ToList();
                var order = open.Count > 0 && random.Next(10) != 0 ? open[random.Next(open.Count)] : orders[random.Next(orders.Count)];
                var (trigger, party) = random.Next(5) == 0
                    ? (AnyTrigger[random.Next(AnyTrigger.Length)], AnyParty[random.Next(AnyParty.Length)])
                    : Plausible[random.Next(Plausible.Length)];
                var before = Snapshot(order);
                try
                {
                    if (Attempt(order, trigger, party, now) is { } entry) books.Post(entry);
                }
                catch (DomainException)
                {
                    Assert.Equal(before, Snapshot(order));
                    refusals++;
                }
            }
            AssertEscrowFollowsStatus(orders, books);
        }

        // The run was not vacuous: money went every way there is, and some attempts were refused.
        Assert.Contains(books.Entries, e => e.Kind == "capture");
        Assert.Contains(books.Entries, e => e.Kind == "refund");
        Assert.Contains(books.Entries, e => e.Kind == "release");
        Assert.Contains(books.Entries, e => e.Kind == "credit_available");
        Assert.Contains(orders, o => o.Extensions.Any(e => e.Status is ExtensionStatus.Approved or ExtensionStatus.AutoApproved));
        Assert.Contains(orders, o => o.Status == OrderStatus.Closed && o.PaidAt is null);
        Assert.True(refusals > 0);

        AssertEveryEntryBalancesPerCurrency(books.Entries);
        AssertLedgerSumsToZeroPerCurrency(books);
        AssertCapturedMoneyIsAllAccountedFor(orders, books);
        AssertEachOrderMovedItsTotalOnce(orders, books);
        AssertCommissionIsTheWeightedRateRoundedHalfUp(orders, books, policy, categoryBps);
        Assert.Equal(books.Entries.Count, books.Entries.Select(e => e.DedupeKey).Distinct().Count());
        Assert.Equal(books.Entries.Count, books.Entries.Select(e => e.Id).Distinct().Count());
    }

    /// <summary>What the deadline sweeper does: fire every timer that is due, each at its due instant, until none is.</summary>
    private static void Sweep(List<Order> orders, Books books, DateTimeOffset now)
    {
        foreach (var order in orders)
        {
            for (var fired = 0; order.Timers.Where(t => t.DueAt <= now).MinBy(t => t.DueAt) is { } timer; fired++)
            {
                Assert.True(fired < 20, $"Order {order.Id} keeps producing due timers.");
                var outcome = order.FireTimer(timer.Kind, timer.DueAt); // a pending timer is always one its state allows
                Assert.DoesNotContain(order.Timers, t => t.Kind == timer.Kind && t.DueAt <= timer.DueAt);
                if (outcome.Entry is { } entry) books.Post(entry);
            }
        }
    }

    private static void PlaceRandomOrder(Random random, ProtectionPolicy policy, Guid[] sellers, Guid[] buyers, List<Order> orders, DateTimeOffset now)
    {
        var seller = sellers[random.Next(sellers.Length)];
        var currency = Currencies[random.Next(Currencies.Length)];
        var lines = Enumerable.Range(0, random.Next(1, 4)).Select(_ =>
        {
            // Small prices make rounding matter; large ones are realistic.
            var price = random.Next(3) == 0 ? random.Next(1, 30) : random.NextInt64(1, 2_000_000);
            var category = random.Next(5) == 0 ? null : Categories[random.Next(Categories.Length)];
            if (category is not null && random.Next(2) == 0) category = category.ToUpperInvariant();
            return (Listing(price, currency, seller, category), random.Next(1, 6));
        }).ToList();
        // Now and then the seller tries to buy their own product.
        var buyer = random.Next(10) == 0 ? seller : buyers[random.Next(buyers.Length)];
        var id = Guid.NewGuid();

        if (buyer == seller)
        {
            var error = Assert.Throws<DomainException>(() => Order.Place(id, buyer, lines, "somewhere", policy, now));
            Assert.Equal("own_product", error.Code);
            return;
        }
        orders.Add(Order.Place(id, buyer, lines, "somewhere", policy, now));
    }

    /// <summary>Checked after every step: no escrow or seller balance is negative; an order's escrow holds its total exactly while paid and open, and nothing otherwise.</summary>
    private static void AssertEscrowFollowsStatus(List<Order> orders, Books books)
    {
        Assert.All(books.All.Where(b => b.Account.StartsWith("escrow:", StringComparison.Ordinal) || b.Account.StartsWith("seller_", StringComparison.Ordinal)),
            b => Assert.True(b.Balance >= 0, $"{b.Account} is {b.Balance} {b.Currency}"));
        foreach (var order in orders)
        {
            var held = books.Balance($"escrow:{order.Id}", order.Currency);
            var expected = order.Status is OrderStatus.AwaitingShipment or OrderStatus.AwaitingDelivery ? order.TotalAmount : 0;
            Assert.True(expected == held, $"Order {order.Id} is {order.Status} and its escrow holds {held}, not {expected}.");
        }
    }

    private static void AssertEveryEntryBalancesPerCurrency(List<JournalEntry> entries) =>
        Assert.All(entries, e =>
        {
            Assert.True(e.Lines.Count >= 2);
            Assert.All(e.Lines.GroupBy(l => l.Currency), c => Assert.Equal(0, c.Sum(l => l.Amount)));
            Assert.All(e.Lines, l => Assert.NotEqual(0, l.Amount));
        });

    private static void AssertLedgerSumsToZeroPerCurrency(Books books)
    {
        var lines = books.Entries.SelectMany(e => e.Lines).ToList();
        Assert.Equal(3, lines.Select(l => l.Currency).Distinct().Count());
        Assert.All(lines.GroupBy(l => l.Currency), c => Assert.Equal(0, c.Sum(l => l.Amount)));
    }

    /// <summary>Per currency: what was captured is refunded, owed to sellers (pending or available), kept as commission, or still held.</summary>
    private static void AssertCapturedMoneyIsAllAccountedFor(List<Order> orders, Books books)
    {
        foreach (var currency in Currencies)
        {
            var captured = -books.Balance("payment_clearing", currency);
            var paidOrders = orders.Where(o => o.Currency == currency && o.PaidAt is not null).Sum(o => o.TotalAmount);
            Assert.Equal(paidOrders, captured);

            var refunded = books.Balance("refunds_owed", currency); // the order's entries owe refunds; their instructions send them
            var sellerPending = books.SumOf(a => a.StartsWith("seller_pending:", StringComparison.Ordinal), currency);
            var sellerAvailable = books.SumOf(a => a.StartsWith("seller_available:", StringComparison.Ordinal), currency);
            var commission = books.Balance("platform_commission", currency);
            var held = books.SumOf(a => a.StartsWith("escrow:", StringComparison.Ordinal), currency);
            Assert.Equal(captured, refunded + sellerPending + sellerAvailable + commission + held);

            var refundedOrders = orders.Where(o => o.Currency == currency && o.Status == OrderStatus.Closed && o.PaidAt is not null).Sum(o => o.TotalAmount);
            var completedOrders = orders.Where(o => o.Currency == currency && o.Status == OrderStatus.Completed).Sum(o => o.TotalAmount);
            Assert.Equal(refundedOrders, refunded);
            Assert.Equal(completedOrders, sellerPending + sellerAvailable + commission);

            // Each seller is owed, pending or available, exactly their share of their completed orders.
            foreach (var seller in orders.Select(o => o.SellerId).Distinct())
            {
                var theirs = orders.Where(o => o.SellerId == seller && o.Currency == currency && o.Status == OrderStatus.Completed).ToList();
                Assert.Equal(theirs.Where(o => o.CreditAvailableAt is null).Sum(o => o.SellerShare.Amount), books.Balance($"seller_pending:{seller}", currency));
                Assert.Equal(theirs.Where(o => o.CreditAvailableAt is not null).Sum(o => o.SellerShare.Amount), books.Balance($"seller_available:{seller}", currency));
            }
        }
    }

    /// <summary>Each order's entries are exactly what its history calls for: captured once, then refunded or released once.</summary>
    private static void AssertEachOrderMovedItsTotalOnce(List<Order> orders, Books books)
    {
        var byOrder = books.Entries.ToLookup(e => e.OrderId);
        foreach (var order in orders)
        {
            var kinds = byOrder[order.Id].Select(e => e.Kind).ToList();
            string[] expected = order switch
            {
                { PaidAt: null } => [],
                { Status: OrderStatus.Closed } => ["capture", "refund"],
                { Status: OrderStatus.Completed, CreditAvailableAt: not null } => ["capture", "release", "credit_available"],
                { Status: OrderStatus.Completed } => ["capture", "release"],
                _ => ["capture"],
            };
            Assert.Equal(expected, kinds);
            Assert.All(byOrder[order.Id].SelectMany(e => e.Lines), l => Assert.Equal(order.Currency, l.Currency));
        }
    }

    /// <summary>The commission kept on each release, recomputed from the order's lines in decimal.</summary>
    private static void AssertCommissionIsTheWeightedRateRoundedHalfUp(List<Order> orders, Books books, ProtectionPolicy policy,
        Dictionary<string, int> categoryBps)
    {
        foreach (var order in orders)
        {
            var weighted = order.Lines.Sum(l => (decimal)l.UnitPriceAmount * l.Quantity *
                (l.Category is { } c && categoryBps.TryGetValue(c, out var bps) ? bps : policy.CommissionBasisPoints));
            var rate = (int)Math.Round(weighted / order.TotalAmount, MidpointRounding.AwayFromZero);
            Assert.Equal(rate, order.CommissionBasisPoints);
        }
        foreach (var release in books.Entries.Where(e => e.Kind == "release"))
        {
            var order = orders.Single(o => o.Id == release.OrderId);
            var commission = release.Lines.Where(l => l.AccountType == AccountType.PlatformCommission).Sum(l => l.Amount);
            var toSeller = release.Lines.Single(l => l.AccountType == AccountType.SellerPending);
            Assert.Equal(ExpectedCommission(order.TotalAmount, order.CommissionBasisPoints), commission);
            Assert.Equal(order.SellerId, toSeller.SellerId);
            Assert.Equal(order.TotalAmount - commission, toSeller.Amount);
        }
    }
}
