using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using ReluFast.Decomposition;
using ReluFast.Interop;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.Learning;

/// <summary>
/// The prefix of the samples a learner keeps in memory: the pilot (linear control variate), the refinement set and
/// the held-out set after it, in double precision, checked for non-finite values.
/// </summary>
internal sealed class LocalSamples<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly ISampleSource<T> _source;
    private readonly LearnerOptions _options;
    private readonly CancellationToken _cancel;
    private readonly int _d;
    private double[] _x = [];
    private double[] _y = [];
    private int _count;

    public LocalSamples(ISampleSource<T> source, LearnerOptions options, CancellationToken cancellationToken)
    {
        _source = source;
        _options = options;
        _cancel = cancellationToken;
        _d = source.Dimension;
    }

    public int RefineCount { get; private set; }

    public int HeldOutCount { get; private set; }

    /// <summary>Reads the prefix and returns the pilot's t0 = mean y and t1 = mean (y - t0) x.</summary>
    /// <exception cref="NonFiniteSampleException">A sample is not finite.</exception>
    public (double T0, double[] T1) Read()
    {
        long wanted = Math.Max(_options.PilotSamples, (long)_options.RefinementSamples + _options.HeldOutSamples);
        _count = (int)Math.Min(_source.Count, wanted);
        HeldOutCount = Math.Min(_options.HeldOutSamples, _count / 5);
        RefineCount = Math.Min(_options.RefinementSamples, _count - HeldOutCount);
        _x = GC.AllocateUninitializedArray<double>(checked((int)((long)_count * _d)));
        _y = GC.AllocateUninitializedArray<double>(_count);
        HugePages.Advise(_x); // before the first write: its pages are fresh memory
        const int Block = 4096;
        // Blocks in parallel (their pages are fresh memory, which costs as much as the samples on some virtual machines), each at
        // its place; a failure is reported as a sequential read would meet it: cancellation first, then the earliest block's.
        int blocks = (_count + Block - 1) / Block;
        var errors = new ExceptionDispatchInfo?[blocks];
        int threads = _options.Threads > 0 ? _options.Threads : Environment.ProcessorCount;
        bool direct = typeof(T) == typeof(double);
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => direct ? (X: Array.Empty<T>(), Y: Array.Empty<T>()) : (X: new T[Block * _d], Y: new T[Block]), (b, _, buffer) =>
            {
                try
                {
                    _cancel.ThrowIfCancellationRequested();
                    int start = b * Block, n = Math.Min(Block, _count - start);
                    Span<double> xd = _x.AsSpan(start * _d, n * _d), yd = _y.AsSpan(start, n);
                    if (direct)
                    {
                        // double sources read straight into the arrays; others through one block of T, widened with one conversion
                        _source.Read(start, MemoryMarshal.Cast<double, T>(xd), MemoryMarshal.Cast<double, T>(yd));
                    }
                    else
                    {
                        _source.Read(start, buffer.X.AsSpan(0, n * _d), buffer.Y.AsSpan(0, n));
                        TensorPrimitives.ConvertTruncating<T, double>(buffer.X.AsSpan(0, n * _d), xd);
                        TensorPrimitives.ConvertTruncating<T, double>(buffer.Y.AsSpan(0, n), yd);
                    }
                    if (!TensorPrimitives.IsFiniteAll<double>(yd) || !TensorPrimitives.IsFiniteAll<double>(xd)) throw NonFinite(start, xd, yd);
                }
                catch (Exception e)
                {
                    errors[b] = ExceptionDispatchInfo.Capture(e);
                }
                return buffer;
            }, _ => { });
        PassThreads.Rethrow(errors);
        int pilot = Math.Min(_options.PilotSamples, _count);
        double t0 = 0;
        for (int j = 0; j < pilot; j++) t0 += _y[j];
        t0 /= pilot;
        // t1 = mean (y - t0) x: the same expectation as mean y x (E x = 0), without t0 times the pilot's own mean of x, whose
        // sampling error (1 / sqrt(pilot) a coordinate) times a large mean of y swamped the control variate (docs/algorithm.md section 3)
        var t1 = new double[_d];
        for (int j = 0; j < pilot; j++) TensorPrimitives.MultiplyAdd(_x.AsSpan(j * _d, _d), _y[j] - t0, t1, t1);
        for (int i = 0; i < _d; i++) t1[i] /= pilot;
        return (t0, t1);
    }

    /// <summary>The first non-finite value of a block that holds one, in sample order (y before x).</summary>
    private NonFiniteSampleException NonFinite(int start, ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        for (int j = 0; j < y.Length; j++)
        {
            if (!double.IsFinite(y[j])) return new NonFiniteSampleException(start + j, -1, y[j]);
            for (int i = 0; i < _d; i++)
                if (!double.IsFinite(x[j * _d + i])) return new NonFiniteSampleException(start + j, i, x[j * _d + i]);
        }
        throw new InvalidOperationException("The block holds no non-finite value.");
    }

    /// <summary>The refinement set's inputs (RefineCount x d row-major, in the learner's coordinates).</summary>
    public ReadOnlyMemory<double> RefinementInputs => _x.AsMemory(0, RefineCount * _d);

    /// <summary>(sum e^2, sum e grad f) of the flat parameters over the held-out samples (<see cref="MseGradient"/>).</summary>
    public (double Sse, double[] Gradient) HeldOutGradient(double[] parameters, int m)
    {
        var gradient = new double[parameters.Length];
        if (HeldOutCount == 0) return (0, gradient);
        double sse = MseGradient.Accumulate(_x.AsSpan(RefineCount * _d, HeldOutCount * _d), _y.AsSpan(RefineCount, HeldOutCount), parameters,
            m, _d, gradient, new double[MseGradient.ScratchLength(m, _d)]);
        return (sse, gradient);
    }

    /// <summary>A refinement objective on the first <paramref name="count"/> samples.</summary>
    public Refinement Refinement(int count, int threads, TorchSharp.torch.Device? device = null) =>
        new(_x.AsMemory(0, count * _d), _y.AsMemory(0, count), _d, device, threads);

    /// <summary>Held-out MSE (<see cref="HeldOutMse"/>) and the variance of y there (the refinement set when there is no held-out set).</summary>
    public (double Mse, double Variance) HeldOutError(ReluNetwork network)
    {
        var (start, count) = HeldOutRows();
        ReadOnlySpan<double> y = _y.AsSpan(start, count);
        double mean = TensorPrimitives.Sum(y) / count;
        return (HeldOutMse(network, _options.Threads), Math.Max(0, TensorPrimitives.SumOfSquares(y) / count - mean * mean));
    }

    /// <summary>
    /// The held-out MSE of <paramref name="network"/> (the refinement set's when there is no held-out set): a
    /// <see cref="SamplePass"/> of <see cref="SquaredErrorWorker"/> over the rows in place on <paramref name="threads"/> threads
    /// (0: all processors), the same bits for every thread count. It is also the early-stopping check of refinement
    /// (<see cref="HeldOutStopping"/>), which must cost little next to the L-BFGS iterations it watches.
    /// </summary>
    public double HeldOutMse(ReluNetwork network, int threads)
    {
        var (start, count) = HeldOutRows();
        var rows = new InMemoryArrays<double>(_d, _x.AsMemory(start * _d, count * _d), _y.AsMemory(start, count));
        network.Evaluate(ReadOnlySpan<double>.Empty, Span<double>.Empty); // its evaluation parameters, once, before the threads
        const int Block = 1024;
        return SamplePass.Run(rows, () => new SquaredErrorWorker(network, Block), new SamplePassOptions(threads, Block)).Sum / count;
    }

    /// <summary>The rows the held-out error is measured on: the held-out set, or the refinement set when there is none.</summary>
    private (int Start, int Count) HeldOutRows() => HeldOutCount > 0 ? (RefineCount, HeldOutCount) : (0, RefineCount);

    /// <summary>
    /// Per neuron i, the refinement samples' MSE of the least-squares output layer without it: y regressed on relu(w_j x + b_j)
    /// (j != i), x and 1, the w_j and b_j held. A neuron the others can stand in for (one teacher neuron spread over two)
    /// costs little; a neuron the function needs costs its whole contribution. One Gram of the features, then one solve per
    /// neuron with its row and column left out.
    /// </summary>
    public double[] OutputLayerErrorsWithout(ReluNetwork network)
    {
        int m = network.Hidden, p = m + _d + 1, count = RefineCount;
        var normal = new double[p * p];
        var rhs = new double[p];
        var row = new double[p];
        double yy = 0;
        for (int j = 0; j < count; j++)
        {
            var x = _x.AsSpan(j * _d, _d);
            for (int i = 0; i < m; i++) row[i] = Math.Max(0, TensorPrimitives.Dot(network.WeightsOf(i), x) + network.B[i]);
            x.CopyTo(row.AsSpan(m));
            row[p - 1] = 1;
            double y = _y[j];
            yy += y * y;
            for (int r = 0; r < p; r++)
            {
                rhs[r] += row[r] * y;
                var lower = normal.AsSpan(r * p, r + 1);
                if (row[r] != 0) TensorPrimitives.MultiplyAdd(row.AsSpan(0, r + 1), row[r], lower, lower);
            }
        }
        for (int r = 0; r < p; r++)
            for (int c = 0; c < r; c++) normal[c * p + r] = normal[r * p + c];
        var errors = new double[m];
        int q = p - 1;
        var sub = new double[q * q];
        var subRhs = new double[q];
        for (int i = 0; i < m; i++)
        {
            for (int r = 0, rr = 0; r < p; r++)
            {
                if (r == i) continue;
                subRhs[rr] = rhs[r];
                for (int c = 0, cc = 0; c < p; c++)
                {
                    if (c == i) continue;
                    sub[rr * q + cc++] = normal[r * p + c];
                }
                rr++;
            }
            double[] beta = DenseSolve.Solve(sub, q, subRhs);
            // SSE = y^T y - 2 beta^T F^T y + beta^T G beta = y^T y - beta^T F^T y at the normal equations' solution
            errors[i] = Math.Max(0, yy - TensorPrimitives.Dot(beta, subRhs)) / count;
        }
        return errors;
    }

    /// <summary>Least squares of y on (1, x) over the refinement samples.</summary>
    public ReluNetwork FitLinear()
    {
        int p = _d + 1, count = RefineCount;
        var normal = new double[p * p];
        var rhs = new double[p];
        var row = new double[p];
        for (int j = 0; j < count; j++)
        {
            row[0] = 1;
            _x.AsSpan(j * _d, _d).CopyTo(row.AsSpan(1));
            for (int r = 0; r < p; r++)
            {
                rhs[r] += row[r] * _y[j];
                for (int c = 0; c < p; c++) normal[r * p + c] += row[r] * row[c];
            }
        }
        double[] beta = DenseSolve.Solve(normal, p, rhs);
        return new ReluNetwork(_d, [], [], [], beta[0], beta.AsSpan(1));
    }
}

/// <summary>sum_j (f(x_j) - y_j)^2 over a pass's blocks of double samples, for a fixed network: the held-out error.</summary>
internal sealed class SquaredErrorWorker(ReluNetwork network, int blockSize) : IMomentWorker<double, SquaredErrorWorker>
{
    private readonly double[] _prediction = new double[blockSize];

    /// <summary>sum_j (f(x_j) - y_j)^2 over the samples seen.</summary>
    public double Sum { get; private set; }

    public void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        Span<double> f = _prediction.AsSpan(0, y.Length);
        network.Evaluate(x, f);
        double sse = 0;
        for (int j = 0; j < f.Length; j++)
        {
            double e = f[j] - y[j];
            sse += e * e;
        }
        Sum += sse;
    }

    public void Merge(SquaredErrorWorker other) => Sum += other.Sum;

    public bool CanReset => true;

    public void Reset() => Sum = 0;
}
