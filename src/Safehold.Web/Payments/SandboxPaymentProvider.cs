using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Safehold.Domain;

namespace Safehold.Web.Payments;

/// <summary>
/// The built-in sandbox provider: it accepts the test cards and keeps its own durable record of every
/// capture, refund and payout, in a SQLite file of its own, apart from Safehold's database (as a real provider
/// would be), so that a crash between a provider call and Safehold's commit can be replayed safely.
/// </summary>
/// <remarks>
/// Test payment methods: <c>pm_sandbox_visa</c> succeeds, <c>pm_sandbox_declined</c> is declined,
/// <c>pm_sandbox_insufficient_funds</c> fails for insufficient funds; any other is declined. The test cards
/// <c>4242424242424242</c>, <c>4000000000000002</c> and <c>4000000000009995</c> are turned into those tokens before they
/// reach the provider (<see cref="MethodForCard"/>), so no card number is stored, not even here.
/// </remarks>
public sealed class SandboxPaymentProvider : IPaymentProvider, IPaymentRecords
{
    public const string SuccessCard = "4242424242424242";
    public const string DeclinedCard = "4000000000000002";
    public const string InsufficientFundsCard = "4000000000009995";
    public const string Visa = "pm_sandbox_visa";
    public const string Declined = "pm_sandbox_declined";
    public const string InsufficientFunds = "pm_sandbox_insufficient_funds";

    /// <summary>The sandbox's stand-in for a card form: a test card number becomes its payment method; any other, one that is declined.</summary>
    public static string MethodForCard(string number) => number switch
    {
        SuccessCard => Visa,
        DeclinedCard => Declined,
        InsufficientFundsCard => InsufficientFunds,
        _ => "pm_sandbox_unknown_card",
    };

    private readonly string _connectionString;
    private readonly TimeProvider _clock;
    // Its file has one write lock: writers queue here rather than in Microsoft.Data.Sqlite's 150 ms busy sleep.
    private readonly SemaphoreSlim _writes = new(1, 1);

    private readonly TimeSpan _answerDelay;

    /// <param name="answerDelay">How long each call takes to answer after its record is committed (a real provider's round trip).</param>
    public SandboxPaymentProvider(string path, TimeProvider clock, TimeSpan answerDelay = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(answerDelay, TimeSpan.Zero);
        _clock = clock;
        _answerDelay = answerDelay;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 30, Pooling = true }.ToString();
        using var c = Open();
        Execute(c, null, """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS operations (
                idempotency_key TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                amount INTEGER NOT NULL,
                currency TEXT NOT NULL,
                card_last4 TEXT,
                capture_reference TEXT,
                succeeded INTEGER NOT NULL,
                reference TEXT,
                decline_code TEXT,
                attempts INTEGER NOT NULL,
                at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS failures (kind TEXT PRIMARY KEY, remaining INTEGER NOT NULL);
            """);
    }

    public async Task<PaymentResult> CaptureAsync(string idempotencyKey, Money amount, string paymentMethod, CancellationToken ct)
    {
        await _writes.WaitAsync(ct);
        PaymentResult result;
        try
        {
            result = Capture(idempotencyKey, amount, paymentMethod);
        }
        finally
        {
            _writes.Release();
        }
        return await AnsweredAsync(result, ct);
    }

    private PaymentResult Capture(string idempotencyKey, Money amount, string paymentMethod)
    {
        using var c = Open();
        using var tx = c.BeginTransaction(deferred: false);
        var existing = Find(c, tx, idempotencyKey);
        if (existing is { Succeeded: true }) return existing;

        var result = paymentMethod switch
        {
            Visa => PaymentResult.Success("ch_sandbox_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))),
            Declined => PaymentResult.Declined("card_declined", "The card was declined."),
            InsufficientFunds => PaymentResult.Declined("insufficient_funds", "The card has insufficient funds."),
            _ => PaymentResult.Declined("card_declined", "The sandbox accepts only its test cards and payment methods, e.g. pm_sandbox_visa."),
        };
        // A declined attempt is recorded but not final: the buyer may try again with another card under the same key.
        Execute(c, tx, """
            INSERT INTO operations (idempotency_key, kind, amount, currency, card_last4, capture_reference, succeeded, reference, decline_code, attempts, at)
            VALUES ($key, 'capture', $amount, $currency, $last4, NULL, $ok, $ref, $decline, 1, $at)
            ON CONFLICT (idempotency_key) DO UPDATE SET card_last4 = excluded.card_last4, succeeded = excluded.succeeded,
                reference = excluded.reference, decline_code = excluded.decline_code, attempts = operations.attempts + 1, at = excluded.at
            """,
            ("$key", idempotencyKey), ("$amount", amount.Amount), ("$currency", amount.Currency.Code),
            ("$last4", null), ("$ok", result.Succeeded ? 1 : 0),
            ("$ref", result.Reference), ("$decline", result.DeclineCode), ("$at", _clock.GetUtcNow().ToString("O")));
        tx.Commit();
        return result;
    }

    public async Task<PaymentResult> RefundAsync(string idempotencyKey, string captureReference, Money amount, CancellationToken ct)
    {
        await _writes.WaitAsync(ct);
        PaymentResult result;
        try
        {
            result = Refund(idempotencyKey, captureReference, amount);
        }
        finally
        {
            _writes.Release();
        }
        return await AnsweredAsync(result, ct);
    }

    private PaymentResult Refund(string idempotencyKey, string captureReference, Money amount)
    {
        using var c = Open();
        using var tx = c.BeginTransaction(deferred: false);
        var existing = Find(c, tx, idempotencyKey);
        if (existing is { Succeeded: true }) return existing; // a refused refund may be tried again

        if (TakeFailure(c, tx, "refund")) return Record(c, tx, idempotencyKey, "refund", amount, captureReference, SandboxFailure);
        var captured = Scalar(c, tx, "SELECT amount FROM operations WHERE reference = $ref AND kind = 'capture' AND succeeded = 1", ("$ref", captureReference));
        var refunded = Scalar(c, tx, "SELECT COALESCE(SUM(amount), 0) FROM operations WHERE capture_reference = $ref AND kind = 'refund' AND succeeded = 1", ("$ref", captureReference)) ?? 0;
        var refusal = captured is null
            ? PaymentResult.Declined("unknown_capture", "The sandbox has no such capture.")
            : refunded + amount.Amount > captured
                ? PaymentResult.Declined("refund_exceeds_capture", "A refund cannot exceed what was captured.")
                : PaymentResult.Success("re_sandbox_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)));
        return Record(c, tx, idempotencyKey, "refund", amount, captureReference, refusal);
    }

    /// <summary>The answer, after the configured round trip: the money has moved (or not) at the provider, and the caller has yet to hear it.</summary>
    private async Task<PaymentResult> AnsweredAsync(PaymentResult result, CancellationToken ct)
    {
        if (_answerDelay > TimeSpan.Zero) await Task.Delay(_answerDelay, _clock, ct);
        return result;
    }

    /// <summary>The answer of a told failure (<see cref="FailNext"/>): not final, so the same key may succeed when tried again.</summary>
    private static readonly PaymentResult SandboxFailure = PaymentResult.Declined("sandbox_failure", "The sandbox was told to fail this operation.");

    /// <summary>Records a refund's or payout's answer under its key (a refusal may be tried again) and commits.</summary>
    private PaymentResult Record(SqliteConnection c, SqliteTransaction tx, string key, string kind, Money amount, string? about, PaymentResult result)
    {
        Execute(c, tx, """
            INSERT INTO operations (idempotency_key, kind, amount, currency, card_last4, capture_reference, succeeded, reference, decline_code, attempts, at)
            VALUES ($key, $kind, $amount, $currency, NULL, $about, $ok, $ref, $decline, 1, $at)
            ON CONFLICT (idempotency_key) DO UPDATE SET succeeded = excluded.succeeded, reference = excluded.reference,
                decline_code = excluded.decline_code, attempts = operations.attempts + 1, at = excluded.at
            """,
            ("$key", key), ("$kind", kind), ("$amount", amount.Amount), ("$currency", amount.Currency.Code), ("$about", about),
            ("$ok", result.Succeeded ? 1 : 0), ("$ref", result.Reference), ("$decline", result.DeclineCode), ("$at", _clock.GetUtcNow().ToString("O")));
        tx.Commit();
        return result;
    }

    /// <summary>Makes the next <paramref name="count"/> refunds or payouts (<paramref name="kind"/>) fail, as a real provider sometimes does.</summary>
    public void FailNext(string kind, int count)
    {
        if (kind is not ("refund" or "payout")) throw new ArgumentOutOfRangeException(nameof(kind));
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _writes.Wait();
        try
        {
            using var c = Open();
            Execute(c, null, "INSERT INTO failures (kind, remaining) VALUES ($kind, $n) ON CONFLICT (kind) DO UPDATE SET remaining = excluded.remaining",
                ("$kind", kind), ("$n", count));
        }
        finally
        {
            _writes.Release();
        }
    }

    private static bool TakeFailure(SqliteConnection c, SqliteTransaction tx, string kind)
    {
        if ((Scalar(c, tx, "SELECT remaining FROM failures WHERE kind = $kind", ("$kind", kind)) ?? 0) <= 0) return false;
        Execute(c, tx, "UPDATE failures SET remaining = remaining - 1 WHERE kind = $kind", ("$kind", kind));
        return true;
    }

    /// <summary>Pays a seller: the sandbox has no bank to refuse it (unless told to fail), so it pays every positive amount, once per key.</summary>
    public async Task<PaymentResult> PayoutAsync(string idempotencyKey, Guid sellerId, Money amount, CancellationToken ct)
    {
        await _writes.WaitAsync(ct);
        PaymentResult result;
        try
        {
            result = Payout(idempotencyKey, sellerId, amount);
        }
        finally
        {
            _writes.Release();
        }
        return await AnsweredAsync(result, ct);
    }

    private PaymentResult Payout(string idempotencyKey, Guid sellerId, Money amount)
    {
        using var c = Open();
        using var tx = c.BeginTransaction(deferred: false);
        var existing = Find(c, tx, idempotencyKey);
        if (existing is { Succeeded: true }) return existing; // a refused payout may be tried again
        if (TakeFailure(c, tx, "payout")) return Record(c, tx, idempotencyKey, "payout", amount, sellerId.ToString(), SandboxFailure);
        var result = amount.Amount <= 0 ? PaymentResult.Declined("invalid_amount", "A payout must be positive.")
            : PaymentResult.Success("po_sandbox_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)));
        return Record(c, tx, idempotencyKey, "payout", amount, sellerId.ToString(), result);
    }

    public Task<PaymentResult?> FindCaptureAsync(string idempotencyKey, CancellationToken ct)
    {
        using var c = Open();
        using var tx = c.BeginTransaction(deferred: true);
        var found = Find(c, tx, idempotencyKey);
        return Task.FromResult(found is { Succeeded: true } ? found : null);
    }

    /// <summary>How many operations of a kind the sandbox recorded as successful: what tests use to prove nothing was charged twice.</summary>
    /// <summary>How many operations of <paramref name="kind"/> succeeded; with <paramref name="keySuffix"/>, only those whose key ends so (<c>:void</c>).</summary>
    public long CountSucceeded(string kind, string keySuffix = "")
    {
        using var c = Open();
        return Scalar(c, null, "SELECT COUNT(*) FROM operations WHERE kind = $kind AND succeeded = 1 AND substr(idempotency_key, length(idempotency_key) - length($suffix) + 1) = $suffix",
            ("$kind", kind), ("$suffix", keySuffix)) ?? 0;
    }

    public Task<IReadOnlyList<ProviderRecord>> FindAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        var found = new List<ProviderRecord>();
        using var c = Open();
        // SQLite binds at most 999 parameters a statement in older builds: a few hundred keys at a time.
        foreach (var chunk in keys.Distinct().Chunk(500))
        {
            var names = chunk.Select((_, i) => "$k" + i).ToList();
            found.AddRange(Records(c, $"idempotency_key IN ({string.Join(", ", names)})", names.Zip(chunk, (n, k) => (n, (object?)k)).ToArray()));
        }
        return Task.FromResult<IReadOnlyList<ProviderRecord>>(found);
    }

    public Task<IReadOnlyList<ProviderRecord>> ListAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        using var c = Open();
        // Times are stored as round-trip UTC text, which sorts as the instants do.
        return Task.FromResult<IReadOnlyList<ProviderRecord>>(Records(c, "at >= $from AND at < $to",
            ("$from", from.ToUniversalTime().ToString("O")), ("$to", to.ToUniversalTime().ToString("O"))));
    }

    private static List<ProviderRecord> Records(SqliteConnection c, string where, params (string, object?)[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT idempotency_key, kind, amount, currency, succeeded, reference, at FROM operations WHERE {where}";
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        using var r = cmd.ExecuteReader();
        var records = new List<ProviderRecord>();
        while (r.Read())
            records.Add(new ProviderRecord(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetInt64(4) == 1,
                r.IsDBNull(5) ? null : r.GetString(5), DateTimeOffset.Parse(r.GetString(6), System.Globalization.CultureInfo.InvariantCulture)));
        return records;
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        return c;
    }

    private static PaymentResult? Find(SqliteConnection c, SqliteTransaction tx, string key)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT succeeded, reference, decline_code FROM operations WHERE idempotency_key = $key";
        cmd.Parameters.AddWithValue("$key", key);
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return null;
        return r.GetInt64(0) == 1
            ? PaymentResult.Success(r.GetString(1))
            : PaymentResult.Declined(r.IsDBNull(2) ? "card_declined" : r.GetString(2), "The card was declined.");
    }

    private static long? Scalar(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        return cmd.ExecuteScalar() is long l ? l : null;
    }

    private static void Execute(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object?)[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        cmd.ExecuteNonQuery();
    }
}
