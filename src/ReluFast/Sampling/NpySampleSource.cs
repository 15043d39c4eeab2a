using System.Numerics;
using ReluFast.IO;

namespace ReluFast.Sampling;

/// <summary>
/// Samples streamed from a pair of <c>.npy</c> files: x (N x d) and y (N, or N x 1), float32 or
/// float64, C or Fortran order. Nothing is loaded up front; each <see cref="Read"/> is a pair of
/// offset-based file reads (thread-safe, no allocation), so a file far larger than memory can be
/// learned from. Owns the open files: dispose it when done.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>; file values are converted as needed.</typeparam>
public sealed class NpySampleSource<T> : ISampleSource<T>, IDisposable where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly NpyFileReader _x;
    private readonly NpyFileReader _y;

    private NpySampleSource(NpyFileReader x, NpyFileReader y)
    {
        _x = x;
        _y = y;
        Dimension = x.Columns;
    }

    /// <summary>Opens <paramref name="xPath"/> and <paramref name="yPath"/> and checks that their shapes agree.</summary>
    /// <exception cref="ReluFastDataException">
    /// A file is missing or not a supported <c>.npy</c> file, x is not 2-D with at least one column and
    /// one row, y is not (N,) or (N, 1), or the row counts differ. The message names both files and shapes.
    /// </exception>
    public static NpySampleSource<T> Open(string xPath, string yPath)
    {
        if (typeof(T) != typeof(double) && typeof(T) != typeof(float))
            throw new NotSupportedException($"NpySampleSource reads float or double samples, not {typeof(T).Name}.");
        NpyFileReader? x = null, y = null;
        try
        {
            x = NpyFileReader.Open(xPath);
            y = NpyFileReader.Open(yPath);
            var hx = x.Header;
            var hy = y.Header;
            if (hx.Rank != 2)
                throw new ReluFastDataException(xPath,
                    $"x must be a 2-D array (N samples x d inputs) but it has shape {hx.ShapeText}; for a single input save x.reshape(-1, 1).");
            if (hx.Columns == 0)
                throw new ReluFastDataException(xPath, $"x has shape {hx.ShapeText}: d = 0 inputs; there must be at least one column.");
            if (hy.Rank == 2 && hy.Columns != 1)
                throw new ReluFastDataException(yPath, $"y must have shape (N,) or (N, 1) but it has shape {hy.ShapeText}.");
            if (hx.Rows != hy.Rows)
                throw new ReluFastDataException(xPath,
                    $"x has shape {hx.ShapeText} but {yPath} (y) has shape {hy.ShapeText}: they must have the same number of samples (rows).");
            if (hx.Rows == 0)
                throw new ReluFastDataException(xPath, $"x has shape {hx.ShapeText}: there are no samples.");
            return new NpySampleSource<T>(x, y);
        }
        catch
        {
            x?.Dispose();
            y?.Dispose();
            throw;
        }
    }

    /// <summary>The path of the inputs file.</summary>
    public string XPath => _x.Path;

    /// <summary>The path of the responses file.</summary>
    public string YPath => _y.Path;

    /// <summary>The header of the inputs file.</summary>
    public NpyHeader XHeader => _x.Header;

    /// <summary>The header of the responses file.</summary>
    public NpyHeader YHeader => _y.Header;

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <inheritdoc/>
    public long Count => _x.Rows;

    /// <inheritdoc/>
    public void Read(long start, Span<T> x, Span<T> y)
    {
        int n = y.Length;
        if (start < 0 || start > Count - n)
            throw new ArgumentOutOfRangeException(nameof(start), $"Samples [{start}, {start + n}) are outside [0, {Count}).");
        if (x.Length != (long)n * Dimension)
            throw new ArgumentOutOfRangeException(nameof(x), $"x must hold {n} x {Dimension} = {(long)n * Dimension} values, got {x.Length}.");
        _x.ReadRows(start, x);
        _y.ReadRows(start, y);
    }

    /// <summary>
    /// Scans both files for NaN or infinite values (one sequential pass over each) and returns the
    /// first bad one by row (x before y on the same row), naming its file; <see langword="null"/> when all are finite.
    /// </summary>
    public NonFiniteValue? FindNonFinite(CancellationToken cancellationToken = default)
    {
        var bx = _x.FindNonFinite(cancellationToken);
        var by = _y.FindNonFinite(cancellationToken);
        if (bx is null) return by;
        if (by is null) return bx;
        return bx.Value.Row <= by.Value.Row ? bx : by;
    }

    /// <summary>Throws a <see cref="ReluFastDataException"/> naming the file, row and column of the first NaN or infinite value, if any.</summary>
    public void Validate(CancellationToken cancellationToken = default)
    {
        if (FindNonFinite(cancellationToken) is NonFiniteValue bad) throw bad.ToException();
    }

    /// <summary>Closes both files.</summary>
    public void Dispose()
    {
        _x.Dispose();
        _y.Dispose();
    }
}
