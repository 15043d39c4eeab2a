namespace ReluFast.IO;

/// <summary>
/// Writes a 1-D or 2-D C-order <c>.npy</c> array block by block, without holding it in memory
/// (e.g. 10^8 generated samples). The header is written first, for a known row count or, with
/// <see cref="CreateGrowable"/>, for a count found only at the end (NumPy's spare header space lets
/// the final count be written in place). Files are written under a temporary name and appear at
/// their path only on <see cref="Complete"/>; disposing without completing deletes them, so a
/// cancelled or failed write leaves no partial file.
/// </summary>
public sealed class NpyStreamWriter : IDisposable
{
    private const int BufferBytes = 1 << 16;
    private readonly AtomicFile? _file;
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly int? _columns;
    private readonly long? _expectedRows;
    private readonly int _headerLength;
    private byte[]? _buffer;
    private bool _done;

    private NpyStreamWriter(AtomicFile? file, Stream stream, bool leaveOpen, NpyDType dtype, long? rows, int? columns)
    {
        if (columns < 0) throw new ArgumentOutOfRangeException(nameof(columns), columns, "The column count must be non-negative.");
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "The row count must be non-negative.");
        _file = file;
        _stream = stream;
        _leaveOpen = leaveOpen;
        DType = dtype;
        _columns = columns;
        _expectedRows = rows;
        var header = MakeHeader(rows ?? 0);
        byte[] bytes = header.ToBytes();
        _headerLength = bytes.Length;
        _stream.Write(bytes);
    }

    /// <summary>Creates <paramref name="path"/> for an array of exactly <paramref name="rows"/> rows.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="dtype">The element type in the file.</param>
    /// <param name="rows">The number of rows N.</param>
    /// <param name="columns">The number of columns d, or <see langword="null"/> for a 1-D array of length N.</param>
    public static NpyStreamWriter Create(string path, NpyDType dtype, long rows, int? columns = null)
    {
        var file = new AtomicFile(path);
        try { return new NpyStreamWriter(file, file.Stream, false, dtype, rows, columns); }
        catch { file.Dispose(); throw; }
    }

    /// <summary>Creates <paramref name="path"/> for an array whose row count is known only when <see cref="Complete"/> is called.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="dtype">The element type in the file.</param>
    /// <param name="columns">The number of columns d, or <see langword="null"/> for a 1-D array.</param>
    public static NpyStreamWriter CreateGrowable(string path, NpyDType dtype, int? columns = null)
    {
        var file = new AtomicFile(path);
        try { return new NpyStreamWriter(file, file.Stream, false, dtype, null, columns); }
        catch { file.Dispose(); throw; }
    }

    /// <summary>Writes an array of exactly <paramref name="rows"/> rows to <paramref name="stream"/> (e.g. an <c>.npz</c> entry).</summary>
    public static NpyStreamWriter Create(Stream stream, NpyDType dtype, long rows, int? columns = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new NpyStreamWriter(null, stream, leaveOpen, dtype, rows, columns);
    }

    /// <summary>The final path of the file, or <see langword="null"/> when writing to a caller's stream.</summary>
    public string? Path => _file?.Path;

    /// <summary>The element type in the file.</summary>
    public NpyDType DType { get; }

    /// <summary>Values per row: d, or 1 for a 1-D array.</summary>
    public int Columns => _columns ?? 1;

    /// <summary>The row count given at creation, or <see langword="null"/> for a growable file.</summary>
    public long? ExpectedRows => _expectedRows;

    /// <summary>Rows written so far.</summary>
    public long RowsWritten { get; private set; }

    /// <summary>Appends whole rows (row-major; <paramref name="values"/>.Length must be a multiple of <see cref="Columns"/>), converting to the
    /// file's type.</summary>
    /// <exception cref="ArgumentException">The length is not a multiple of <see cref="Columns"/>.</exception>
    /// <exception cref="InvalidOperationException">More rows than announced, or the writer is completed.</exception>
    public void WriteRows<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        NpyConvert.Require<T>();
        ObjectDisposedException.ThrowIf(_done, this);
        int columns = Columns;
        if (columns == 0)
        {
            if (!values.IsEmpty) throw new ArgumentException("The array has no columns.", nameof(values));
            return;
        }
        if (values.Length % columns != 0)
            throw new ArgumentException($"{values.Length} values are not a whole number of rows of {columns}.", nameof(values));
        long rows = values.Length / columns;
        if (_expectedRows is long expected && RowsWritten + rows > expected)
            throw new InvalidOperationException($"The array was announced with {expected} rows; writing {rows} more " +
                $"after {RowsWritten} is too many.");
        if (DType == NpyDTypeExtensions.For<T>())
        {
            _stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        }
        else
        {
            _buffer ??= new byte[BufferBytes];
            int item = DType.ItemSize();
            int perChunk = BufferBytes / item;
            for (int i = 0; i < values.Length; i += perChunk)
            {
                int n = Math.Min(perChunk, values.Length - i);
                var bytes = _buffer.AsSpan(0, n * item);
                NpyConvert.ToBytes(values.Slice(i, n), DType, bytes);
                _stream.Write(bytes);
            }
        }
        RowsWritten += rows;
    }

    /// <summary>
    /// Finishes the file: checks the row count (or writes it into the header of a growable file),
    /// flushes, and moves the file to its path.
    /// </summary>
    /// <exception cref="InvalidOperationException">Fewer rows were written than announced.</exception>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (_expectedRows is long expected && RowsWritten != expected)
            throw new InvalidOperationException($"The array was announced with {expected} rows but {RowsWritten} were written.");
        if (_expectedRows is null)
        {
            long end = _stream.Position;
            _stream.Position = 0;
            _stream.Write(MakeHeader(RowsWritten).ToBytesOfLength(_headerLength));
            _stream.Position = end;
        }
        _stream.Flush();
        if (_file is not null) _file.Commit();
        else if (!_leaveOpen) _stream.Dispose();
        _done = true;
    }

    /// <summary>Closes the writer; if <see cref="Complete"/> was not called, the partial file is deleted.</summary>
    public void Dispose()
    {
        if (_file is not null) _file.Dispose();
        else if (!_leaveOpen) _stream.Dispose();
        _done = true;
    }

    private NpyHeader MakeHeader(long rows) =>
        _columns is int c ? new NpyHeader(DType, [rows, c]) : new NpyHeader(DType, [rows]);
}
