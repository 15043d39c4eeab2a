using System.Diagnostics;
using ReluFast.Decomposition;
using ReluFast.Model;
using ReluFast.Sampling;
using static TorchSharp.torch;

namespace ReluFast.Learning;

/// <summary>The optimiser of a <see cref="RandomStartTraining"/> baseline.</summary>
internal enum BaselineOptimizer
{
    /// <summary>Full-batch L-BFGS (<see cref="LbfgsMinimizer"/> on the same objective as refinement).</summary>
    Lbfgs,
    /// <summary>Minibatch Adam through TorchSharp (<c>torch.optim.Adam</c>), learning rate decayed by 10 over the budget.</summary>
    Adam,
}

/// <summary>Settings of a random-start baseline.</summary>
/// <param name="Optimizer">Which optimiser.</param>
/// <param name="TimeBudget">Wall-clock budget for all restarts together.</param>
/// <param name="MaxRestarts">Restarts at most (each from a fresh random initialisation).</param>
/// <param name="Seed">Seed of the initialisations and minibatches.</param>
/// <param name="BatchSize">Adam's minibatch size.</param>
/// <param name="LearningRate">Adam's initial learning rate.</param>
internal sealed record RandomStartOptions(BaselineOptimizer Optimizer, TimeSpan TimeBudget, int MaxRestarts = 8, ulong Seed = 1, int BatchSize = 1024,
    double LearningRate = 1e-2);

/// <summary>What a random-start baseline reached.</summary>
/// <param name="Network">The restart with the lowest held-out error (unit w_i).</param>
/// <param name="HeldOutMse">Its held-out mean squared error.</param>
/// <param name="Restarts">Restarts run within the budget.</param>
/// <param name="Elapsed">Time used.</param>
internal sealed record RandomStartResult(ReluNetwork Network, double HeldOutMse, int Restarts, TimeSpan Elapsed);

/// <summary>
/// The baseline the method of moments is compared with: the same network trained by gradient methods from
/// random initialisations (PyTorch's nn.Linear initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in))), several
/// restarts within a time budget, the best kept by held-out error.
/// </summary>
internal static class RandomStartTraining
{
    /// <summary>Trains on <paramref name="trainX"/>/<paramref name="trainY"/> and selects on the held-out set.</summary>
    /// <exception cref="ArgumentException">Shapes disagree.</exception>
    public static RandomStartResult Train(ReadOnlySpan<double> trainX, ReadOnlySpan<double> trainY, ReadOnlySpan<double> heldOutX,
        ReadOnlySpan<double> heldOutY,
        int inputDim, int hidden, RandomStartOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (trainX.Length != trainY.Length * inputDim || heldOutX.Length != heldOutY.Length * inputDim)
            throw new ArgumentException($"x must have {inputDim} values per sample.");
        var clock = Stopwatch.StartNew();
        var held = (X: heldOutX.ToArray(), Y: heldOutY.ToArray());
        using var objective = new SimdMseObjective(trainX, trainY, inputDim);
        double[] trainXs = options.Optimizer == BaselineOptimizer.Adam ? trainX.ToArray() : [];
        double[] trainYs = options.Optimizer == BaselineOptimizer.Adam ? trainY.ToArray() : [];
        ReluNetwork? best = null;
        double bestMse = double.PositiveInfinity;
        int restarts = 0;
        while (restarts < options.MaxRestarts && clock.Elapsed < options.TimeBudget)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var start = RandomInitialisation(inputDim, hidden, options.Seed + (ulong)restarts);
            TimeSpan remaining = options.TimeBudget - clock.Elapsed;
            ReluNetwork trained = options.Optimizer == BaselineOptimizer.Lbfgs
                ? TrainLbfgs(objective, start, remaining, cancellationToken)
                : TrainAdam(trainXs, trainYs, inputDim, start, options, remaining, options.Seed + (ulong)restarts, cancellationToken);
            restarts++;
            double mse = HeldOutMse(trained, held.X, held.Y);
            if (mse < bestMse) { bestMse = mse; best = trained; }
        }
        best ??= RandomInitialisation(inputDim, hidden, options.Seed);
        // Settle (a, w, b) versus (a, -w, -b) + linear by t1 of the training data, as the moment learner does,
        // so that parameter errors compare like with like (the function does not change).
        var t1 = new double[inputDim];
        for (int j = 0; j < trainY.Length; j++)
            for (int k = 0; k < inputDim; k++) t1[k] += trainY[j] * trainX[j * inputDim + k] / trainY.Length;
        return new RandomStartResult(FlipResolution.Resolve(best.Normalized(), t1, out _), bestMse, restarts, clock.Elapsed);
    }

    /// <summary>PyTorch's default initialisation of nn.Linear(d, m) and nn.Linear(m, 1).</summary>
    public static ReluNetwork RandomInitialisation(int d, int m, ulong seed)
    {
        var g = new CounterGaussian(seed, key: 0x1417);
        double bound1 = 1 / Math.Sqrt(d), bound2 = 1 / Math.Sqrt(m);
        long k = 0;
        var w = new double[m * d];
        for (int i = 0; i < w.Length; i++) w[i] = bound1 * (2 * g.Uniform(k++) - 1);
        var b = new double[m];
        for (int i = 0; i < m; i++) b[i] = bound1 * (2 * g.Uniform(k++) - 1);
        var a = new double[m];
        for (int i = 0; i < m; i++) a[i] = bound2 * (2 * g.Uniform(k++) - 1);
        return new ReluNetwork(d, a, w, b, bound2 * (2 * g.Uniform(k) - 1));
    }

    private static ReluNetwork TrainLbfgs(IMseObjective objective, ReluNetwork start, TimeSpan budget, CancellationToken cancellationToken)
    {
        int m = start.Hidden, d = start.InputDim;
        var theta = IMseObjective.Pack(start);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(budget);
        var best = (double[])theta.Clone();
        try
        {
            LbfgsMinimizer.Minimize((p, g) =>
            {
                double f = objective.Evaluate(p, g, m);
                p.CopyTo(best);
                return f;
            }, theta, maxIterations: 100_000, cancellationToken: timeout.Token);
            theta.CopyTo(best, 0);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The budget ran out: keep the last point evaluated.
        }
        return IMseObjective.Unpack(best, m, d);
    }

    private static ReluNetwork TrainAdam(double[] x, double[] y, int d, ReluNetwork start, RandomStartOptions options, TimeSpan budget, ulong seed,
        CancellationToken cancellationToken)
    {
        int m = start.Hidden, n = y.Length, batch = Math.Min(options.BatchSize, n);
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        var xs = tensor(x, [n, d], dtype: float64);
        var ys = tensor(y, [n], dtype: float64);
        var w = new TorchSharp.Modules.Parameter(tensor(start.W.ToArray(), [m, d], dtype: float64));
        var b = new TorchSharp.Modules.Parameter(tensor(start.B.ToArray(), [m], dtype: float64));
        var a = new TorchSharp.Modules.Parameter(tensor(start.A.ToArray(), [m], dtype: float64));
        var c0 = new TorchSharp.Modules.Parameter(tensor(new[] { start.LinearBias }, [1], dtype: float64));
        var c = new TorchSharp.Modules.Parameter(tensor(start.LinearWeights.ToArray(), [d], dtype: float64));
        var optimizer = optim.Adam([w, b, a, c0, c], lr: options.LearningRate);
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        while (clock.Elapsed < budget)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var step = NewDisposeScope();
            // Learning rate decays geometrically from lr to lr/10 over the budget.
            double fraction = Math.Min(1, clock.Elapsed / budget);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = options.LearningRate * Math.Pow(0.1, fraction);
            var index = randint(0, n, [batch], generator: generator);
            var xb = xs.index_select(0, index);
            var yb = ys.index_select(0, index);
            optimizer.zero_grad();
            var hidden = nn.functional.relu(TorchTensors.Sum(xb.matmul(w.T), b)).matmul(a);
            var prediction = TorchTensors.Sum(TorchTensors.Sum(hidden, xb.matmul(c)), c0);
            var loss = TorchTensors.Square(prediction - yb).mean();
            loss.backward();
            optimizer.step();
        }
        return new ReluNetwork(d, a.detach().data<double>().ToArray(), w.detach().data<double>().ToArray(), b.detach().data<double>().ToArray(),
            c0.detach().item<double>(), c.detach().data<double>().ToArray());
    }

    private static double HeldOutMse(ReluNetwork network, double[] x, double[] y)
    {
        var prediction = new double[y.Length];
        network.Evaluate(x, prediction);
        double sse = 0;
        for (int j = 0; j < y.Length; j++) sse += (prediction[j] - y[j]) * (prediction[j] - y[j]);
        return sse / y.Length;
    }
}
