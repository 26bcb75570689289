using Safehold.Web.Api;
using Safehold.Domain.Process;
using Safehold.Domain.Orders;

namespace Safehold.Web.Features.Orders;

public sealed record ExtensionResponse(Guid Id, Guid OrderId, int Days, string Reason, [property: ApiEnum<ExtensionStatus>] string Status, DateTimeOffset RequestedAt,
    DateTimeOffset AnswerBy, DateTimeOffset? DecidedAt)
{
    public static ExtensionResponse From(ProtectionExtension e) =>
        new(e.Id, e.OrderId, e.Days, e.Reason, ProcessNames.Of(e.Status), e.RequestedAt, e.AnswerBy, e.DecidedAt);
}
