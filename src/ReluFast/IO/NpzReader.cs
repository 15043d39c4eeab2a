using System.IO.Compression;
using System.Numerics;
using ReluFast.Sampling;

namespace ReluFast.IO;

/// <summary>
/// Reads NumPy <c>.npz</c> archives (a zip of <c>.npy</c> entries, stored as by <c>np.savez</c> or
/// deflated as by <c>np.savez_compressed</c>). Entries are read whole: for data too large for
/// memory, save separate <c>.npy</c> files and use <see cref="NpySampleSource{T}"/>.
/// </summary>
public static class NpzReader
{
    /// <summary>The names of the arrays in the archive (entry names without <c>.npy</c>).</summary>
    /// <exception cref="ReluFastDataException">The file is missing or not a zip archive.</exception>
    public static IReadOnlyList<string> ListArrays(string path)
    {
        using var zip = OpenZip(path);
        return Guard(path, () => zip.Entries.Select(e => ArrayName(e.FullName)).ToArray());
    }

    /// <summary>Reads the array <paramref name="name"/> (entry <c>name.npy</c>).</summary>
    /// <exception cref="ReluFastDataException">The archive or the array is missing, or the entry is not a supported <c>.npy</c> array.</exception>
    public static NpyArray<T> ReadArray<T>(string path, string name) where T : unmanaged
    {
        using var zip = OpenZip(path);
        return Guard(path, () => ReadArray<T>(zip, path, name));
    }

    /// <summary>
    /// Reads the arrays <paramref name="xName"/> (N x d) and <paramref name="yName"/> (N or N x 1)
    /// as an in-memory sample source, checking that their shapes agree.
    /// </summary>
    /// <exception cref="ReluFastDataException">An array is missing, or the shapes do not agree.</exception>
    public static ArraySampleSource<T> ReadSamples<T>(string path, string xName = "x", string yName = "y")
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        using var zip = OpenZip(path);
        var x = Guard(path, () => ReadArray<T>(zip, path, xName));
        var y = Guard(path, () => ReadArray<T>(zip, path, yName));
        string xs = NpyHeader.ShapeToText(x.Shape), ys = NpyHeader.ShapeToText(y.Shape);
        if (x.Rank != 2)
            throw new ReluFastDataException(path, $"array '{xName}' must be 2-D (N samples x d inputs) but has shape {xs}.");
        if (x.Columns == 0)
            throw new ReluFastDataException(path, $"array '{xName}' has shape {xs}: d = 0 inputs.");
        if (y.Rank == 2 && y.Columns != 1)
            throw new ReluFastDataException(path, $"array '{yName}' must have shape (N,) or (N, 1) but has shape {ys}.");
        if (x.Rows != y.Rows)
            throw new ReluFastDataException(path,
                $"array '{xName}' has shape {xs} but '{yName}' has shape {ys}: they must have the same number of rows.");
        if (x.Rows == 0)
            throw new ReluFastDataException(path, $"array '{xName}' has shape {xs}: there are no samples.");
        return new ArraySampleSource<T>(x.Data, y.Data, (int)x.Columns, path);
    }

    private static NpyArray<T> ReadArray<T>(ZipArchive zip, string path, string name) where T : unmanaged
    {
        var entry = zip.GetEntry(name + ".npy") ?? zip.GetEntry(name);
        if (entry is null)
        {
            var names = zip.Entries.Select(e => ArrayName(e.FullName)).ToArray();
            throw new ReluFastDataException(path,
                $"the archive has no array '{name}'; it has {(names.Length == 0 ? "none" : string.Join(", ", names.Select(n => $"'{n}'")))}.");
        }
        string source = $"{path}[{entry.FullName}]";
        try
        {
            // What the zip directory declares must fit what the archive can hold before anything is allocated from it.
            if (entry.CompressedLength > new FileInfo(path).Length)
                throw new ReluFastDataException(source,
                    $"the zip directory says the entry takes {entry.CompressedLength} bytes, more than the whole file: the archive is corrupt.");
            if (entry.Length > MaxInflationRatio * entry.CompressedLength + 1024)
                throw new ReluFastDataException(source,
                    $"the zip directory says the entry inflates from {entry.CompressedLength} to {entry.Length} bytes, more than deflate " +
                    $"can expand ({MaxInflationRatio} to 1): the archive is corrupt.");
            // The entry is read whole into memory: a small compressed entry may not ask for much of it (a zip bomb).
            if (entry.Length > MaxCompressedEntryBytes && entry.Length > MaxSampleInflationRatio * entry.CompressedLength)
                throw new ReluFastDataException(source,
                    $"the entry inflates from {entry.CompressedLength} to {entry.Length} bytes ({entry.Length / (double)entry.CompressedLength:F0} " +
                    $"to 1); a compressed entry larger than {MaxCompressedEntryBytes >> 20} MiB may expand at most {MaxSampleInflationRatio} to 1 " +
                    "(samples of Gaussian inputs hardly compress), since it is read whole into memory: save the arrays uncompressed " +
                    "(np.savez) or as .npy files (--x/--y, streamed).");
            using var raw = entry.Open();
            using var stream = new CheckedEntryStream(raw, source, entry.Length, entry.Crc32);
            var header = NpyHeader.Read(stream, source);
            long needed = stream.Position + header.DataLength;
            if (needed != entry.Length)
                throw new ReluFastDataException(source,
                    $"the .npy header says {header} ({header.DataLength} bytes of data), but the archive entry holds " +
                    $"{entry.Length - stream.Position} bytes after the header: it is {(needed > entry.Length ? "truncated" : "corrupt")}.");
            var array = NpyReader.ReadData<T>(stream, header, source);
            stream.Verify();
            return array;
        }
        catch (InvalidDataException e)
        {
            throw new ReluFastDataException(source, $"the archive entry is corrupt: {e.Message}", e);
        }
    }

    /// <summary>The most that deflate expands data (1032 to 1), a bound on the declared size of a compressed entry.</summary>
    private const long MaxInflationRatio = 1032;

    /// <summary>
    /// A compressed entry that inflates to more than <see cref="MaxCompressedEntryBytes"/> may expand at most this much: float64
    /// samples of Gaussian inputs deflate to about 95 % of their size, so only data that are almost all alike (or a zip bomb)
    /// exceed it, and the memory an archive can claim stays within this multiple of its size.
    /// </summary>
    internal const long MaxSampleInflationRatio = 64;

    /// <summary>Compressed entries up to this many bytes inflated are read whatever their compression ratio.</summary>
    internal const long MaxCompressedEntryBytes = 64L << 20;

    private static ZipArchive OpenZip(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream stream = InputFile.OpenStream(path);
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException e)
        {
            stream.Dispose();
            throw new ReluFastDataException(path, $"not a NumPy .npz file: it is not a valid zip archive ({e.Message}).", e);
        }
    }

    /// <summary>Turns the zip library's errors on a corrupt archive into a <see cref="ReluFastDataException"/>.</summary>
    private static TResult Guard<TResult>(string path, Func<TResult> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidDataException or IOException and not FileNotFoundException)
        {
            throw new ReluFastDataException(path, $"the .npz archive is corrupt: {e.Message}", e);
        }
    }

    private static string ArrayName(string entryName) =>
        entryName.EndsWith(".npy", StringComparison.Ordinal) ? entryName[..^4] : entryName;
}
