using System.Text;

namespace ReluFast.IO;

/// <summary>
/// Output files written whole or not at all, and the check that an output path can be written, made before any
/// work so that a bad path fails at once rather than after learning. One rule for the CLI, the library's writers
/// and the C ABI.
/// </summary>
public static class OutputFile
{
    /// <summary>The longest file name (in UTF-8 bytes) that common file systems (ext4, XFS, NTFS, APFS) accept.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>
    /// Checks that <paramref name="path"/> can be written: it is not a folder; its nearest existing ancestor is a
    /// folder (not a file) in which a file can be created; and its name, with the 42 characters of the temporary
    /// name a write goes through, fits <see cref="MaxNameBytes"/>. Creates nothing that stays behind (the probe
    /// file is deleted on close) and no folder.
    /// </summary>
    /// <exception cref="ReluFastDataException">The path cannot be written; the message names it and says why.</exception>
    public static void Check(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ReluFastDataException(path, "the output path is empty.");
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ReluFastDataException(path, $"not a valid output path: {e.Message}", e);
        }
        if (Directory.Exists(full)) throw new ReluFastDataException(path, "this is a folder; give a file name.");
        string name = Path.GetFileName(full);
        if (name.Length == 0) throw new ReluFastDataException(path, "the output path names no file.");
        int nameBytes = Encoding.UTF8.GetByteCount(name);
        if (nameBytes + AtomicFile.TempNameOverhead > MaxNameBytes)
            throw new ReluFastDataException(path,
                $"the file name is {nameBytes} bytes long; with the {AtomicFile.TempNameOverhead} characters of the temporary name it is " +
                $"written under first it exceeds the {MaxNameBytes}-byte limit of file names: use a name of at most " +
                $"{MaxNameBytes - AtomicFile.TempNameOverhead} bytes.");
        string? folder = Path.GetDirectoryName(full);
        // Walk up to the nearest existing ancestor: every missing folder is created by the write, the existing one must
        // be a folder that accepts new entries.
        while (folder is not null && !Directory.Exists(folder))
        {
            if (File.Exists(folder))
                throw new ReluFastDataException(path, $"{folder} is a file, so it cannot hold the output; give a path inside a folder.");
            if (Encoding.UTF8.GetByteCount(Path.GetFileName(folder)) > MaxNameBytes)
                throw new ReluFastDataException(path,
                    $"the folder name {Path.GetFileName(folder)} exceeds the {MaxNameBytes}-byte limit of file names.");
            folder = Path.GetDirectoryName(folder);
        }
        if (folder is null) throw new ReluFastDataException(path, "no folder of the output path exists.");
        Probe(path, folder);
    }

    /// <summary>
    /// Writes <paramref name="path"/> (its missing folders created) through <paramref name="write"/> under a temporary
    /// name beside it, and renames it into place only once complete: a failed or cancelled write leaves nothing.
    /// </summary>
    /// <exception cref="ReluFastDataException">The path cannot be written (see <see cref="Check"/>).</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        Check(path);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        using var file = new AtomicFile(path);
        write(file.Stream);
        file.Commit();
    }

    private static void Probe(string path, string folder)
    {
        string probe = Path.Combine(folder, $".relufast-probe.{Guid.NewGuid():N}.partial");
        try
        {
            using var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ReluFastDataException(path, $"the folder {folder} is not writable (permission denied).", e);
        }
        catch (IOException e)
        {
            throw new ReluFastDataException(path, $"cannot create a file in {folder}: {e.Message}", e);
        }
    }
}
