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
/// <see cref="IMseObjective"/> on the CPU with the engine's SIMD kernels: each evaluation is a <see cref="SamplePass"/> of
/// <see cref="MseGradientWorker{T}"/> over the subsample in place, in blocks of <see cref="BlockSize"/> samples, so its sums are
/// the same bits for every thread count (the pass's segments depend on the number of blocks alone) and a thread on a slower
/// core takes fewer blocks. The prepared parameters and the pass's workers are kept between evaluations and replaced only when m
/// changes: at p = 16,800 (d = 256, m = 64) fresh gradient buffers were half a megabyte of large-object-heap
/// arrays per evaluation. One evaluation runs at a time.
/// </summary>
internal sealed class SimdMseObjective : IMseObjective
{
    /// <summary>
    /// Samples per block of an evaluation's pass over n samples: about 2^19 / (m d), at most n / 16 (a power of two from one to
    /// sixteen of <see cref="MseGradient"/>'s chunks), so that a block is some 10^5 multiply-adds or more and the pass's own cost
    /// per segment (a merge of the sums, a reset) stays small, while the pass has blocks enough, and short enough at its end, for
    /// the threads to finish together. On the 2-core Zen 5 of docs/passes.md ("The refinement objective as a pass") blocks of 256
    /// samples cost 15 % at (d, m) = (10, 5) and blocks of 4,096 samples 7 % at (128, 64) against the best of each.
    /// </summary>
    internal static int BlockSize(int m, int d, int n)
    {
        long work = (long)m * d + m + d + 1;
        int block = MseGradient.Chunk;
        while (block < 16 * MseGradient.Chunk && 2L * block * work <= 1 << 19 && 2L * block * 16 <= n) block *= 2;
        return block;
    }

    private readonly InMemoryArrays<double> _samples;
    private readonly ReadOnlyMemory<double> _y;
    private readonly int _d;
    private readonly int _threads;
    private readonly object _gate = new();
    private readonly List<MseGradientWorker<double>> _workers = []; // kept for the next evaluation at the same m
    private double[] _prepared = [];  // the parameters in the kernels' layout, read by every worker of a pass
    private int _hidden = -1, _handedOut;

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
        _samples = new InMemoryArrays<double>(inputDim, x, y);
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
        lock (_gate)
        {
            if (m != _hidden)
            {
                _prepared = new double[MseGradient.PreparedLength(m, d)];
                _workers.Clear();
                _hidden = m;
            }
            _handedOut = 0;
            MseGradient.Prepare(parameters, m, d, _prepared);
            var total = SamplePass.Run(_samples, NextWorker, new SamplePassOptions(_threads, BlockSize(m, d, n)));
            total.CopyGradient(gradient, 2.0 / n);
            return total.SquaredError / n;
        }
    }

    /// <summary>
    /// The pass's next worker: a kept one, reset, or a new one kept for the next evaluation (the pass calls this one at a time).
    /// Every worker reads the parameters from <see cref="_prepared"/>.
    /// </summary>
    private MseGradientWorker<double> NextWorker()
    {
        if (_handedOut == _workers.Count) _workers.Add(new MseGradientWorker<double>(_prepared, _hidden, _d));
        var worker = _workers[_handedOut++];
        worker.Reset();
        return worker;
    }

    /// <inheritdoc />
    public void Dispose() { }
}
