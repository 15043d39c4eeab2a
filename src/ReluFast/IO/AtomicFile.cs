namespace ReluFast.IO;

/// <summary>
/// A file written under a temporary name in the target's folder and renamed over the target only on
/// <see cref="Commit"/>: a write that fails or is cancelled leaves no partial output behind.
/// </summary>
internal sealed class AtomicFile : IDisposable
{
    private readonly FileStream _stream;
    private bool _committed;

    public AtomicFile(string path, int bufferSize = 1 << 16)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        TempPath = TempPathFor(Path);
        try
        {
            _stream = new FileStream(TempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Say what is wrong with the output path rather than the temporary name's low-level error.
            OutputFile.Check(path);
            throw new ReluFastDataException(path, $"the output file cannot be created: {e.Message}", e);
        }
    }

    /// <summary>Characters the temporary name adds to the file name: '.', '.', 32 hex digits and ".partial".</summary>
    internal const int TempNameOverhead = 42;

    /// <summary>The temporary name beside <paramref name="fullPath"/> that a write goes to before its rename.</summary>
    internal static string TempPathFor(string fullPath) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(fullPath)!, $".{System.IO.Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.partial");

    /// <summary>The final path.</summary>
    public string Path { get; }

    /// <summary>The temporary file being written.</summary>
    public string TempPath { get; }

    /// <summary>The stream to write to.</summary>
    public FileStream Stream => _stream;

    /// <summary>Flushes, closes and renames the temporary file over <see cref="Path"/>.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        _stream.Flush();
        _stream.Dispose();
        File.Move(TempPath, Path, overwrite: true);
        _committed = true;
    }

    /// <summary>Deletes the temporary file unless committed.</summary>
    public void Dispose()
    {
        if (_committed) return;
        _stream.Dispose();
        try { File.Delete(TempPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _committed = true;
    }
}
