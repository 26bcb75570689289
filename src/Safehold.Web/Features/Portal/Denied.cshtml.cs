using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Safehold.Web.Features.Portal;

public sealed class DeniedModel : PageModel;
