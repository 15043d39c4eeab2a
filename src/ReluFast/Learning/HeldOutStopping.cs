using ReluFast.Model;

namespace ReluFast.Learning;

/// <summary>
/// Early stopping of an in-memory refinement against the held-out error's own sampling error (docs/algorithm.md section 10).
/// Every <see cref="Window"/> L-BFGS iterations the held-out MSE h of the iterate is evaluated beside its training MSE f, and
/// the refinement stops when h is not below (1 - <see cref="Tolerance"/>) x the best held-out MSE of the iterates at least
/// one window earlier (<see cref="Tolerance"/>: the held-out MSE's relative sampling error, <see cref="RelativeSamplingError"/>:
/// the window gained nothing the held-out rows can tell from their noise) and either
/// <list type="bullet">
/// <item>h exceeds f (1 + <see cref="GapTolerance"/>), the optimism of a least-squares fit of p parameters on n rows, 2 p / n,
/// plus the sampling error of the two MSEs (<see cref="OverfitTolerance"/>): the iterate fits the refinement rows' own
/// sample, which the held-out rows do not share; or</item>
/// <item>f fell over the window by less than <see cref="ConvergedTolerance"/> x f, the statistical scale p / n of the training
/// error times <see cref="StreamedRefinement.StatisticalFraction"/> (the streamed refinement's own stop): the optimiser has
/// converged to within a few percent of a standard error and only creeps along a flat valley.</item>
/// </list>
/// A fit that becomes exact loses orders of magnitude of held-out error per window; on a plateau on its way there (two
/// nearly parallel neurons not yet told apart) its training and held-out errors agree, the residual being the same function
/// on every row, and its training error still moves: neither stops it.
/// </summary>
internal sealed class HeldOutStopping
{
    private readonly Func<ReluNetwork, double> _heldOutMse;
    private readonly int _hidden, _inputDim;
    private readonly List<(int Iteration, double HeldOut, double Training)> _history = [];
    private double _best = double.PositiveInfinity;

    /// <param name="heldOutMse">The held-out MSE of a network.</param>
    /// <param name="hidden">m of the refined network (the layout of the flat parameters).</param>
    /// <param name="inputDim">d.</param>
    /// <param name="tolerance">The relative held-out gain per window below which the refinement may stop.</param>
    /// <param name="gapTolerance">The relative excess of the held-out over the training MSE above which it may stop.</param>
    /// <param name="convergedTolerance">The relative training decrease per window below which it may stop.</param>
    /// <param name="window">Iterations between two evaluations of the held-out error.</param>
    public HeldOutStopping(Func<ReluNetwork, double> heldOutMse, int hidden, int inputDim, double tolerance, double gapTolerance,
        double convergedTolerance, int window = DefaultWindow)
    {
        ArgumentNullException.ThrowIfNull(heldOutMse);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _heldOutMse = heldOutMse;
        _hidden = hidden;
        _inputDim = inputDim;
        Tolerance = tolerance;
        GapTolerance = gapTolerance;
        ConvergedTolerance = convergedTolerance;
        Window = window;
    }

    /// <summary>
    /// The stop of a refinement of m neurons on <paramref name="trainingRows"/> rows watched on <paramref name="heldOutRows"/>
    /// held-out rows: <see cref="RelativeSamplingError"/>, <see cref="OverfitTolerance"/> and
    /// <see cref="StreamedRefinement.StatisticalFraction"/> x p / n.
    /// </summary>
    public static HeldOutStopping ForRefinement(Func<ReluNetwork, double> heldOutMse, int hidden, int inputDim, int trainingRows,
        int heldOutRows)
    {
        int p = MseGradient.ParameterCount(hidden, inputDim);
        return new(heldOutMse, hidden, inputDim, RelativeSamplingError(heldOutRows), OverfitTolerance(p, trainingRows, heldOutRows),
            StreamedRefinement.StatisticalFraction * p / Math.Max(1, trainingRows));
    }

    /// <summary>
    /// The default window: the curvature pairs <see cref="LbfgsMinimizer"/> keeps (20), so that a window without gain is one
    /// in which the optimiser's whole curvature model was renewed without moving the held-out error.
    /// </summary>
    public const int DefaultWindow = 20;

    /// <summary>Relative sampling error of a held-out MSE on <paramref name="heldOut"/> rows: 2 sqrt(2 / n), two standard errors
    /// of a mean of squared Gaussian errors (the residual rounds' and the overcomplete rounds' keep rule uses the same).</summary>
    public static double RelativeSamplingError(int heldOut) => 2 * Math.Sqrt(2.0 / Math.Max(1, heldOut));

    /// <summary>
    /// How far the held-out MSE may exceed the training MSE of a fit of <paramref name="parameters"/> parameters on
    /// <paramref name="trainingRows"/> rows before the fit counts as fitting its own sample: a least-squares fit's optimism
    /// 2 p / n (its training error is below the residual variance by p / n, its held-out error above it by p / n) plus two
    /// standard errors of the ratio of the two MSEs, 2 sqrt(2 / n + 2 / n_held).
    /// </summary>
    public static double OverfitTolerance(int parameters, int trainingRows, int heldOutRows)
    {
        double n = Math.Max(1, trainingRows), held = Math.Max(1, heldOutRows);
        return 2 * parameters / n + 2 * Math.Sqrt(2 / n + 2 / held);
    }

    /// <summary>Iterations between two evaluations of the held-out error.</summary>
    public int Window { get; }

    /// <summary>The relative held-out gain per window below which the refinement may stop.</summary>
    public double Tolerance { get; }

    /// <summary>The relative excess of the held-out over the training MSE above which the refinement may stop.</summary>
    public double GapTolerance { get; }

    /// <summary>The relative decrease of the training MSE per window below which the refinement may stop.</summary>
    public double ConvergedTolerance { get; }

    /// <summary>(iteration, held-out MSE, training MSE) at every evaluation.</summary>
    public IReadOnlyList<(int Iteration, double HeldOut, double Training)> History => _history;

    /// <summary>The iteration at which the refinement was stopped, or -1.</summary>
    public int StoppedAt { get; private set; } = -1;

    /// <summary>The held-out MSE at the last evaluation.</summary>
    public double Last => _history.Count > 0 ? _history[^1].HeldOut : double.NaN;

    /// <summary>The training MSE at the last evaluation.</summary>
    public double LastTraining => _history.Count > 0 ? _history[^1].Training : double.NaN;

    /// <summary>The best held-out MSE of the evaluations before the last one.</summary>
    public double BestBefore { get; private set; } = double.PositiveInfinity;

    /// <summary>Whether the stop was for fitting the refinement rows' own sample (else: the training error converged).</summary>
    public bool Overfit { get; private set; }

    /// <summary>The <see cref="LbfgsMinimizer.Monitor"/>: evaluates the held-out error every <see cref="Window"/> iterations and
    /// returns true when the last window gained less than <see cref="Tolerance"/> on it while it exceeds the training error by
    /// more than <see cref="GapTolerance"/> or the training error fell by less than <see cref="ConvergedTolerance"/>.</summary>
    public bool Check(int iterations, ReadOnlySpan<double> theta, double value)
    {
        if (iterations % Window != 0) return false;
        double mse = _heldOutMse(IMseObjective.Unpack(theta, _hidden, _inputDim));
        if (double.IsNaN(mse)) mse = double.PositiveInfinity;
        double previous = _history.Count > 0 ? _history[^1].Training : double.PositiveInfinity;
        _history.Add((iterations, mse, value));
        BestBefore = _best;
        _best = Math.Min(_best, mse);
        bool stalled = iterations > 0 && !(mse < (1 - Tolerance) * BestBefore);
        bool overfit = mse > (1 + GapTolerance) * value;
        bool converged = !(previous - value > ConvergedTolerance * value);
        if (stalled && (overfit || converged))
        {
            StoppedAt = iterations;
            Overfit = overfit;
        }
        return StoppedAt >= 0;
    }

    /// <summary>The log's account of the stop ("" when it did not stop).</summary>
    public string Describe() => StoppedAt < 0 ? string.Empty
        : $"stopped after {StoppedAt} iterations: held-out MSE {Last:G4} not below (1 - {Tolerance:G2}) x {BestBefore:G4}, " +
          $"its best {Window} iterations before (the held-out sampling error), and " + (Overfit
              ? $"above (1 + {GapTolerance:G2}) x the training MSE {LastTraining:G4} (a least-squares fit's optimism 2 p / n and the " +
                "sampling error): the fit follows the refinement rows' own sample"
              : $"the training MSE {LastTraining:G4} fell by less than {ConvergedTolerance:G2} of itself (the statistical scale): " +
                "converged");
}
