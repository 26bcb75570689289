using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Safehold.Domain;
using Safehold.Domain.Ledger;
using Safehold.Domain.Orders;
using Safehold.Domain.Payments;
using Safehold.Domain.Policy;
using Safehold.Web.Data;
using Safehold.Web.Features.Ledger;
using Safehold.Web.Payments;

namespace Safehold.Bench;

/// <summary>Who a seeded order belongs to: a buyer, and the seller whose listing it copies.</summary>
public sealed record SeedParty(Guid BuyerId, Guid SellerId, ListingSnapshot Listing);

/// <summary>
/// Seeds many settled orders fast, for read measurements on a large database. Each order is made by the domain
/// (placed, paid, shipped, receipt confirmed and its dispute window passed, or paid and cancelled), so its
/// timeline, journal entries, payment instructions (its capture; a cancelled order's refund, sent) and balances are
/// what real traffic leaves (not written: the refund's <c>payment_instruction.succeeded</c> event, and the sandbox
/// provider's own records, a file of its own); only the writing is different:
/// the rows go in as prepared INSERTs (SQLite) or binary COPY (PostgreSQL) in large transactions, with the
/// tables and columns read from Safehold's own EF Core model, so the seeder cannot drift from the schema.
/// </summary>
public static class FastSeeder
{
    public const int BatchSize = 10_000;

    /// <summary>Seeds <paramref name="count"/> orders spread over the parties, placed 30 to 400 days before <paramref name="now"/>.</summary>
    /// <returns>Up to 200 seeded order ids of each buyer, for "More details" reads.</returns>
    public static async Task<IReadOnlyDictionary<Guid, List<Guid>>> SeedAsync(string provider, string connectionString,
        IReadOnlyList<SeedParty> parties, int count, DateTimeOffset now, TextWriter log)
    {
        var postgres = provider == "postgres";
        await using SafeholdDb context = postgres
            ? new PostgresSafeholdDb(new DbContextOptionsBuilder<PostgresSafeholdDb>().UseNpgsql(connectionString).Options)
            : new SqliteSafeholdDb(new DbContextOptionsBuilder<SqliteSafeholdDb>().UseSqlite(connectionString).Options);
        var model = context.GetService<IDesignTimeModel>().Model;
        var tables = new[] { typeof(Order), typeof(OrderLine), typeof(OrderEvent), typeof(OrderTimer), typeof(JournalEntry), typeof(JournalLine), typeof(PaymentInstruction) }
            .Select(t => TableMap.Of(model, t)).ToArray();
        var balances = TableMap.Of(model, typeof(SellerBalance));

        var samples = parties.Select(p => p.BuyerId).Distinct().ToDictionary(b => b, _ => new List<Guid>());
        var totals = new Dictionary<(Guid Seller, string Currency), (long Pending, long Available, long PaidOut)>();
        var batches = Channel.CreateBounded<Batch>(2);
        var generator = Task.Run(async () =>
        {
            try
            {
                for (var start = 0; start < count; start += BatchSize)
                    await batches.Writer.WriteAsync(Generate(parties, start, Math.Min(BatchSize, count - start), count, now, samples, totals));
            }
            finally
            {
                batches.Writer.Complete();
            }
        });

        var clock = Stopwatch.StartNew();
        long rows = 0, done = 0;
        await using var connection = postgres
            ? (DbConnection)new NpgsqlConnection(connectionString)
            : new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = 120 }.ToString());
        await connection.OpenAsync();
        var sqliteWriter = postgres ? null : new SqliteWriter((SqliteConnection)connection, tables);
        await foreach (var batch in batches.Reader.ReadAllAsync())
        {
            rows += postgres ? await CopyAsync((NpgsqlConnection)connection, tables, batch) : sqliteWriter!.Write(batch);
            done += batch.Orders.Count;
            if (done % 100_000 == 0 && done != count)
                log.WriteLine($"  seeded {done:N0} orders ({rows:N0} rows) in {clock.Elapsed.TotalSeconds:F0} s");
        }
        await generator;

        // The sellers' running balances move by what the seeded entries moved, as posting would have.
        await using (var tx = await connection.BeginTransactionAsync())
        {
            foreach (var ((seller, currency), (pending, available, paidOut)) in totals)
            {
                await using var upsert = connection.CreateCommand();
                upsert.Transaction = tx;
                upsert.CommandText = $"""
                    INSERT INTO "{balances.Table}" ("SellerId", "Currency", "Pending", "Available", "PaidOut")
                    VALUES (@s, @c, @p, @a, @o)
                    ON CONFLICT ("SellerId", "Currency") DO UPDATE SET
                        "Pending" = "{balances.Table}"."Pending" + excluded."Pending",
                        "Available" = "{balances.Table}"."Available" + excluded."Available",
                        "PaidOut" = "{balances.Table}"."PaidOut" + excluded."PaidOut"
                    """;
                upsert.Parameters.Add(balances.Parameter(upsert, "SellerId", "@s", seller));
                upsert.Parameters.Add(balances.Parameter(upsert, "Currency", "@c", currency));
                upsert.Parameters.Add(balances.Parameter(upsert, "Pending", "@p", pending));
                upsert.Parameters.Add(balances.Parameter(upsert, "Available", "@a", available));
                upsert.Parameters.Add(balances.Parameter(upsert, "PaidOut", "@o", paidOut));
                await upsert.ExecuteNonQueryAsync();
            }
            await tx.CommitAsync();
        }

        await using (var after = connection.CreateCommand())
        {
            // A database that has grown this much has statistics (PostgreSQL) and no huge WAL left to replay (SQLite).
            after.CommandText = postgres ? "ANALYZE" : "PRAGMA wal_checkpoint(TRUNCATE)";
            after.CommandTimeout = 600;
            await after.ExecuteNonQueryAsync();
        }
        if (connection is SqliteConnection s) SqliteConnection.ClearPool(s);
        log.WriteLine($"  seeded {count:N0} orders ({rows:N0} rows) in {clock.Elapsed.TotalSeconds:F0} s ({count / clock.Elapsed.TotalSeconds:N0} orders/s)");
        return samples;
    }

    private sealed record Batch(List<Order> Orders, List<JournalEntry> Entries, List<PaymentInstruction> Instructions);

    private static Batch Generate(IReadOnlyList<SeedParty> parties, int start, int size, int count, DateTimeOffset now,
        Dictionary<Guid, List<Guid>> samples, Dictionary<(Guid, string), (long, long, long)> totals)
    {
        var policy = new ProtectionPolicy();
        var orders = new List<Order>(size);
        var entries = new List<JournalEntry>(size * 3);
        var instructions = new List<PaymentInstruction>(size + size / 10);
        var first = now.AddDays(-400);
        var span = TimeSpan.FromDays(370);
        for (var i = start; i < start + size; i++)
        {
            var party = parties[i % parties.Count];
            var at = first + span * ((double)i / count);
            var buyer = new Actor(Party.Buyer, party.BuyerId);
            var order = Order.Place(Guid.CreateVersion7(at), party.BuyerId, [(party.Listing, 1 + i % 3)], "{\"line1\":\"1 Seed Street\",\"city\":\"Tbilisi\",\"country\":\"GE\"}", policy, at);
            // Paid as the pay request pays: its capture instruction claimed and succeeded, under the order's capture key.
            var capture = PaymentInstruction.Capture(order.Id, CaptureReturns.CaptureKey(order.Id), order.Total, at.AddMinutes(5), TimeSpan.FromMinutes(1));
            capture.Succeed($"ch_seed_{order.Id:N}", at.AddMinutes(5));
            instructions.Add(capture);
            entries.Add(order.Pay(buyer, at.AddMinutes(5), $"ch_seed_{order.Id:N}"));
            if (i % 10 == 9)
            {
                var refund = order.Cancel(buyer, at.AddHours(2), "Changed my mind.")!;
                entries.Add(refund);
                // Long settled: the refund's instruction was sent, so its money has left the owed account too.
                var sent = PaymentInstruction.Refund(order.Id, refund.DedupeKey, order.Total, $"ch_seed_{order.Id:N}", refund.At);
                sent.Claim(refund.At, TimeSpan.FromMinutes(1));
                entries.Add(sent.Succeed($"re_seed_{order.Id:N}", refund.At.AddMinutes(1))!);
                instructions.Add(sent);
            }
            else
            {
                order.Ship(new Actor(Party.Seller, party.SellerId), at.AddDays(1), "DHL", $"SEED{i:D9}");
                entries.Add(order.ConfirmReceipt(buyer, at.AddDays(6)));
            }
            // Whatever fell due since (the end of the dispute window) fires as the sweeper would have fired it.
            while (order.Timers.Where(t => t.DueAt <= now).OrderBy(t => t.DueAt).FirstOrDefault() is { } timer)
                if (order.FireTimer(timer.Kind, timer.DueAt).Entry is { } entry) entries.Add(entry);
            if (samples[party.BuyerId].Count < 200 && i % 7 == 0) samples[party.BuyerId].Add(order.Id);
            orders.Add(order);
        }
        foreach (var line in entries.SelectMany(e => e.Lines).Where(l => l.SellerId is not null))
        {
            var key = (line.SellerId!.Value, line.Currency);
            var (p, a, o) = totals.GetValueOrDefault(key);
            totals[key] = line.AccountType switch
            {
                AccountType.SellerPending => (p + line.Amount, a, o),
                AccountType.SellerAvailable => (p, a + line.Amount, o),
                AccountType.PayoutsOut => (p, a, o + line.Amount),
                _ => (p, a, o),
            };
        }
        return new Batch(orders, entries, instructions);
    }

    private static IEnumerable<object> RowsOf(Type type, Batch batch) => type.Name switch
    {
        nameof(Order) => batch.Orders,
        nameof(OrderLine) => batch.Orders.SelectMany(o => o.Lines),
        nameof(OrderEvent) => batch.Orders.SelectMany(o => o.Timeline),
        nameof(OrderTimer) => batch.Orders.SelectMany(o => o.Timers),
        nameof(JournalEntry) => batch.Entries,
        nameof(JournalLine) => batch.Entries.SelectMany(e => e.Lines),
        nameof(PaymentInstruction) => batch.Instructions,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    private static async Task<long> CopyAsync(NpgsqlConnection connection, TableMap[] tables, Batch batch)
    {
        long rows = 0;
        await using var tx = await connection.BeginTransactionAsync();
        foreach (var table in tables)
        {
            var columns = string.Join(", ", table.Columns.Select(c => $"\"{c.Name}\""));
            await using (var copy = await connection.BeginBinaryImportAsync($"COPY \"{table.Table}\" ({columns}) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var row in RowsOf(table.Type, batch))
                {
                    await copy.StartRowAsync();
                    foreach (var column in table.Columns)
                    {
                        if (column.Get(row) is { } value) await copy.WriteAsync(value, column.PostgresType);
                        else await copy.WriteNullAsync();
                    }
                    rows++;
                }
                await copy.CompleteAsync();
            }
        }
        await tx.CommitAsync();
        return rows;
    }

    /// <summary>One prepared INSERT per table, reused for every row of every batch.</summary>
    private sealed class SqliteWriter(SqliteConnection connection, TableMap[] tables)
    {
        private readonly Dictionary<TableMap, SqliteCommand> _commands = [];

        public long Write(Batch batch)
        {
            long rows = 0;
            using var tx = connection.BeginTransaction(deferred: false);
            foreach (var table in tables)
            {
                if (!_commands.TryGetValue(table, out var insert))
                {
                    insert = connection.CreateCommand();
                    insert.CommandText = $"INSERT INTO \"{table.Table}\" ({string.Join(", ", table.Columns.Select(c => $"\"{c.Name}\""))}) "
                        + $"VALUES ({string.Join(", ", table.Columns.Select((_, i) => "@p" + i))})";
                    for (var i = 0; i < table.Columns.Count; i++)
                        insert.Parameters.Add(table.Columns[i].Mapping.CreateParameter(insert, "@p" + i, null, nullable: true));
                    _commands[table] = insert;
                }
                insert.Transaction = tx;
                foreach (var row in RowsOf(table.Type, batch))
                {
                    for (var i = 0; i < table.Columns.Count; i++)
                        insert.Parameters[i].Value = table.Columns[i].Get(row) ?? DBNull.Value;
                    insert.ExecuteNonQuery();
                    rows++;
                }
            }
            tx.Commit();
            return rows;
        }
    }

    /// <summary>An entity's table and the columns the seeder writes (all but database-generated keys), from the EF Core model.</summary>
    private sealed record TableMap(Type Type, string Table, IReadOnlyList<ColumnMap> Columns)
    {
        public static TableMap Of(IModel model, Type type)
        {
            var entity = model.FindEntityType(type) ?? throw new InvalidOperationException($"{type.Name} is not in the model.");
            var columns = new List<ColumnMap>();
            foreach (var p in entity.GetProperties())
            {
                if (p.ValueGenerated != ValueGenerated.Never && p.IsPrimaryKey() && p.ClrType == typeof(long)) continue; // identity
                if (p.IsShadowProperty()) throw new NotSupportedException($"{type.Name}.{p.Name} is a shadow property; the seeder cannot read it.");
                columns.Add(new ColumnMap(p.GetColumnName(), p, (RelationalTypeMapping)p.GetTypeMapping()));
            }
            return new TableMap(type, entity.GetTableName()!, columns);
        }

        public DbParameter Parameter(DbCommand command, string property, string name, object value)
        {
            var column = Columns.Single(c => c.Property.Name == property);
            return column.Mapping.CreateParameter(command, name, column.Mapping.Converter?.ConvertToProvider(value) ?? value, nullable: false);
        }
    }

    private sealed record ColumnMap(string Name, IProperty Property, RelationalTypeMapping Mapping)
    {
        private readonly IClrPropertyGetter _getter = Property.GetGetter();

        /// <summary>The PostgreSQL type of the column without its length, as COPY names it.</summary>
        public string PostgresType { get; } = Mapping.StoreType.Split('(')[0];

        /// <summary>The value as the database stores it (after EF Core's value converter, if any).</summary>
        public object? Get(object entity)
        {
            var value = _getter.GetClrValue(entity);
            return value is null ? null : Mapping.Converter is { } converter ? converter.ConvertToProvider(value) : value;
        }
    }
}
