using System.IO.Compression;

namespace ReluFast.IO;

/// <summary>
/// Writes NumPy <c>.npz</c> archives: each array becomes an entry <c>name.npy</c>, stored (like
/// <c>np.savez</c>) or deflated (like <c>np.savez_compressed</c>). The archive appears at its
/// path only on <see cref="Complete"/>.
/// </summary>
public sealed class NpzWriter : IDisposable
{
    private readonly AtomicFile _file;
    private readonly ZipArchive _zip;
    private readonly bool _compress;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private bool _done;

    private NpzWriter(string path, bool compress)
    {
        _file = new AtomicFile(path);
        _zip = new ZipArchive(_file.Stream, ZipArchiveMode.Create, leaveOpen: true);
        _compress = compress;
    }

    /// <summary>Starts an archive at <paramref name="path"/>.</summary>
    /// <param name="path">The file to write (replaced if it exists when completed).</param>
    /// <param name="compress">Deflate the entries (as <c>np.savez_compressed</c>) rather than store them.</param>
    public static NpzWriter Create(string path, bool compress = false) => new(path, compress);

    /// <summary>Adds the array <paramref name="name"/> (row-major data with a 1-D or 2-D shape).</summary>
    /// <exception cref="ArgumentException">The name is used twice, or the shape does not fit the data.</exception>
    public void Add<T>(string name, ReadOnlySpan<T> data, ReadOnlySpan<long> shape, NpyDType? dtype = null) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_done, this);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!_names.Add(name)) throw new ArgumentException($"The archive already has an array '{name}'.", nameof(name));
        var entry = _zip.CreateEntry(name + ".npy", _compress ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
        using var stream = entry.Open();
        NpyWriter.Write(stream, data, shape, dtype);
    }

    /// <summary>Writes the zip directory and moves the archive to its path.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        _zip.Dispose();
        _file.Commit();
        _done = true;
    }

    /// <summary>Closes the writer; without <see cref="Complete"/> the partial archive is deleted.</summary>
    public void Dispose()
    {
        if (!_done) _zip.Dispose();
        _file.Dispose();
        _done = true;
    }

    /// <summary>Writes samples x (<paramref name="rows"/> x <paramref name="columns"/>) and y (<paramref name="rows"/>) as arrays 'x' and
    /// 'y'.</summary>
    public static void WriteSamples<T>(string path, ReadOnlySpan<T> x, ReadOnlySpan<T> y, long rows, long columns, NpyDType? dtype = null,
        bool compress = false)
        where T : unmanaged
    {
        using var writer = Create(path, compress);
        writer.Add("x", x, [rows, columns], dtype);
        writer.Add("y", y, [rows], dtype);
        writer.Complete();
    }
}
