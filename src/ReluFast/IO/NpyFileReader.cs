using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ReluFast.IO;

/// <summary>
/// Random-access, streaming reads of rows of a 1-D or 2-D <c>.npy</c> file, without loading it:
/// every read is an offset-based <see cref="RandomAccess.Read(SafeFileHandle, Span{byte}, long)"/>,
/// so one reader can serve many threads at once, and reads allocate nothing. Values are
/// converted between float32 and float64 as needed. C-order files read one contiguous block per
/// call; Fortran-order files read one strided block per column (slower, but correct).
/// </summary>
public sealed class NpyFileReader : IDisposable
{
    private const int StackChunkBytes = 8192;
    private readonly SafeFileHandle _handle;
    private readonly int _columns;
    private readonly int _itemSize;
    private readonly NpyDType _dtype;
    private readonly long _dataOffset;

    private NpyFileReader(string path, SafeFileHandle handle, NpyHeader header)
    {
        Path = path;
        _handle = handle;
        Header = header;
        if (header.Columns > int.MaxValue)
            throw new ReluFastDataException(path, $"the array {header.ShapeText} has more than {int.MaxValue} columns.");
        _columns = (int)header.Columns;
        _itemSize = header.ItemSize;
        _dtype = header.DType;
        _dataOffset = header.DataOffset;
    }

    /// <summary>Opens <paramref name="path"/>, reads and checks its header, and checks the file holds all the data the header promises.</summary>
    /// <exception cref="ReluFastDataException">The file is missing, unreadable, not a supported <c>.npy</c> file, or truncated.</exception>
    public static NpyFileReader Open(string path)
    {
        var handle = OpenHandle(path);
        try
        {
            var header = NpyHeader.Read(handle, path);
            CheckLength(header, RandomAccess.GetLength(handle), path);
            return new NpyFileReader(path, handle, header);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The file path.</summary>
    public string Path { get; }

    /// <summary>The file's header.</summary>
    public NpyHeader Header { get; }

    /// <summary>Number of rows N (the first dimension).</summary>
    public long Rows => Header.Rows;

    /// <summary>Number of columns d (1 for a 1-D array).</summary>
    public int Columns => _columns;

    /// <summary>
    /// Reads rows [<paramref name="start"/>, <paramref name="start"/> + n) into <paramref name="destination"/>
    /// (row-major, n = destination.Length / <see cref="Columns"/>). Thread-safe; allocates nothing.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <exception cref="ArgumentException">The destination length is not a multiple of <see cref="Columns"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The rows are outside [0, <see cref="Rows"/>).</exception>
    /// <exception cref="ReluFastDataException">The file was cut short after it was opened.</exception>
    public void ReadRows<T>(long start, Span<T> destination) where T : unmanaged
    {
        NpyConvert.Require<T>();
        if (_columns == 0)
        {
            if (!destination.IsEmpty) throw new ArgumentException("The array has no columns, so the destination must be empty.", nameof(destination));
            return;
        }
        if (destination.Length % _columns != 0)
            throw new ArgumentException($"The destination length {destination.Length} is not a multiple of the {_columns} columns.",
                nameof(destination));
        long n = destination.Length / _columns;
        if (start < 0 || start > Rows - n)
            throw new ArgumentOutOfRangeException(nameof(start), $"Rows [{start}, {start + n}) are outside [0, {Rows}) of {Path}.");
        if (n == 0) return;
        if (Header.RowsAreContiguous)
            ReadContiguous(_dataOffset + start * _columns * _itemSize, destination);
        else
            ReadFortranRows(start, (int)n, destination);
    }

    /// <summary>
    /// Scans the whole file for NaN or infinite values (sequentially, in large blocks) and returns the
    /// first one by row, or <see langword="null"/> when every value is finite.
    /// </summary>
    public NonFiniteValue? FindNonFinite(CancellationToken cancellationToken = default)
    {
        const int BufferBytes = 1 << 20;
        var buffer = new byte[BufferBytes];
        long total = Header.ElementCount;
        int perChunk = BufferBytes / _itemSize;
        NonFiniteValue? best = null;
        for (long k = 0; k < total; k += perChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = (int)Math.Min(perChunk, total - k);
            var chunk = buffer.AsSpan(0, n * _itemSize);
            ReadExact(chunk, _dataOffset + k * _itemSize);
            int offset = 0;
            while (offset < n)
            {
                int i = NonFiniteScanner.IndexOfNonFinite(chunk[(offset * _itemSize)..], _dtype, out double value);
                if (i < 0) break;
                long element = k + offset + i;
                long row, column;
                if (Header.RowsAreContiguous) { row = element / _columns; column = element % _columns; }
                else { row = element % Rows; column = element / Rows; }
                if (best is null || row < best.Value.Row) best = new NonFiniteValue(Path, row, column, value);
                if (Header.RowsAreContiguous) return best;
                offset += i + 1;
            }
        }
        return best;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();

    private void ReadContiguous<T>(long offset, Span<T> destination) where T : unmanaged
    {
        if (_dtype == NpyDTypeExtensions.For<T>())
        {
            ReadExact(MemoryMarshal.AsBytes(destination), offset);
        }
        else if (typeof(T) == typeof(double))
        {
            // float32 file into doubles: read into the last half of the destination's bytes, widen in place.
            var doubles = MemoryMarshal.Cast<T, double>(destination);
            var bytes = MemoryMarshal.AsBytes(doubles);
            ReadExact(bytes[(4 * doubles.Length)..], offset);
            NpyConvert.WidenInPlace(doubles);
        }
        else
        {
            // float64 file into floats: through a stack buffer.
            Span<byte> chunk = stackalloc byte[StackChunkBytes];
            int perChunk = StackChunkBytes / _itemSize;
            for (int i = 0; i < destination.Length; i += perChunk)
            {
                int n = Math.Min(perChunk, destination.Length - i);
                var part = chunk[..(n * _itemSize)];
                ReadExact(part, offset + (long)i * _itemSize);
                NpyConvert.FromBytes(part, _dtype, destination.Slice(i, n));
            }
        }
    }

    private void ReadFortranRows<T>(long start, int n, Span<T> destination) where T : unmanaged
    {
        Span<byte> chunk = stackalloc byte[StackChunkBytes];
        Span<T> values = stackalloc T[StackChunkBytes / 8];
        int perChunk = StackChunkBytes / 8;
        for (int j = 0; j < _columns; j++)
        {
            long columnOffset = _dataOffset + (j * Rows + start) * _itemSize;
            for (int i = 0; i < n; i += perChunk)
            {
                int count = Math.Min(perChunk, n - i);
                var part = chunk[..(count * _itemSize)];
                ReadExact(part, columnOffset + (long)i * _itemSize);
                var got = values[..count];
                NpyConvert.FromBytes(part, _dtype, got);
                for (int r = 0; r < count; r++) destination[(i + r) * _columns + j] = got[r];
            }
        }
    }

    private void ReadExact(Span<byte> buffer, long offset)
    {
        if (NpyHeader.ReadFully(_handle, buffer, offset) < buffer.Length)
            throw new ReluFastDataException(Path, "the .npy file is truncated: it became shorter while it was being read.");
    }

    internal static SafeFileHandle OpenHandle(string path) => InputFile.OpenHandle(path, FileOptions.RandomAccess);

    internal static void CheckLength(NpyHeader header, long fileLength, string? path)
    {
        long available = Math.Max(0, fileLength - header.DataOffset);
        if (available < header.DataLength)
            throw new ReluFastDataException(path,
                $"the .npy file is truncated: its header says {header}, which needs {header.DataLength} bytes of data, " +
                    $"but only {available} bytes follow the header.");
    }
}
