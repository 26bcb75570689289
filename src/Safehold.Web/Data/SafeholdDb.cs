using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Safehold.Domain.Disputes;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Payments;
using Safehold.Domain.Payouts;
using Safehold.Web.Api;
using Safehold.Web.Features.Disputes;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Features.Notifications;
using Safehold.Web.Features.Orders;
using Safehold.Web.Features.Payouts;
using Safehold.Web.Features.Sandbox;
using Safehold.Web.Features.Products;
using Safehold.Web.Features.Users;
using Safehold.Web.Features.Webhooks;

namespace Safehold.Web.Data;

/// <summary>
/// The one database of Safehold. Each provider has a subclass only so that it can carry its own
/// migrations (<see cref="SqliteSafeholdDb"/>, <see cref="PostgresSafeholdDb"/>); the model is this one.
/// </summary>
public abstract class SafeholdDb(DbContextOptions options) : DbContext(options)
{
    private bool? _sqlite;
    private bool? _postgres;

    /// <summary>
    /// Whether this context works on SQLite: EF Core's <c>Database.IsSqlite()</c>, asked once per context. EF Core
    /// compares the provider's name with its assembly's, which it builds again on every call (an
    /// <see cref="System.Reflection.AssemblyName"/> each time): 0.75 % of the host's CPU under load, asked on every
    /// request's write and load (docs/benchmarks.md, 2026-12-07).
    /// </summary>
    public bool OnSqlite => _sqlite ??= Database.IsSqlite();

    /// <summary>Whether this context works on PostgreSQL (<c>Database.IsNpgsql()</c>, asked once, as <see cref="OnSqlite"/>).</summary>
    public bool OnPostgres => _postgres ??= Database.IsNpgsql();

    public DbSet<User> Users => Set<User>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Product> Products => Set<Product>();
    public DbSet<ListingImage> ListingImages => Set<ListingImage>();
    public DbSet<Order> Orders => Set<Order>();
    public DbSet<Checkout> Checkouts => Set<Checkout>();
    public DbSet<JournalEntry> JournalEntries => Set<JournalEntry>();
    public DbSet<JournalLine> JournalLines => Set<JournalLine>();
    public DbSet<SellerBalance> SellerBalances => Set<SellerBalance>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();
    public DbSet<OrderTimer> Timers => Set<OrderTimer>();
    public DbSet<Notification> Notifications => Set<Notification>();
    public DbSet<SandboxClockState> SandboxClock => Set<SandboxClockState>();
    public DbSet<Dispute> Disputes => Set<Dispute>();
    public DbSet<DisputeTimer> DisputeTimers => Set<DisputeTimer>();
    public DbSet<DisputeEvidence> DisputeEvidence => Set<DisputeEvidence>();
    public DbSet<DisputeMessage> DisputeMessages => Set<DisputeMessage>();
    public DbSet<OrderMessage> OrderMessages => Set<OrderMessage>();
    public DbSet<Payout> Payouts => Set<Payout>();
    public DbSet<PayoutRun> PayoutRuns => Set<PayoutRun>();
    public DbSet<WebhookEndpoint> WebhookEndpoints => Set<WebhookEndpoint>();
    public DbSet<ParkedWebhookEvent> ParkedWebhookEvents => Set<ParkedWebhookEvent>();
    public DbSet<PaymentInstruction> PaymentInstructions => Set<PaymentInstruction>();
    public DbSet<Features.PaymentInstructions.PaymentInstructionEvent> PaymentInstructionEvents => Set<Features.PaymentInstructions.PaymentInstructionEvent>();
    public DbSet<Features.Chargebacks.PaymentEvent> PaymentEvents => Set<Features.Chargebacks.PaymentEvent>();
    public DbSet<Features.Tracking.TrackingScan> TrackingScans => Set<Features.Tracking.TrackingScan>();

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // Enums are stored by name so the tables read like the API.
        builder.Properties<OrderStatus>().HaveConversion<string>().HaveMaxLength(32);
        builder.Properties<Party>().HaveConversion<string>().HaveMaxLength(32);
        builder.Properties<AccountType>().HaveConversion<string>().HaveMaxLength(32);
        builder.Properties<UserRole>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<OrderTimerKind>().HaveConversion<string>().HaveMaxLength(32);
        builder.Properties<ExtensionStatus>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<DisputeStatus>().HaveConversion<string>().HaveMaxLength(32);
        builder.Properties<DisputeReason>().HaveConversion<string>().HaveMaxLength(32);
        builder.Properties<DisputeOutcome>().HaveConversion<string>().HaveMaxLength(32);
        builder.Properties<DisputeParty>().HaveConversion<string>().HaveMaxLength(32);
        builder.Properties<DisputeTimerKind>().HaveConversion<string>().HaveMaxLength(32);
        builder.Properties<ChargebackBearer>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<PayoutStatus>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<InstructionKind>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<InstructionStatus>().HaveConversion<string>().HaveMaxLength(16);
        builder.Properties<Features.Tracking.TrackingStatus>().HaveConversion<string>().HaveMaxLength(32);
    }

    /// <summary>The filter of the chargebacks' own indexes (the reason is stored by name).</summary>
    private const string Chargebacks = $"\"Reason\" = '{nameof(DisputeReason.Chargeback)}'";

    /// <summary>
    /// The lines of the accounts of money owed (refunds decided and not sent, payouts started and not sent). A query is
    /// served by the index only with this condition as it is written here: SQLite matches a partial index's condition by
    /// its terms, so the one query of them (<see cref="Features.Ledger.OwedMoney.SumsAsync"/>) says
    /// <c>AccountType == RefundsOwed || AccountType == PayoutsOwed</c>, which EF Core sends as this.
    /// </summary>
    private const string OwedLines = $"\"AccountType\" IN ('{nameof(AccountType.RefundsOwed)}', '{nameof(AccountType.PayoutsOwed)}')";

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<User>(e =>
        {
            e.HasKey(u => u.Id);
            e.Property(u => u.Email).HasMaxLength(254);
            e.HasIndex(u => u.Email).IsUnique();
            e.Property(u => u.DisplayName).HasMaxLength(100);
            e.Property(u => u.PasswordHash).HasMaxLength(200);
            e.Property(u => u.SessionStamp).HasMaxLength(32);
            e.Property(u => u.Language).HasMaxLength(8);
            e.Property(u => u.TimeZone).HasMaxLength(64);
            e.Property(u => u.ExternalId).HasMaxLength(ExternalIds.MaxExternalId);
            // The marketplace's id is unique per kind: two creates racing with one id leave one winner (ExternalIds.SaveNewAsync).
            e.HasIndex(u => u.ExternalId).IsUnique().HasFilter("\"ExternalId\" IS NOT NULL");
            e.HasIndex(u => new { u.CreatedAt, u.Id }); // an admin's list of the users, newest first
        });
        b.Entity<ApiKey>(e =>
        {
            e.HasKey(k => k.Id);
            e.Property(k => k.Hash).HasMaxLength(64);
            e.HasIndex(k => k.Hash).IsUnique();
            e.Property(k => k.Prefix).HasMaxLength(16);
            e.HasOne<User>().WithMany().HasForeignKey(k => k.UserId);
        });
        b.Entity<Product>(e =>
        {
            e.HasKey(p => p.Id);
            e.Property(p => p.Title).HasMaxLength(200);
            e.Property(p => p.Description).HasMaxLength(5000);
            e.Property(p => p.Currency).HasMaxLength(3);
            e.Property(p => p.Category).HasMaxLength(64);
            e.Property(p => p.ExternalId).HasMaxLength(ExternalIds.MaxExternalId);
            e.HasIndex(p => p.ExternalId).IsUnique().HasFilter("\"ExternalId\" IS NOT NULL");
            e.Ignore(p => p.Price);
            e.HasOne<User>().WithMany().HasForeignKey(p => p.SellerId);
            e.HasIndex(p => new { p.SellerId, p.CreatedAt });
            e.HasIndex(p => new { p.CreatedAt, p.Id }); // the catalog, newest first (the portal's home page)
        });
        b.Entity<ListingImage>(e =>
        {
            e.HasKey(i => i.Id);
            e.Property(i => i.Id).ValueGeneratedNever();
            e.Property(i => i.ContentType).HasMaxLength(32);
            e.HasOne<Product>().WithMany().HasForeignKey(i => i.ProductId);
            e.HasOne<Order>().WithMany().HasForeignKey(i => i.OrderId);
            e.HasIndex(i => new { i.ProductId, i.Position });
            e.HasIndex(i => i.OrderId);
            e.ToTable(t => t.HasCheckConstraint("CK_ListingImages_Owner", "(\"ProductId\" IS NULL) <> (\"OrderId\" IS NULL)"));
        });
        b.Entity<Order>(e =>
        {
            e.HasKey(o => o.Id);
            e.Property(o => o.Version).IsConcurrencyToken();
            e.Property(o => o.Currency).HasMaxLength(3);
            e.Property(o => o.ShippingAddress).HasMaxLength(2000);
            e.Property(o => o.ExternalId).HasMaxLength(ExternalIds.MaxExternalId);
            e.HasIndex(o => o.ExternalId).IsUnique().HasFilter("\"ExternalId\" IS NOT NULL");
            e.Property(o => o.PaymentReference).HasMaxLength(100);
            // External rails: a capture the marketplace reports pays one order only.
            e.HasIndex(o => o.PaymentReference);
            e.Property(o => o.Carrier).HasMaxLength(100);
            // TrackingNumber and Carrier, and the disputes' return ones, have expression indexes the model does not hold (migration
            // TrackingNumberIndexes, raw SQL): a migration that rebuilds the table on SQLite must create them again (TrackingScansTests).
            e.Property(o => o.TrackingNumber).HasMaxLength(100);
            e.Ignore(o => o.Total);
            e.HasOne<Checkout>().WithMany().HasForeignKey(o => o.CheckoutId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(o => o.CheckoutId);
            // The dispute state the domain keeps in fields (read-only properties over them).
            e.Property(o => o.OpenDisputeId).HasField("_openDisputeId").UsePropertyAccessMode(PropertyAccessMode.Field);
            e.Property(o => o.DisputeOpenedAt).HasField("_disputeOpenedAt").UsePropertyAccessMode(PropertyAccessMode.Field);
            e.Property(o => o.DisputeResolvedAt).HasField("_disputeResolvedAt").UsePropertyAccessMode(PropertyAccessMode.Field);
            e.Property(o => o.RefundedAmount).HasField("_refundedAmount").UsePropertyAccessMode(PropertyAccessMode.Field);
            e.Property(o => o.ChargebackId).HasField("_chargebackId").UsePropertyAccessMode(PropertyAccessMode.Field);
            e.Ignore(o => o.ChargebackIsOpen);
            // A per-item dispute's part held apart in escrow (0: none), and when it settled.
            e.Property(o => o.PartAmount).HasField("_partAmount").UsePropertyAccessMode(PropertyAccessMode.Field);
            e.HasOne<User>().WithMany().HasForeignKey(o => o.BuyerId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<User>().WithMany().HasForeignKey(o => o.SellerId).OnDelete(DeleteBehavior.Restrict);
            // "My orders", newest first, for either side, optionally by status.
            e.HasIndex(o => new { o.BuyerId, o.CreatedAt, o.Id });
            e.HasIndex(o => new { o.SellerId, o.CreatedAt, o.Id });
            // A status tab of "My orders": a seek to the caller's orders in that status, newest first. Without these a
            // sparse tab walked every one of the caller's orders (36 ms for a buyer with 31,267 orders, SQLite).
            e.HasIndex(o => new { o.BuyerId, o.Status, o.CreatedAt, o.Id });
            e.HasIndex(o => new { o.SellerId, o.Status, o.CreatedAt, o.Id });
            e.HasIndex(o => new { o.Status, o.CreatedAt });
            // An admin's list of every order, newest first: without it each page sorted the whole table (ListIndexesTests).
            e.HasIndex(o => new { o.CreatedAt, o.Id });
            e.HasMany(o => o.Lines).WithOne().HasForeignKey(l => l.OrderId);
            e.Navigation(o => o.Lines).AutoInclude();
            e.HasMany(o => o.Timeline).WithOne().HasForeignKey(t => t.OrderId);
            e.Navigation(o => o.Timeline).AutoInclude();
            e.HasMany(o => o.Timers).WithOne().HasForeignKey(t => t.OrderId);
            e.Navigation(o => o.Timers).AutoInclude();
            e.OwnsMany(o => o.Extensions, x =>
            {
                x.ToTable("ProtectionExtensions");
                x.WithOwner().HasForeignKey(y => y.OrderId);
                x.HasKey(y => y.Id);
                x.Property(y => y.Id).ValueGeneratedNever();
                x.Property(y => y.Reason).HasMaxLength(500);
            });
            e.Navigation(o => o.Extensions).AutoInclude();
        });
        b.Entity<OrderLine>(l =>
        {
            l.ToTable("OrderLines");
            l.HasKey(x => new { x.OrderId, x.LineNumber });
            l.Property(x => x.LineNumber).ValueGeneratedNever();
            l.Property(x => x.Title).HasMaxLength(200);
            l.Property(x => x.Description).HasMaxLength(5000);
            l.Property(x => x.Category).HasMaxLength(64);
            l.Property(x => x.Currency).HasMaxLength(3);
            l.Ignore(x => x.UnitPrice);
            l.Ignore(x => x.LineTotal);
            l.Ignore(x => x.ItemId);
        });
        b.Entity<OrderEvent>(t =>
        {
            t.ToTable("OrderEvents");
            t.HasKey(x => new { x.OrderId, x.Sequence });
            t.Property(x => x.Sequence).ValueGeneratedNever();
            t.Property(x => x.Kind).HasMaxLength(64);
            t.Property(x => x.Detail).HasMaxLength(1000);
        });
        b.Entity<OrderTimer>(e =>
        {
            // One pending timer of a kind per order; the sweeper reads them by due instant.
            e.HasKey(t => new { t.OrderId, t.Kind });
            e.HasIndex(t => t.DueAt);
            // A paused timer keeps the time it had left while a dispute holds its order.
            e.Property(t => t.Remaining).HasField("_remaining").UsePropertyAccessMode(PropertyAccessMode.Field);
        });
        b.Entity<Dispute>(e =>
        {
            e.HasKey(d => d.Id);
            e.Property(d => d.Id).ValueGeneratedNever();
            e.Property(d => d.Version).IsConcurrencyToken();
            e.Property(d => d.Currency).HasMaxLength(3);
            e.Property(d => d.Description).HasMaxLength(5000);
            e.Property(d => d.RejectionReason).HasMaxLength(2000);
            e.Property(d => d.ReturnCarrier).HasMaxLength(100);
            e.Property(d => d.ReturnTrackingNumber).HasMaxLength(100);
            e.Property(d => d.DecisionRationale).HasMaxLength(5000);
            e.Property(d => d.AppealReason).HasMaxLength(2000);
            e.Property(d => d.AppealRationale).HasMaxLength(5000);
            e.Ignore(d => d.OrderTotal);
            e.Ignore(d => d.LatestOffer);
            e.Ignore(d => d.IsOpen);
            e.Ignore(d => d.IsChargeback);
            e.Ignore(d => d.Kind);
            e.Property(d => d.ChargebackReference).HasMaxLength(100);
            e.HasOne<Order>().WithMany().HasForeignKey(d => d.OrderId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(d => d.OrderId);
            // "My disputes", newest first, for either side and for the arbiters' queue.
            e.HasIndex(d => new { d.BuyerId, d.OpenedAt, d.Id });
            e.HasIndex(d => new { d.SellerId, d.OpenedAt, d.Id });
            e.HasIndex(d => new { d.Status, d.OpenedAt, d.Id });
            // An admin's list of every dispute; the admin's chargebacks, those awaiting an answer by deadline and then the rest
            // newest first (two small indexes of the chargebacks only). Without them each page read the whole table
            // (ListIndexesTests).
            e.HasIndex(d => new { d.OpenedAt, d.Id });
            // An arbiter's disputes, newest first: those under review (the status index above), those they decided, and those
            // whose appeal they hear, each part read from its index and merged (DisputeAccess.VisibleToByIndex).
            e.HasIndex(d => new { d.DecidedBy, d.OpenedAt, d.Id });
            e.HasIndex(d => new { d.AppealArbiterId, d.OpenedAt, d.Id });
            e.HasIndex(d => new { d.Status, d.DecisionDueAt }, "IX_Disputes_Chargebacks_Status_DecisionDueAt").HasFilter(Chargebacks);
            e.HasIndex(d => new { d.OpenedAt, d.Id }, "IX_Disputes_Chargebacks_OpenedAt_Id").HasFilter(Chargebacks);
            e.HasMany(d => d.Offers).WithOne().HasForeignKey(o => o.DisputeId);
            e.Navigation(d => d.Offers).AutoInclude();
            e.HasMany(d => d.Timeline).WithOne().HasForeignKey(t => t.DisputeId);
            e.Navigation(d => d.Timeline).AutoInclude();
            e.HasMany(d => d.Timers).WithOne().HasForeignKey(t => t.DisputeId);
            e.Navigation(d => d.Timers).AutoInclude();
            e.Ignore(d => d.ClaimedAmount);
            e.HasMany(d => d.Items).WithOne().HasForeignKey(i => i.DisputeId);
            e.Navigation(d => d.Items).AutoInclude();
        });
        b.Entity<DisputeItem>(e =>
        {
            e.ToTable("DisputeItems");
            e.HasKey(x => new { x.DisputeId, x.LineNumber });
            e.Property(x => x.LineNumber).ValueGeneratedNever();
            e.Property(x => x.Title).HasMaxLength(200);
            e.Ignore(x => x.Amount);
        });
        b.Entity<DisputeOffer>(e =>
        {
            e.ToTable("DisputeOffers");
            e.HasKey(x => new { x.DisputeId, x.Sequence });
            e.Property(x => x.Sequence).ValueGeneratedNever();
            e.Property(x => x.Message).HasMaxLength(2000);
        });
        b.Entity<DisputeEvent>(e =>
        {
            e.ToTable("DisputeEvents");
            e.HasKey(x => new { x.DisputeId, x.Sequence });
            e.Property(x => x.Sequence).ValueGeneratedNever();
            e.Property(x => x.Kind).HasMaxLength(64);
            e.Property(x => x.Detail).HasMaxLength(6000);
        });
        b.Entity<DisputeTimer>(e =>
        {
            e.ToTable("DisputeTimers");
            e.HasKey(t => new { t.DisputeId, t.Kind });
            e.HasIndex(t => t.DueAt);
        });
        b.Entity<DisputeEvidence>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.FileName).HasMaxLength(255);
            e.Property(x => x.ContentType).HasMaxLength(100);
            e.Property(x => x.Sha256).HasMaxLength(64);
            e.Property(x => x.Description).HasMaxLength(1000);
            e.HasOne<Dispute>().WithMany().HasForeignKey(x => x.DisputeId);
            e.HasIndex(x => new { x.DisputeId, x.UploadedAt });
        });
        b.Entity<DisputeMessage>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Body).HasMaxLength(5000);
            e.HasOne<Dispute>().WithMany().HasForeignKey(x => x.DisputeId);
            e.HasIndex(x => new { x.DisputeId, x.SentAt, x.Id });
        });
        b.Entity<OrderMessage>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Body).HasMaxLength(5000);
            e.HasOne<Order>().WithMany().HasForeignKey(x => x.OrderId);
            e.HasIndex(x => new { x.OrderId, x.SentAt, x.Id });
        });
        b.Entity<Notification>(e =>
        {
            e.HasKey(n => n.Id);
            e.Property(n => n.Kind).HasMaxLength(64);
            e.Property(n => n.Subject).HasMaxLength(200);
            e.Property(n => n.Body).HasMaxLength(2000);
            e.Property(n => n.EmailTo).HasMaxLength(254);
            e.Property(n => n.EmailError).HasMaxLength(500);
            e.HasIndex(n => new { n.UserId, n.CreatedAt, n.Id });
            e.HasIndex(n => new { n.EmailStatus, n.CreatedAt });
        });
        b.Entity<SandboxClockState>(e =>
        {
            e.HasKey(c => c.Id);
            e.Property(c => c.Id).ValueGeneratedNever();
        });
        b.Entity<JournalEntry>(e =>
        {
            e.HasKey(j => j.Id);
            e.Property(j => j.DedupeKey).HasMaxLength(200);
            e.HasIndex(j => j.DedupeKey).IsUnique();
            e.Property(j => j.Kind).HasMaxLength(32);
            e.HasIndex(j => j.OrderId);
            // A period's entries in order: the journal's CSV export and the reconciliation.
            e.HasIndex(j => new { j.At, j.Id });
            e.HasMany(j => j.Lines).WithOne().HasForeignKey(l => l.EntryId);
            e.Navigation(j => j.Lines).AutoInclude();
        });
        b.Entity<JournalLine>(e =>
        {
            e.HasKey(l => new { l.EntryId, l.LineNumber });
            e.Property(l => l.LineNumber).ValueGeneratedNever();
            e.Property(l => l.Account).HasMaxLength(100);
            e.Property(l => l.Currency).HasMaxLength(3);
            e.HasIndex(l => l.OrderId);
            // A seller's statement, newest first: the lines of the seller in the order of their entries. Only the lines of
            // sellers' accounts are in it, about half of them: the others are no seller's and cost no index write.
            e.HasIndex(l => new { l.SellerId, l.At, l.EntryId }).HasFilter("\"SellerId\" IS NOT NULL");
            // What is owed to buyers and sellers (reconciliation, the ledger's check): the lines of the two owed accounts,
            // with all that the sums read. No other line is in it: an index of every line by its account type cost every
            // line written an index write, for these sums and the ledger check's escrow sums, which read half the lines.
            e.HasIndex(l => new { l.AccountType, l.Currency, l.At, l.Amount }, "IX_JournalLines_Owed").HasFilter(OwedLines);
        });
        b.Entity<SellerBalance>(e =>
        {
            e.HasKey(s => new { s.SellerId, s.Currency });
            e.Property(s => s.Currency).HasMaxLength(3);
        });
        b.Entity<Payout>(e =>
        {
            e.HasKey(p => p.Id);
            e.Property(p => p.Version).IsConcurrencyToken();
            e.Property(p => p.Currency).HasMaxLength(3);
            e.Property(p => p.RunKey).HasMaxLength(64);
            e.Property(p => p.Reference).HasMaxLength(100);
            e.Ignore(p => p.Money);
            e.HasOne<User>().WithMany().HasForeignKey(p => p.SellerId).OnDelete(DeleteBehavior.Restrict);
            // A seller is paid once per run and currency, whichever host gets there first.
            e.HasIndex(p => new { p.RunKey, p.SellerId, p.Currency }).IsUnique();
            e.HasIndex(p => new { p.SellerId, p.CreatedAt, p.Id });
            e.HasIndex(p => new { p.CreatedAt, p.Id }); // an admin's list of every payout
            e.HasIndex(p => new { p.Status, p.CreatedAt });
        });
        b.Entity<Checkout>(e =>
        {
            e.HasKey(c => c.Id);
            e.Property(c => c.Id).ValueGeneratedNever();
            e.Property(c => c.Version).IsConcurrencyToken();
            e.Property(c => c.Currency).HasMaxLength(3);
            e.Property(c => c.PaymentReference).HasMaxLength(100);
            e.Ignore(c => c.Total);
            e.HasOne<User>().WithMany().HasForeignKey(c => c.BuyerId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(c => new { c.BuyerId, c.CreatedAt });
        });
        b.Entity<PaymentInstruction>(e =>
        {
            e.HasKey(i => i.Id);
            e.Property(i => i.Id).ValueGeneratedNever();
            e.Property(i => i.Version).IsConcurrencyToken();
            e.Property(i => i.Currency).HasMaxLength(3);
            e.Property(i => i.IdempotencyKey).HasMaxLength(200);
            e.HasIndex(i => i.IdempotencyKey).IsUnique();
            e.Property(i => i.CaptureReference).HasMaxLength(100);
            e.Property(i => i.ProviderReference).HasMaxLength(100);
            e.HasIndex(i => i.ProviderReference); // the provider's failure reports name a refund or payout by it (InstructionChanges.WithProviderReference)
            e.Property(i => i.FailureCode).HasMaxLength(64);
            e.Property(i => i.ResolutionNote).HasMaxLength(2000);
            e.Ignore(i => i.Money);
            e.Ignore(i => i.Owed);
            e.Ignore(i => i.IsOwed);
            // The worker's claim: what is due, oldest first; the admin's list by status, newest first.
            e.HasIndex(i => new { i.Status, i.NextAttemptAt });
            e.HasIndex(i => new { i.Status, i.CreatedAt, i.Id });
            e.HasIndex(i => new { i.CreatedAt, i.Id });
            e.HasIndex(i => i.CompletedAt).HasFilter("\"CompletedAt\" IS NOT NULL"); // a period's reconciliation: what completed in it
            e.HasIndex(i => i.OrderId);
            e.HasIndex(i => i.CheckoutId);
            e.HasIndex(i => i.PayoutId);
        });
        b.Entity<Features.PaymentInstructions.PaymentInstructionEvent>(e =>
        {
            // Appended to the event log by a trigger (see the ExternalRails migrations), as order and dispute events are.
            e.ToTable("PaymentInstructionEvents");
            e.HasKey(x => new { x.InstructionId, x.Sequence });
            e.Property(x => x.Sequence).ValueGeneratedNever();
            e.Property(x => x.Kind).HasMaxLength(32);
            e.HasOne<PaymentInstruction>().WithMany().HasForeignKey(x => x.InstructionId).OnDelete(DeleteBehavior.Restrict);
        });
        b.Entity<PayoutRun>(e =>
        {
            e.HasKey(r => r.Key);
            e.Property(r => r.Key).HasMaxLength(64);
            e.HasIndex(r => r.CompletedAt);
        });
        b.Entity<WebhookEndpoint>(e =>
        {
            e.HasKey(w => w.Id);
            e.Property(w => w.Url).HasMaxLength(2000);
            e.Property(w => w.EventTypes).HasMaxLength(2000);
            e.Property(w => w.Secret).HasMaxLength(100);
            e.Property(w => w.PreviousSecret).HasMaxLength(100);
            e.Property(w => w.LastError).HasMaxLength(500);
            e.Ignore(w => w.Cursor);
            e.Ignore(w => w.Patterns);
            e.HasIndex(w => w.NextAttemptAt);
        });
        b.Entity<ParkedWebhookEvent>(e =>
        {
            e.HasKey(p => p.Id);
            e.Property(p => p.EventId).HasMaxLength(64);
            e.Property(p => p.EventType).HasMaxLength(64);
            e.Property(p => p.LastError).HasMaxLength(500);
            e.HasOne<WebhookEndpoint>().WithMany().HasForeignKey(p => p.EndpointId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(p => new { p.EndpointId, p.EventId }).IsUnique();
        });
        b.Entity<Features.Chargebacks.PaymentEvent>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(255);
            e.Property(x => x.Type).HasMaxLength(32);
            e.Property(x => x.Result).HasMaxLength(32);
            e.Property(x => x.RequestHash).HasMaxLength(64);
            e.HasIndex(x => x.OrderId);
            e.HasIndex(x => x.InstructionId);
        });
        b.Entity<Features.Tracking.TrackingScan>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Carrier).HasMaxLength(100);
            e.Property(x => x.TrackingNumber).HasMaxLength(100);
            e.Property(x => x.SignedBy).HasMaxLength(200);
            e.Property(x => x.Location).HasMaxLength(200);
            // The same scan twice is one scan; a shipment's scans are found by carrier and number.
            e.HasIndex(x => new { x.Carrier, x.TrackingNumber, x.Status, x.OccurredAt }).IsUnique();
        });
        b.Entity<IdempotencyRecord>(e =>
        {
            e.HasKey(r => new { r.UserId, r.Key });
            e.Property(r => r.Key).HasMaxLength(255);
            e.Property(r => r.RequestHash).HasMaxLength(64);
            e.Property(r => r.Location).HasMaxLength(500);
            e.HasIndex(r => r.CreatedAt); // the expired ones are deleted (Jobs/IdempotencyCleanup)
        });
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        RefuseJournalEdits();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        RefuseJournalEdits();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    // The journal is append-only; the database triggers say the same for anything that bypasses EF.
    internal void RefuseJournalEdits()
    {
        foreach (var entry in ChangeTracker.Entries())
        {
            if (entry.Entity is JournalEntry or JournalLine && entry.State is EntityState.Modified or EntityState.Deleted)
                throw new InvalidOperationException("Journal entries are never edited or deleted; post a reversing entry instead.");
        }
    }
}

/// <summary>The embedded default: a SQLite file.</summary>
public sealed class SqliteSafeholdDb(DbContextOptions<SqliteSafeholdDb> options) : SafeholdDb(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        base.ConfigureConventions(builder);
        // SQLite cannot compare or order DateTimeOffset; stored as UTC ticks it can, exactly.
        builder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
    }

    private sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
}

/// <summary>The production database: PostgreSQL through Npgsql.</summary>
public sealed class PostgresSafeholdDb(DbContextOptions<PostgresSafeholdDb> options) : SafeholdDb(options);
