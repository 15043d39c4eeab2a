using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ReluFast.IO;

/// <summary>
/// Reads whole <c>.npy</c> arrays into memory (float32 or float64, C or Fortran order, converted to
/// the element type asked for). A Fortran-order 2-D array is transposed on load, so the result is
/// always row-major. For files too large to load, use <see cref="NpyFileReader"/>.
/// </summary>
public static class NpyReader
{
    private const int ChunkBytes = 1 << 16;

    /// <summary>Reads only the header of the file at <paramref name="path"/>.</summary>
    /// <exception cref="ReluFastDataException">The file is not a supported <c>.npy</c> file.</exception>
    public static NpyHeader ReadHeader(string path)
    {
        using var handle = NpyFileReader.OpenHandle(path);
        return NpyHeader.Read(handle, path);
    }

    /// <summary>Reads the whole array in the file at <paramref name="path"/>.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>; the file's values are converted as needed.</typeparam>
    /// <exception cref="ReluFastDataException">The file is missing, not a supported <c>.npy</c> file, or truncated.</exception>
    public static NpyArray<T> Read<T>(string path) where T : unmanaged
    {
        NpyConvert.Require<T>();
        using var handle = NpyFileReader.OpenHandle(path);
        var header = NpyHeader.Read(handle, path);
        long length = RandomAccess.GetLength(handle);
        NpyFileReader.CheckLength(header, length, path);
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        stream.Position = header.DataOffset;
        return ReadData<T>(stream, header, path);
    }

    /// <summary>Reads a whole <c>.npy</c> array from <paramref name="stream"/> (which need not be seekable, e.g. an <c>.npz</c> entry).</summary>
    /// <param name="stream">A stream positioned at the magic bytes.</param>
    /// <param name="sourceName">The name used in error messages.</param>
    /// <exception cref="ReluFastDataException">The stream does not hold a supported, complete <c>.npy</c> array.</exception>
    public static NpyArray<T> Read<T>(Stream stream, string? sourceName) where T : unmanaged
    {
        NpyConvert.Require<T>();
        ArgumentNullException.ThrowIfNull(stream);
        var header = NpyHeader.Read(stream, sourceName);
        if (stream.CanSeek) NpyFileReader.CheckLength(header, stream.Length - stream.Position + header.DataOffset, sourceName);
        return ReadData<T>(stream, header, sourceName);
    }

    /// <summary>Reads a whole <c>.npy</c> array as doubles.</summary>
    public static NpyArray<double> ReadDouble(string path) => Read<double>(path);

    /// <summary>Reads a whole <c>.npy</c> array as floats.</summary>
    public static NpyArray<float> ReadSingle(string path) => Read<float>(path);

    /// <summary>
    /// Reads the data of an array whose <paramref name="header"/> has been read from <paramref name="stream"/>. The caller
    /// has checked that the source holds the bytes the header declares; this checks that the array fits in memory.
    /// </summary>
    internal static NpyArray<T> ReadData<T>(Stream stream, NpyHeader header, string? sourceName) where T : unmanaged
    {
        if (header.ElementCount > Array.MaxLength)
            throw new ReluFastDataException(sourceName,
                $"the array {header.ShapeText} has {header.ElementCount} elements, more than one in-memory array can hold; stream it with " +
                "NpyFileReader or NpySampleSource instead.");
        long bytesNeeded = header.ElementCount * Unsafe.SizeOf<T>() * (header.FortranOrder && header.Rank == 2 ? 2 : 1);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytesNeeded > available / 2)
            throw new ReluFastDataException(sourceName,
                $"the array {header.ShapeText} needs {bytesNeeded / 1e9:F2} GB in memory, more than half of the {available / 1e9:F2} GB available; " +
                "save x and y as separate .npy files and stream them (NpySampleSource, relufast --x/--y).");
        var data = new T[header.ElementCount];
        var dtype = header.DType;
        if (dtype == NpyDTypeExtensions.For<T>())
        {
            // In chunks: one span of more than 2 GiB of bytes cannot be expressed.
            int perChunk = (1 << 24) / Unsafe.SizeOf<T>();
            for (long i = 0; i < data.LongLength; i += perChunk)
            {
                int n = (int)Math.Min(perChunk, data.LongLength - i);
                var bytes = MemoryMarshal.AsBytes(data.AsSpan((int)i, n));
                if (stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) < bytes.Length) throw TruncatedData(header, sourceName);
            }
        }
        else
        {
            int item = header.ItemSize;
            var buffer = new byte[ChunkBytes];
            int perChunk = ChunkBytes / item;
            for (long i = 0; i < data.LongLength; i += perChunk)
            {
                int n = (int)Math.Min(perChunk, data.LongLength - i);
                var chunk = buffer.AsSpan(0, n * item);
                if (stream.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false) < chunk.Length) throw TruncatedData(header, sourceName);
                NpyConvert.FromBytes(chunk, dtype, data.AsSpan((int)i, n));
            }
        }
        if (header.FortranOrder && header.Rank == 2) data = Transpose(data, header.Rows, header.Columns);
        return new NpyArray<T>(data, header.Shape);
    }

    /// <summary>Column-major (rows x cols) to row-major.</summary>
    private static T[] Transpose<T>(T[] columnMajor, long rows, long cols)
    {
        var result = new T[columnMajor.Length];
        int r = (int)rows, c = (int)cols;
        for (int j = 0; j < c; j++)
        {
            var column = columnMajor.AsSpan(j * r, r);
            for (int i = 0; i < r; i++) result[i * c + j] = column[i];
        }
        return result;
    }

    private static ReluFastDataException TruncatedData(NpyHeader header, string? sourceName) =>
        new(sourceName, $"the .npy file is truncated: its header says {header} ({header.DataLength} bytes of data) but the data ends early.");
}
