using ReluFast.Model;

namespace ReluFast.Learning;

/// <summary>
/// Early stopping of an in-memory refinement against the held-out error's own sampling error (docs/algorithm.md section 10).
/// Every <see cref="Window"/> L-BFGS iterations (one full memory of curvature pairs, <see cref="Window"/>) the held-out MSE of
/// the iterate is evaluated; the refinement stops when it is not below (1 - <see cref="Tolerance"/>) x the best held-out MSE
/// of the iterates at least one window earlier. <see cref="Tolerance"/> is the held-out MSE's relative sampling error
/// (<see cref="RelativeSamplingError"/>): a smaller gain cannot be told from the noise of the held-out rows, so iterations that
/// only fit the refinement rows' own sample (too few samples for the network) or creep along a flat valley stop there.
/// On data the network fits exactly the held-out error falls by orders of magnitude per window until the exact-fit stop, so
/// this never ends such a refinement early.
/// </summary>
internal sealed class HeldOutStopping
{
    private readonly Func<ReluNetwork, double> _heldOutMse;
    private readonly int _hidden, _inputDim;
    private double _bestBefore = double.PositiveInfinity;

    /// <param name="heldOutMse">The held-out MSE of a network.</param>
    /// <param name="hidden">m of the refined network (the layout of the flat parameters).</param>
    /// <param name="inputDim">d.</param>
    /// <param name="tolerance">The relative gain per window below which the refinement stops.</param>
    /// <param name="window">Iterations between two evaluations of the held-out error.</param>
    public HeldOutStopping(Func<ReluNetwork, double> heldOutMse, int hidden, int inputDim, double tolerance, int window = DefaultWindow)
    {
        ArgumentNullException.ThrowIfNull(heldOutMse);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _heldOutMse = heldOutMse;
        _hidden = hidden;
        _inputDim = inputDim;
        Tolerance = tolerance;
        Window = window;
    }

    /// <summary>
    /// The default window: the curvature pairs <see cref="LbfgsMinimizer"/> keeps (20), so that a window without gain is one
    /// in which the optimiser's whole curvature model was renewed without moving the held-out error.
    /// </summary>
    public const int DefaultWindow = 20;

    /// <summary>Relative sampling error of a held-out MSE on <paramref name="heldOut"/> rows: 2 sqrt(2 / n), two standard errors
    /// of a mean of squared Gaussian errors (the residual rounds' and the overcomplete rounds' keep rule uses the same).</summary>
    public static double RelativeSamplingError(int heldOut) => 2 * Math.Sqrt(2.0 / Math.Max(1, heldOut));

    /// <summary>Iterations between two evaluations of the held-out error.</summary>
    public int Window { get; }

    /// <summary>The relative gain per window below which the refinement stops.</summary>
    public double Tolerance { get; }

    /// <summary>Held-out evaluations made so far.</summary>
    public int Evaluations { get; private set; }

    /// <summary>The iteration at which the refinement was stopped, or -1.</summary>
    public int StoppedAt { get; private set; } = -1;

    /// <summary>The held-out MSE at the last evaluation.</summary>
    public double Last { get; private set; } = double.NaN;

    /// <summary>The best held-out MSE of the evaluations before the last one.</summary>
    public double BestBefore { get; private set; } = double.PositiveInfinity;

    /// <summary>The <see cref="LbfgsMinimizer.Monitor"/>: evaluates the held-out error every <see cref="Window"/> iterations and
    /// returns true when it did not fall by more than <see cref="Tolerance"/> over the last window.</summary>
    public bool Check(int iterations, ReadOnlySpan<double> theta, double value)
    {
        if (iterations % Window != 0) return false;
        double mse = _heldOutMse(IMseObjective.Unpack(theta, _hidden, _inputDim));
        if (double.IsNaN(mse)) mse = double.PositiveInfinity;
        Evaluations++;
        Last = mse;
        BestBefore = _bestBefore;
        bool stop = iterations > 0 && !(mse < (1 - Tolerance) * _bestBefore);
        _bestBefore = Math.Min(_bestBefore, mse);
        if (stop) StoppedAt = iterations;
        return stop;
    }

    /// <summary>The log's account of the stop ("" when it did not stop).</summary>
    public string Describe() => StoppedAt < 0 ? string.Empty
        : $"stopped after {StoppedAt} iterations: held-out MSE {Last:G4} not below (1 - {Tolerance:G2}) x {BestBefore:G4}, " +
          $"its best {Window} iterations before (the held-out sampling error)";
}
