using System.Numerics;
using ReluFast.IO;

namespace ReluFast.Sampling;

/// <summary>
/// Samples held in memory: x (n x d, row-major) and y (n). Reads copy slices, so they are
/// thread-safe and allocate nothing.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class ArraySampleSource<T> : ISampleSource<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly ReadOnlyMemory<T> _x;
    private readonly ReadOnlyMemory<T> _y;

    /// <summary>Wraps <paramref name="x"/> (n x <paramref name="dimension"/>, row-major) and <paramref name="y"/> (n).</summary>
    /// <param name="x">The inputs, row-major: sample j at x[j*d .. (j+1)*d).</param>
    /// <param name="y">The responses, one per sample.</param>
    /// <param name="dimension">The input dimension d (positive).</param>
    /// <param name="name">Where the samples came from (e.g. a CSV file), used in error messages.</param>
    /// <exception cref="ArgumentException">d is not positive, or x does not hold d values for each y.</exception>
    public ArraySampleSource(ReadOnlyMemory<T> x, ReadOnlyMemory<T> y, int dimension, string? name = null)
    {
        if (dimension <= 0) throw new ArgumentException($"The input dimension must be positive, got {dimension}.", nameof(dimension));
        if (x.Length != (long)y.Length * dimension)
            throw new ArgumentException(
                $"x has {x.Length} values but y has {y.Length} samples of dimension {dimension}, which need {(long)y.Length * dimension}.",
                nameof(x));
        _x = x;
        _y = y;
        Dimension = dimension;
        Name = name;
    }

    /// <summary>Where the samples came from, or <see langword="null"/>.</summary>
    public string? Name { get; }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <inheritdoc/>
    public long Count => _y.Length;

    /// <summary>The inputs, n x d row-major.</summary>
    public ReadOnlyMemory<T> X => _x;

    /// <summary>The responses.</summary>
    public ReadOnlyMemory<T> Y => _y;

    /// <inheritdoc/>
    public void Read(long start, Span<T> x, Span<T> y)
    {
        int n = y.Length;
        if (start < 0 || start > Count - n)
            throw new ArgumentOutOfRangeException(nameof(start), $"Samples [{start}, {start + n}) are outside [0, {Count}).");
        if (x.Length != (long)n * Dimension)
            throw new ArgumentOutOfRangeException(nameof(x), $"x must hold {n} x {Dimension} = {(long)n * Dimension} values, got {x.Length}.");
        int s = (int)start;
        _x.Span.Slice(s * Dimension, x.Length).CopyTo(x);
        _y.Span.Slice(s, n).CopyTo(y);
    }

    /// <summary>The first NaN or infinite value by sample (in x, then y for the same sample), or <see langword="null"/>.</summary>
    public NonFiniteValue? FindNonFinite()
    {
        int ix = NonFiniteScanner.IndexOfNonFinite(_x.Span);
        int iy = NonFiniteScanner.IndexOfNonFinite(_y.Span);
        long rowX = ix < 0 ? long.MaxValue : ix / Dimension;
        long rowY = iy < 0 ? long.MaxValue : iy;
        if (ix < 0 && iy < 0) return null;
        if (rowX <= rowY)
            return new NonFiniteValue(Name is null ? "x" : $"{Name} (x)", rowX, ix % Dimension, double.CreateTruncating(_x.Span[ix]));
        return new NonFiniteValue(Name is null ? "y" : $"{Name} (y)", rowY, 0, double.CreateTruncating(_y.Span[iy]));
    }

    /// <summary>Throws a <see cref="ReluFastDataException"/> naming the first NaN or infinite value, if any.</summary>
    public void Validate()
    {
        if (FindNonFinite() is NonFiniteValue bad) throw bad.ToException();
    }
}
