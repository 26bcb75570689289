using Safehold.Domain.Disputes;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// A file a party (or an arbiter) gave as evidence in a dispute. The bytes live outside the database, in the
/// evidence folder under <see cref="Id"/>; the row records what it is, who gave it, and its SHA-256.
/// </summary>
public sealed class DisputeEvidence
{
    private DisputeEvidence()
    {
        FileName = ContentType = Sha256 = "";
    }

    public DisputeEvidence(Guid id, Guid disputeId, Guid uploadedBy, DisputeParty party, string fileName, string contentType, long length,
        string sha256, string? description, DateTimeOffset uploadedAt)
    {
        Id = id;
        DisputeId = disputeId;
        UploadedBy = uploadedBy;
        Party = party;
        FileName = fileName;
        ContentType = contentType;
        Length = length;
        Sha256 = sha256;
        Description = description;
        UploadedAt = uploadedAt;
    }

    public Guid Id { get; private set; }
    public Guid DisputeId { get; private set; }
    public Guid UploadedBy { get; private set; }

    /// <summary>The uploader's part in the dispute: each party has its own limit of files.</summary>
    public DisputeParty Party { get; private set; }
    public string FileName { get; private set; }

    /// <summary>The type found in the content (not the one the client claimed).</summary>
    public string ContentType { get; private set; }
    public long Length { get; private set; }

    /// <summary>Lower-case hex SHA-256 of the stored bytes.</summary>
    public string Sha256 { get; private set; }
    public string? Description { get; private set; }
    public DateTimeOffset UploadedAt { get; private set; }
}

/// <summary>A message in a dispute's thread: between buyer and seller, and the arbiter once it is escalated.</summary>
public sealed class DisputeMessage
{
    private DisputeMessage()
    {
        Body = "";
    }

    public DisputeMessage(Guid id, Guid disputeId, Guid authorId, DisputeParty party, string body, DateTimeOffset sentAt)
    {
        Id = id;
        DisputeId = disputeId;
        AuthorId = authorId;
        Party = party;
        Body = body;
        SentAt = sentAt;
    }

    public Guid Id { get; private set; }
    public Guid DisputeId { get; private set; }
    public Guid AuthorId { get; private set; }
    public DisputeParty Party { get; private set; }
    public string Body { get; private set; }
    public DateTimeOffset SentAt { get; private set; }
}
