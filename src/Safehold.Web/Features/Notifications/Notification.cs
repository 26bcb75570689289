namespace Safehold.Web.Features.Notifications;

public enum EmailStatus
{
    /// <summary>No email is sent for this notification (no SMTP server configured, or no address).</summary>
    None,
    Pending,
    Sent,
    Failed,
}

/// <summary>
/// A message in a user's in-portal inbox. When an SMTP server is configured it is also emailed: the row
/// is the outbox, written in the transaction that caused it and sent afterwards by the email job.
/// </summary>
/// <remarks>
/// A notification is stored as its <see cref="Kind"/> and its <see cref="Values"/> (amounts in minor units with their
/// currency, instants, ids, titles), never as prose: <see cref="NotificationText"/> writes it when it is read, in the
/// reader's language and time zone. Rows written before that carry their English <see cref="Subject"/> and
/// <see cref="Body"/> and no values, and read as they were written.
/// </remarks>
public sealed class Notification
{
    private Notification()
    {
        Kind = "";
    }

    public Notification(Guid id, Guid userId, Guid? orderId, string kind, NoticeValues values, DateTimeOffset createdAt, string? emailTo)
    {
        Id = id;
        UserId = userId;
        OrderId = orderId;
        Kind = kind;
        Values = values.ToJson();
        CreatedAt = createdAt;
        EmailTo = emailTo;
        EmailStatus = emailTo is null ? EmailStatus.None : EmailStatus.Pending;
    }

    public Guid Id { get; private set; }
    public Guid UserId { get; private set; }
    public Guid? OrderId { get; private set; }
    public string Kind { get; private set; }

    /// <summary>The notice's values as a JSON object (<see cref="NoticeValues"/>); null on a row written as prose.</summary>
    public string? Values { get; private set; }

    /// <summary>A row written as English prose, before notices were stored as values: its subject (null on newer rows).</summary>
    public string? Subject { get; private set; }

    /// <summary>A row written as English prose: its body (null on newer rows).</summary>
    public string? Body { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? ReadAt { get; private set; }
    public string? EmailTo { get; private set; }
    public EmailStatus EmailStatus { get; private set; }
    public int EmailAttempts { get; private set; }
    public DateTimeOffset? EmailNextAttemptAt { get; private set; }
    public string? EmailError { get; private set; }

    public void EmailSent() => EmailStatus = EmailStatus.Sent;

    /// <summary>Records a failed delivery; retried with back-off, given up after some attempts.</summary>
    public void EmailFailed(string error, DateTimeOffset now)
    {
        EmailAttempts++;
        EmailError = error.Length > 500 ? error[..500] : error;
        if (EmailAttempts >= 8) EmailStatus = EmailStatus.Failed;
        else EmailNextAttemptAt = now.AddSeconds(30 * Math.Pow(2, EmailAttempts - 1));
    }
}
