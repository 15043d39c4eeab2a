using ReluFast.Model;

namespace ReluFast.Learning;

/// <summary>One candidate of the learner: the decomposition for one random contraction g.</summary>
/// <param name="Index">Candidate number.</param>
/// <param name="RelativeEigenGap">Best relative minimum eigenvalue gap of the pencil (near 0: ill-conditioned).</param>
/// <param name="PencilResidual">Relative residual of the slices after the alternating-least-squares polish.</param>
/// <param name="MomentHeldOutMse">Held-out mean squared error of the moment estimate.</param>
/// <param name="RefinedHeldOutMse">Held-out mean squared error after refinement (NaN when not refined).</param>
/// <param name="RefinementIterations">L-BFGS iterations spent on it (0 when not refined).</param>
public sealed record LearningCandidate(int Index, double RelativeEigenGap, double PencilResidual, double MomentHeldOutMse, double RefinedHeldOutMse,
    int RefinementIterations);

/// <summary>Time spent in each step of a learning run, for either strategy.</summary>
/// <param name="Pilot">Reading the in-memory samples (pilot, refinement and held-out sets).</param>
/// <param name="SecondMoments">Pass 1 (t0, t1, T_2), run once per run and shared by the mode check and the strategies.</param>
/// <param name="HigherMoments">The higher-order moment passes: the projected T_3 + T_4 (full rank), or the flattened T_4/T_5
/// span passes of every round and the projected slices (overcomplete).</param>
/// <param name="Decomposition">Finding the directions: the pencils (full rank), or the rank-one search and slice pencils (overcomplete).</param>
/// <param name="Coefficients">The Hermite-coefficient passes and the candidates' a, b and linear remainder.</param>
/// <param name="Refinement">L-BFGS refinement of the candidates.</param>
public sealed record LearningTimings(TimeSpan Pilot, TimeSpan SecondMoments, TimeSpan HigherMoments, TimeSpan Decomposition, TimeSpan Coefficients,
    TimeSpan Refinement)
{
    /// <summary>The mode check's own passes (the span pass on a prefix; pass 1 is shared and counted in <see cref="SecondMoments"/>).</summary>
    public TimeSpan ModeCheck { get; init; }

    /// <summary>
    /// The input pass before every other step (the mean, covariance and marginals of x: a pilot on a prefix, then all samples);
    /// zero where it does not run (the source or <see cref="LearnerOptions.Inputs"/> says x ~ N(0, I)).
    /// </summary>
    public TimeSpan InputLaw { get; init; }

    /// <summary>The sum of all steps.</summary>
    public TimeSpan Total => InputLaw + Pilot + SecondMoments + HigherMoments + Decomposition + Coefficients + Refinement + ModeCheck;
}

/// <summary>Everything a learning run found, for reports and diagnostics.</summary>
public sealed record LearningResult
{
    /// <summary>The learned network (unit w_i, with the linear remainder).</summary>
    public required ReluNetwork Network { get; init; }

    /// <summary>The network of the method of moments alone, before refinement, for the chosen candidate.</summary>
    public required ReluNetwork MomentEstimate { get; init; }

    /// <summary>Eigenvalues of T_2 sorted by decreasing |value|.</summary>
    public required IReadOnlyList<double> Spectrum { get; init; }

    /// <summary>Estimated spectral norm of the sampling noise in T_2 (about 2 sqrt(d E[y~^2] / N)).</summary>
    public required double NoiseFloor { get; init; }

    /// <summary>The number of neurons used.</summary>
    public required int Hidden { get; init; }

    /// <summary>Whether <see cref="Hidden"/> was chosen from the spectrum (true) or given (false).</summary>
    public required bool HiddenWasEstimated { get; init; }

    /// <summary>All candidates, in the order they were built.</summary>
    public required IReadOnlyList<LearningCandidate> Candidates { get; init; }

    /// <summary>Index of the candidate returned.</summary>
    public required int ChosenCandidate { get; init; }

    /// <summary>Held-out mean squared error of <see cref="Network"/>.</summary>
    public required double HeldOutMse { get; init; }

    /// <summary>Variance of y on the held-out samples (so HeldOutMse / it is a relative error).</summary>
    public required double HeldOutVariance { get; init; }

    /// <summary>Per neuron, whether the flip (a, w, b) -&gt; (a, -w, -b) was applied when matching the first moment t1.</summary>
    public required IReadOnlyList<bool> Flipped { get; init; }

    /// <summary>Hermite coefficients lambda_k,i = a_i c_k(b_i) solved in pass 3 (k = 2, 3, 4), for the chosen candidate.</summary>
    public required IReadOnlyList<double[]> HermiteCoefficients { get; init; }

    /// <summary>Samples used by the moment passes.</summary>
    public required long Samples { get; init; }

    /// <summary>Time of each step.</summary>
    public required LearningTimings Timings { get; init; }

    /// <summary>Human-readable findings and warnings, in order.</summary>
    public required IReadOnlyList<string> Log { get; init; }

    /// <summary>
    /// What looked doubtful, each with its code: neurons below the noise floor, data that look linear, a tiny relative
    /// eigen-gap of the pencil (&lt; 1e-3), nearly parallel w_i (|cos| &gt; 0.999), a huge condition number of W (&gt; 1e3), or a
    /// refined network that leaves more than 1e-3 of Var y unexplained. Empty when nothing did. The log shows each as "warning: ...".
    /// </summary>
    public IReadOnlyList<LearningWarning> Warnings { get; init; } = [];

    /// <summary>Which learner produced the result (full rank unless the overcomplete learner ran).</summary>
    public LearnerMode Mode { get; init; } = LearnerMode.FullRank;

    /// <summary>Why <see cref="Mode"/> ran: the mode check's evidence, the m that was given, or that the mode was forced.</summary>
    public string Reason { get; init; } = string.Empty;

    /// <summary>
    /// Overcomplete learner: singular values of the stacked flattened moments [T_4, T_5(g_1), T_5(g_2)] (D x 3D, decreasing) from
    /// its last round (the one with the smallest noise, its control variate being the previous round's network); empty otherwise.
    /// </summary>
    public IReadOnlyList<double> FlattenedSpectrum { get; init; } = [];

    /// <summary>Overcomplete learner: the split-half noise floor of <see cref="FlattenedSpectrum"/> (NaN otherwise).</summary>
    public double FlattenedNoiseFloor { get; init; } = double.NaN;

    /// <summary>Overcomplete learner: what the linear remainder absorbed and which neurons are out of reach (low-error mode);
    /// null otherwise.</summary>
    public string? Absorbed { get; init; }

    /// <summary>
    /// What the input pass found about the law of x (docs/algorithm.md section 17); null when it did not run (x ~ N(0, I) was
    /// given or is known). When <see cref="InputReport.Whitened"/>, the learner worked on z = M (x - mu): <see cref="Network"/>
    /// and <see cref="MomentEstimate"/> are mapped back to x, while the spectra and coefficients refer to z.
    /// </summary>
    public InputReport? Inputs { get; init; }

    /// <summary>
    /// The noise variance s^2 of the labels around the learned function: the training error of the fit on all samples (with
    /// p / n taken out) after the streamed refinement, otherwise the held-out MSE; NaN when nothing was refined, 0-like when
    /// the data are fitted exactly.
    /// </summary>
    public double NoiseVariance { get; init; } = double.NaN;

    /// <summary>Samples the returned network was fitted on by least squares (all but the held-out ones after the streamed
    /// refinement, else the in-memory refinement set; 0 without refinement).</summary>
    public long FittedSamples { get; init; }

    /// <summary>
    /// Standard errors of the returned network's parameters (unit w_i, in x's coordinates) from the Fisher information
    /// s^2 / n (E[grad f grad f^T])^-1 at the fit (docs/algorithm.md section 18): about 95% of repeated fits fall within two of
    /// them. Null when the data are fitted exactly (noiseless labels), without refinement, or above
    /// 2,500 parameters.
    /// </summary>
    public StandardErrors? StandardErrors { get; init; }

    /// <summary>The covariance behind <see cref="StandardErrors"/> (p x p, learner coordinates), for the map back to x.</summary>
    internal double[]? ParameterCovariance { get; init; }
}

/// <summary>Standard errors of a network's parameters, laid out as the network (unit w_i).</summary>
/// <param name="A">Of the output weights a_i.</param>
/// <param name="W">Of the unit directions w_i (m x d row-major).</param>
/// <param name="B">Of the biases b_i.</param>
/// <param name="LinearBias">Of c0.</param>
/// <param name="LinearWeights">Of c.</param>
public sealed record StandardErrors(IReadOnlyList<double> A, IReadOnlyList<double> W, IReadOnlyList<double> B, double LinearBias,
    IReadOnlyList<double> LinearWeights)
{
    /// <summary>The standard errors on the diagonal of a p x p covariance in the refinement's flat layout.</summary>
    internal static StandardErrors FromCovariance(ReadOnlySpan<double> covariance, int m, int d)
    {
        int p = MseGradient.ParameterCount(m, d);
        var se = new double[p];
        for (int k = 0; k < p; k++) se[k] = Math.Sqrt(Math.Max(0, covariance[k * p + k]));
        return new StandardErrors(se[(m * d + m)..(m * d + 2 * m)], se[..(m * d)], se[(m * d)..(m * d + m)], se[m * d + 2 * m],
            se[(m * d + 2 * m + 1)..]);
    }
}
