namespace ReluFast.IO;

/// <summary>A whole 1-D or 2-D array read from (or to be written to) a <c>.npy</c> file, in C (row-major) order.</summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class NpyArray<T>
{
    private readonly long[] _shape;

    /// <summary>Wraps <paramref name="data"/> (row-major) with its shape.</summary>
    /// <exception cref="ArgumentException">The shape is not 1-D or 2-D, or does not match the data length.</exception>
    public NpyArray(T[] data, ReadOnlySpan<long> shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (shape.Length is < 1 or > 2)
            throw new ArgumentException($"An NpyArray is 1-D or 2-D; the shape has {shape.Length} dimensions.", nameof(shape));
        long count = 1;
        foreach (long n in shape)
        {
            if (n < 0) throw new ArgumentException($"Dimensions must be non-negative, got {n}.", nameof(shape));
            count *= n;
        }
        if (count != data.Length)
            throw new ArgumentException($"The shape {NpyHeader.ShapeToText(shape)} has {count} elements but the data has {data.Length}.",
                nameof(data));
        Data = data;
        _shape = shape.ToArray();
    }

    /// <summary>The elements, row-major (C order) whatever the order in the file was.</summary>
    public T[] Data { get; }

    /// <summary>The shape: one or two dimensions.</summary>
    public ReadOnlySpan<long> Shape => _shape;

    /// <summary>Number of dimensions: 1 or 2.</summary>
    public int Rank => _shape.Length;

    /// <summary>First dimension.</summary>
    public long Rows => _shape[0];

    /// <summary>Second dimension, or 1 for a 1-D array.</summary>
    public long Columns => _shape.Length == 2 ? _shape[1] : 1;

    /// <summary>Row <paramref name="row"/> of a 2-D array (or the single element of a 1-D array).</summary>
    public ReadOnlySpan<T> Row(long row) => Data.AsSpan(checked((int)(row * Columns)), (int)Columns);

    /// <summary>The shape as Python prints it.</summary>
    public override string ToString() => $"{typeof(T).Name} {NpyHeader.ShapeToText(_shape)}";
}
