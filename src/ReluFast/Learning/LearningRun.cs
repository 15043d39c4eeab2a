using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using ReluFast.Decomposition;
using ReluFast.Interop;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.Learning;

/// <summary>t0, t1 (raw), T_2 (linear control variate of the pilot) and the T_2 spectrum with its noise floor: pass 1.</summary>
internal sealed record SecondMoments(double T0, double[] T1, double[] T2, SymmetricSpectrum Spectrum, double NoiseFloor)
{
    /// <summary>
    /// The rule that counts neurons (docs/algorithm.md section 5): the T_2 eigenvalues whose magnitude exceeds
    /// <paramref name="multiple"/> (<see cref="LearnerOptions.NoiseFloorMultiple"/>) x the noise floor.
    /// </summary>
    public int Significant(double multiple) => Spectrum.Values.Count(v => Math.Abs(v) > multiple * NoiseFloor);
}

/// <summary>
/// One learning run over one sample source: what the full-rank and the overcomplete strategies share. It owns the samples
/// kept in memory (pilot, refinement, held-out: <see cref="LocalSamples{T}"/>), pass 1 (computed once, reused by the mode
/// check and by whichever strategy runs), the pass runner (threads, a GPU moment device, and MPI slices with reduction),
/// candidate refinement and choice, the linear-only answer and the assembly of the <see cref="LearningResult"/>. A strategy
/// (<see cref="FullRankStrategy{T}"/>, <see cref="OvercompleteStrategy{T}"/>) adds only how the directions are found and
/// how flips are resolved (<see cref="IFlipPolicy"/>).
/// </summary>
internal sealed class LearningRun<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private SecondMoments? _second;

    /// <param name="source">The samples.</param>
    /// <param name="options">The learner's options.</param>
    /// <param name="device">The moment engine of <paramref name="options"/>' device (<see cref="ComputeDevice.OpenMomentDevice"/>):
    /// null for the CPU. The caller opens it before any pass (so a missing GPU fails at once) and disposes it after the run.</param>
    /// <param name="progress">Receives the run's progress.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <exception cref="ArgumentException">A device is given for the CPU, or none for a CUDA device.</exception>
    public LearningRun(ISampleSource<T> source, LearnerOptions options, IMomentDevice? device, IProgress<LearningProgress>? progress,
        CancellationToken cancellationToken)
    {
        if ((device is null) != (options.Device.Kind == ComputeDeviceKind.Cpu))
            throw new ArgumentException($"The run on {options.Device} needs {(device is null ? "its opened moment device" : "no moment device")}.",
                nameof(device));
        Source = source;
        Options = options;
        Progress = progress;
        Cancel = cancellationToken;
        D = source.Dimension;
        N = source.Count;
        Reporter = new LearningReporter(progress);
        Local = new LocalSamples<T>(source, options, cancellationToken);
        DeviceEngine = device;
    }

    public ISampleSource<T> Source { get; }

    public LearnerOptions Options { get; private set; }

    public IProgress<LearningProgress>? Progress { get; }

    public CancellationToken Cancel { get; }

    /// <summary>Input dimension d.</summary>
    public int D { get; }

    /// <summary>Samples N (all processes together).</summary>
    public long N { get; }

    /// <summary>The log and progress of the strategy that runs now (<see cref="BeginStrategy"/> starts a fresh log).</summary>
    public LearningReporter Reporter { get; private set; }

    public LocalSamples<T> Local { get; }

    /// <summary>
    /// The GPU moment engine the passes of <see cref="RunPass"/> feed (null on the CPU): each pass thread streams its blocks
    /// into its own device session. Everything else (the input pass, the CPU-only passes, the dense solves, refinement) runs
    /// on the CPU.
    /// </summary>
    public IMomentDevice? DeviceEngine { get; }

    /// <summary>Whether the passes are split over several processes.</summary>
    public bool Distributed => Options.Reducer is { Size: > 1 };

    /// <summary>Time spent reading the in-memory samples, and in pass 1 (counted once, however many strategies use it).</summary>
    public TimeSpan PilotTime { get; private set; }

    public TimeSpan SecondMomentTime { get; private set; }

    /// <summary>Time the mode check spent on its own passes (the span pass on a prefix), zero when no check ran.</summary>
    public TimeSpan ModeCheckTime { get; set; }

    /// <summary>Lines logged before the strategy started (the distributed setup); every strategy's log starts with them.</summary>
    private List<string> _preamble = [];

    /// <summary>
    /// Starts a strategy with its own options (e.g. the m the mode check suggests) and a fresh log that begins with the
    /// lines every strategy shares; pass 1 and the in-memory samples are kept.
    /// </summary>
    public void BeginStrategy(LearnerOptions options)
    {
        Options = options;
        Reporter = new LearningReporter(Progress);
        foreach (string line in _preamble) Reporter.Record(line);
    }

    /// <summary>The mode check's own passes: their progress is marked <see cref="LearningProgress.ModeCheck"/> and their log is its own.</summary>
    public void BeginModeCheck(LearnerOptions options)
    {
        Options = options;
        Reporter = new LearningReporter(Progress is null ? null : new ModeCheckProgress(Progress));
    }

    /// <summary>
    /// Pass 1 over every sample (computed on the first call): reads the in-memory samples and the pilot's linear control
    /// variate, then t0, t1 and T_2 on this process's slice, summed over the processes.
    /// </summary>
    /// <exception cref="NonFiniteSampleException">A sample holds NaN or infinity.</exception>
    /// <exception cref="ArgumentException">The moments overflowed, or the processes see different sources.</exception>
    public SecondMoments SecondMoments()
    {
        if (_second is not null) return _second;
        var clock = Stopwatch.StartNew();
        if (Options.Reducer is { Size: > 1 } reducer)
        {
            DistributedPass.RequireSameSource(reducer, N, D);
            string line = $"distributed over {reducer.Size} processes: this is rank {reducer.Rank}; " +
                "every pass streams its slice of the samples and sums the moments over the processes";
            _preamble.Add(line);
            Reporter.Log(line);
        }
        Reporter.Report(LearningStage.Pilot, 0, 0, "reading the pilot, refinement and held-out samples");
        var (t0Pilot, t1Pilot) = Local.Read();
        PilotTime = LearningReporter.Lap(clock);
        if (!double.IsFinite(t0Pilot) || !TensorPrimitives.IsFiniteAll<double>(t1Pilot)) throw NonFinite();

        var pass1 = RunPass(LearningStage.SecondMoments,
            () => new SecondMomentWorker<T>(ControlVariate.Linear(t0Pilot, t1Pilot), Options.BlockSize, DeviceEngine));
        double n = N;
        var gram = new double[D * D];
        var first = new double[D];
        pass1.Moments.CopyGram(0, gram);
        pass1.Moments.CopyFirstMoment(0, first);
        double meanCentred = pass1.Moments.WeightSum(0) / n;
        double meanSquare = pass1.SumOfSquares / n;
        if (!double.IsFinite(meanCentred) || !double.IsFinite(meanSquare) || !TensorPrimitives.IsFiniteAll<double>(gram))
            throw NonFinite();
        double t0 = t0Pilot + meanCentred;
        var t1 = new double[D];
        for (int i = 0; i < D; i++) t1[i] = t1Pilot[i] + first[i] / n;
        var t2 = new double[D * D];
        for (int i = 0; i < D * D; i++) t2[i] = gram[i] / n;
        for (int i = 0; i < D; i++) t2[i * D + i] -= meanCentred;
        var spectrum = SymmetricSpectrum.Compute(t2, D);
        double noiseFloor = 2 * Math.Sqrt(D * meanSquare / n);
        SecondMomentTime = LearningReporter.Lap(clock);
        return _second = new SecondMoments(t0, t1, t2, spectrum, noiseFloor);
    }

    /// <summary>
    /// A pass over this process's slice of the samples, summed over the processes. With a device (<see cref="DeviceEngine"/>)
    /// the workers that <paramref name="create"/> makes with it feed one device session per thread; their sums come back in
    /// double and merge in thread order (each thread a fixed range of blocks: a session cannot be reset; on the CPU, segments).
    /// </summary>
    public TWorker RunPass<TWorker>(LearningStage stage, Func<TWorker> create) where TWorker : IMomentWorker<T, TWorker>, IReducibleMomentWorker
    {
        var (start, count) = DistributedPass.Slice(N, Options.Reducer);
        Reporter.Report(stage, 0, count, $"{stage}: streaming {count} samples" + (count != N ? $" [{start}, {start + count}) of {N}" : string.Empty));
        var worker = SamplePass.Run(Source, create, new SamplePassOptions(Options.Threads, Options.BlockSize, start, count), Reporter.ForPass(stage),
            Cancel);
        DistributedPass.Reduce(worker, Options.Reducer);
        return worker;
    }

    /// <summary>A pass on this process's CPU over the first <paramref name="count"/> samples (all when negative), in blocks of
    /// <paramref name="blockSize"/> samples (the options' block size when 0; at most that).</summary>
    /// <exception cref="LearnerPlacementException">The run is distributed or on a device.</exception>
    public TWorker RunCpuPass<TWorker>(LearningStage stage, Func<TWorker> create, long count = -1, int blockSize = 0)
        where TWorker : IMomentWorker<T, TWorker>
    {
        LearnerRules.RequireCpuSingleProcess(Options, "this pass");
        long samples = count < 0 ? N : Math.Min(count, N);
        int block = blockSize > 0 ? Math.Min(blockSize, Options.BlockSize) : Options.BlockSize;
        Reporter.Report(stage, 0, samples, $"{stage}: streaming {samples} samples");
        return SamplePass.Run(Source, create, new SamplePassOptions(Options.Threads, block) { Count = samples },
            Reporter.ForPass(stage), Cancel);
    }

    /// <summary>
    /// Refines the <paramref name="refinedCandidates"/> candidates with the smallest moment-estimate held-out error (a small
    /// subsample first; the whole refinement set only when the data are not fitted exactly), resolves the flips of each
    /// refined network by <paramref name="flips"/>, and keeps the lowest held-out error; an exact fit ends the search.
    /// </summary>
    /// <remarks>With <paramref name="streamedLater"/> (and <see cref="LearnerOptions.RefineOnAllSamples"/>), a candidate that the small
    /// subsample does not fit exactly is not refined again on the refinement set: the Gauss-Newton passes of
    /// <see cref="Result"/> take it to the least-squares fit on all samples in a few passes, where L-BFGS on noisy data
    /// spends its whole iteration budget.</remarks>
    public (LearningCandidateState Chosen, (double Mse, double Variance) HeldOut) ChooseAndRefine(IReadOnlyList<LearningCandidateState> candidates,
        int maxIterations, int refinedCandidates, IFlipPolicy flips, bool streamedLater = false)
    {
        var ranked = candidates.OrderBy(c => double.IsNaN(c.MomentMse) ? double.PositiveInfinity : c.MomentMse).ToArray();
        if (!Options.Refine) return (ranked[0], Local.HeldOutError(ranked[0].Moment));
        int parameters = MseGradient.ParameterCount(candidates[0].Moment.Hidden, D);
        int small = Math.Min(Local.RefineCount, Math.Max(20_000, 30 * parameters));
        // refinement runs on the CPU (the SIMD objective) on every device
        using var quick = Local.Refinement(small, Options.Threads);
        using var full = small < Local.RefineCount ? Local.Refinement(Local.RefineCount, Options.Threads) : null;
        int toRefine = Math.Min(refinedCandidates, ranked.Length);
        bool gaussNewton = streamedLater && StreamsLater(candidates[0].Moment.Hidden);
        LearningCandidateState? best = null;
        var refined = new List<LearningCandidateState>();
        for (int k = 0; k < toRefine; k++)
        {
            var candidate = ranked[k];
            // candidates of a one-neuron pencil (a residual round's) all give the same network: it is refined once
            if (refined.FirstOrDefault(r => SameNetwork(r.Moment, candidate.Moment)) is { } same)
            {
                Reporter.Log($"candidate {candidate.Index}: the same moment estimate as candidate {same.Index}: not refined again");
                continue;
            }
            refined.Add(candidate);
            Reporter.Report(LearningStage.Refinement, k, toRefine, $"refining candidate {candidate.Index} on {small} samples");
            var stopping = Stopping(candidate.Moment.Hidden, small);
            var (network, trainingMse, optimizer) = quick.Run(candidate.Moment, maxIterations, Cancel, stopping,
                Iterations(candidate.Index, small, maxIterations));
            LogStop(candidate.Index, small, stopping);
            int iterations = optimizer.Iterations;
            bool quickExact = trainingMse <= Refinement.ExactFitRelativeMse * quick.TargetVariance;
            // A neuron whose kink no sample of the quick subsample crosses has no gradient there, so the subsample can look
            // fitted exactly while the held-out samples are not: only then does the full set run even when Gauss-Newton follows.
            bool falselyExact = quickExact && full is not null && !IsExactFit(Local.HeldOutError(network));
            if (full is not null && (falselyExact || !gaussNewton && !quickExact))
            {
                Reporter.Report(LearningStage.Refinement, k, toRefine, $"refining candidate {candidate.Index} on {Local.RefineCount} samples");
                stopping = Stopping(network.Hidden, Local.RefineCount);
                (network, _, optimizer) = full.Run(network, maxIterations, Cancel, stopping, Iterations(candidate.Index, Local.RefineCount,
                    maxIterations));
                LogStop(candidate.Index, Local.RefineCount, stopping);
                iterations += optimizer.Iterations;
            }
            // Refinement moves freely between (a, w, b) and (a, -w, -b) + linear; the strategy settles each neuron again.
            network = flips.Apply(network, out bool[] flipped);
            if (flips.AfterRefinement is string what && flipped.Any(f => f))
                Reporter.Log($"candidate {candidate.Index}: {flipped.Count(f => f)} neuron(s) flipped after refinement {what}");
            candidate.Refined = network;
            candidate.Iterations = iterations;
            candidate.Unfinished = !optimizer.Converged;
            var heldOut = Local.HeldOutError(network);
            candidate.RefinedMse = heldOut.Mse;
            Reporter.Log($"candidate {candidate.Index}: refined in {iterations} L-BFGS iterations, held-out MSE {candidate.RefinedMse:G4}");
            if (best is null || candidate.RefinedMse < best.RefinedMse) best = candidate;
            // An exact fit (noiseless data) cannot be beaten: skip the remaining candidates.
            if (IsExactFit((best.RefinedMse, heldOut.Variance))) break;
        }
        return (best!, Local.HeldOutError(best!.Refined!));
    }

    /// <summary>
    /// The refinement's progress report (iterations of <paramref name="maxIterations"/> and the training MSE), throttled to one
    /// every 0.2 s: at (784, 128) an L-BFGS iteration takes seconds and a refinement an hour, at (10, 5) microseconds.
    /// </summary>
    private Action<int, double>? Iterations(int candidate, int rows, int maxIterations)
    {
        if (!Reporter.Listening) return null;
        var clock = Stopwatch.StartNew();
        var last = TimeSpan.FromSeconds(-1);
        return (iterations, mse) =>
        {
            if (clock.Elapsed - last < TimeSpan.FromSeconds(0.2)) return;
            last = clock.Elapsed;
            Reporter.Report(LearningStage.Refinement, iterations, maxIterations,
                $"refining candidate {candidate} on {rows} samples: L-BFGS iteration {iterations}, training MSE {mse:G4}");
        };
    }

    /// <summary>Whether two networks have the same parameters, neuron by neuron, to 1e-12 relative.</summary>
    private static bool SameNetwork(ReluNetwork first, ReluNetwork second)
    {
        if (first.Hidden != second.Hidden || first.InputDim != second.InputDim) return false;
        var (p, q) = (IMseObjective.Pack(first), IMseObjective.Pack(second));
        for (int k = 0; k < p.Length; k++)
            if (!(Math.Abs(p[k] - q[k]) <= 1e-12 * Math.Max(1, Math.Abs(p[k])))) return false;
        return true;
    }

    /// <summary>
    /// Early stopping of one refinement of a network of <paramref name="m"/> neurons on <paramref name="rows"/> rows against the
    /// held-out rows (<see cref="HeldOutStopping"/>; null when there are none: the held-out error is then the refinement rows' own).
    /// </summary>
    private HeldOutStopping? Stopping(int m, int rows) => Local.HeldOutCount > 0
        ? HeldOutStopping.ForRefinement(network => Local.HeldOutMse(network, Options.Threads), m, D, rows, Local.HeldOutCount)
        : null;

    private void LogStop(int candidate, int samples, HeldOutStopping? stopping)
    {
        if (stopping is { StoppedAt: >= 0 }) Reporter.Log($"candidate {candidate}: refinement on {samples} samples {stopping.Describe()}");
    }

    /// <summary>Whether a network of m neurons that does not fit exactly is refined by the streamed Gauss-Newton passes.</summary>
    private bool StreamsLater(int m) => Options.Refine && Options.RefineOnAllSamples && m > 0
        && MseGradient.ParameterCount(m, D) <= Options.MaximumFisherParameters;

    /// <summary>A held-out MSE this small relative to Var y means the data are fitted exactly (noiseless labels).</summary>
    public const double ExactFitRelativeMse = 1e-12;

    /// <summary>Whether a held-out (MSE, Var y) says the data are fitted exactly (<see cref="ExactFitRelativeMse"/>).</summary>
    public static bool IsExactFit((double Mse, double Variance) held) => held.Mse <= ExactFitRelativeMse * Math.Max(held.Variance, 1e-300);

    /// <summary>The answer when no neuron stands above the noise: least squares of y on (1, x) over the refinement samples.</summary>
    public LearningResult LinearOnly(LearnerMode mode, SecondMoments second, LearningWarning warning, LearningTimings timings,
        IReadOnlyList<double>? flattenedSpectrum = null, double flattenedNoiseFloor = double.NaN)
    {
        Warn(warning);
        var network = Local.FitLinear();
        return Result(mode, network, network, second, 0, true, [], -1, Local.HeldOutError(network), [], [], timings) with
        {
            FlattenedSpectrum = flattenedSpectrum ?? [],
            FlattenedNoiseFloor = flattenedNoiseFloor,
        };
    }

    /// <summary>
    /// The result of the strategy that ran, with the run's log and warnings so far. A refined network that does not fit the
    /// data exactly is first refined on all samples (<see cref="StreamedRefinement"/>) and given its noise variance and
    /// standard errors (<see cref="FisherInformation"/>).
    /// </summary>
    public LearningResult Result(LearnerMode mode, ReluNetwork network, ReluNetwork moment, SecondMoments second, int hidden, bool estimated,
        IReadOnlyList<LearningCandidate> candidates, int chosen, (double Mse, double Variance) held, IReadOnlyList<bool> flipped,
        IReadOnlyList<double[]> lambdas, LearningTimings timings)
    {
        var clock = Stopwatch.StartNew();
        var statistics = Statistics(ref network, ref held);
        if (statistics.Covariance is not null) timings = timings with { Refinement = timings.Refinement + clock.Elapsed };
        return new()
        {
            Network = network,
            MomentEstimate = moment,
            Spectrum = second.Spectrum.Values,
            NoiseFloor = second.NoiseFloor,
            Hidden = hidden,
            HiddenWasEstimated = estimated,
            Candidates = candidates,
            ChosenCandidate = chosen,
            HeldOutMse = held.Mse,
            HeldOutVariance = held.Variance,
            Flipped = flipped,
            HermiteCoefficients = lambdas,
            Samples = N,
            Timings = timings,
            Log = Reporter.Lines.ToArray(),
            Warnings = Reporter.Warnings.ToArray(),
            Mode = mode,
            Reason = mode == LearnerMode.Overcomplete
                ? "forced: the overcomplete learner was asked for" : "forced: the full-rank learner was asked for",
            NoiseVariance = statistics.Noise,
            FittedSamples = statistics.Fitted,
            ParameterCovariance = statistics.Covariance,
            StandardErrors = statistics.Covariance is double[] covariance
                ? StandardErrors.FromCovariance(covariance, network.Hidden, network.InputDim) : null,
        };
    }

    /// <summary>
    /// The statistics of a refined network under label noise (docs/algorithm.md section 18): the streamed refinement on all
    /// samples when there are more than the in-memory sets, then the noise variance and the covariance s^2 / n G^+ of the
    /// normalised parameters (null when the fit is exact, nothing was refined, or there are too many parameters). Warns
    /// about neurons whose a_i is within two standard errors of 0.
    /// </summary>
    private (double Noise, long Fitted, double[]? Covariance) Statistics(ref ReluNetwork network, ref (double Mse, double Variance) held)
    {
        if (!Options.Refine || network.Hidden == 0) return (double.NaN, Options.Refine ? Local.RefineCount : 0, null);
        if (IsExactFit(held)) return (held.Mse, Local.RefineCount, null);
        int m = network.Hidden, p = MseGradient.ParameterCount(m, D);
        if (p > Options.MaximumFisherParameters)
        {
            Reporter.Log($"no standard errors or refinement on all samples: {p} parameters > {Options.MaximumFisherParameters}");
            // The residual check still runs: without it a wrong network of this size that leaves less than
            // MaximumRefinedRelativeMse of Var y unexplained had no warning at all ((64, 64, 2e7): relative MSE 3.3e-4).
            if (UnfittedStructure(network, $"the network was refined on the {Local.RefineCount} in-memory samples only ({p} " +
                    $"parameters > {Options.MaximumFisherParameters}), so under label noise its own estimation error can also show here")
                is LearningWarning unfittedLarge) Warn(unfittedLarge);
            return (held.Mse, Local.RefineCount, null);
        }
        var fisher = FisherInformation.Estimate(network, Local.RefinementInputs, Cancel, Options.Threads);
        long fitted = Local.RefineCount;
        double noise = held.Mse;
        long training = N - Local.HeldOutCount;
        if (StreamsLater(m))
        {
            var fit = StreamedRefinement.Run(network, fisher, training, theta => StreamedPass(theta, m), theta => Local.HeldOutGradient(theta, m),
                theta => DistributedPass.ShareFromRankZero(Options.Reducer, theta), Reporter.Log);
            network = fit.Network;
            held = Local.HeldOutError(network);
            fitted = training;
            noise = fit.TrainingMse * training / Math.Max(1, training - p);
            Reporter.Log($"refined on all {training} samples but the held-out ones in {fit.Passes} streamed pass(es): training MSE " +
                $"{fit.StartMse:G6} -> {fit.TrainingMse:G6}, held-out MSE {held.Mse:G6}");
            if (UnfittedStructure(network) is LearningWarning unfitted) Warn(unfitted);
        }
        // without the streamed refinement the check still runs: a wrong fit under 1e-3 of Var y had no warning at all (d = 8,
        // m = 16, condition 1000, seed 1 with RefineOnAllSamples off: 12 neurons at relative held-out MSE 5.7e-4)
        else if (UnfittedStructure(network, $"the network was refined on the {Local.RefineCount} in-memory samples only " +
            $"({nameof(LearnerOptions.RefineOnAllSamples)} off), so under label noise its own estimation error can also show here")
            is LearningWarning unfittedInMemory) Warn(unfittedInMemory);
        var covariance = fisher.NormalisedCovariance();
        double scale = noise / fitted;
        for (int k = 0; k < covariance.Length; k++) covariance[k] *= scale;
        Reporter.Log($"noise variance {noise:G4} (standard deviation {Math.Sqrt(noise):G4}); standard errors from the Fisher information " +
            $"of {Local.RefineCount} samples");
        int aOffset = m * D + m;
        for (int i = 0; i < m; i++)
        {
            double se = Math.Sqrt(covariance[(aOffset + i) * p + aOffset + i]);
            if (!(Math.Abs(network.A[i]) > 2 * se))
                Warn(new LearningWarning(LearningWarningCode.InsignificantNeuron,
                    $"neuron {i}: a = {network.A[i]:G4} is within two standard errors ({se:G3}) of 0: it may be fitted noise"));
        }
        return (noise, fitted, covariance);
    }

    /// <summary>
    /// The evidence against a fit that is not exact (docs/algorithm.md section 5): when the residual y - f(x) of a network fitted
    /// on all samples (above <see cref="FisherInformation.MaximumParameters"/>: on the in-memory ones, with a caveat) still has T_2
    /// eigenvalues above <see cref="LearnerOptions.NoiseFloorMultiple"/> x its noise floor (the rule that counts neurons), part of
    /// the function is not fitted, however small the held-out error. Label noise alone stays under it: the least-squares residual
    /// is the noise less its projection on the fitted directions. One more pass 1, over the residual.
    /// </summary>
    /// <param name="network">The returned network.</param>
    /// <param name="caveat">What else can raise the residual's T_2 (empty: nothing, the network was fitted on all samples).</param>
    private LearningWarning? UnfittedStructure(ReluNetwork network, string caveat = "")
    {
        var check = new LearningRun<T>(new ResidualSource<T>(Source, network), Options, DeviceEngine, Progress, Cancel);
        var second = check.SecondMoments();
        var values = second.Spectrum.Values;
        int above = second.Significant(Options.NoiseFloorMultiple);
        double largest = values.Count > 0 ? Math.Abs(values[0]) : 0;
        Reporter.Log($"residual check: T_2 of y - f(x): largest |eigenvalue| {largest:G3}, noise floor {second.NoiseFloor:G3}, " +
            $"{above} above {Options.NoiseFloorMultiple} x the floor");
        return above == 0 ? null : new LearningWarning(LearningWarningCode.UnfittedStructure,
            $"the residual y - f(x) of the returned network still has {above} T_2 eigenvalue(s) above {Options.NoiseFloorMultiple} x " +
            $"its noise floor (largest {largest:G3}, floor {second.NoiseFloor:G3}): part of the function is not fitted (a neuron " +
            "missed or fitted wrongly, or y is not a depth-2 ReLU network of x), however small the held-out error" +
            (caveat.Length > 0 ? "; " + caveat : ""));
    }

    /// <summary>(sum e^2, sum e grad f) over every sample (this process's slice, summed over the processes).</summary>
    private (double Sse, double[] Gradient) StreamedPass(double[] theta, int m)
    {
        var prepared = new double[MseGradient.PreparedLength(m, D)];
        MseGradient.Prepare(theta, m, D, prepared);
        var worker = RunPass(LearningStage.Refinement, () => new MseGradientWorker<T>(prepared, m, D));
        return (worker.SquaredError, worker.Gradient());
    }

    /// <summary>Records a warning in the log ("warning: ...") and in the result's typed warnings.</summary>
    public void Warn(LearningWarning warning) => Reporter.Warn(warning);

    /// <summary>
    /// The error for non-finite moments (any pass): the first sample holding NaN or infinity (a rescan), or, when every value
    /// is finite, the largest magnitude of x or y (<see cref="SampleMagnitudeException"/>), whose products overflowed.
    /// </summary>
    public ArgumentException NonFinite()
    {
        const int Block = 4096;
        var x = new T[Block * D];
        var y = new T[Block];
        double largestX = -1, largestY = -1;
        long atX = 0, atY = 0;
        int columnX = 0;
        for (long start = 0; start < N; start += Block)
        {
            Cancel.ThrowIfCancellationRequested();
            int count = (int)Math.Min(Block, N - start);
            Source.Read(start, x.AsSpan(0, count * D), y.AsSpan(0, count));
            for (int j = 0; j < count; j++)
            {
                if (!T.IsFinite(y[j])) return new NonFiniteSampleException(start + j, -1, double.CreateTruncating(y[j]));
                double yj = Math.Abs(double.CreateTruncating(y[j]));
                if (yj > largestY) (largestY, atY) = (yj, start + j);
                for (int i = 0; i < D; i++)
                {
                    if (!T.IsFinite(x[j * D + i])) return new NonFiniteSampleException(start + j, i, double.CreateTruncating(x[j * D + i]));
                    double xi = Math.Abs(double.CreateTruncating(x[j * D + i]));
                    if (xi > largestX) (largestX, atX, columnX) = (xi, start + j, i);
                }
            }
        }
        return largestY >= largestX
            ? new SampleMagnitudeException(atY, -1, Value(atY, -1))
            : new SampleMagnitudeException(atX, columnX, Value(atX, columnX));
    }

    /// <summary>x[column] (y when column &lt; 0) of sample <paramref name="index"/>, with its sign.</summary>
    private double Value(long index, int column)
    {
        var x = new T[D];
        var y = new T[1];
        Source.Read(index, x, y);
        return double.CreateTruncating(column < 0 ? y[0] : x[column]);
    }
}

/// <summary>One candidate of a strategy: its moment estimate, and its refinement once refined.</summary>
internal sealed record LearningCandidateState(int Index, ReluNetwork Moment, bool[] Flipped, double[][] Lambdas, double Gap, double Residual,
    double MomentMse)
{
    public ReluNetwork? Refined { get; set; }

    /// <summary>
    /// The method of moments' network this candidate descends from, when <see cref="Moment"/> is not it (a continued or pruned
    /// refinement starts from a refined network; a residual round's sum, from a refined fit plus the residual's estimate).
    /// </summary>
    public ReluNetwork? Origin { get; init; }

    /// <summary>The network of the method of moments alone for this candidate (what the result reports as its moment estimate).</summary>
    public ReluNetwork MomentEstimate => Origin ?? Moment;

    public double RefinedMse { get; set; } = double.NaN;

    public int Iterations { get; set; }

    /// <summary>Whether its refinement ended at the iteration limit (not converged, not stopped by the held-out error).</summary>
    public bool Unfinished { get; set; }

    public LearningCandidate Summary => new(Index, Gap, Residual, MomentMse, RefinedMse, Iterations);
}

/// <summary>How a strategy orients each neuron: (a, w, b) or (a, -w, -b) plus a linear function (docs/algorithm.md sections 1 and 9).</summary>
internal interface IFlipPolicy
{
    /// <summary>The re-oriented network (same function) and which neurons were flipped.</summary>
    ReluNetwork Apply(ReluNetwork network, out bool[] flipped);

    /// <summary>How flips after refinement are described in the log ("to match t1"), or null to log nothing.</summary>
    string? AfterRefinement { get; }
}

/// <summary>Full rank (m &lt;= d): the first moment t1 decides each neuron's orientation (<see cref="FlipResolution"/>).</summary>
internal sealed class FirstMomentFlips(double[] t1) : IFlipPolicy
{
    public ReluNetwork Apply(ReluNetwork network, out bool[] flipped) => FlipResolution.Resolve(network, t1, out flipped);

    public string? AfterRefinement => "to match t1";
}

/// <summary>Overcomplete (m &gt; d): t1 cannot decide; the orientation with the smallest linear remainder
/// (<see cref="LinearRemainderFlips"/>).</summary>
internal sealed class SmallestRemainderFlips(ulong seed) : IFlipPolicy
{
    public ReluNetwork Apply(ReluNetwork network, out bool[] flipped) => LinearRemainderFlips.Minimize(network, out flipped, seed: seed);

    public string? AfterRefinement => null;
}

/// <summary>The linear remainder of a network from the data's t0 and t1 (both strategies).</summary>
internal static class LinearRemainder
{
    /// <summary>
    /// The network (a, W, b) with c0 = t0 - sum_i a_i c_0(b_i) and c = t1 - sum_i a_i Phi(b_i) w_i: the Gaussian closed forms
    /// E[relu(&lt;w,x&gt;+b)] = c_0(b) and E[relu(&lt;w,x&gt;+b) x] = Phi(b) w (unit w).
    /// </summary>
    public static ReluNetwork Complete(double[] a, double[] w, double[] b, double t0, double[] t1)
    {
        int d = t1.Length;
        double c0 = t0;
        var c = (double[])t1.Clone();
        for (int i = 0; i < a.Length; i++)
        {
            c0 -= a[i] * GaussianMath.ReluCoefficient(0, b[i]);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(w.AsSpan(i * d, d), -a[i] * GaussianMath.NormalCdf(b[i]), c, c);
        }
        return new ReluNetwork(d, a, w, b, c0, c);
    }
}
