using System.Numerics;
using System.Runtime.InteropServices;
using ReluFast.Model;
using ReluFast.Moments;

namespace ReluFast.Learning;

/// <summary>
/// A streamed pass of the squared error and its gradient at fixed parameters: sum_j e_j^2 and sum_j e_j grad f(x_j) over
/// every sample (docs/algorithm.md section 18), and the in-memory objective's pass over the refinement set
/// (<see cref="SimdMseObjective"/>). Blocks go through <see cref="MseGradient"/>, converted to double first unless they are.
/// </summary>
internal sealed class MseGradientWorker<T> : IMomentWorker<T, MseGradientWorker<T>>, IReducibleMomentWorker
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    // The kernel's scratch (and the block in double, for float samples) belongs to the thread, not to the worker: a pass moves
    // workers between threads segment by segment, and a worker's own 290 KB of scratch at (d, m) = (64, 32) came to a thread
    // cold at every segment (the objective's passes have segments of one to a few blocks: 10 % of an evaluation there).
    [ThreadStatic] private static double[]? t_scratch;

    private readonly double[] _prepared, _sums;
    private readonly int _m, _d;

    /// <summary>
    /// A worker at the parameters <paramref name="prepared"/> holds (<see cref="MseGradient.Prepare"/>, once for all the workers of
    /// a pass; they only read it, and the caller may prepare other parameters into it between passes).
    /// </summary>
    public MseGradientWorker(double[] prepared, int m, int d)
    {
        if (prepared.Length < MseGradient.PreparedLength(m, d))
            throw new ArgumentException($"Expected {MseGradient.PreparedLength(m, d)} prepared parameters.", nameof(prepared));
        _prepared = prepared;
        _m = m;
        _d = d;
        _sums = new double[MseGradient.SumsLength(m, d)];
    }

    /// <summary>This thread's scratch of at least <paramref name="length"/> doubles (allocated when it is first or longer needed).</summary>
    private static double[] Scratch(int length)
    {
        double[]? scratch = t_scratch;
        if (scratch is null || scratch.Length < length) t_scratch = scratch = new double[length];
        return scratch;
    }

    /// <summary>sum_j e_j^2.</summary>
    public double SquaredError { get; private set; }

    /// <summary>sum_j e_j grad f(x_j), in the flat layout of the parameters (a new array).</summary>
    public double[] Gradient()
    {
        var g = new double[MseGradient.ParameterCount(_m, _d)];
        MseGradient.Fold(_sums, _m, _d, g);
        return g;
    }

    /// <summary>Writes sum_j e_j grad f(x_j) into <paramref name="g"/>, times <paramref name="scale"/>.</summary>
    public void CopyGradient(Span<double> g, double scale)
    {
        g.Clear();
        MseGradient.Fold(_sums, _m, _d, g);
        System.Numerics.Tensors.TensorPrimitives.Multiply(g, scale, g);
    }

    public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
    {
        int kernel = MseGradient.SumsScratchLength(_m, _d);
        if (typeof(T) == typeof(double))
        {
            SquaredError += MseGradient.AccumulateSums(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(y), _prepared, _m, _d,
                _sums, Scratch(kernel).AsSpan(0, kernel));
            return;
        }
        int n = y.Length;
        Span<double> scratch = Scratch(kernel + n * (_d + 1)).AsSpan(0, kernel + n * (_d + 1));
        Span<double> xd = scratch.Slice(kernel, n * _d), yd = scratch.Slice(kernel + n * _d, n);
        System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<T, double>(x, xd);
        System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<T, double>(y, yd);
        SquaredError += MseGradient.AccumulateSums(xd, yd, _prepared, _m, _d, _sums, scratch[..kernel]);
    }

    public void Merge(MseGradientWorker<T> other)
    {
        System.Numerics.Tensors.TensorPrimitives.Add(_sums, other._sums, _sums);
        SquaredError += other.SquaredError;
    }

    public bool CanReset => true;

    public void Reset()
    {
        Array.Clear(_sums);
        SquaredError = 0;
    }

    public int StateLength => _sums.Length + 1;

    public void CopyState(Span<double> destination)
    {
        _sums.CopyTo(destination);
        destination[_sums.Length] = SquaredError;
    }

    public void SetState(ReadOnlySpan<double> state)
    {
        state[.._sums.Length].CopyTo(_sums);
        SquaredError = state[_sums.Length];
    }
}

/// <summary>What the streamed refinement did: the passes it took and the training error over all samples it ended with.</summary>
internal sealed record StreamedFit(ReluNetwork Network, int Passes, long TrainingSamples, double TrainingMse, double StartMse);

/// <summary>
/// Refinement on all N samples after the in-memory stage (docs/algorithm.md section 18): Gauss-Newton steps whose matrix is
/// the Fisher information of the in-memory refinement set and whose gradient is a streamed pass over every sample except
/// the held-out ones. From the in-memory optimum the steps converge in a few passes to the least-squares fit on all samples,
/// whose parameter error falls like 1/sqrt(N).
/// </summary>
internal static class StreamedRefinement
{
    /// <summary>Most streamed passes one refinement takes.</summary>
    public const int MaximumPasses = 8;

    /// <summary>
    /// Stop when the remaining Gauss-Newton decrement g^T G^+ g is below this fraction of the statistical one,
    /// s^2 p / n (the expected excess error of the least-squares fit itself): the distance to the all-sample fit is then
    /// a few percent of its standard error.
    /// </summary>
    public const double StatisticalFraction = 1e-3;

    /// <summary>
    /// Runs the refinement from <paramref name="start"/> (the in-memory fit). <paramref name="pass"/> streams every sample and
    /// returns (sum e^2, sum e grad f) at the given parameters; <paramref name="heldOut"/> returns the same sums over the
    /// held-out samples, which are taken out again; <paramref name="share"/> makes every process continue from the same
    /// parameters.
    /// </summary>
    public static StreamedFit Run(ReluNetwork start, FisherInformation fisher, long trainingSamples,
        Func<double[], (double Sse, double[] Gradient)> pass, Func<double[], (double Sse, double[] Gradient)> heldOut,
        Action<double[]> share, Action<string> log)
    {
        int m = start.Hidden, d = start.InputDim, p = MseGradient.ParameterCount(m, d);
        var theta = IMseObjective.Pack(start.Normalized());
        double[]? previous = null;
        double previousMse = double.PositiveInfinity, startMse = double.NaN, mse = double.NaN;
        int passes = 0;
        while (passes < MaximumPasses)
        {
            var (sse, gradient) = pass(theta);
            var (heldSse, heldGradient) = heldOut(theta);
            passes++;
            mse = (sse - heldSse) / trainingSamples;
            if (double.IsNaN(startMse)) startMse = mse;
            if (!(mse <= previousMse) && previous is not null)
            {
                if (passes == MaximumPasses)
                {
                    // No pass left to look at a shorter step: keep the last evaluated parameters.
                    theta = previous;
                    mse = previousMse;
                    share(theta);
                    break;
                }
                // The full step overshot: halve it and look again.
                for (int k = 0; k < p; k++) theta[k] = 0.5 * (previous[k] + theta[k]);
                share(theta);
                log($"streamed refinement: pass {passes} raised the training MSE to {mse:G6}; halving the step");
                continue;
            }
            var g = new double[p];
            for (int k = 0; k < p; k++) g[k] = (gradient[k] - heldGradient[k]) / trainingSamples;
            var step = fisher.Step(g);
            double decrement = 0;
            for (int k = 0; k < p; k++) decrement -= g[k] * step[k];
            double statistical = mse * p / trainingSamples;
            log($"streamed refinement: pass {passes} over {trainingSamples} samples, training MSE {mse:G6}, " +
                $"Gauss-Newton decrement {decrement:G3} (statistical scale {statistical:G3})");
            if (!(decrement > StatisticalFraction * statistical) || passes == MaximumPasses) break;
            previous = (double[])theta.Clone();
            previousMse = mse;
            for (int k = 0; k < p; k++) theta[k] += step[k];
            share(theta);
        }
        var network = IMseObjective.Unpack(theta, m, d).Normalized();
        return new StreamedFit(network, passes, trainingSamples, mse, startMse);
    }
}
