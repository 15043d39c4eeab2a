using System.Numerics;
using System.Numerics.Tensors;
using ReluFast.Decomposition;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.Learning;

/// <summary>Which learner the data call for, and why (<see cref="ReluLearner.ChooseMode"/>).</summary>
/// <param name="Mode">FullRank or Overcomplete.</param>
/// <param name="Reason">One line: the evidence.</param>
/// <param name="SecondMomentSpectrum">Eigenvalues of T_2 by decreasing |value|.</param>
/// <param name="SecondMomentNoiseFloor">Noise floor of T_2 (2 sqrt(d E[y~^2] / N)).</param>
/// <param name="SecondMomentRank">Eigenvalues of T_2 above NoiseFloorMultiple x its floor.</param>
/// <param name="FlattenedSpectrum">Singular values of the stacked flattened [T_4, T_5(g_1), T_5(g_2)] (D x 3D), or empty when not computed.</param>
/// <param name="FlattenedNoiseFloor">Their split-half noise floor (NaN when not computed); entry k of
/// <see cref="ModeDecision.FlattenedResidualFloors"/> is the floor left after the first k singular vectors.</param>
/// <param name="FlattenedRank">Singular values above NoiseFloorMultiple x the floor left by the ones before them (-1 when not computed).</param>
/// <param name="FlattenedSamples">Samples behind the flattened spectrum (0 when not computed).</param>
/// <param name="SuggestedHidden">For the full-rank learner: the m it should use when T_2 undercounts the neurons (null: let it choose).</param>
public sealed record ModeDecision(LearnerMode Mode, string Reason, IReadOnlyList<double> SecondMomentSpectrum, double SecondMomentNoiseFloor,
    int SecondMomentRank,
    IReadOnlyList<double> FlattenedSpectrum, double FlattenedNoiseFloor, int FlattenedRank, long FlattenedSamples, int? SuggestedHidden)
{
    /// <summary>Entry k: the largest singular value of the split-half noise with the first k singular vectors projected out
    /// (empty when not computed).</summary>
    public IReadOnlyList<double> FlattenedResidualFloors { get; init; } = [];
}

/// <summary>The identifiability picture of a data set (issue 6, <c>relufast diagnose</c>).</summary>
public sealed record IdentifiabilityReport
{
    /// <summary>The mode the data call for (or the one forced), with the spectra behind the choice.</summary>
    public required ModeDecision Decision { get; init; }

    /// <summary>The number of neurons the spectra support (T_2 for full rank, the flattened moments for overcomplete),
    /// or the learned count.</summary>
    public required int EstimatedHidden { get; init; }

    /// <summary>The learning run the report is based on (null when learning was not requested).</summary>
    public LearningResult? Learned { get; init; }

    /// <summary>sigma_min of the recovered W (rows w_i; zero whenever m &gt; d), null without a learned network.</summary>
    public double? SigmaMinW { get; init; }

    /// <summary>sigma_min of the m x D matrix with rows svec(w_i w_i^T): what the overcomplete flattening needs away from zero;
    /// null without a learned network.</summary>
    public double? SigmaMinFlattened { get; init; }

    /// <summary>min over neurons of |c_k(b_i)| for k = 2, 3, 4, 5 (index k - 2), from the learned biases; empty without a learned network.</summary>
    public IReadOnlyList<double> SmallestCoefficients { get; init; } = [];

    /// <summary>Warnings, each with its reason.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>Samples in the data set.</summary>
    public required long Samples { get; init; }

    /// <summary>What the input pass found about the law of x (null when it did not run: x ~ N(0, I) was given or known).</summary>
    public InputReport? Inputs { get; init; }
}

/// <summary>
/// The learners behind one entry point: <see cref="LearnerMode.Auto"/> picks the full-rank learner (<see cref="MomentLearner"/>)
/// or the overcomplete one (<see cref="OvercompleteLearner"/>) from the data, and <see cref="Diagnose"/> reports what the data
/// can identify.
/// </summary>
public static class ReluLearner
{
    /// <summary>Samples behind the flattened spectrum when the mode is chosen (a prefix; the overcomplete learner itself uses all).</summary>
    public const long ModeSurveySamples = 4_000_000;

    /// <summary>
    /// Learns with the given mode. Pass 1 (t0, t1, T_2) runs once and serves the mode check and the learner. Auto runs
    /// <see cref="ChooseMode"/>'s decision on it (plus a span pass on a prefix where needed); when it chose full rank although
    /// the spectra show all d directions and m was not given, and the full-rank fit then leaves more than
    /// <see cref="FallbackRelativeMse"/> of Var y unexplained on held-out samples, the overcomplete learner is run too (where
    /// the samples suffice) and the network with the smaller held-out error is returned: on few samples the flattened
    /// spectrum can hide the neurons beyond d that the full-rank fit then misses. With a device or several processes, Auto
    /// runs the full-rank learner without the check (the overcomplete learner runs on the CPU of one process only).
    /// </summary>
    /// <exception cref="ArgumentException">Invalid data or options (<see cref="LearnerRules.Check"/>); a
    /// <see cref="NonFiniteSampleException"/> names a sample holding NaN or infinity.</exception>
    /// <exception cref="LearnerPlacementException">The overcomplete learner (or m &gt; d) with a device or several processes.</exception>
    /// <exception cref="Interop.DeviceUnavailableException">A CUDA device was asked for and cannot be used here (no GPU engine in the
    /// process, no NVIDIA driver, no such device index); thrown before any pass.</exception>
    public static LearningResult Learn<T>(ISampleSource<T> source, LearnerOptions? options = null, LearnerMode mode = LearnerMode.Auto,
        IProgress<LearningProgress>? progress = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new LearnerOptions();
        LearnerRules.Check(source.Dimension, source.Count, options, mode);
        using IMomentDevice? device = options.Device.OpenMomentDevice(); // before any pass: a missing GPU fails at once
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (law, inputs) = Standardise(source, options, progress, cancellationToken);
        var inputTime = InputStandardisation.Runs(source, options) ? clock.Elapsed : TimeSpan.Zero;
        var result = LearnAsGiven(inputs, options, mode, device, progress, cancellationToken);
        result = result with { Timings = result.Timings with { InputLaw = inputTime } };
        if (law is null) return result;
        bool whitened = !ReferenceEquals(inputs, source);
        var reduced = ReducedInputs(law);
        return (whitened ? InputStandardisation.ToInputCoordinates(result, law) : result) with
        {
            Inputs = InputStandardisation.Report(law, whitened),
            Warnings = reduced is null ? result.Warnings : [reduced, .. result.Warnings],
            // after the mode line, which comes first
            Log = result.Log.Count > 0 && result.Log[0].StartsWith("mode: ", StringComparison.Ordinal)
                ? [result.Log[0], InputStandardisation.Describe(law, whitened), .. result.Log.Skip(1)]
                : [InputStandardisation.Describe(law, whitened), .. result.Log],
        };
    }

    private static LearningWarning? ReducedInputs(InputLawEstimate law) => law.Rank < law.Dimension
        ? new LearningWarning(LearningWarningCode.ReducedInputs, $"x varies in only {law.Rank} of its {law.Dimension} directions (constant " +
            $"or collinear columns): the network is learned on those {law.Rank} directions, and its w_i have no component along the others")
        : null;
    /// <summary>
    /// The input pass (<see cref="LearnerOptions.Inputs"/>): the law of x, and the source to learn on (the given one, or its
    /// whitened view when the mean or covariance is not N(0, I)'s). Throws when the marginals are not Gaussian, unless
    /// <see cref="LearnerOptions.AssumeGaussian"/>.
    /// </summary>
    private static (InputLawEstimate? Law, ISampleSource<T> Inputs) Standardise<T>(ISampleSource<T> source, LearnerOptions options,
        IProgress<LearningProgress>? progress, CancellationToken cancellationToken) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int d = source.Dimension;
        // too few samples or no inputs: the learners' own validation says so
        if (d <= 0 || source.Count < MomentLearner.MinimumSamples(d)) return (null, source);
        var law = InputStandardisation.Estimate(source, options, new LearningReporter(progress), cancellationToken);
        if (law is null) return (null, source);
        if (!options.AssumeGaussian && InputStandardisation.Deviation(law) is string deviation)
            throw new NonGaussianInputException($"The inputs are not Gaussian: {deviation}. The method of moments needs Gaussian inputs, so the " +
                "network it would return is not supported by the data; set LearnerOptions.AssumeGaussian (relufast: --assume-gaussian) " +
                "to learn anyway.", InputStandardisation.Report(law, whitened: false));
        return law.IsStandard ? (law, source) : (law, new WhitenedSampleSource<T>(source, law.Whitening, law.Mean));
    }

    private static LearningResult LearnAsGiven<T>(ISampleSource<T> source, LearnerOptions options, LearnerMode mode, IMomentDevice? device,
        IProgress<LearningProgress>? progress, CancellationToken cancellationToken) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var run = new LearningRun<T>(source, options, device, progress, cancellationToken);
        if (mode != LearnerMode.Auto)
            return RunStrategy(run, options, mode) with { Reason = $"forced: the {Describe(mode)} learner was asked for" };
        var (result, decision) = LearnAsDecided(run, options, Decide(run, options));
        return result with { Reason = decision.Reason, Log = [$"mode: {decision.Mode} ({decision.Reason})", .. result.Log] };
    }

    /// <summary>
    /// Held-out MSE / Var y above which Auto, having chosen full rank with d significant directions (in T_2 or the flattened
    /// moments) and m not given, also tries the overcomplete learner (the threshold of the learners' unexplained-variance warning).
    /// </summary>
    public const double FallbackRelativeMse = ConditioningChecks.MaximumRefinedRelativeMse;

    private static string Describe(LearnerMode mode) => mode == LearnerMode.Overcomplete ? "overcomplete" : "full-rank";

    /// <summary>One strategy on the run's shared samples and pass 1, with its own options and log.</summary>
    private static LearningResult RunStrategy<T>(LearningRun<T> run, LearnerOptions options, LearnerMode mode)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        LearnerRules.Check(run.D, run.N, options, mode);
        run.BeginStrategy(options);
        return mode == LearnerMode.Overcomplete ? new OvercompleteStrategy<T>(run).Execute() : new FullRankStrategy<T>(run).Execute();
    }

    /// <summary>
    /// The full-rank learner counts at least the flattened count where T_2 undercounts, unless m was given; the count stays an
    /// estimate (with m given, its residual and swap rounds would not run: d = 8, m = 16 under a condition-1000 law stopped at 7).
    /// </summary>
    private static LearnerOptions WithSuggestedHidden(LearnerOptions options, ModeDecision decision) =>
        options.Hidden is null && decision.Mode == LearnerMode.FullRank && decision.SuggestedHidden is int suggested
            ? options with { SuggestedHidden = suggested }
            : options;

    /// <summary>
    /// The learner <paramref name="decision"/> calls for (with its suggested m), and the overcomplete fallback of
    /// <see cref="Learn{T}"/>; the decision comes back amended when the fallback's network was kept.
    /// </summary>
    private static (LearningResult Result, ModeDecision Decision) LearnAsDecided<T>(LearningRun<T> run, LearnerOptions options, ModeDecision decision)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        bool given = options.Hidden is not null;
        var result = RunStrategy(run, WithSuggestedHidden(options, decision), decision.Mode);
        int d = run.D;
        double relative = result.HeldOutMse / Math.Max(result.HeldOutVariance, 1e-300);
        // the full-rank learner after an unsettled overcomplete fit: its swap rounds can take it past d neurons (docs/algorithm.md
        // section 5), and where the flattened moments are ill-conditioned (a correlated input law crowds the whitened directions)
        // that path recovers what the overcomplete decomposition could not (d = 8, m = 16, condition 1000: 8-9 neurons)
        if (!given && decision.Mode == LearnerMode.Overcomplete && Unsettled(result, relative) && LearnerRules.Placement(options) is null)
            return TryOther(run, options, decision, result, relative, LearnerMode.FullRank, string.Empty, " (with its swap rounds)");
        int seen = Math.Max(decision.SecondMomentRank, decision.FlattenedRank); // directions the spectra show
        if (given || decision.Mode != LearnerMode.FullRank || seen < d || !Unsettled(result, relative)
            || LearnerRules.Placement(options) is not null)
            return (result, decision);
        if (run.N < LearnerRules.OvercompleteMinimumSamples(d))
            return (result with
            {
                Log = [.. result.Log, $"auto: the full-rank fit leaves {relative:G3} of Var y unexplained with all {d} directions significant, " +
                    $"but {run.N} samples are fewer than the overcomplete learner's {LearnerRules.OvercompleteMinimumSamples(d)}: not tried"]
            }, decision);
        return TryOther(run, options, decision, result, relative, LearnerMode.Overcomplete, $" with all {d} directions significant",
            string.Empty);
    }

    /// <summary>
    /// Auto's fallback (docs/algorithm.md section 12): the <paramref name="other"/> learner (m estimated) after the decided one's
    /// unsettled fit; the lower held-out error stands, and the decision is amended when the other network is kept.
    /// </summary>
    private static (LearningResult Result, ModeDecision Decision) TryOther<T>(LearningRun<T> run, LearnerOptions options,
        ModeDecision decision, LearningResult first, double relative, LearnerMode other, string seen, string how)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var second = RunStrategy(run, options with { Hidden = null }, other);
        double reached = second.HeldOutMse / Math.Max(second.HeldOutVariance, 1e-300);
        string line = $"auto: the {Describe(decision.Mode)} fit left {Evidence(first, relative)}{seen}, so the {Describe(other)} learner" +
            $"{how} was tried too: {reached:G3}";
        if (!(second.HeldOutMse < first.HeldOutMse))
            return (first with { Log = [.. first.Log, $"{line} (not kept)"] }, decision);
        var amended = decision with
        {
            Mode = other,
            Reason = $"{decision.Reason}; the {Describe(decision.Mode)} fit then left {Evidence(first, relative)} and the " +
                $"{Describe(other)} learner {reached:G3}",
        };
        return (second with { Log = [$"{line} (kept: m = {second.Hidden})", .. second.Log] }, amended);
    }

    /// <summary>
    /// Whether a fit's own evidence says it is wrong, so that auto tries the other learner: it leaves more than
    /// <see cref="FallbackRelativeMse"/> of Var y unexplained, or its residual still shows structure (label noise alone does not:
    /// <see cref="LearningWarningCode.UnfittedStructure"/>; d = 8, m = 16 under a condition-1000 law, seed 10: an overcomplete fit
    /// at relative held-out MSE 1.2e-4 with w errors of 2).
    /// </summary>
    private static bool Unsettled(LearningResult result, double relative) => relative > FallbackRelativeMse || ResidualStructure(result);

    private static bool ResidualStructure(LearningResult result) => result.Warnings.Any(w => w.Code == LearningWarningCode.UnfittedStructure);

    private static string Evidence(LearningResult result, double relative) => $"{relative:G3} of Var y unexplained" +
        (ResidualStructure(result) ? " and structure in its residual" : string.Empty);

    /// <summary>
    /// Full rank or overcomplete, from the data: m given decides directly (m &gt; d is overcomplete); otherwise the flattened
    /// fourth/fifth-order moments (on a prefix of <see cref="ModeSurveySamples"/> samples) decide: more than d singular values
    /// above their noise floor means more than d neurons (full rank with m = d when N is below the overcomplete learner's minimum).
    /// The flattened check is skipped (full rank) when D = d(d+1)/2 exceeds <see cref="MaximumSurveyDimension"/> (its cost, about
    /// d^4 / 8 multiply-adds per sample, is bounded by that), and when T_2 shows all d directions but N is below
    /// <see cref="LearnerRules.OvercompleteMinimumSamples"/> (then it could not change the decision). With a device or several
    /// processes (where the span pass cannot run) the decision is full rank without the flattened check.
    /// </summary>
    /// <param name="source">The samples.</param>
    /// <param name="options">The learner's options (m, seed, noise-floor multiple, threads).</param>
    /// <param name="progress">Receives the survey's passes, marked <see cref="LearningProgress.ModeCheck"/>.</param>
    /// <param name="cancellationToken">Cancels the survey.</param>
    public static ModeDecision ChooseMode<T>(ISampleSource<T> source, LearnerOptions? options = null, IProgress<LearningProgress>? progress = null,
        CancellationToken cancellationToken = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new LearnerOptions();
        int d = source.Dimension;
        if (d <= 0) throw new ArgumentException($"The input dimension is {d}: samples need at least one coordinate.", nameof(source));
        if (source.Count < LearnerRules.MinimumSamples(d))
            throw new ArgumentException($"Too few samples: {source.Count} given, at least {LearnerRules.MinimumSamples(d)} are needed for d = {d}.",
                nameof(source));
        using IMomentDevice? device = options.Device.OpenMomentDevice();
        var run = new LearningRun<T>(source, options, device, progress is null ? null : new ModeCheckProgress(progress), cancellationToken);
        return Decide(run, options);
    }

    /// <summary>The decision of <see cref="ChooseMode{T}(ISampleSource{T}, LearnerOptions?, IProgress{LearningProgress}?, CancellationToken)"/>
    /// on a run whose pass 1 the learner then reuses; the span pass reports as <see cref="LearningProgress.ModeCheck"/>.</summary>
    private static ModeDecision Decide<T>(LearningRun<T> run, LearnerOptions options) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int d = run.D;
        var second = run.SecondMoments();
        int rank2 = second.Significant(options.NoiseFloorMultiple);
        if (options.Hidden is int m)
        {
            var given = m > d ? LearnerMode.Overcomplete : LearnerMode.FullRank;
            return new ModeDecision(given, $"m = {m} was given ({(m > d ? ">" : "<=")} d = {d})", second.Spectrum.Values, second.NoiseFloor, rank2,
                [], double.NaN, -1, 0, null);
        }
        if (LearnerRules.Placement(options) is string where)
            return new ModeDecision(LearnerMode.FullRank,
                $"auto with the {where}: the overcomplete learner and its mode check run on the CPU of a single process only, " +
                "so the check was skipped and the full-rank learner runs; for m > d run the overcomplete mode on one process without a device",
                second.Spectrum.Values, second.NoiseFloor, rank2, [], double.NaN, -1, 0, null);
        int dim = SymmetricCoordinates.Dimension(d);
        if (dim > MaximumSurveyDimension)
            return new ModeDecision(LearnerMode.FullRank, rank2 < d
                ? $"{rank2} of the {d} eigenvalues of T_2 stand above {options.NoiseFloorMultiple} x its noise floor: " +
                  $"the neurons span a proper subspace, m = {rank2} <= d (the flattened check is skipped for D = {dim} > {MaximumSurveyDimension})"
                : $"all {d} eigenvalues of T_2 stand above {options.NoiseFloorMultiple} x its noise floor: full rank; the flattened check, " +
                  $"which could show more than d neurons, is skipped for D = d(d+1)/2 = {dim} > {MaximumSurveyDimension} (it would cost " +
                  $"{QuarticMonomialAccumulator<double>.LanesPerSample(d, 1 + OvercompleteLearner.SpanDirections):G3} multiply-adds per " +
                  "sample and D x D matrices)",
                second.Spectrum.Values, second.NoiseFloor, rank2, [], double.NaN, -1, 0, null);
        long minimum = LearnerRules.OvercompleteMinimumSamples(d);
        // With all d directions in T_2 the flattened count can change the decision only by exceeding d, which calls for the
        // overcomplete learner; on fewer samples than that learner needs, the check cannot change anything.
        if (rank2 >= d && run.N < minimum)
            return new ModeDecision(LearnerMode.FullRank,
                $"all {d} eigenvalues of T_2 stand above {options.NoiseFloorMultiple} x its noise floor: full rank; more than d neurons " +
                $"would need the overcomplete learner, which needs at least {minimum} samples (max(1000, 2 d^2, 4 D^2), D = {dim}) where " +
                $"{run.N} were given, so the flattened check is skipped",
                second.Spectrum.Values, second.NoiseFloor, rank2, [], double.NaN, -1, 0, null);
        long prefix = Math.Min(run.N, ModeSurveySamples);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        run.BeginModeCheck(options with { Hidden = null });
        var flattened = new OvercompleteStrategy<T>(run).SurveyFlattened(second, prefix);
        run.ModeCheckTime = clock.Elapsed;
        int rank4 = flattened.Visible(options.NoiseFloorMultiple);
        if (rank4 > d && run.N >= minimum)
            return new ModeDecision(LearnerMode.Overcomplete,
                $"the flattened [T_4, T_5] shows {rank4} significant singular values on {prefix} samples > d = {d}: " +
                $"more neurons than inputs (T_2: {rank2} of {d} significant)",
                second.Spectrum.Values, second.NoiseFloor, rank2, flattened.Values, flattened.NoiseFloor, rank4, prefix, null)
            {
                FlattenedResidualFloors = flattened.ResidualFloors
            };
        if (rank4 > d)
            return new ModeDecision(LearnerMode.FullRank,
                $"the flattened [T_4, T_5] shows {rank4} significant singular values on {prefix} samples > d = {d}, but the overcomplete " +
                $"learner needs at least {minimum} samples (max(1000, 2 d^2, 4 D^2), D = {dim}) where {run.N} were given: full rank with " +
                $"m = d = {d} (T_2: {rank2} of {d} significant)",
                second.Spectrum.Values, second.NoiseFloor, rank2, flattened.Values, flattened.NoiseFloor, rank4, prefix, d)
            {
                FlattenedResidualFloors = flattened.ResidualFloors
            };
        // At most d neurons. Mixed output signs can cancel in T_2 and hide a neuron there; the flattened moments, which
        // include T_5, see it, so the larger count is passed to the full-rank learner.
        int? hidden = rank4 > rank2 ? rank4 : null;
        return new ModeDecision(LearnerMode.FullRank,
            $"the flattened [T_4, T_5] shows {rank4} significant singular value(s) on {prefix} samples <= d = {d}, T_2 {rank2}: at most d neurons" +
            (hidden is int h ? $"; m = {h} (T_2 undercounts, e.g. by cancelling output signs)" : string.Empty),
            second.Spectrum.Values, second.NoiseFloor, rank2, flattened.Values, flattened.NoiseFloor, rank4, prefix, hidden)
        {
            FlattenedResidualFloors = flattened.ResidualFloors
        };
    }

    /// <summary>
    /// Largest D = d(d+1)/2 (d = 23) for which the mode check computes the flattened spectrum: about
    /// min(N, <see cref="ModeSurveySamples"/>) d^4 / 8 multiply-adds (at most 6.0 10^4 per sample) and D x D matrices. Above it the
    /// check is skipped and auto runs the full-rank learner (the fallback of <see cref="Learn{T}"/> still tries the overcomplete
    /// learner when that fit leaves variance unexplained).
    /// </summary>
    public const int MaximumSurveyDimension = 300;

    /// <summary>
    /// The identifiability picture: the T_2 spectrum, the flattened spectrum where it matters, the estimated m, and (when
    /// <paramref name="learn"/>) the learned network's sigma_min(W), sigma_min of the flattened factors and smallest |c_k(b_i)|
    /// per order, with a warning (and its reason) wherever the data cannot identify the network.
    /// </summary>
    public static IdentifiabilityReport Diagnose<T>(ISampleSource<T> source, LearnerOptions? options = null, LearnerMode mode = LearnerMode.Auto,
        bool learn = true,
        IProgress<LearningProgress>? progress = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new LearnerOptions();
        using IMomentDevice? device = options.Device.OpenMomentDevice(); // before any pass: a missing GPU fails at once
        // the input statistics are reported, not enforced: diagnose is where a user looks at data the learner refuses
        var (law, inputs) = Standardise(source, options with { AssumeGaussian = true }, progress, cancellationToken);
        var report = DiagnoseAsGiven(inputs, options, mode, learn, device, progress, cancellationToken);
        if (law is null) return report;
        bool whitened = !ReferenceEquals(inputs, source);
        var warnings = report.Warnings.ToList();
        if (InputStandardisation.Deviation(law) is string deviation)
            warnings.Insert(0, $"the inputs are not Gaussian: {deviation}; learn refuses such data unless --assume-gaussian is given");
        if (law.Rank < law.Dimension)
            warnings.Insert(0, $"x varies in only {law.Rank} of its {law.Dimension} directions (constant or collinear columns): " +
                "the network is learned on those directions");
        return report with
        {
            Inputs = InputStandardisation.Report(law, whitened),
            Warnings = warnings,
            Learned = report.Learned is { } learned && whitened ? InputStandardisation.ToInputCoordinates(learned, law) : report.Learned,
        };
    }

    private static IdentifiabilityReport DiagnoseAsGiven<T>(ISampleSource<T> source, LearnerOptions options, LearnerMode mode, bool learn,
        IMomentDevice? device, IProgress<LearningProgress>? progress, CancellationToken cancellationToken)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int d = source.Dimension, dim = SymmetricCoordinates.Dimension(d);
        if (d <= 0) throw new ArgumentException($"The input dimension is {d}: samples need at least one coordinate.", nameof(source));
        if (source.Count < LearnerRules.MinimumSamples(d))
            throw new ArgumentException($"Too few samples: {source.Count} given, at least {LearnerRules.MinimumSamples(d)} are needed for d = {d}.",
                nameof(source));
        var run = new LearningRun<T>(source, options, device, progress, cancellationToken);
        var decision = Decide(run, options);
        if (mode != LearnerMode.Auto && mode != decision.Mode)
            decision = decision with { Mode = mode, Reason = $"forced (the data suggest {decision.Mode}: {decision.Reason})" };
        var warnings = new List<string>();
        double floor2 = options.NoiseFloorMultiple * decision.SecondMomentNoiseFloor;
        var near2 = decision.SecondMomentSpectrum.Select((v, k) => (Value: Math.Abs(v), Index: k + 1))
            .Where(e => e.Value > 0.5 * floor2 && e.Value < 2 * floor2).ToArray();
        foreach (var (value, index) in near2)
            warnings.Add($"T_2 eigenvalue {index} ({value:G3}) is within a factor 2 of the threshold {floor2:G3}: " +
                $"whether it is a neuron is uncertain at N = {source.Count} (more samples would settle it)");
        if (decision.FlattenedRank >= dim)
            warnings.Add($"the flattened moments have full rank D = d(d+1)/2 = {dim}: m may exceed what the flattening can separate, " +
                "so the network is not identifiable by this method");
        if (decision.FlattenedRank > 0 && decision.FlattenedRank < decision.FlattenedSpectrum.Count)
        {
            double weakest = decision.FlattenedSpectrum[decision.FlattenedRank - 1], next = decision.FlattenedSpectrum[decision.FlattenedRank];
            if (weakest < 2 * next)
                warnings.Add($"the flattened spectrum has no clear gap after {decision.FlattenedRank} values ({weakest:G3} vs {next:G3}): " +
                    $"m is uncertain on {decision.FlattenedSamples} samples (the learner re-estimates it with its own network as control variate)");
        }
        // Full rank: T_2's count, or the flattened count where T_2 undercounts (the m the full-rank learner would use).
        int estimated = decision.Mode == LearnerMode.Overcomplete && decision.FlattenedRank >= 0
            ? decision.FlattenedRank
            : decision.SuggestedHidden ?? decision.SecondMomentRank;
        if (!learn)
            return new IdentifiabilityReport { Decision = decision, EstimatedHidden = estimated, Warnings = warnings, Samples = source.Count };

        LearningResult result;
        if (mode == LearnerMode.Auto)
            (result, decision) = LearnAsDecided(run, options, decision);
        else
            result = RunStrategy(run, WithSuggestedHidden(options, decision), decision.Mode);
        result = result with { Mode = decision.Mode, Reason = decision.Reason };
        var network = result.Network.Normalized();
        int m = network.Hidden;
        double sigmaW = m == 0 ? double.NaN : SmallestSingularValue(Enumerable.Range(0, m).Select(i => network.WeightsOf(i).ToArray()).ToArray());
        double sigmaFlat = m == 0 ? double.NaN : SmallestSingularValue(Enumerable.Range(0, m).Select(i => Outer(network.WeightsOf(i), d)).ToArray());
        var smallest = new double[4];
        for (int k = 2; k <= 5; k++)
            smallest[k - 2] = m == 0 ? double.NaN : Enumerable.Range(0, m).Min(i => Math.Abs(GaussianMath.ReluCoefficient(k, network.B[i])));
        double visible = Math.Sqrt(2 * Math.Log(Math.Max(source.Count, 3)));
        if (decision.Mode == LearnerMode.FullRank && m > 1 && sigmaW < 0.1)
            warnings.Add($"sigma_min(W) = {sigmaW:G3}: the w_i are nearly linearly dependent, so the full-rank pencil is ill-conditioned " +
                "(errors grow like 1/sigma_min); the overcomplete mode does not need independent w_i");
        if (decision.Mode == LearnerMode.Overcomplete && m > 1 && sigmaFlat < 0.05)
            warnings.Add($"sigma_min of the flattened factors svec(w_i w_i^T) = {sigmaFlat:G3}: the w_i w_i^T are nearly linearly dependent, " +
                "so the overcomplete decomposition is ill-conditioned");
        for (int i = 0; i < m; i++)
            if (Math.Abs(network.B[i]) > 0.75 * visible)
                warnings.Add($"neuron {i} has b = {network.B[i]:G3}, near the visibility limit sqrt(2 ln N) = {visible:G3}: " +
                    $"it is active on a fraction {GaussianMath.NormalCdf(-Math.Abs(network.B[i])):G2} of inputs, " +
                    "so its parameters rest on few samples" +
                    (network.B[i] > 0 ? " (it is almost linear)" : " (it is almost never active)"));
        if (m > 0 && smallest[0] < 1e-6)
            warnings.Add($"min |c_2(b_i)| = {smallest[0]:G3}: a neuron is almost invisible to every moment of order >= 2");
        double relative = result.HeldOutMse / Math.Max(result.HeldOutVariance, 1e-300);
        if (relative > 1e-3)
            warnings.Add($"held-out relative MSE {relative:G3}: the learned network does not explain the data to 1e-3 " +
                "(label noise, too few samples, or data outside the model class)");
        double linear = Math.Sqrt(network.LinearBias * network.LinearBias + TensorPrimitives.SumOfSquares(network.LinearWeights));
        if (linear > 1e-3 * Math.Sqrt(Math.Max(result.HeldOutVariance, 1e-300)))
            warnings.Add($"linear remainder |(c0, c)| = {linear:G3}: the data have a linear part, " +
                $"or neurons with b >> {visible:G3} were absorbed into it" +
                (decision.Mode == LearnerMode.Overcomplete
                    ? "; with m > d the flips are not identifiable, and the remainder shown is the smallest one over all flips"
                    : string.Empty));
        return new IdentifiabilityReport
        {
            Decision = decision,
            EstimatedHidden = m,
            Learned = result,
            SigmaMinW = m > d ? 0 : sigmaW,
            SigmaMinFlattened = sigmaFlat,
            SmallestCoefficients = smallest,
            Warnings = warnings,
            Samples = source.Count,
        };
    }

    private static double[] Outer(ReadOnlySpan<double> w, int d)
    {
        var ww = new double[d * d];
        for (int a = 0; a < d; a++) for (int b = 0; b < d; b++) ww[a * d + b] = w[a] * w[b];
        return SymmetricCoordinates.Vectorize(ww, d);
    }

    /// <summary>sigma_min of the matrix with the given rows (rows x n): sqrt of the smallest eigenvalue of the smaller Gram matrix
    /// (0 when rows &gt; n).</summary>
    private static double SmallestSingularValue(double[][] rows)
    {
        int m = rows.Length, n = rows[0].Length;
        if (m > n) return 0;
        var g = new double[m * m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++) g[i * m + j] = TensorPrimitives.Dot(rows[i], rows[j]);
        return Math.Sqrt(Math.Max(0, SymmetricSpectrum.Compute(g, m).Values.Min(Math.Abs)));
    }
}
