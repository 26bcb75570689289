using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Safehold.Domain;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Features.Portal;
using Safehold.Web.Jobs;

namespace Safehold.Web.Features.Sandbox;

/// <summary>
/// The admin's advance of the sandbox clock (the banner's form posts here): the API's advance, which commits the new
/// time and then runs everything that fell due. It runs its own transactions, as the API's does.
/// </summary>
[Authorize(Roles = nameof(Users.UserRole.Admin))]
public sealed class ClockModel(SafeholdDb db, TimeProvider clock, IServiceProvider services) : PortalPage
{
    [BindProperty, Required(ErrorMessage = "Required."), Range(0, SandboxClockEndpoints.MaxDays, ErrorMessage = "Must be from {1} to {2}.")]
    public double? Days { get; set; } = 1;

    [BindProperty]
    public string? ReturnUrl { get; set; }

    public DateTimeOffset Now => clock.GetUtcNow();

    public IActionResult OnGet() => services.GetService<SandboxClock>() is null ? NotFound() : Page();

    /// <summary>
    /// A carrier's scan of an order's shipment or a dispute's return, made now (<c>POST /api/v1/sandbox/tracking-events</c>):
    /// a <c>delivered</c> one reports the delivery as the carrier's feed would.
    /// </summary>
    public async Task<IActionResult> OnPostScanAsync(string? orderId, string? disputeId, string? status, string? signedBy, string? location, CancellationToken ct)
    {
        if (services.GetService<SandboxClock>() is null) return NotFound();
        ModelState.Clear(); // the clock's own fields are not this form's
        Guid? order = Guid.TryParse(orderId, out var o) ? o : null;
        Guid? dispute = Guid.TryParse(disputeId, out var d) ? d : null;
        try
        {
            await Tracking.TrackingEndpoints.SendAsync(Me, new Tracking.TrackingEndpoints.SandboxScanInput(order, dispute, status, signedBy, location), db,
                services.GetRequiredService<Tracking.ReportTrackingEvents>(), clock, ct);
        }
        catch (InvalidInputException invalid)
        {
            foreach (var (_, messages) in invalid.Errors)
                foreach (var m in messages) ModelState.AddModelError("scan", Words.Input(L, m));
            Refuse(400, "validation_failed");
            return Page();
        }
        catch (DomainException refused)
        {
            Refuse(Problems.StatusOf(refused.Kind), refused.Code);
            return Page();
        }
        Done = L["The scan was sent: {0}.", Words.Name(L, "tracking", status ?? "")];
        return LocalRedirect("/sandbox/clock");
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (services.GetService<SandboxClock>() is not { } sandbox) return NotFound();
        if (Invalid()) return Page();
        try
        {
            await SandboxClockEndpoints.Advance(new SandboxClockEndpoints.AdvanceRequest(Days, null), HttpContext, db, sandbox,
                services.GetRequiredService<DeadlineSweeper>(), services.GetRequiredService<Payouts.PayoutRunner>(), services.GetRequiredService<InstructionWorker>(),
                services.GetRequiredService<WriteGate>(), ct);
        }
        catch (InvalidInputException invalid)
        {
            foreach (var (_, messages) in invalid.Errors)
                foreach (var m in messages) ModelState.AddModelError(nameof(Days), Words.Input(L, m));
            Refuse(400, "validation_failed");
            return Page();
        }
        catch (DomainException refused)
        {
            Refuse(Problems.StatusOf(refused.Kind), refused.Code);
            return Page();
        }
        Done = "The sandbox clock moved forward and everything that fell due has run.";
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/sandbox/clock");
    }
}
