using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using static Safehold.Web.Tests.Features.Webhooks.WebhookTests;

namespace Safehold.Web.Tests.Features.Webhooks;

/// <summary>The verification code docs/webhooks.md gives integrators, compiled as written and run on real deliveries.</summary>
public sealed class WebhookDocsTests
{
    private delegate bool Verify(string header, byte[] body, IEnumerable<string> secrets, DateTimeOffset now);

    /// <summary>The C# <c>SafeholdSignature</c> class of docs/webhooks.md (its first csharp block, up to the example endpoint).</summary>
    private static Verify DocumentedVerify()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Safehold.slnx"))) folder = folder.Parent;
        var doc = File.ReadAllText(Path.Combine(folder!.FullName, "docs", "webhooks.md"));
        var block = doc.Split("```csharp\n")[1].Split("```")[0];
        var code = "using System; using System.Collections.Generic; using System.Linq;\n" + block[..block.IndexOf("// In a minimal API", StringComparison.Ordinal)];
        var compilation = CSharpCompilation.Create("WebhookDocs", [CSharpSyntaxTree.ParseText(code)],
            ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Select(p => MetadataReference.CreateFromFile(p)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, "docs/webhooks.md's C# does not compile:\n" + string.Join('\n', emitted.Diagnostics.Take(10)));
        var method = Assembly.Load(image.ToArray()).GetType("SafeholdSignature")!.GetMethod("Verify")!;
        return method.CreateDelegate<Verify>();
    }

    [Fact]
    public async Task The_documented_verification_accepts_either_secret_during_an_overlap_and_refuses_a_timestamp_past_300_seconds()
    {
        var verify = DocumentedVerify();
        using var app = new SafeholdApp();
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = await Register(app, receiver.Url, "order.placed");
        var old = hook["secret"]!.GetValue<string>();
        var rolled = (await Api.Json(await app.Admin.PostAsync($"/api/v1/webhook-endpoints/{hook.Id()}/roll-secret", null)))["secret"]!.GetValue<string>();
        await app.OrderIn("awaiting_payment");
        await Deliver(app);

        var (headers, body) = Assert.Single(receiver.Received);
        var header = headers["Safehold-Signature"];
        var bytes = Encoding.UTF8.GetBytes(body);
        var now = app.Clock.GetUtcNow();
        Assert.True(verify(header, bytes, [old], now));
        Assert.True(verify(header, bytes, [rolled], now));
        Assert.False(verify(header, bytes, ["whsec_someone_else"], now));
        Assert.False(verify(header, Encoding.UTF8.GetBytes(body + " "), [rolled], now));
        Assert.True(verify(header, bytes, [rolled], now + TimeSpan.FromSeconds(300)));
        Assert.False(verify(header, bytes, [rolled], now + TimeSpan.FromSeconds(301)));
        Assert.False(verify(header, bytes, [rolled], now - TimeSpan.FromSeconds(301)));
    }
}
