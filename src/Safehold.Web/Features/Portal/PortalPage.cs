using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Safehold.Domain;
using Safehold.Web.Api;
using Safehold.Web.Data;

namespace Safehold.Web.Features.Portal;

/// <summary>
/// A portal page. Its actions call the same use-case methods as the API's endpoints, inside one transaction the way
/// <see cref="WriteTransaction"/> runs a POST: a refused action rolls back whole and is shown in words, never half done.
/// </summary>
public abstract class PortalPage : PageModel
{
    private IStringLocalizer<PortalText>? _l;

    public IStringLocalizer<PortalText> L => _l ??= HttpContext.RequestServices.GetRequiredService<IStringLocalizer<PortalText>>();

    public Caller Me => Caller.From(User);

    /// <summary>Why the last action was refused, in the reader's language.</summary>
    public string? Refusal { get; private set; }

    /// <summary>The problem <c>code</c> of the last refusal (to say it beside the field it concerns).</summary>
    public string? RefusedCode { get; private set; }

    /// <summary>Whether the refusal is one after which a reader may wonder if something happened (a state changed meanwhile).</summary>
    public bool SaysNothingChanged => RefusedCode is "invalid_state" or "concurrent_change" or "refund_failed";

    /// <summary>What the last action did (kept across its redirect).</summary>
    [TempData]
    public string? Done { get; set; }

    protected T Service<T>() where T : notnull => HttpContext.RequestServices.GetRequiredService<T>();

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction. On a refusal nothing is committed, the reason is kept in
    /// <see cref="Refusal"/> (or beside each field, with <paramref name="fields"/> naming the form field of an input
    /// field) and the response status is the API's for the same refusal. Someone else's data stays a 404.
    /// </summary>
    /// <remarks>With <paramref name="ownTransactions"/> the work begins its own transactions (an evidence upload, which reads
    /// the file before it holds the write lock) and only the refusals are handled here.</remarks>
    protected async Task<bool> Attempt(Func<CancellationToken, Task> work, IReadOnlyDictionary<string, string>? fields = null, bool ownTransactions = false)
    {
        var db = Service<SafeholdDb>();
        var ct = HttpContext.RequestAborted;
        await using var tx = ownTransactions ? null : await Service<WriteGate>().BeginTransactionAsync(db, ct);
        try
        {
            await work(ct);
            // The work is done (money may have moved at the provider): commit even if the browser has gone.
            if (tx is not null) await tx.CommitAsync(CancellationToken.None);
            return true;
        }
        catch (DomainException refused) when (refused.Kind != RefusalKind.NotFound)
        {
            db.ChangeTracker.Clear();
            Refuse(Problems.StatusOf(refused.Kind), refused.Code);
        }
        catch (InvalidInputException invalid)
        {
            db.ChangeTracker.Clear();
            foreach (var (field, messages) in invalid.Errors)
            {
                var key = fields is not null && fields.TryGetValue(field, out var mapped) ? mapped : field;
                foreach (var message in messages) ModelState.AddModelError(key, Words.Input(L, message));
            }
            Refuse(400, "validation_failed");
        }
        catch (HttpProblemException problem)
        {
            db.ChangeTracker.Clear();
            Refuse(problem.Status, problem.Code);
            if (problem.Status is 413 or 415) ModelState.AddModelError("file", Refusal!); // a file refused: said beside the file field
        }
        catch (Exception e) when (e is DbUpdateConcurrencyException || Problems.IsConcurrencyFailure(e))
        {
            db.ChangeTracker.Clear();
            Refuse(409, "concurrent_change");
        }
        return false;
    }

    /// <summary>
    /// A product image posted in the form field <paramref name="field"/>, read and checked as the API does; null when it
    /// is refused, with the reason said beside the field.
    /// </summary>
    protected async Task<Photos.PhotoInspection.Photo?> CheckedImageAsync(IFormFile? file, string field, CancellationToken ct)
    {
        try
        {
            if (file is null) throw new InvalidInputException(new Dictionary<string, string[]> { ["file"] = ["The file is empty."] });
            await using var content = file.OpenReadStream();
            return await Products.ProductImages.InspectAsync(new Products.ProductImages.Upload(file.Length, content), ct);
        }
        catch (InvalidInputException)
        {
            Refuse(400, "validation_failed");
            ModelState.AddModelError(field, L["Choose an image file: JPEG, PNG or WebP."]);
        }
        catch (HttpProblemException problem)
        {
            Refuse(problem.Status, problem.Code);
            var words = L["image." + problem.Code]; // the product image's own limits, where they differ from evidence's
            ModelState.AddModelError(field, words.ResourceNotFound ? Refusal! : words);
        }
        return null;
    }

    /// <summary>Shows a refusal by its problem <c>code</c>, in words.</summary>
    protected void Refuse(int status, string code)
    {
        Response.StatusCode = status;
        RefusedCode = code;
        Refusal = Words.ForCode(L, code);
    }

    /// <summary>The first error for a form field, in the reader's language, or null.</summary>
    public string? ErrorFor(string field) =>
        ModelState.TryGetValue(field, out var entry) && entry.Errors.Count > 0 ? entry.Errors[0].ErrorMessage : null;

    /// <summary>What the reader typed in a field of the form just posted (to show it again beside its error).</summary>
    public string? Posted(string field) => Request.HasFormContentType ? Request.Form[field].ToString() : null;

    /// <summary>Form fields checked before any use case runs: true (with the errors shown) when something is wrong.</summary>
    protected bool Invalid()
    {
        if (ModelState.IsValid) return false;
        Refuse(400, "validation_failed");
        return true;
    }
}

/// <summary>Turns a page's "not found" (someone else's order, a missing product) into the portal's 404 page.</summary>
public sealed class NotFoundAsPage : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var executed = await next();
        if (executed.Exception is DomainException { Kind: RefusalKind.NotFound } && !executed.ExceptionHandled)
        {
            executed.ExceptionHandled = true;
            executed.Result = new NotFoundResult();
        }
    }
}
