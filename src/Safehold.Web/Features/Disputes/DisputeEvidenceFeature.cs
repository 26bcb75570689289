using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Safehold.Domain;
using Safehold.Domain.Disputes;
using Safehold.Web.Api;
using Safehold.Web.Data;
using Safehold.Web.Jobs;

namespace Safehold.Web.Features.Disputes;

/// <summary>
/// Where evidence files live: a folder outside the database (<c>Safehold:EvidenceFolder</c>; by default <c>evidence</c>
/// beside the SQLite data file), one file per evidence id.
/// </summary>
public sealed class EvidenceStore(string folder)
{
    public string Folder { get; } = Path.GetFullPath(folder);

    public string PathOf(Guid evidenceId) => Path.Combine(Folder, evidenceId.ToString("N"));

    /// <summary>A photo's re-encoded preview, in a folder of its own beside the originals.</summary>
    public string PreviewPathOf(Guid evidenceId) => Path.Combine(Folder, "previews", evidenceId.ToString("N"));

    /// <summary>A fresh temporary path in the same folder, so the finished file is moved into place, never copied.</summary>
    public string TempPath()
    {
        Directory.CreateDirectory(Folder);
        return Path.Combine(Folder, $".upload-{Guid.NewGuid():N}.tmp");
    }
}

/// <summary>
/// Evidence in a dispute (SPEC 3): photos (JPEG, PNG, WebP), video (MP4) and PDF, at most 10 MB each and 20 per party,
/// the type read from the content and checked against what the client claimed. A refused upload leaves no file behind.
/// </summary>
public sealed class DisputeEvidenceFeature(SafeholdDb db, DueTimers timers, EvidenceStore store, DisputeChange change, TimeProvider clock)
{
    public const long MaxBytes = 10L * 1024 * 1024;

    /// <summary>The longest description of a file.</summary>
    public const int MaxDescription = 1000;
    public const int MaxPerParty = 20;

    /// <summary>Who may add evidence: the buyer and the seller while the dispute is open; an arbiter once it went to the platform.</summary>
    public static bool MayAdd(Dispute d, DisputeActor actor) =>
        d.IsOpen && (actor.Party is DisputeParty.Buyer or DisputeParty.Seller || actor.Party == DisputeParty.Arbiter && d.EscalatedAt is not null);

    public sealed record Upload(string FileName, string? DeclaredContentType, long Length, Stream Content, string? Description);

    /// <summary>
    /// Adds a file. The upload is read, hashed and its type checked before the row is written; then the row is
    /// written and the file moved into place just before the commit, and removed again if that fails. Called outside
    /// a transaction (the API), it uses one of its own, begun only after the upload was read, so a slow client never
    /// holds the database's write lock. Called inside a caller's transaction, a failure of that caller's later commit
    /// leaves an unreferenced file, which is never served: downloads go through the row.
    /// </summary>
    public async Task<EvidenceResponse> AddAsync(Caller caller, Guid disputeId, Upload upload, CancellationToken ct)
    {
        var errors = new InputErrors();
        var fileName = errors.Text("file", Path.GetFileName(upload.FileName), 255, required: false) ?? "evidence";
        var description = errors.Text("description", upload.Description, MaxDescription, required: false);
        if (upload.Length == 0) errors.Add("file", "The file is empty.");
        errors.ThrowIfAny();
        if (upload.Length > MaxBytes) throw TooLarge();
        await DisputeAccess.LoadVisibleAsync(db, disputeId, caller, ct); // someone else's dispute: 404 before reading a byte

        var temp = store.TempPath();
        string? placed = null;
        string? previewPath = null;
        try
        {
            var (length, sha256, head) = await CopyAsync(upload.Content, temp, ct);
            var type = EvidenceType.Detect(head)
                ?? throw new HttpProblemException(StatusCodes.Status415UnsupportedMediaType, "unsupported_file_type",
                    "Evidence must be a JPEG, PNG or WebP photo, an MP4 video or a PDF; the content of this file is none of them.");
            if (!type.Admits(upload.DeclaredContentType, fileName))
                throw new HttpProblemException(StatusCodes.Status415UnsupportedMediaType, "file_type_mismatch",
                    $"The file's content is {type.ContentType}, which is not what its name or declared type says.");
            var preview = await EvidenceInspection.InspectAsync(type, temp, ct);

            return await change.InTransactionAsync(async () =>
            {
                var now = clock.GetUtcNow();
                var (dispute, _) = await DisputeAccess.LoadForChangeAsync(db, timers, disputeId, caller, now, ct);
                var actor = DisputeAccess.ActorOf(dispute, caller);
                if (actor.Party is not (DisputeParty.Buyer or DisputeParty.Seller or DisputeParty.Arbiter))
                    throw new DomainException(RefusalKind.NotAllowed, "action_not_allowed", "Only the buyer, the seller and arbiters add evidence.");
                if (!MayAdd(dispute, actor))
                    throw DomainException.InvalidState($"Evidence cannot be added to this dispute now: it is {DisputeProcess.StatusName(dispute.Status)}.");
                var count = await db.DisputeEvidence.CountAsync(e => e.DisputeId == dispute.Id && e.Party == actor.Party, ct);
                if (count >= MaxPerParty)
                    throw new DomainException(RefusalKind.RuleRefused, "evidence_limit_reached", $"Each party may add at most {MaxPerParty} files to a dispute.");

                var id = Guid.CreateVersion7(now);
                var evidence = new DisputeEvidence(id, dispute.Id, caller.Id, actor.Party, fileName, type.ContentType, length, sha256, description, now);
                db.DisputeEvidence.Add(evidence);
                await db.SaveChangesAsync(ct);
                if (preview is not null)
                {
                    previewPath = store.PreviewPathOf(id);
                    Directory.CreateDirectory(Path.GetDirectoryName(previewPath)!);
                    await File.WriteAllBytesAsync(previewPath, preview.Bytes, ct);
                }
                placed = store.PathOf(id);
                File.Move(temp, placed); // committed by the caller's InTransactionAsync right after this returns
                return DisputeResponse.EvidenceOf(dispute, evidence);
            }, ct);
        }
        catch
        {
            if (placed is not null) File.Delete(placed); // the row did not commit: neither does the file
            if (previewPath is not null) File.Delete(previewPath);
            throw;
        }
        finally
        {
            File.Delete(temp); // gone already when the upload was kept
        }
    }

    /// <summary>An evidence file, for the parties and arbiters of a dispute they can see.</summary>
    public async Task<(DisputeEvidence Evidence, string Path)> FindAsync(Caller caller, Guid disputeId, Guid evidenceId, CancellationToken ct)
    {
        var dispute = await DisputeAccess.LoadVisibleAsync(db, disputeId, caller, ct);
        var party = DisputeAccess.ActorOf(dispute, caller).Party;
        var evidence = party is DisputeParty.Buyer or DisputeParty.Seller or DisputeParty.Arbiter
            ? await db.DisputeEvidence.AsNoTracking().FirstOrDefaultAsync(e => e.Id == evidenceId && e.DisputeId == disputeId, ct)
            : null;
        var path = store.PathOf(evidenceId);
        if (evidence is null || !File.Exists(path)) throw Problems.NotFound("Evidence");
        return (evidence, path);
    }

    /// <summary>Copies at most <see cref="MaxBytes"/> to <paramref name="path"/>, hashing as it goes; returns the length, hash and first bytes.</summary>
    private static async Task<(long Length, string Sha256, byte[] Head)> CopyAsync(Stream content, string path, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var head = new byte[16];
        var headLength = 0;
        long length = 0;
        var buffer = new byte[81920];
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
        {
            int read;
            while ((read = await content.ReadAsync(buffer, ct)) > 0)
            {
                length += read;
                if (length > MaxBytes) throw TooLarge();
                if (headLength < head.Length)
                {
                    var n = Math.Min(read, head.Length - headLength);
                    Array.Copy(buffer, 0, head, headLength, n);
                    headLength += n;
                }
                sha.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), ct);
            }
        }
        return (length, Convert.ToHexStringLower(sha.GetHashAndReset()), head[..headLength]);
    }

    private static HttpProblemException TooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, "file_too_large", $"An evidence file may be at most {MaxBytes / (1024 * 1024)} MB.");
}

/// <summary>A kind of file evidence may be: how its content starts, its media type and the file name endings it goes by.</summary>
public sealed record EvidenceType(string ContentType, string[] Extensions)
{
    public static readonly EvidenceType Jpeg = new("image/jpeg", [".jpg", ".jpeg", ".jfif"]);
    public static readonly EvidenceType Png = new("image/png", [".png"]);
    public static readonly EvidenceType WebP = new("image/webp", [".webp"]);
    public static readonly EvidenceType Mp4 = new("video/mp4", [".mp4", ".m4v"]);
    public static readonly EvidenceType Pdf = new("application/pdf", [".pdf"]);

    // ISO base media files all start with an ftyp box; its major brand tells an MP4 video from HEIC or AVIF photos,
    // QuickTime, 3GP or M4A audio, which are not evidence types.
    private static readonly HashSet<string> Mp4Brands =
        ["isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso7", "iso8", "iso9", "mp41", "mp42", "mp71", "avc1", "M4V ", "M4VH", "M4VP", "dash", "MSNV", "NDAS"];

    /// <summary>The type the first bytes show, or null for anything else.</summary>
    public static EvidenceType? Detect(ReadOnlySpan<byte> head)
    {
        switch (Photos.PhotoInspection.Detect(head))
        {
            case Photos.PhotoFormat.Jpeg: return Jpeg;
            case Photos.PhotoFormat.Png: return Png;
            case Photos.PhotoFormat.WebP: return WebP;
        }
        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8) && Mp4Brands.Contains(System.Text.Encoding.ASCII.GetString(head[8..12]))) return Mp4;
        if (head.StartsWith("%PDF-"u8)) return Pdf;
        return null;
    }

    /// <summary>Whether the declared media type and the file name's ending (where given) agree with the content.</summary>
    public bool Admits(string? declaredContentType, string fileName)
    {
        var declared = declaredContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (!string.IsNullOrEmpty(declared) && declared != "application/octet-stream" && declared != ContentType
            && !(this == Jpeg && declared == "image/jpg"))
            return false;
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        return extension.Length == 0 || Extensions.Contains(extension);
    }
}
