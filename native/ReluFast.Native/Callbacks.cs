using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ReluFast.Learning;
using ReluFast.Sampling;

namespace ReluFast.Native;

/// <summary>relufast_callback_flags in relufast.h.</summary>
[Flags]
internal enum CallbackFlags
{
    None = 0,
    ThreadSafe = 1,
    CacheResponses = 2,
}

/// <summary>
/// The host's relufast_oracle_fn as an <see cref="IQueryOracle{T}"/>: the library draws x (<see cref="OracleSampleSource{T}"/>) and the
/// host computes y, in float64. A nonzero return ends the run with RELUFAST_ERROR_CALLBACK.
/// </summary>
internal sealed unsafe class HostOracle<T>(int dimension, delegate* unmanaged<double*, long, double*, nint, int> fn, nint userData, bool threadSafe)
    : IQueryOracle<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public int Dimension => dimension;

    public bool IsThreadSafe => threadSafe;

    public void Query(ReadOnlySpan<T> x, Span<T> y)
    {
        int n = y.Length;
        using var xd = Doubles.Of(x);
        using var yd = Doubles.For(y);
        int code;
        fixed (double* px = xd.Span, py = yd.Span)
            code = fn(px, n, py, userData);
        if (code != 0) throw new NativeException(Status.Callback, $"The oracle callback returned {code} for a block of {n} queries.");
        yd.CopyTo(y);
    }
}

/// <summary>
/// The host's relufast_stream_fn as an <see cref="ISampleSource{T}"/>: the learner asks for samples [start, start + count) in any order,
/// each range several times (every pass reads the stream again); the host must return the same values for the same indices.
/// </summary>
internal sealed unsafe class HostStream<T>(int dimension, long count, delegate* unmanaged<long, long, double*, double*, nint, int> fn, nint userData,
    bool threadSafe) : ISampleSource<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly Lock _gate = new();
    private long _blocks;

    public int Dimension => dimension;

    public long Count => count;

    /// <summary>Blocks the host was asked for.</summary>
    public long Blocks => Interlocked.Read(ref _blocks);

    public void Read(long start, Span<T> x, Span<T> y)
    {
        int n = y.Length;
        if (start < 0 || start > count - n)
            throw new ArgumentOutOfRangeException(nameof(start), $"Samples [{start}, {start + n}) are outside [0, {count}).");
        if (x.Length != (long)n * dimension)
            throw new ArgumentOutOfRangeException(nameof(x), $"x must hold n x d = {n} x {dimension} values, got {x.Length}.");
        if (n == 0) return;
        using var xd = Doubles.For(x);
        using var yd = Doubles.For(y);
        int code;
        fixed (double* px = xd.Span, py = yd.Span)
        {
            if (threadSafe)
            {
                code = fn(start, n, px, py, userData);
            }
            else
            {
                lock (_gate) code = fn(start, n, px, py, userData);
            }
        }
        Interlocked.Increment(ref _blocks);
        if (code != 0) throw new NativeException(Status.Callback, $"The stream callback returned {code} for samples [{start}, {start + n}).");
        xd.CopyTo(x);
        yd.CopyTo(y);
    }
}

/// <summary>The host's relufast_progress_fn: called with each progress report, one call at a time; a nonzero return cancels the run.</summary>
internal sealed unsafe class HostProgress(delegate* unmanaged<int, double, byte*, nint, int> fn, nint userData, CancellationTokenSource cancel)
    : IProgress<LearningProgress>
{
    private readonly Lock _gate = new();

    public void Report(LearningProgress value)
    {
        double fraction = value.SamplesTotal > 0 ? (double)value.SamplesDone / value.SamplesTotal : -1;
        byte[] message = new byte[System.Text.Encoding.UTF8.GetByteCount(value.Message) + 1];
        System.Text.Encoding.UTF8.GetBytes(value.Message, message);
        int code;
        lock (_gate)
        {
            fixed (byte* p = message)
                code = fn((int)value.Stage, fraction, p, userData);
        }
        if (code != 0) cancel.Cancel();
    }
}

/// <summary>A float64 view of a span of T: the span itself for double, a pooled copy for float.</summary>
internal readonly ref struct Doubles
{
    private readonly double[]? _rented;

    private Doubles(Span<double> span, double[]? rented)
    {
        Span = span;
        _rented = rented;
    }

    public Span<double> Span { get; }

    /// <summary>A float64 copy (or view) of <paramref name="values"/>, to be read by the host.</summary>
    public static Doubles Of<T>(ReadOnlySpan<T> values) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
            return new(MemoryMarshal.Cast<T, double>(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(values), values.Length)), null);
        double[] rented = ArrayPool<double>.Shared.Rent(values.Length);
        var span = rented.AsSpan(0, values.Length);
        TensorPrimitives.ConvertChecked(MemoryMarshal.Cast<T, float>(values), span);
        return new(span, rented);
    }

    /// <summary>A float64 buffer (or view) for the host to fill; <see cref="CopyTo"/> moves it into <paramref name="values"/>.</summary>
    public static Doubles For<T>(Span<T> values) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double)) return new(MemoryMarshal.Cast<T, double>(values), null);
        double[] rented = ArrayPool<double>.Shared.Rent(values.Length);
        return new(rented.AsSpan(0, values.Length), rented);
    }

    public void CopyTo<T>(Span<T> values) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (_rented is null) return; // a view: already in place
        TensorPrimitives.ConvertTruncating(Span, MemoryMarshal.Cast<T, float>(values));
    }

    public void Dispose()
    {
        if (_rented is not null) ArrayPool<double>.Shared.Return(_rented);
    }
}
