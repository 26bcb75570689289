using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain.Orders;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;
using Safehold.Web.Jobs;
using Safehold.Web.Payments;

namespace Safehold.Web.Features.Orders;

/// <summary>
/// "More details" of an order: the listing as bought, the timeline, the protection countdown, the deadlines in words,
/// and a form for each of the order's <c>actions</c> for the reader, the same list the API answers. Each form posts
/// to the handler that calls the API's own use case.
/// </summary>
public sealed class DetailsModel(SafeholdDb db, TimeProvider clock, OrderMessages messages)
    : PortalPage
{
    public OrderResponse Order { get; private set; } = null!;
    public string BuyerName { get; private set; } = "";
    public string SellerName { get; private set; } = "";
    public DateTimeOffset Now { get; private set; }
    public IReadOnlyList<OrderMessageResponse> Messages { get; private set; } = [];

    /// <summary>The irreversible step the reader is asked to confirm, when this answer is that question.</summary>
    public ConfirmStep? Confirming { get; private set; }

    /// <summary>The deadlines of the order's open dispute (the order's own timers are paused while it runs).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> DisputeDeadlines { get; private set; } = new Dictionary<string, DateTimeOffset>();

    /// <summary>Whether the order's latest dispute is still running (neither resolved nor withdrawn).</summary>
    public bool InDispute => Order.Dispute is { Status: not ("resolved" or "withdrawn") };

    /// <summary>How much went back to the buyer, read from the ledger (a cancellation after payment, a missed ship-by, a dispute's refund).</summary>
    public Api.MoneyDto? Refunded { get; private set; }

    /// <summary>Whether a refund of this order is still on its way to the buyer's card (its payment instruction not yet sent).</summary>
    public bool RefundOnItsWay { get; private set; }

    /// <summary>The one status the page shows: the order's, told more exactly where the order's own name would mislead.</summary>
    public string StatusKey => Order.Status switch
    {
        _ when InDispute => "in_dispute",
        "awaiting_delivery" when Order.DeliveredAt is not null => "delivered",
        "closed" when Refunded is not null => "refunded",
        "completed" when Refunded is { } r && r.Amount > 0 => "partly_refunded",
        var s => s,
    };

    /// <summary>Whether the reader is the order's buyer or seller, who write to each other about it.</summary>
    public bool MayWrite => Order.BuyerId == Me.Id || Order.SellerId == Me.Id;

    public async Task OnGetAsync(Guid id, CancellationToken ct) => await Load(id, ct);

    /// <summary>The portal's address of the listing snapshot's own copy of an image.</summary>
    public static string ImageUrl(Guid orderId, Guid imageId) => $"/orders/{orderId}?handler=image&imageId={imageId}";

    /// <summary>An image of the listing as bought, for those who may see the order.</summary>
    public async Task<IActionResult> OnGetImageAsync(Guid id, Guid imageId, CancellationToken ct)
    {
        await OrderAccess.RequireVisibleAsync(db, id, Me, ct);
        return Products.ProductImages.ServeFile(this, await Service<Products.ProductImages>().OrderImageAsync(id, imageId, ct));
    }

    /// <summary>Pays the order; an order of a checkout is paid with its checkout's other orders (one payment for all).</summary>
    public async Task<IActionResult> OnPostPayAsync(Guid id, string? card)
    {
        var input = new Pay.Input(Card: new Pay.CardInput(card));
        var checkoutId = await db.Orders.Where(o => o.Id == id).Select(o => o.CheckoutId).FirstOrDefaultAsync(HttpContext.RequestAborted);
        return await Act(id, checkoutId is null ? "Paid. Your money is held safely until you confirm the order arrived."
            : "Paid. Your money is held safely until you confirm each order arrived.", async ct =>
        {
            if (checkoutId is { } checkout) await Service<Checkouts.Checkouts>().PayAsync(Me, checkout, input, ct);
            else await Service<Pay>().RunAsync(Me, id, input, ct);
        }, new() { ["card.number"] = "card" }, ownTransactions: true);
    }

    public async Task<IActionResult> OnPostCancelAsync(Guid id, string? reason, bool confirmed)
    {
        if (!confirmed && await AskFirst(id, "cancel", "Cancel", new() { ["reason"] = reason })) return Page();
        return await Act(id, "The order was cancelled.", ct =>
            Service<Cancel>().RunAsync(Me, id, new Cancel.Input(reason), ct));
    }

    public Task<IActionResult> OnPostShipAsync(Guid id, string? carrier, string? trackingNumber) =>
        Act(id, "Marked as shipped. The buyer's protection period has started.", ct =>
            Service<Ship>().RunAsync(Me, id, new Ship.Input(carrier, trackingNumber), ct));

    public Task<IActionResult> OnPostMarkDeliveredAsync(Guid id) =>
        Act(id, "Delivery reported.", ct => Service<MarkDelivered>().RunAsync(Me, id, ct));

    public async Task<IActionResult> OnPostConfirmReceiptAsync(Guid id, bool confirmed)
    {
        if (!confirmed && await AskFirst(id, "confirm_receipt", "ConfirmReceipt", [])) return Page();
        return await Act(id, "Receipt confirmed. The seller is paid.", ct => Service<ConfirmReceipt>().RunAsync(Me, id, ct));
    }

    /// <summary>
    /// Loads the page as the question "are you sure?" for an irreversible <paramref name="action"/>, saying what happens to the
    /// money; false (and the action goes ahead, to be refused in words) when the order does not offer it now.
    /// </summary>
    private async Task<bool> AskFirst(Guid id, string action, string handler, Dictionary<string, string?> fields)
    {
        await Load(id, HttpContext.RequestAborted);
        if (!Can(action)) return false;
        var total = Words.Money(Order.Total);
        Confirming = action switch
        {
            "confirm_receipt" => new ConfirmStep(L["Confirm that the order arrived as described?"],
                L["The {0} held for this order is paid to the seller (less the platform's commission). This cannot be undone.", total],
                L["Yes, confirm receipt"], $"/orders/{id}?handler={handler}", $"/orders/{id}", fields),
            _ => new ConfirmStep(L["Cancel this order?"],
                Order.PaidAt is null
                    ? L["The order is cancelled. Nothing was paid, so no money moves. This cannot be undone."]
                    : L["The order is cancelled and the {0} paid is refunded in full to the buyer's card. This cannot be undone.", total],
                L["Yes, cancel the order"], $"/orders/{id}?handler={handler}", $"/orders/{id}", fields),
        };
        return true;
    }

    public Task<IActionResult> OnPostExtendAsync(Guid id, string? days, string? reason)
    {
        int? parsed = int.TryParse(days, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.CurrentCulture, out var d) ? d : null;
        if (!string.IsNullOrWhiteSpace(days) && parsed is null) ModelState.AddModelError("days", L["Not a whole number."]);
        return Act(id, "Extension requested. If the seller does not answer in time, it is approved.", ct =>
            Service<RequestExtension>().RunAsync(Me, id, new RequestExtension.Input(parsed, reason), ct));
    }

    public Task<IActionResult> OnPostApproveExtensionAsync(Guid id, Guid extensionId) =>
        Act(id, "Extension approved.", ct => Service<AnswerExtension>().RunAsync(Me, id, extensionId, approve: true, ct));

    public Task<IActionResult> OnPostDeclineExtensionAsync(Guid id, Guid extensionId) =>
        Act(id, "Extension declined.", ct => Service<AnswerExtension>().RunAsync(Me, id, extensionId, approve: false, ct));

    public Task<IActionResult> OnPostMessageAsync(Guid id, string? body) =>
        Act(id, "The message is sent.", ct => messages.SendAsync(Me, id, new OrderMessages.SendInput(body), ct));

    private async Task<IActionResult> Act(Guid id, string done, Func<CancellationToken, Task> work, Dictionary<string, string>? fields = null,
        bool ownTransactions = false)
    {
        if (Invalid())
        {
            await Load(id, HttpContext.RequestAborted);
            return Page();
        }
        if (await Attempt(work, fields, ownTransactions))
        {
            Done = done;
            return Redirect($"/orders/{id}");
        }
        await Load(id, HttpContext.RequestAborted);
        return Page();
    }

    private async Task Load(Guid id, CancellationToken ct)
    {
        Now = clock.GetUtcNow();
        Order = (await OrderQueries.Get(id, HttpContext, db, clock, ct)).Value!;
        var ids = new[] { Order.BuyerId, Order.SellerId };
        var names = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        BuyerName = names.GetValueOrDefault(Order.BuyerId, "");
        SellerName = names.GetValueOrDefault(Order.SellerId, "");
        Messages = (await messages.ListAsync(Me, id, null, 100, ct)).Items;
        Refunded = await RefundedAsync(db, Order, ct);
        if (Refunded is not null)
        {
            // A refund decided is owed until its payment instruction is sent: the buyer sees which it is.
            RefundOnItsWay = await db.PaymentInstructions.AsNoTracking().AnyAsync(i => i.OrderId == id
                && i.Kind == Domain.Payments.InstructionKind.Refund && i.Status != Domain.Payments.InstructionStatus.Succeeded, ct);
        }
        if (Order.CheckoutId is { } checkoutId && Order.Status == "awaiting_payment" && Me.Role == Users.UserRole.Buyer)
            Checkout = await Service<Checkouts.Checkouts>().GetAsync(Me, checkoutId, ct);
        if (InDispute && Me.Role != Users.UserRole.Arbiter)
            DisputeDeadlines = (await Disputes.DisputeQueries.GetAsync(db, Me, Order.Dispute!.Id, Now, ct)).Deadlines;
    }

    /// <summary>
    /// What went back to the buyer, as the order's journal says: its lines to refunds owed and refunds out (a refund is owed
    /// when decided and moves from owed to out when sent, so the two together count it once); null when nothing was refunded.
    /// </summary>
    public static async Task<Api.MoneyDto?> RefundedAsync(SafeholdDb db, OrderResponse o, CancellationToken ct)
    {
        var refunded = await db.JournalLines.Where(l => l.OrderId == o.Id
                && (l.AccountType == Domain.Ledger.AccountType.RefundsOut || l.AccountType == Domain.Ledger.AccountType.RefundsOwed))
            .SumAsync(l => l.Amount, ct);
        return refunded == 0 ? null : new Api.MoneyDto(refunded, o.Total.Currency);
    }

    /// <summary>The checkout an unpaid order belongs to, for its buyer: it is paid with the checkout's other orders.</summary>
    public Checkouts.CheckoutResponse? Checkout { get; private set; }

    /// <summary>Whether the reader may do <paramref name="action"/> now; <c>pay</c> of a checkout's order pays its whole checkout.</summary>
    public bool Can(string action) => Order.Actions.Contains(action) || (action == "pay" && Checkout?.Actions.Contains("pay") == true);

    public static string Trigger(OrderTrigger t) => OrderProcess.ActionName(t);
}
