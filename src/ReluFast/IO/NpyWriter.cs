namespace ReluFast.IO;

/// <summary>
/// Writes whole float32/float64 1-D and 2-D arrays as <c>.npy</c> files, byte for byte as NumPy
/// writes them (format 1.0, header aligned to 64 bytes). Files appear at their path only when
/// complete. For arrays too large to hold in memory use <see cref="NpyStreamWriter"/>.
/// </summary>
public static class NpyWriter
{
    /// <summary>Writes <paramref name="data"/> (row-major) with the given shape.</summary>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="data">The elements in row-major (C) order.</param>
    /// <param name="shape">One or two dimensions whose product is data.Length.</param>
    /// <param name="dtype">The element type in the file; by default that of <typeparamref name="T"/>.</param>
    /// <param name="fortranOrder">Store the 2-D array column-major (Fortran order); the data is still given row-major.</param>
    public static void Write<T>(string path, ReadOnlySpan<T> data, ReadOnlySpan<long> shape, NpyDType? dtype = null, bool fortranOrder = false)
        where T : unmanaged
    {
        using var file = new AtomicFile(path);
        Write(file.Stream, data, shape, dtype, fortranOrder);
        file.Commit();
    }

    /// <summary>Writes <paramref name="data"/> as a complete <c>.npy</c> image to <paramref name="stream"/>.</summary>
    public static void Write<T>(Stream stream, ReadOnlySpan<T> data, ReadOnlySpan<long> shape, NpyDType? dtype = null, bool fortranOrder = false)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        NpyConvert.Require<T>();
        var header = new NpyHeader(dtype ?? NpyDTypeExtensions.For<T>(), shape, fortranOrder);
        if (header.ElementCount != data.Length)
            throw new ArgumentException($"The shape {header.ShapeText} has {header.ElementCount} elements but the data has {data.Length}.",
                nameof(data));
        stream.Write(header.ToBytes());
        if (fortranOrder && header.Rank == 2 && header.Rows > 1 && header.Columns > 1)
        {
            int rows = (int)header.Rows, cols = (int)header.Columns;
            var column = new T[rows];
            for (int j = 0; j < cols; j++)
            {
                for (int i = 0; i < rows; i++) column[i] = data[i * cols + j];
                WriteRaw(stream, column, header.DType);
            }
        }
        else
        {
            WriteRaw(stream, data, header.DType);
        }
        stream.Flush();
    }

    /// <summary>Writes a 2-D array of <paramref name="rows"/> x <paramref name="columns"/> in C order.</summary>
    public static void WriteMatrix<T>(string path, ReadOnlySpan<T> data, long rows, long columns, NpyDType? dtype = null) where T : unmanaged =>
        Write(path, data, [rows, columns], dtype);

    /// <summary>Writes a 1-D array.</summary>
    public static void WriteVector<T>(string path, ReadOnlySpan<T> data, NpyDType? dtype = null) where T : unmanaged =>
        Write(path, data, [data.Length], dtype);

    /// <summary>Writes <paramref name="array"/> with its shape.</summary>
    public static void Write<T>(string path, NpyArray<T> array, NpyDType? dtype = null) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(array);
        Write(path, array.Data, array.Shape, dtype);
    }

    private static void WriteRaw<T>(Stream stream, ReadOnlySpan<T> values, NpyDType dtype) where T : unmanaged
    {
        if (dtype == NpyDTypeExtensions.For<T>())
        {
            stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
            return;
        }
        const int ChunkBytes = 1 << 16;
        var buffer = new byte[ChunkBytes];
        int item = dtype.ItemSize();
        for (int i = 0; i < values.Length; i += ChunkBytes / item)
        {
            int n = Math.Min(ChunkBytes / item, values.Length - i);
            NpyConvert.ToBytes(values.Slice(i, n), dtype, buffer.AsSpan(0, n * item));
            stream.Write(buffer, 0, n * item);
        }
    }
}
