using System.Numerics;
using System.Numerics.Tensors;
using ReluFast.Sampling;

namespace ReluFast.Native;

/// <summary>
/// The samples a C host feeds to a learner, copied into managed chunks (at most <see cref="ChunkElements"/>
/// values of x per chunk), so the total is not limited to 2^31 values and growing never copies what is
/// already stored. Memory: N (d + 1) sizeof(T) bytes plus the unused tail of the last chunk.
/// Reads are thread-safe while no samples are being added (the learner's lock guarantees it).
/// </summary>
internal sealed class SampleBuffer<T> : ISampleSource<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Values of x per full chunk (8 M values: 64 MB of double, 32 MB of float).</summary>
    public const int ChunkElements = 1 << 23;

    private readonly List<T[]> _x = [];
    private readonly List<T[]> _y = [];
    private readonly int _chunkSamples;

    public SampleBuffer(int dimension)
    {
        Dimension = dimension;
        _chunkSamples = Math.Max(1, ChunkElements / dimension);
    }

    public int Dimension { get; }

    public long Count { get; private set; }

    /// <summary>Bytes held by the chunks (allocated capacity, not just the samples).</summary>
    public long AllocatedBytes
    {
        get
        {
            long values = 0;
            foreach (var c in _x) values += c.Length;
            foreach (var c in _y) values += c.Length;
            return values * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        }
    }

    /// <summary>Appends n samples given in the caller's element type (converted to T).</summary>
    public void Add<TIn>(ReadOnlySpan<TIn> x, ReadOnlySpan<TIn> y) where TIn : unmanaged, IBinaryFloatingPointIeee754<TIn>
    {
        int d = Dimension;
        long n = y.Length;
        // Check the whole block first so that a bad block leaves the buffer unchanged.
        for (int i = 0; i < y.Length; i++)
            if (!TIn.IsFinite(y[i]))
                throw new NativeException(Status.Data, $"y[{i}] of the block is {y[i]}: samples must be finite (the block was not added).");
        for (int i = 0; i < x.Length; i++)
            if (!TIn.IsFinite(x[i]))
                throw new NativeException(Status.Data,
                    $"x[{i / d}][{i % d}] of the block is {x[i]}: samples must be finite (the block was not added).");
        long done = 0;
        while (done < n)
        {
            int chunk = (int)(Count / _chunkSamples);
            int offset = (int)(Count % _chunkSamples);
            if (chunk == _y.Count)
            {
                _x.Add([]);
                _y.Add([]);
            }
            int count = (int)Math.Min(n - done, _chunkSamples - offset);
            EnsureCapacity(chunk, offset + count);
            Convert(x.Slice((int)(done * d), count * d), _x[chunk].AsSpan(offset * d, count * d));
            Convert(y.Slice((int)done, count), _y[chunk].AsSpan(offset, count));
            done += count;
            Count += count;
        }
    }

    private void EnsureCapacity(int chunk, int samples)
    {
        if (_y[chunk].Length >= samples) return;
        // Grow the last chunk geometrically up to a full chunk: small inputs stay small.
        int capacity = Math.Max(_y[chunk].Length, 1024);
        while (capacity < samples) capacity *= 2;
        capacity = Math.Min(capacity, _chunkSamples);
        var x = new T[(long)capacity * Dimension];
        var y = new T[capacity];
        _x[chunk].CopyTo(x, 0);
        _y[chunk].CopyTo(y, 0);
        _x[chunk] = x;
        _y[chunk] = y;
    }

    private static void Convert<TIn>(ReadOnlySpan<TIn> source, Span<T> destination) where TIn : unmanaged, IBinaryFloatingPointIeee754<TIn>
    {
        if (typeof(TIn) == typeof(T))
            System.Runtime.InteropServices.MemoryMarshal.Cast<TIn, T>(source).CopyTo(destination);
        else
            TensorPrimitives.ConvertTruncating(source, destination);
    }

    public void Read(long start, Span<T> x, Span<T> y)
    {
        int n = y.Length, d = Dimension;
        if (start < 0 || start > Count - n)
            throw new ArgumentOutOfRangeException(nameof(start), $"Samples [{start}, {start + n}) are outside [0, {Count}).");
        if (x.Length != (long)n * d) throw new ArgumentOutOfRangeException(nameof(x), $"x must hold {n} x {d} values, got {x.Length}.");
        int done = 0;
        while (done < n)
        {
            long s = start + done;
            int chunk = (int)(s / _chunkSamples);
            int offset = (int)(s % _chunkSamples);
            int count = Math.Min(n - done, _chunkSamples - offset);
            _x[chunk].AsSpan(offset * d, count * d).CopyTo(x.Slice(done * d, count * d));
            _y[chunk].AsSpan(offset, count).CopyTo(y.Slice(done, count));
            done += count;
        }
    }
}
