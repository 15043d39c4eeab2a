using System.Buffers;
using System.Numerics.Tensors;
using ReluFast.Model;
using ReluFast.Moments;

namespace ReluFast.Learning;

/// <summary>
/// The refinement objective: the mean squared error of f(x) = a^T relu(W x + b) + c0 + &lt;c, x&gt; on a
/// fixed subsample, and its gradient, over the flat parameter vector [W (m x d), b (m), a (m), c0, c (d)].
/// </summary>
internal interface IMseObjective : IDisposable
{
    /// <summary>Number of samples in the subsample.</summary>
    int Samples { get; }

    /// <summary>Variance of y over the subsample (the scale of the objective).</summary>
    double TargetVariance { get; }

    /// <summary>The mean squared error at <paramref name="parameters"/>, with its gradient written to <paramref name="gradient"/>.</summary>
    double Evaluate(ReadOnlySpan<double> parameters, Span<double> gradient, int hidden);

    /// <summary>Packs a network into the flat parameter layout.</summary>
    static double[] Pack(ReluNetwork n)
    {
        int m = n.Hidden, d = n.InputDim;
        var p = new double[MseGradient.ParameterCount(m, d)];
        n.W.CopyTo(p);
        n.B.CopyTo(p.AsSpan(m * d));
        n.A.CopyTo(p.AsSpan(m * d + m));
        p[m * d + 2 * m] = n.LinearBias;
        n.LinearWeights.CopyTo(p.AsSpan(m * d + 2 * m + 1));
        return p;
    }

    /// <summary>The network of a flat parameter vector.</summary>
    static ReluNetwork Unpack(ReadOnlySpan<double> p, int m, int d) =>
        new(d, p.Slice(m * d + m, m), p.Slice(0, m * d), p.Slice(m * d, m), p[m * d + 2 * m], p.Slice(m * d + 2 * m + 1, d));
}

/// <summary>
/// <see cref="IMseObjective"/> on the CPU with the engine's SIMD projection kernel, split over threads with
/// per-thread gradient buffers added in a fixed order (deterministic for a fixed thread count). The buffers (parameters,
/// one gradient per thread) are kept between evaluations and replaced only when the number of parameters changes: at
/// p = 16,800 (d = 256, m = 64) fresh ones were half a megabyte of large-object-heap arrays per evaluation. One evaluation
/// runs at a time.
/// </summary>
internal sealed class SimdMseObjective : IMseObjective
{
    private const int Chunk = MseGradient.Chunk;
    private readonly ReadOnlyMemory<double> _x;
    private readonly ReadOnlyMemory<double> _y;
    private readonly int _d;
    private readonly int _threads;
    private readonly object _gate = new();
    private double[] _parameters = [];
    private double[][] _partial = [];
    private double[] _losses = [];

    /// <summary>Keeps a copy of the subsample: <paramref name="x"/> n x d row-major, <paramref name="y"/> n values.</summary>
    /// <exception cref="ArgumentException">Shapes disagree or the subsample is empty.</exception>
    public SimdMseObjective(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int inputDim, int threads = 0)
        : this(new ReadOnlyMemory<double>(x.ToArray()), y.ToArray(), inputDim, threads)
    {
    }

    /// <summary>
    /// Reads the subsample where it lies, without a copy (the caller keeps it unchanged while the objective is used): the learner's
    /// in-memory samples, whose copies were 25 MB of fresh pages at (32, 16).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes disagree or the subsample is empty.</exception>
    public SimdMseObjective(ReadOnlyMemory<double> x, ReadOnlyMemory<double> y, int inputDim, int threads = 0)
    {
        if (y.IsEmpty) throw new ArgumentException("Refinement needs at least one sample.", nameof(y));
        if (x.Length != (long)y.Length * inputDim) throw new ArgumentException($"x must be {y.Length} x {inputDim}.", nameof(x));
        _x = x;
        _y = y;
        _d = inputDim;
        _threads = threads > 0 ? threads : Environment.ProcessorCount;
    }

    /// <inheritdoc />
    public int Samples => _y.Length;

    /// <inheritdoc />
    public double TargetVariance
    {
        get
        {
            double mean = TensorPrimitives.Sum(_y.Span) / _y.Length;
            double sumSq = TensorPrimitives.SumOfSquares(_y.Span) / _y.Length;
            return Math.Max(0, sumSq - mean * mean);
        }
    }

    /// <inheritdoc />
    public double Evaluate(ReadOnlySpan<double> parameters, Span<double> gradient, int hidden)
    {
        int m = hidden, d = _d, n = _y.Length;
        int length = MseGradient.ParameterCount(m, d);
        if (parameters.Length != length || gradient.Length != length)
            throw new ArgumentException($"Expected {length} parameters for m = {m}, d = {d}.");
        int threads = Math.Min(_threads, (n + Chunk - 1) / Chunk);
        lock (_gate)
        {
            if (_parameters.Length != length || _partial.Length != threads)
            {
                _parameters = new double[length];
                _partial = new double[threads][];
                for (int t = 0; t < threads; t++) _partial[t] = new double[length];
                _losses = new double[threads];
            }
            var p = _parameters;
            var partial = _partial;
            var losses = _losses;
            parameters.CopyTo(p);
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                int first = (int)((long)n * t / threads), last = (int)((long)n * (t + 1) / threads);
                Array.Clear(partial[t]);
                losses[t] = Accumulate(p, m, first, last, partial[t]);
            });
            gradient.Clear();
            double loss = 0;
            for (int t = 0; t < threads; t++)
            {
                loss += losses[t];
                TensorPrimitives.Add(gradient, partial[t], gradient);
            }
            TensorPrimitives.Multiply(gradient, 2.0 / n, gradient);
            return loss / n;
        }
    }

    /// <summary>Sum of squared errors over samples [first, last); adds the gradient of the sum of e^2 / 2 into g.</summary>
    private double Accumulate(double[] p, int m, int first, int last, double[] g)
    {
        int d = _d;
        double[] scratch = ArrayPool<double>.Shared.Rent(MseGradient.ScratchLength(m, d));
        try
        {
            return MseGradient.Accumulate(_x.Span.Slice(first * d, (last - first) * d), _y.Span.Slice(first, last - first), p, m, d, g,
                scratch.AsSpan(0, MseGradient.ScratchLength(m, d)));
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scratch);
        }
    }

    /// <inheritdoc />
    public void Dispose() { }
}
