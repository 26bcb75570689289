using System.ComponentModel.DataAnnotations;
using Safehold.Web.Api;
using Safehold.Web.Features.Users;

namespace Safehold.Web.Features.Chargebacks;

/// <summary>The provider events, the evidence pack and the sandbox's chargebacks (SPEC 4 and 5).</summary>
public static class ChargebackEndpoints
{
    /// <summary>The card network's usual time for a merchant's response, given to a chargeback raised in the sandbox.</summary>
    public const int SandboxRespondDays = 7;

    public static void MapChargebacks(this RouteGroupBuilder api, bool sandbox)
    {
        ReceivePaymentEvent.Map(api);
        EvidencePack.Map(api.MapGroup("/disputes").WithTags("Disputes"));
        if (sandbox) api.MapPost("/sandbox/chargebacks", RaiseInSandbox).WithTags("Sandbox");
    }

    public sealed record SandboxChargebackInput(Guid? OrderId, [property: StringLength(500)] string? Reason = null);

    /// <summary>
    /// Raises a chargeback on an order as the provider would: a <c>chargeback.opened</c> event of the sandbox's own, with
    /// the network's usual deadline, through the same code as <c>POST /payment-events</c>. Admin, sandbox only.
    /// </summary>
    public static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<PaymentEventResponse>> RaiseInSandbox(SandboxChargebackInput input, HttpContext http,
        ReceivePaymentEvent receive, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        caller.Require(UserRole.Admin, "raise a chargeback in the sandbox");
        var errors = new InputErrors();
        if (input.OrderId is null) errors.Add("orderId", "Required.");
        var reason = errors.Text("reason", input.Reason, Limits.Length<SandboxChargebackInput>(nameof(SandboxChargebackInput.Reason)), required: false) ?? "fraudulent";
        errors.ThrowIfAny();
        var now = clock.GetUtcNow();
        var (response, _) = await receive.RunAsync(caller, new ReceivePaymentEvent.Input($"evt_sandbox_{Guid.CreateVersion7(now):N}", ReceivePaymentEvent.Opened,
            input.OrderId, null, $"cb_sandbox_{input.OrderId:N}", null, reason, now.AddDays(SandboxRespondDays)), ct);
        return TypedResults.Ok(response);
    }

    public static IServiceCollection AddChargebackUseCases(this IServiceCollection services) => services
        .AddScoped<Chargebacks>()
        .AddScoped<ReceivePaymentEvent>()
        .AddScoped<EvidencePack>();
}
