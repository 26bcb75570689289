using System.Globalization;
using System.Text.Json.Nodes;
using Safehold.Domain;

namespace Safehold.Web.Features.Notifications;

/// <summary>
/// The values a notification is written from, by name: amounts as minor units with their currency, instants in UTC, ids and
/// titles as they are. Stored as a JSON object; <see cref="NotificationText"/> reads them back to write the words.
/// </summary>
public sealed class NoticeValues
{
    private readonly JsonObject _json;

    public NoticeValues() => _json = [];

    private NoticeValues(JsonObject json) => _json = json;

    public static NoticeValues Parse(string json) => new(JsonNode.Parse(json) as JsonObject ?? []);

    public string ToJson() => _json.ToJsonString();

    /// <summary>A text (a title, a carrier, a message); nothing is kept for null.</summary>
    public NoticeValues Text(string name, string? value)
    {
        if (value is not null) _json[name] = value;
        return this;
    }

    /// <summary>An instant, kept in UTC; nothing is kept for null (a deadline that is not running).</summary>
    public NoticeValues At(string name, DateTimeOffset? at)
    {
        if (at is { } value) _json[name] = value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        return this;
    }

    /// <summary>An amount: minor units and its currency's code.</summary>
    public NoticeValues Money(string name, long? amount, string currency)
    {
        if (amount is { } value) _json[name] = new JsonObject { ["amount"] = value, ["currency"] = currency };
        return this;
    }

    public NoticeValues Money(string name, Safehold.Domain.Money money) => Money(name, money.Amount, money.Currency.Code);

    public NoticeValues Id(string name, Guid? id)
    {
        if (id is { } value) _json[name] = value.ToString();
        return this;
    }

    public string? TextOf(string name) => _json[name]?.GetValue<string>();

    public DateTimeOffset? AtOf(string name) =>
        TextOf(name) is { } text ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;

    public (long Amount, string Currency)? MoneyOf(string name) =>
        _json[name] is JsonObject m ? (m["amount"]!.GetValue<long>(), m["currency"]!.GetValue<string>()) : null;

    public Guid? IdOf(string name) => TextOf(name) is { } text ? Guid.Parse(text) : null;
}
