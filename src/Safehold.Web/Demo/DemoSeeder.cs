using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Safehold.Domain;
using Safehold.Domain.Disputes;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Payments;
using Safehold.Domain.Policy;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Orders;
using Safehold.Web.Features.Products;
using Safehold.Web.Features.Users;
using Safehold.Web.Features;
using Safehold.Web.Payments;

using Safehold.Web.Features.Disputes;

namespace Safehold.Web.Demo;

/// <summary>
/// Demo users of every role, two sellers' products (each with a drawn image), a buyer's orders in several states, disputes (awaiting the
/// seller, under review, resolved) and a chargeback, written
/// through the same domain operations and ledger postings as real traffic, so the ledger check is ok.
/// </summary>
public static class DemoSeeder
{
    /// <summary>
    /// A demo user; the platform (the marketplace's back end) has an API key and no portal password. Buyers and sellers
    /// carry the demo marketplace's own id for them (<c>externalId</c>), by which its platform key finds them.
    /// </summary>
    public sealed record DemoLogin(string Email, string? Password, string ApiKey, string DisplayName, UserRole Role, string? ExternalId = null);

    public static readonly IReadOnlyList<DemoLogin> Logins =
    [
        new("buyer@demo.test", "demo-buyer", "sh_demo_buyer", "Nino Beridze", UserRole.Buyer, "cust_1001"),
        new("seller@demo.test", "demo-seller", "sh_demo_seller", "Gadget Bazaar", UserRole.Seller, "shop_2001"),
        new("arbiter@demo.test", "demo-arbiter", "sh_demo_arbiter", "Ana Arbiter", UserRole.Arbiter),
        new("admin@demo.test", "demo-admin", "sh_demo_admin", "Platform Admin", UserRole.Admin),
        new("buyer2@demo.test", "demo-buyer2", "sh_demo_buyer2", "Sam Carter", UserRole.Buyer, "cust_1002"),
        new("seller2@demo.test", "demo-seller2", "sh_demo_seller2", "Tbilisi Crafts", UserRole.Seller, "shop_2002"),
        new("arbiter2@demo.test", "demo-arbiter2", "sh_demo_arbiter2", "Levan Arbiter", UserRole.Arbiter),
        new("platform@demo.test", null, "sh_demo_platform", "Demo Marketplace back end", UserRole.Platform),
    ];

    public static async Task SeedIfEmptyAsync(IServiceProvider services, ILogger log)
    {
        var db = services.GetRequiredService<SafeholdDb>();
        if (await db.Users.AnyAsync()) return;

        var clock = services.GetRequiredService<TimeProvider>();
        var hasher = services.GetRequiredService<IPasswordHasher<User>>();
        var payments = services.GetRequiredService<IPaymentProvider>();
        // The people of each dispute are told of its steps as through the API, so the inboxes have something to read.
        var notices = services.GetRequiredService<DisputeNotices>();
        var policy = services.GetRequiredService<IOptions<ProtectionPolicy>>().Value;
        var now = clock.GetUtcNow();
        var ct = CancellationToken.None;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var users = new Dictionary<string, User>();
        foreach (var login in Logins)
        {
            var user = (await UserEndpoints.CreateUserAsync(db, now, login.Email, login.DisplayName, login.Role, login.Password, hasher, login.ApiKey, ct)).User;
            user.SetExternalReference(login.ExternalId, null);
            users[login.Email] = user;
        }
        await db.SaveChangesAsync(ct);
        var buyer = users["buyer@demo.test"];
        var buyer2 = users["buyer2@demo.test"];
        var seller = users["seller@demo.test"];
        var seller2 = users["seller2@demo.test"];

        Product P(User s, string title, string description, long amount, string currency, string category, int handling, int? protection = null) =>
            new(Guid.CreateVersion7(now), s.Id, title, description, new Money(amount, Currency.Of(currency)), handling, protection, category, [], now);

        var ticwatch = P(seller, "Mobvoi Ticwatch 2 smartwatch",
            "Round 1.4\" AMOLED smartwatch with heart-rate sensor, GPS-free fitness tracking and two-day battery. Charcoal, 44 mm, with a silicone strap.",
            12999, "USD", "electronics", 5);
        var headphones = P(seller, "Wireless noise-cancelling headphones",
            "Over-ear Bluetooth 5.3 headphones with active noise cancelling, 30-hour battery and a hard travel case. Black.",
            7999, "USD", "electronics", 3);
        var charger = P(seller, "65 W USB-C charger", "Two USB-C ports and one USB-A port, GaN, folding plug (EU).", 2499, "USD", "electronics", 2);
        var carpet = P(seller2, "Handwoven wool carpet, 120 × 180 cm",
            "Hand-knotted in Kakheti from undyed sheep's wool; traditional red and indigo pattern.", 45000, "GEL", "home", 10, 60);
        var pendant = P(seller2, "Minankari enamel pendant", "Georgian cloisonné enamel on silver, 25 mm, with a 45 cm chain.", 12000, "GEL", "jewelry", 4);
        // Priced in dollars like the first seller's: a cart of both sellers' products is one checkout (one currency).
        var bowl = P(seller2, "Hand-painted ceramic bowl", "Glazed stoneware from a Tbilisi studio, 24 cm, with a blue-and-gold vine pattern.", 3500, "USD", "home", 4);
        db.Products.AddRange(ticwatch, headphones, charger, carpet, pendant, bowl);
        foreach (var (p, kind) in new[] { (ticwatch, DemoImages.Kind.Watch), (headphones, DemoImages.Kind.Headphones), (charger, DemoImages.Kind.Charger),
            (carpet, DemoImages.Kind.Carpet), (pendant, DemoImages.Kind.Pendant), (bowl, DemoImages.Kind.Bowl) })
            db.ListingImages.Add(DemoImages.For(Guid.CreateVersion7(now), p.Id, kind, now));
        await db.SaveChangesAsync(ct);

        const string address = """{"fullName":"Nino Beridze","line1":"12 Rustaveli Avenue","city":"Tbilisi","postalCode":"0108","country":"GE"}""";
        // As PlaceOrder does: the listing snapshot keeps its own copies of the product's images.
        async Task<Order> Placed(User b, Product p, int quantity, DateTimeOffset at)
        {
            var images = await ProductImages.PrepareCopiesAsync(db, [p.Id], at, ct);
            var o = Order.Place(Guid.CreateVersion7(at), b.Id, [(p.Snapshot() with { UploadedImageIds = images.IdsOf(p.Id) }, quantity)], address, policy, at);
            db.Orders.Add(o);
            images.AddTo(db, o.Id);
            await db.SaveChangesAsync(ct);
            return o;
        }
        Task<Order> OrderOf(User b, Product p, int quantity = 1) => Placed(b, p, quantity, clock.GetUtcNow());
        // Paid as a buyer pays (a capture at the sandbox provider under the order's key, its instruction recorded), in
        // the seeder's one transaction: there is no buyer waiting for the answer.
        // A carrier's scan of an order's shipment, as the platform's tracking feed reports it.
        Features.Tracking.TrackingScan Scanned(Order o, Features.Tracking.TrackingStatus status, DateTimeOffset at, string? signedBy = null, string? location = null) =>
            db.TrackingScans.Add(new Features.Tracking.TrackingScan(Guid.CreateVersion7(at), o.Carrier!, o.TrackingNumber!, status, at, signedBy, location,
                users["platform@demo.test"].Id, clock.GetUtcNow())).Entity;

        async Task PayAt(Order o, User b, DateTimeOffset at)
        {
            var key = CaptureReturns.CaptureKey(o.Id);
            var captured = await payments.CaptureAsync(key, o.Total, SandboxPaymentProvider.Visa, ct);
            var capture = PaymentInstruction.Capture(o.Id, key, o.Total, at, TimeSpan.FromMinutes(1));
            capture.Succeed(captured.Reference!, at);
            db.PaymentInstructions.Add(capture);
            await db.PostAsync(o.Pay(new Actor(Party.Buyer, b.Id), at, captured.Reference!), ct);
        }
        Task Pay(Order o, User b) => PayAt(o, b, clock.GetUtcNow());

        // To pay.
        await OrderOf(buyer, headphones);

        // To ship.
        var toShip = await OrderOf(buyer, charger, 2);
        await Pay(toShip, buyer);

        // Shipped, on its way.
        var shipped = await OrderOf(buyer, ticwatch);
        await Pay(shipped, buyer);
        shipped.Ship(new Actor(Party.Seller, seller.Id), clock.GetUtcNow(), "DHL", "JD014600003812345678");
        Scanned(shipped, Features.Tracking.TrackingStatus.InTransit, clock.GetUtcNow(), location: "DHL hub, Leipzig");

        // Delivered, waiting for the buyer's confirmation.
        var delivered = await OrderOf(buyer, pendant);
        await Pay(delivered, buyer);
        delivered.Ship(new Actor(Party.Seller, seller2.Id), clock.GetUtcNow(), "Georgian Post", "RR123456785GE");
        // Its carrier's feed reported the delivery (POST /tracking-events): the system's report, with the scan.
        Scanned(delivered, Features.Tracking.TrackingStatus.OutForDelivery, clock.GetUtcNow(), location: "Tbilisi");
        var deliveredScan = Scanned(delivered, Features.Tracking.TrackingStatus.Delivered, clock.GetUtcNow(), "N. Beridze", "Tbilisi");
        delivered.MarkDelivered(Actor.System, clock.GetUtcNow(), Features.Tracking.TrackingScans.Source(deliveredScan));

        // Completed: the seller has the total less commission pending.
        var completed = await OrderOf(buyer, headphones);
        await Pay(completed, buyer);
        completed.Ship(new Actor(Party.Seller, seller.Id), clock.GetUtcNow(), "UPS", "1Z999AA10123456784");
        await db.PostAsync(completed.ConfirmReceipt(new Actor(Party.Buyer, buyer.Id), clock.GetUtcNow()), ct);

        // Completed weeks ago: its dispute window has closed, so at start the sweeper makes the seller's share available,
        // ready for a payout run (weekly, or the admin's "run payouts").
        var earlier = clock.GetUtcNow().AddDays(-40);
        var old = await Placed(buyer, ticwatch, 1, earlier);
        await PayAt(old, buyer, earlier.AddHours(1));
        old.Ship(new Actor(Party.Seller, seller.Id), earlier.AddDays(1), "DHL", "JD014600003899990000");
        Scanned(old, Features.Tracking.TrackingStatus.InTransit, earlier.AddDays(2), location: "DHL hub, Leipzig");
        Scanned(old, Features.Tracking.TrackingStatus.Exception, earlier.AddDays(4), location: "Customs, Tbilisi");
        Scanned(old, Features.Tracking.TrackingStatus.OutForDelivery, earlier.AddDays(6), location: "Tbilisi");
        Scanned(old, Features.Tracking.TrackingStatus.Delivered, earlier.AddDays(6).AddHours(3), "Buyer", "Tbilisi");
        await db.PostAsync(old.ConfirmReceipt(new Actor(Party.Buyer, buyer.Id), earlier.AddDays(10)), ct);

        // Cancelled after payment: refunded in full.
        var cancelled = await OrderOf(buyer, ticwatch);
        await Pay(cancelled, buyer);
        var refund = cancelled.Cancel(new Actor(Party.Buyer, buyer.Id), clock.GetUtcNow(), "Ordered by mistake")!;
        List<JournalEntry> owed = [];
        Refunds.Owe(db, cancelled, refund, owed);
        await db.PostAllAsync(owed, ct);

        // Another buyer's completed order with the second seller.
        var carpetOrder = await OrderOf(buyer2, carpet);
        await Pay(carpetOrder, buyer2);
        carpetOrder.Ship(new Actor(Party.Seller, seller2.Id), clock.GetUtcNow(), "Georgian Post", "RR987654321GE");
        await db.PostAsync(carpetOrder.ConfirmReceipt(new Actor(Party.Buyer, buyer2.Id), clock.GetUtcNow()), ct);

        // Disputes in several states, through the same domain steps and settlements as the API.
        var buyerActor = new Actor(Party.Buyer, buyer.Id);
        async Task<(Order Order, Dispute Dispute)> Disputed(User b, User s, Product p, string tracking, DisputeReason reason, DisputeOutcome outcome,
            long? amount, string description)
        {
            var o = await OrderOf(b, p);
            await Pay(o, b);
            o.Ship(new Actor(Party.Seller, s.Id), clock.GetUtcNow(), "DHL", tracking);
            var d = o.OpenDispute(new Actor(Party.Buyer, b.Id), clock.GetUtcNow(), Guid.CreateVersion7(clock.GetUtcNow()), reason, outcome, amount, description, policy.Disputes);
            db.Disputes.Add(d);
            await db.SaveChangesAsync(ct); // the notice reads the order's title from the database
            await notices.StepAsync(d, b.Id, clock.GetUtcNow(), ct);
            return (o, d);
        }

        // Waiting for the seller's answer: the seller has 5 days.
        await Disputed(buyer, seller, charger, "JD014600009911223344", DisputeReason.MissingParts, DisputeOutcome.PartialRefund, 1000,
            "The box came without the USB-C cable that the listing shows.");

        // Rejected by the seller and escalated by the buyer: under review, for an arbiter to decide.
        var (_, underReview) = await Disputed(buyer2, seller2, pendant, "RR555666777GE", DisputeReason.NotAsDescribed, DisputeOutcome.FullRefund, null,
            "The enamel is printed, not cloisonné as described; the photos show the difference.");
        underReview.Reject(new DisputeActor(DisputeParty.Seller, seller2.Id), clock.GetUtcNow(), "Every pendant is hand-enamelled; the buyer's photos show the back.");
        await notices.StepAsync(underReview, seller2.Id, clock.GetUtcNow(), ct);
        underReview.Escalate(new DisputeActor(DisputeParty.Buyer, buyer2.Id), clock.GetUtcNow());
        await notices.StepAsync(underReview, buyer2.Id, clock.GetUtcNow(), ct);

        // Resolved: the seller offered part of the price back and the buyer accepted; the refund went to the card.
        var (resolvedOrder, resolved) = await Disputed(buyer, seller, headphones, "JD014600005544332211", DisputeReason.Damaged, DisputeOutcome.FullRefund, null,
            "The left ear cup is cracked.");
        resolved.CounterOffer(new DisputeActor(DisputeParty.Seller, seller.Id), clock.GetUtcNow(), DisputeOutcome.PartialRefund, 2500,
            "Sorry about that: $25 back, and keep them?");
        await notices.StepAsync(resolved, seller.Id, clock.GetUtcNow(), ct);
        var settled = resolved.AcceptOffer(DisputeActor.Of(buyerActor), clock.GetUtcNow());
        await DueDisputeTimers.SettleAsync(db, resolvedOrder, settled, clock.GetUtcNow(), ct);
        await notices.StepAsync(resolved, buyer.Id, clock.GetUtcNow(), ct);

        // A chargeback: the buyer's bank reversed the payment of a completed order; the seller's pending credit is taken
        // back and held until the card network decides (the admin's chargebacks page, the arbiter's desk).
        var chargedBack = await OrderOf(buyer2, ticwatch);
        await Pay(chargedBack, buyer2);
        chargedBack.Ship(new Actor(Party.Seller, seller.Id), clock.GetUtcNow(), "DHL", "JD014600007700112233");
        await db.PostAsync(chargedBack.ConfirmReceipt(new Actor(Party.Buyer, buyer2.Id), clock.GetUtcNow()), ct);
        var (chargeback, hold) = chargedBack.OpenChargeback(clock.GetUtcNow(), Guid.CreateVersion7(clock.GetUtcNow()), null,
            "fraudulent: the cardholder does not recognise the payment", clock.GetUtcNow().AddDays(Features.Chargebacks.ChargebackEndpoints.SandboxRespondDays),
            null, policy.BearerOfChargeback(arbiterDecidedForSeller: false), "cb_demo_0001", policy.Disputes);
        db.Disputes.Add(chargeback);
        await db.PostAsync(hold!, ct);

        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        log.LogInformation("Seeded demo data: {Users} users, 5 products, 11 orders, 3 disputes and a chargeback", Logins.Count);
    }

    public static void PrintLogins(string addresses)
    {
        Console.WriteLine();
        Console.WriteLine($"  Safehold sandbox is running at {addresses}");
        Console.WriteLine("  Demo logins (portal password / API key):");
        foreach (var l in Logins)
            Console.WriteLine($"    {l.Role,-8} {l.Email,-20} {l.Password ?? "(API only)",-14} {l.ApiKey}");
        Console.WriteLine();
    }
}
