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
        var p = new double[m * d + 2 * m + 1 + d];
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
/// per-thread gradient buffers added in a fixed order (deterministic for a fixed thread count).
/// </summary>
internal sealed class SimdMseObjective : IMseObjective
{
    private const int Chunk = 256;
    private readonly double[] _x;
    private readonly double[] _y;
    private readonly int _d;
    private readonly int _threads;

    /// <summary>Keeps a copy of the subsample: <paramref name="x"/> n x d row-major, <paramref name="y"/> n values.</summary>
    /// <exception cref="ArgumentException">Shapes disagree or the subsample is empty.</exception>
    public SimdMseObjective(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int inputDim, int threads = 0)
    {
        if (y.IsEmpty) throw new ArgumentException("Refinement needs at least one sample.", nameof(y));
        if (x.Length != (long)y.Length * inputDim) throw new ArgumentException($"x must be {y.Length} x {inputDim}.", nameof(x));
        _x = x.ToArray();
        _y = y.ToArray();
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
            double mean = OrderedSums.Sum(_y) / _y.Length;
            double sumSq = OrderedSums.SumOfSquares<double>(_y) / _y.Length;
            return Math.Max(0, sumSq - mean * mean);
        }
    }

    /// <inheritdoc />
    public double Evaluate(ReadOnlySpan<double> parameters, Span<double> gradient, int hidden)
    {
        int m = hidden, d = _d, n = _y.Length;
        int length = m * d + 2 * m + 1 + d;
        if (parameters.Length != length || gradient.Length != length)
            throw new ArgumentException($"Expected {length} parameters for m = {m}, d = {d}.");
        var p = parameters.ToArray();
        // W^T (d x m) for the projection kernel.
        var wT = new double[d * m];
        for (int i = 0; i < m; i++)
            for (int k = 0; k < d; k++) wT[k * m + i] = p[i * d + k];
        int threads = Math.Min(_threads, (n + Chunk - 1) / Chunk);
        var partial = new double[threads][];
        var losses = new double[threads];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int first = (int)((long)n * t / threads), last = (int)((long)n * (t + 1) / threads);
            partial[t] = new double[length];
            losses[t] = Accumulate(p, wT, m, first, last, partial[t]);
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

    /// <summary>Sum of squared errors over samples [first, last); adds the gradient of the sum of e^2 / 2 into g.</summary>
    private double Accumulate(double[] p, double[] wT, int m, int first, int last, double[] g)
    {
        int d = _d;
        ReadOnlySpan<double> b = p.AsSpan(m * d, m), a = p.AsSpan(m * d + m, m), c = p.AsSpan(m * d + 2 * m + 1, d);
        double c0 = p[m * d + 2 * m];
        Span<double> gW = g.AsSpan(0, m * d), gB = g.AsSpan(m * d, m), gA = g.AsSpan(m * d + m, m), gC = g.AsSpan(m * d + 2 * m + 1, d);
        double[] rented = ArrayPool<double>.Shared.Rent(2 * Chunk * m + Chunk * d + d * m);
        var gWT = new double[d * m];
        double sse = 0, gC0 = 0;
        try
        {
            Span<double> pre = rented.AsSpan(0, Chunk * m);
            Span<double> backward = rented.AsSpan(Chunk * m, Chunk * m);
            Span<double> xT = rented.AsSpan(2 * Chunk * m, Chunk * d);
            Span<double> chunkGradient = rented.AsSpan(2 * Chunk * m + Chunk * d, d * m);
            for (int start = first; start < last; start += Chunk)
            {
                int count = Math.Min(Chunk, last - start);
                ReadOnlySpan<double> xs = _x.AsSpan(start * d, count * d);
                Span<double> z = pre.Slice(0, count * m);
                if (m > 0) Projection.Project(xs, d, wT, m, z); // m = 0: only the linear part (every neuron was left to it)
                for (int j = 0; j < count; j++)
                {
                    Span<double> zj = z.Slice(j * m, m);
                    Span<double> row = backward.Slice(j * m, m);
                    ReadOnlySpan<double> xj = xs.Slice(j * d, d);
                    TensorPrimitives.Add(zj, b, zj);
                    TensorPrimitives.Max(zj, 0.0, row);                       // h = relu(pre)
                    double e = TensorPrimitives.Dot<double>(row, a) + c0 + TensorPrimitives.Dot(c, xj) - _y[start + j];
                    sse += e * e;
                    // dL/da += e h; dL/dc0 += e; dL/dc += e x.
                    TensorPrimitives.MultiplyAdd(row, e, gA, gA);
                    gC0 += e;
                    TensorPrimitives.MultiplyAdd(xj, e, gC, gC);
                    // G_j = e a o 1[pre > 0]: dL/db += G_j; row j of the chunk's G for dL/dW below.
                    for (int i = 0; i < m; i++) row[i] = zj[i] > 0 ? e * a[i] : 0;
                    TensorPrimitives.Add(gB, row, gB);
                }
                // dL/dW^T += X_chunk^T G_chunk, as the projection kernel applied to the transposed chunk.
                for (int j = 0; j < count; j++)
                    for (int k = 0; k < d; k++) xT[k * count + j] = xs[j * d + k];
                if (m == 0) continue;
                Projection.Project(xT.Slice(0, d * count), count, backward.Slice(0, count * m), m, chunkGradient);
                TensorPrimitives.Add(gWT, chunkGradient, gWT);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
        for (int i = 0; i < m; i++)
            for (int k = 0; k < d; k++) gW[i * d + k] += gWT[k * m + i];
        g[m * d + 2 * m] += gC0;
        return sse;
    }

    /// <inheritdoc />
    public void Dispose() { }
}
