namespace Safehold.Web.Api;

/// <summary>The first response to a POST with an <c>Idempotency-Key</c>, replayed for a retry with the same body.</summary>
public sealed class IdempotencyRecord
{
    private IdempotencyRecord()
    {
        Key = RequestHash = Body = "";
    }

    public IdempotencyRecord(Guid userId, string key, string requestHash, int statusCode, string body, string? location, DateTimeOffset createdAt)
    {
        UserId = userId;
        Key = key;
        RequestHash = requestHash;
        StatusCode = statusCode;
        Body = body;
        Location = location;
        CreatedAt = createdAt;
    }

    public Guid UserId { get; private set; }
    public string Key { get; private set; }

    /// <summary>SHA-256 of the method, path and body: the same key with another request is refused.</summary>
    public string RequestHash { get; private set; }
    public int StatusCode { get; private set; }
    public string Body { get; private set; }
    public string? Location { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
}

/// <summary><c>Safehold:Idempotency</c>: how long a key's answer is kept.</summary>
public sealed class IdempotencyOptions
{
    /// <summary>Hours a key replays its answer; after them the key is free again and its record is deleted. 24, as Stripe's.</summary>
    public double KeepHours { get; set; } = 24;

    public TimeSpan Keep => TimeSpan.FromHours(KeepHours);
}
