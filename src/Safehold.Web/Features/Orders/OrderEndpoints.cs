using Safehold.Web.Features.Products;
namespace Safehold.Web.Features.Orders;

/// <summary>The order's API: each path is mapped by its use case's own file.</summary>
public static class OrderEndpoints
{
    public static void MapOrders(this RouteGroupBuilder api)
    {
        var orders = api.MapGroup("/orders").WithTags("Orders");
        PlaceOrder.Map(orders);
        orders.MapGet("/", OrderQueries.List);
        orders.MapGet("/{id:guid}", OrderQueries.Get);
        orders.MapOrderImages();
        Pay.Map(orders);
        Cancel.Map(orders);
        Ship.Map(orders);
        MarkDelivered.Map(orders);
        ConfirmReceipt.Map(orders);
        RequestExtension.Map(orders);
        AnswerExtension.Map(orders);
        OrderMessages.Map(orders);
    }

    /// <summary>The order's use cases, one scoped service each, called alike by the API and the portal's pages.</summary>
    public static IServiceCollection AddOrderUseCases(this IServiceCollection services) => services
        .AddScoped<OrderChange>()
        .AddScoped<PlaceOrder>()
        .AddScoped<Pay>()
        .AddScoped<Cancel>()
        .AddScoped<Ship>()
        .AddScoped<MarkDelivered>()
        .AddScoped<ConfirmReceipt>()
        .AddScoped<RequestExtension>()
        .AddScoped<AnswerExtension>();
}
