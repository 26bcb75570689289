using Safehold.Domain.Orders;

namespace Safehold.Web.Features.Orders;

/// <summary>A message between an order's buyer and seller.</summary>
public sealed class OrderMessage
{
    private OrderMessage()
    {
        Body = "";
    }

    public OrderMessage(Guid id, Guid orderId, Guid authorId, Party party, string body, DateTimeOffset sentAt)
    {
        Id = id;
        OrderId = orderId;
        AuthorId = authorId;
        Party = party;
        Body = body;
        SentAt = sentAt;
    }

    public Guid Id { get; private set; }
    public Guid OrderId { get; private set; }
    public Guid AuthorId { get; private set; }
    public Party Party { get; private set; }
    public string Body { get; private set; }
    public DateTimeOffset SentAt { get; private set; }
}
