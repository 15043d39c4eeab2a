using ReluFast.Decomposition;
using ReluFast.Model;
using static TorchSharp.torch;

namespace ReluFast.Learning;

/// <summary>
/// Refinement of a network by minimising the mean squared error over (a, W, b, c0, c) on a subsample
/// (docs/algorithm.md section 10) with <see cref="LbfgsMinimizer"/>. On the CPU the objective
/// runs on the SIMD engine (<see cref="SimdMseObjective"/>); on a libtorch device (CUDA) it runs through
/// libtorch autograd (<see cref="TorchMseObjective"/>).
/// </summary>
internal sealed class Refinement : IDisposable
{
    private readonly IMseObjective _objective;
    private readonly int _d;

    /// <summary>
    /// Refines on a subsample (n x d row-major inputs, n outputs) that the caller keeps unchanged while this lives: a null or CPU
    /// device reads it in place through the SIMD objective; another device copies it.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes disagree or the subsample is empty.</exception>
    public Refinement(ReadOnlyMemory<double> x, ReadOnlyMemory<double> y, int inputDim, Device? device = null, int threads = 0)
    {
        _d = inputDim;
        _objective = device is null || device.type == TorchSharp.DeviceType.CPU
            ? new SimdMseObjective(x, y, inputDim, threads)
            : new TorchMseObjective(x.Span, y.Span, inputDim, device);
    }

    /// <summary>Holds a copy of the subsample (n x d row-major inputs, n outputs). A null or CPU device uses the SIMD objective.</summary>
    /// <exception cref="ArgumentException">Shapes disagree or the subsample is empty.</exception>
    public Refinement(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int inputDim, Device? device = null, int threads = 0)
        : this(new ReadOnlyMemory<double>(x.ToArray()), y.ToArray(), inputDim, device, threads)
    {
    }

    /// <summary>Number of samples in the subsample.</summary>
    public long Samples => _objective.Samples;

    /// <summary>Variance of y over the subsample.</summary>
    public double TargetVariance => _objective.TargetVariance;

    /// <summary>
    /// Refines <paramref name="start"/> and returns the refined network (unit w_i) with its training MSE and the
    /// optimiser's report. It stops at an exact fit: a training MSE of <see cref="ExactFitRelativeMse"/> x Var(y)
    /// leaves parameter errors around 1e-10, far below any statistical error; and, given <paramref name="stopping"/>, when the
    /// held-out error stops improving beyond its sampling error (<see cref="HeldOutStopping"/>). <paramref name="iterationDone"/>
    /// hears (iterations done, training MSE) at the start and after every iteration.
    /// </summary>
    public (ReluNetwork Network, double TrainingMse, LbfgsResult Optimizer) Run(ReluNetwork start, int maxIterations,
        CancellationToken cancellationToken = default, HeldOutStopping? stopping = null, Action<int, double>? iterationDone = null)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (start.InputDim != _d) throw new ArgumentException($"The network has input dimension {start.InputDim}, the subsample {_d}.",
            nameof(start));
        int m = start.Hidden;
        var theta = IMseObjective.Pack(start);
        // L-BFGS runs on the output layer (a, c0, c) divided by s, the power of two nearest to y's standard deviation, and on the MSE
        // divided by s^2: the fit of y / s, whose curvature along a and along W is of one order whatever the unit of y (docs/algorithm.md
        // section 10). A power of two scales exactly, so y times 2^k gives the same iterates times 2^k.
        double s = ResponseScale(_objective.TargetVariance), s2 = s * s;
        int outputLayer = MseGradient.OutputLayerStart(m, _d);
        var point = new double[theta.Length];
        void ToResponseUnits(ReadOnlySpan<double> scaled)
        {
            scaled.CopyTo(point);
            for (int k = outputLayer; k < point.Length; k++) point[k] *= s;
        }
        double Scaled(ReadOnlySpan<double> p, Span<double> g)
        {
            ToResponseUnits(p);
            double value = _objective.Evaluate(point, g, m);
            for (int k = 0; k < g.Length; k++) g[k] /= k < outputLayer ? s2 : s;
            return value / s2;
        }
        LbfgsMinimizer.Monitor? monitor = iterationDone is null && stopping is null ? null : (iterations, p, value) =>
        {
            iterationDone?.Invoke(iterations, value * s2);
            if (stopping is null) return false;
            ToResponseUnits(p);
            return stopping.Check(iterations, point, value * s2);
        };
        for (int k = outputLayer; k < theta.Length; k++) theta[k] /= s;
        var result = LbfgsMinimizer.Minimize(Scaled, theta, maxIterations, valueTarget: ExactFitRelativeMse * _objective.TargetVariance / s2,
            cancellationToken: cancellationToken, monitor: monitor);
        ToResponseUnits(theta);
        result = result with { Value = result.Value * s2 };
        return (IMseObjective.Unpack(point, m, _d).Normalized(), result.Value, result);
    }

    /// <summary>The power of two nearest to sqrt(<paramref name="variance"/>) (1 when y does not vary or its variance is not finite).</summary>
    internal static double ResponseScale(double variance) =>
        variance > 0 && double.IsFinite(variance) ? Math.ScaleB(1.0, (int)Math.Round(0.5 * Math.Log2(variance))) : 1;

    /// <summary>Training MSE relative to Var(y) at which refinement stops: the data are then fitted exactly.</summary>
    public const double ExactFitRelativeMse = 1e-20;

    /// <summary>Mean squared error of a network on the subsample.</summary>
    public double Mse(ReluNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var theta = IMseObjective.Pack(network);
        return _objective.Evaluate(theta, new double[theta.Length], network.Hidden);
    }

    /// <inheritdoc />
    public void Dispose() => _objective.Dispose();
}

/// <summary><see cref="IMseObjective"/> through libtorch autograd in float64 on any libtorch device.</summary>
internal sealed class TorchMseObjective : IMseObjective
{
    private readonly Tensor _x;
    private readonly Tensor _y;
    private readonly int _d;
    private readonly Device _device;

    /// <summary>Copies the subsample to <paramref name="device"/> (null: CPU).</summary>
    /// <exception cref="ArgumentException">Shapes disagree or the subsample is empty.</exception>
    public TorchMseObjective(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int inputDim, Device? device = null)
    {
        if (y.IsEmpty) throw new ArgumentException("Refinement needs at least one sample.", nameof(y));
        if (x.Length != (long)y.Length * inputDim) throw new ArgumentException($"x must be {y.Length} x {inputDim}.", nameof(x));
        _d = inputDim;
        _device = device ?? CPU;
        _x = tensor(x.ToArray(), [y.Length, inputDim], dtype: float64, device: _device);
        _y = tensor(y.ToArray(), [y.Length], dtype: float64, device: _device);
    }

    /// <inheritdoc />
    public int Samples => (int)_y.shape[0];

    /// <inheritdoc />
    public double TargetVariance
    {
        get
        {
            // the population variance, as SimdMseObjective (TorchSharp 0.107's var(unbiased: false) still divided by n - 1)
            using var scope = NewDisposeScope();
            return TorchTensors.Square(_y - _y.mean()).mean().item<double>();
        }
    }

    /// <inheritdoc />
    public double Evaluate(ReadOnlySpan<double> parameters, Span<double> gradient, int hidden)
    {
        using var scope = NewDisposeScope();
        int m = hidden, d = _d;
        var p = tensor(parameters.ToArray(), dtype: float64, device: _device).requires_grad_(true);
        var w = p.narrow(0, 0, m * d).view(m, d);
        var b = p.narrow(0, m * d, m);
        var a = p.narrow(0, m * d + m, m);
        var c0 = p.narrow(0, m * d + 2 * m, 1);
        var c = p.narrow(0, m * d + 2 * m + 1, d);
        var prediction = TorchTensors.Sum(TorchTensors.Sum(nn.functional.relu(TorchTensors.Sum(_x.matmul(w.T), b)).matmul(a), _x.matmul(c)), c0);
        var mse = TorchTensors.Square(prediction - _y).mean();
        mse.backward();
        p.grad!.cpu().data<double>().CopyTo(gradient);
        return mse.item<double>();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _x.Dispose();
        _y.Dispose();
    }
}
