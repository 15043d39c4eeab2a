using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using ReluFast.Decomposition;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.Learning;

/// <summary>
/// The overcomplete learner of docs/algorithm.md section 11 (m &gt; d allowed, up to about d(d+1)/2 for w_i in general position).
/// <list type="number">
/// <item>Pass 1 (as the full-rank learner): t0, t1, T_2, which give the quadratic control variate.</item>
/// <item>Rounds r = 1, 2, ...: y~ = y - f^_(r-1)(x) - (the rest of the measured t0, t1, T_2), with f^_0 = 0 and f^_(r-1) the previous
/// round's network (<see cref="ResponseControl"/>; its closed-form moments are added back, so every estimate stays unbiased and
/// its noise shrinks with the error of f^_(r-1)).
/// <list type="bullet">
/// <item>Span pass in the symmetric coordinates (D = d(d+1)/2): the flattened T_4 and T_5(., ., ., ., g) for two random g
/// (D x D each, from the distinct monomials of degree 3 and 4: about N d^4 / 8 multiply-adds). Their stacked left singular vectors P
/// span {v_i = svec(w_i w_i^T)}; the singular values against split-half noise floors give m.</item>
/// <item>Rank-one search (<see cref="RankOneSubspace"/>): the w with w w^T in span P are the neurons' directions (for m &lt; D - d
/// there are no others), found by alternating projections from the previous network's directions and random starts.</item>
/// <item>Coefficient pass: r_k = E[y~ He_k(&lt;w_j,x&gt;)] (N d m), then (G o^k) lambda_k = r_k, b = -lambda_3/lambda_2,
/// a = lambda_2/phi(b), the linear remainder from t0 and t1, and the orientation that makes the remainder smallest
/// (<see cref="LinearRemainderFlips"/>: flips are not identifiable when m &gt; d).</item>
/// <item>L-BFGS refinement: brief while rounds are still finding neurons, full (to an exact fit on noiseless data) once a
/// round finds every neuron its spectrum shows, or in the last round. Rounds end at an exact fit, or when a fully refined
/// round lowers the held-out error by less than its sampling error (noisy labels).</item>
/// </list></item>
/// </list>
/// With <see cref="LearnerOptions.OvercompletePencil"/>, round 1 also runs the projected pass Q4 = P^T T_4 P, Q5_k = P^T T_5(e_k) P
/// (m x m, N (m + d)^2 (d + 1)/2) and slice pencils (<see cref="SlicePencil"/>) for extra candidates and seeds.
/// T_4 + T_5(u) has the coefficients a_i (c_4(b_i) + c_5(b_i) &lt;w_i, u&gt;); c_4 = He_2(b) phi(b) and c_5 = -He_3(b) phi(b) share
/// no root, so no bias makes a neuron vanish from the stack [T_4, T_5(g_1), T_5(g_2)] (orders 4 and 5 rather than 5 and 6:
/// lower orders have lower variance, and the flattening needs only T_4 and T_5).
/// </summary>
internal static class OvercompleteLearner
{
    /// <summary>Number of random directions g of the span pass.</summary>
    public const int SpanDirections = 2;

    /// <summary>Largest m the flattening can identify for input dimension d: D = d(d+1)/2.</summary>
    public static int MaximumHidden(int inputDim) => LearnerRules.MaximumHidden(inputDim);

    /// <summary>Fewest samples the overcomplete learner accepts for input dimension d: max(1000, 2 d^2, 4 D^2), D = d(d+1)/2.</summary>
    public static long MinimumSamples(int inputDim) => LearnerRules.OvercompleteMinimumSamples(inputDim);

    /// <summary>Learns a network from <paramref name="source"/>: <see cref="ReluLearner.Learn{T}"/>
    /// with <see cref="LearnerMode.Overcomplete"/>.</summary>
    /// <exception cref="ArgumentException">Too few samples, m &gt; d(d+1)/2, m &lt;= 0, non-finite samples, or invalid options.</exception>
    /// <exception cref="LearnerPlacementException">A device or several processes were asked for.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static LearningResult Learn<T>(ISampleSource<T> source, LearnerOptions? options = null,
        IProgress<LearningProgress>? progress = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        ReluLearner.Learn(source, options, LearnerMode.Overcomplete, progress, cancellationToken);
}

/// <summary>The spectrum of the stacked flattened moments [T_4, T_5(g_1), T_5(g_2)] (D x 3D) and its split-half noise floors.</summary>
/// <param name="Values">Singular values, decreasing.</param>
/// <param name="NoiseFloor">Largest singular value of the split-half difference of the same stack.</param>
/// <param name="Vectors">D x D row-major: column k is the left singular vector of Values[k].</param>
/// <param name="ResidualFloors">Entry k: the largest singular value of the split-half difference projected off the first k
/// singular vectors (what the (k+1)-th singular value would be without a (k+1)-th neuron), computed up to a few entries past the
/// first value that does not stand above its floor at the options' multiple.</param>
internal sealed record FlattenedSpectrum(double[] Values, double NoiseFloor, double[] Vectors, double[] ResidualFloors)
{
    /// <summary>Leading singular values that stand above <paramref name="multiple"/> times the floor left by the ones before them.</summary>
    public int Visible(double multiple)
    {
        int k = 0;
        while (k < Values.Length && k < ResidualFloors.Length && Values[k] > multiple * ResidualFloors[k]) k++;
        return k;
    }
}

/// <summary>
/// The overcomplete strategy: the directions from the span of the flattened [T_4, T_5] and a rank-one search in it, in rounds
/// whose control variate is the previous round's network; flips by the smallest linear remainder. CPU, one process.
/// </summary>
internal sealed class OvercompleteStrategy<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly LearningRun<T> _run;
    private readonly int _d, _dim;
    private readonly long _n;

    public OvercompleteStrategy(LearningRun<T> run)
    {
        _run = run;
        _d = run.D;
        _dim = SymmetricCoordinates.Dimension(_d);
        _n = run.N;
    }

    private LearnerOptions _options => _run.Options;

    private CancellationToken _cancel => _run.Cancel;

    private LocalSamples<T> _local => _run.Local;

    /// <summary>The mode check's span pass over the first <paramref name="samples"/> samples (the flattened spectrum).</summary>
    internal FlattenedSpectrum SurveyFlattened(SecondMoments second, long samples) =>
        SpanPass(ResponseControl.Create(second.T0, second.T1, second.T2, null), samples);

    /// <summary>The two random directions g_l of the span pass (d x L row-major).</summary>
    private double[] SpanDirectionVectors()
    {
        var g = new double[_d * OvercompleteLearner.SpanDirections];
        new CounterGaussian(_options.Seed, key: 0x5BA7).Fill(0, g);
        return g;
    }

    /// <summary>
    /// The block size of a pass over <paramref name="count"/> samples: the options' block, or half the samples when they fit in one
    /// block, so that both split halves (blocks alternate between them) receive samples.
    /// </summary>
    private int SplitBlockSize(long count) => count <= _options.BlockSize ? (int)Math.Max(1, (count + 1) / 2) : _options.BlockSize;

    public LearningResult Execute()
    {
        LearnerRules.RequireCpuSingleProcess(_options, "the overcomplete learner");
        var second = _run.SecondMoments();
        var clock = Stopwatch.StartNew();
        string top2 = string.Join(", ", second.Spectrum.Values.Take(24).Select(v => v.ToString("G3")));
        Log($"T_2 spectrum (by |value|): {top2}; noise floor {second.NoiseFloor:G3}");
        TimeSpan tPasses = TimeSpan.Zero, tDecomposition = TimeSpan.Zero, tCoefficients = TimeSpan.Zero, tRefine = TimeSpan.Zero;

        // Round 1 subtracts the quadratic control variate; every later round subtracts the previous round's network as
        // well, which shrinks the variance of the moment estimates by the relative error of that network.
        ReluNetwork? previous = null;
        FlattenedSpectrum? lastSpectrum = null;
        LearningCandidateState? best = null;
        (double Mse, double Variance) held = default;
        int m = 0;
        bool estimated = false;
        var allCandidates = new List<LearningCandidate>();
        int rounds = _options.OvercompleteRounds;
        double previousRoundMse = double.NaN;
        for (int round = 1; round <= rounds; round++)
        {
            var control = ResponseControl.Create(second.T0, second.T1, second.T2, previous, ReliableBias);
            if (round > 1)
                Log($"round {round}: moments of y minus the round {round - 1} network (relative held-out MSE " +
                    $"{held.Mse / Math.Max(held.Variance, 1e-300):G3}) and a quadratic; " +
                    $"control network: {control.Network?.Hidden ?? 0} of {previous!.Hidden} neurons, |a| <= " +
                    $"{(control.Network is null ? 0 : control.Network.A.ToArray().Max(Math.Abs)):G3}, " +
                    $"b in [{(control.Network is null ? 0 : control.Network.B.ToArray().Min()):G3}, " +
                    $"{(control.Network is null ? 0 : control.Network.B.ToArray().Max()):G3}]");
            var spectrum = SpanPass(control, _n);
            lastSpectrum = spectrum;
            int visible = round == 1 || estimated ? ChooseHidden(spectrum, out estimated) : m;
            if (visible == 0)
            {
                tPasses += Lap(clock);
                if (best is null)
                    return NothingFound(second, spectrum, estimated, "no singular value of the flattened fourth/fifth-order moments stands " +
                        "above the noise floor", Timings(tPasses, tDecomposition, tCoefficients, tRefine));
                Log($"round {round}: no singular value of the flattened moments stands above the noise floor: stopping with the best " +
                    "network so far");
                break;
            }
            m = visible;
            double[] p = LeadingColumns(spectrum.Vectors, _dim, m);
            var pencilSlices = _options.OvercompletePencil && round == 1 ? ProjectedPass(control, p, m) : null;
            tPasses += Lap(clock);

            Report(LearningStage.Decomposition, 0, 0, "finding the rank-one directions of the span");
            var sets = Decompose(p, m, pencilSlices, previous, out var pencils);
            tDecomposition += Lap(clock);

            int total = sets.Sum(set => set.Length);
            if (total == 0)
            {
                // No w w^T lies near the span (data outside the model class, e.g. strongly non-Gaussian inputs): as when
                // nothing stands above the noise floor, the rounds end.
                string none = $"the rank-one search found no direction in the span of the flattened moments' {m} leading singular " +
                    $"vector(s) (no w w^T keeps {MinimumFit} of its norm there): they do not show the structure of a ReLU network of x";
                if (best is null)
                    return NothingFound(second, spectrum, estimated, none, Timings(tPasses, tDecomposition, tCoefficients, tRefine));
                Log($"round {round}: {none}: stopping with the best network so far");
                break;
            }
            var directions = new double[_d * total];   // d x total: every candidate's directions side by side
            for (int c = 0, column = 0; c < sets.Count; c++)
                foreach (double[] w in sets[c])
                {
                    for (int k = 0; k < _d; k++) directions[k * total + column] = w[k];
                    column++;
                }
            var pass3 = _run.RunCpuPass(LearningStage.Coefficients, () => new DirectionHermiteWorker<T>(_d, directions, total, 4, control,
                _options.BlockSize));
            var candidates = new LearningCandidateState[sets.Count];
            for (int c = 0, offset = 0; c < sets.Count; offset += sets[c].Length, c++)
                candidates[c] = BuildCandidate(allCandidates.Count + c, pass3.Moments, sets[c], offset, second, control, pencils[c]);
            tCoefficients += Lap(clock);

            // A round that is not the last refines only briefly (one candidate, a few iterations: enough for a control variate
            // for the next round) when it is round 1 (whose quadratic control variate leaves the most noise) or when it found
            // fewer neurons than its spectrum shows; otherwise it refines fully and stops at an exact fit.
            int found = candidates.Max(c => c.Moment.Hidden);
            if (found == 0)
            {
                // Every direction came back beyond the reliable bias: refining a network of no neuron and running the round
                // again would find the same directions (measured: five identical rounds); the linear remainder stands for them.
                string beyond = $"every direction found in the span of the flattened moments came back with |b| beyond " +
                    $"{ReliableBias:G3} (a kink that fewer than {ReliableActiveSamples} of the samples cross) or a non-finite coefficient: " +
                    "such a neuron acts linearly (or never) on these samples, and the linear remainder stands for it";
                if (best is null)
                    return NothingFound(second, spectrum, estimated, beyond, Timings(tPasses, tDecomposition, tCoefficients, tRefine));
                Log($"round {round}: {beyond}: stopping with the best network so far");
                break;
            }
            bool quick = round < rounds && (round == 1 || found < m);
            var flips = new SmallestRemainderFlips(_options.Seed);
            var (chosen, chosenHeld) = quick
                ? _run.ChooseAndRefine(candidates, Math.Min(_options.MaxRefinementIterations, IntermediateIterations), 1, flips)
                : _run.ChooseAndRefine(candidates, _options.MaxRefinementIterations, _options.RefinedCandidates, flips);
            tRefine += Lap(clock);
            bool improved = best is null || chosenHeld.Mse < held.Mse;
            if (improved) { best = chosen; held = chosenHeld; }
            else if (quick && round < rounds)
            {
                // The next round's control variate would be the same best network, so its moments, directions and candidates
                // would repeat this round's exactly (measured: rounds 3 to 5 identical to round 2). Refine this round's
                // candidates as the last round would, and end the rounds.
                Log($"round {round}: held-out MSE {chosenHeld.Mse:G4} after brief refinement, not below the best {held.Mse:G4}: " +
                    "its candidates are refined fully and the rounds end (another round would repeat this one)");
                (chosen, chosenHeld) = _run.ChooseAndRefine(candidates, _options.MaxRefinementIterations, _options.RefinedCandidates, flips);
                tRefine += Lap(clock);
                if (chosenHeld.Mse < held.Mse) { best = chosen; held = chosenHeld; }
                allCandidates.AddRange(candidates.Select(c => c.Summary));
                break;
            }
            allCandidates.AddRange(candidates.Select(c => c.Summary));
            if (LearningRun<T>.IsExactFit(held)) break;
            // A fully refined round that found every neuron and did not lower the held-out error by more than its sampling
            // error (two standard deviations of a mean of squared Gaussian residuals) has reached the noise level: another
            // round would refine the same network again.
            double noImprovement = 2 * Math.Sqrt(2.0 / Math.Max(1, _local.HeldOutCount));
            if (!quick && found >= m && round < rounds && chosenHeld.Mse > (1 - noImprovement) * previousRoundMse)
            {
                Log($"round {round}: held-out MSE {chosenHeld.Mse:G4} is within {noImprovement:P1} of round {round - 1}'s {previousRoundMse:G4}: " +
                    "stopping (label noise or the statistical limit, not missing neurons)");
                break;
            }
            previousRoundMse = chosenHeld.Mse;
            previous = best!.Refined ?? best.Moment;
        }

        var network = best!.Refined ?? best.Moment;
        if (best.Refined is not null && ConditioningChecks.Unexplained(network.Hidden, held.Mse / Math.Max(held.Variance, 1e-300),
            estimated, LearnerMode.Overcomplete) is LearningWarning unexplained)
            _run.Warn(unexplained);
        string absorbed = DescribeAbsorbed(network, held);
        Log(absorbed);
        Report(LearningStage.Done, 0, 0, $"done: held-out MSE {held.Mse:G4} (relative {held.Mse / Math.Max(held.Variance, 1e-300):G3})");
        return _run.Result(LearnerMode.Overcomplete, network, best.Moment, second, m, estimated, allCandidates.ToArray(), best.Index, held,
            best.Flipped, best.Lambdas, Timings(tPasses, tDecomposition, tCoefficients, tRefine)) with
        {
            FlattenedSpectrum = lastSpectrum!.Values,
            FlattenedNoiseFloor = lastSpectrum.NoiseFloor,
            Absorbed = absorbed,
        };
    }

    /// <summary>The linear-only answer (<see cref="LearningRun{T}.LinearOnly"/>) of a run whose first round found no neuron, and why.</summary>
    private LearningResult NothingFound(SecondMoments second, FlattenedSpectrum spectrum, bool estimated, string why, LearningTimings timings) =>
        _run.LinearOnly(LearnerMode.Overcomplete, second, new LearningWarning(LearningWarningCode.LinearOnly,
            $"{why}; only the linear remainder c0 + <c, x> is returned"), timings, spectrum.Values,
            spectrum.NoiseFloor) with { HiddenWasEstimated = estimated };

    private LearningTimings Timings(TimeSpan higher, TimeSpan decomposition, TimeSpan coefficients, TimeSpan refinement) =>
        new(_run.PilotTime, _run.SecondMomentTime, higher, decomposition, coefficients, refinement) { ModeCheck = _run.ModeCheckTime };

    /// <summary>L-BFGS iterations (per stage) of the refinement that ends round 1 when more rounds follow.</summary>
    private const int IntermediateIterations = 150;

    /// <summary>
    /// The candidates' unit directions: candidate 0 the best (at most m) rank-one directions of span P (seeded by the
    /// previous network and the pencils' factors, plus random starts), candidates 1.. the pencils' own factors.
    /// </summary>
    private List<double[][]> Decompose(double[] p, int m, QuarticSlices? slices, ReluNetwork? previous, out SlicePencilResult?[] pencils)
    {
        int restarts = slices is null ? 0 : _options.Restarts;
        var sets = new List<double[][]> { Array.Empty<double[]>() };
        pencils = new SlicePencilResult?[restarts + 1];
        var seeds = new List<double[]>();
        if (previous is not null)
            for (int i = 0; i < previous.Hidden; i++) seeds.Add(previous.Normalized().WeightsOf(i).ToArray());
        for (int r = 0; r < restarts; r++)
        {
            _cancel.ThrowIfCancellationRequested();
            var pencil = SlicePencil.Decompose(slices!.All.ToArray(), m, m, _options.PencilTrials, _options.Seed + 7919UL * (ulong)r,
                _options.PolishIterations);
            pencils[r + 1] = pencil;
            var set = Directions(p, pencil.Factors, m, out double rankOne);
            sets.Add(set);
            seeds.AddRange(set);
            Log($"pencil {r}: chordal gap {pencil.ChordalGap:G3}, slice residual {pencil.PencilResidual:G3} -> {pencil.PolishedResidual:G3} after " +
                $"{pencil.PolishIterations} polish iterations; smallest rank-one share of smat(v_i) {rankOne:G3}");
        }
        var points = RankOneSubspace.Search(p, _d, m, seeds, randomStarts: 10 * m, seed: _options.Seed,
            threads: _options.Threads > 0 ? _options.Threads : Environment.ProcessorCount, cancellationToken: _cancel);
        var chosen = points.Where(q => q.Fit >= MinimumFit).Take(m).ToArray();
        sets[0] = chosen.Select(q => q.Direction).ToArray();
        Log($"rank-one search in span P ({seeds.Count} seeds, {10 * m} random starts): {points.Count} distinct directions; fits of the best {m}: " +
            string.Join(", ", points.Take(m).Select(q => q.Fit.ToString("G3"))) + (points.Count > m ? $"; next {points[m].Fit:G3}" : string.Empty) +
            (chosen.Length < m ? $"; only {chosen.Length} with fit >= {MinimumFit} are used this round" : string.Empty));
        return sets;
    }

    /// <summary>Rank-one directions whose svec(w w^T) keeps less than this share of its norm squared in span P are not neurons.</summary>
    private const double MinimumFit = 0.5;

    /// <summary>Pass S: the flattened T_4 and T_5(g_1), T_5(g_2) (D x D) over the first <paramref name="count"/> samples,
    /// their stacked spectrum and noise floor.</summary>
    internal FlattenedSpectrum SpanPass(ResponseControl control, long count)
    {
        var g = SpanDirectionVectors();
        T[] gT = Array.ConvertAll(g, v => T.CreateTruncating(v));
        long samples = count < 0 ? _n : Math.Min(count, _n);
        var worker = _run.RunCpuPass(LearningStage.FlattenedMoments, () => new QuarticSliceWorker<T>(control, _d, null, _dim, gT,
            OvercompleteLearner.SpanDirections, _options.BlockSize), samples, SplitBlockSize(samples));
        var basis = QuarticSlices.CoordinateBasis(_d);
        var (full, noise) = Combine(worker.Halves, basis, g);
        control.AddClosedForm(full, basis, g);
        var result = Spectrum(full, noise, _dim);
        Log($"flattened [T_4, T_5(g_1), T_5(g_2)] singular values ({samples} samples): {Describe(result)}");
        return result;
    }

    /// <summary>The stacked spectrum of <paramref name="full"/> (n x n slices) and the residual floors of <paramref name="noise"/>
    /// as far as <see cref="FlattenedSpectrum.Visible"/> with the options' multiple needs them.</summary>
    private FlattenedSpectrum Spectrum(QuarticSlices full, QuarticSlices noise, int n)
    {
        var (values, vectors) = StackedSingular(full, n);
        var floors = ResidualFloors(noise, vectors, n, values, _options.NoiseFloorMultiple);
        return new FlattenedSpectrum(values, floors[0], vectors, floors);
    }

    private string Describe(FlattenedSpectrum result)
    {
        double[] values = result.Values, floors = result.ResidualFloors;
        int visible = result.Visible(_options.NoiseFloorMultiple);
        string top = string.Join(", ", values.Take(Math.Min(values.Length, 48)).Select(v => v.ToString("G3")));
        return $"{top}{(values.Length > 48 ? ", ..." : string.Empty)}; split-half noise floor {floors[0]:G3}" +
            (visible < floors.Length ? $", {floors[visible]:G3} off the leading {visible}" : string.Empty);
    }

    /// <summary>Residual floors computed beyond the first value that does not stand above its floor (what diagnose shows).</summary>
    private const int FloorsShownBeyond = 4;

    /// <summary>
    /// Entry k: the largest singular value of the noise stack with the first k singular vectors projected out, for k up to the
    /// first value at or below <paramref name="multiple"/> times its floor plus <see cref="FloorsShownBeyond"/> (each entry is an
    /// eigen-decomposition of size n - k, so all n of them would cost about n^4 / 4; the count needs only the leading ones).
    /// </summary>
    private static double[] ResidualFloors(QuarticSlices noise, double[] vectors, int n, double[] values, double multiple)
    {
        // G = sum_l N_l N_l^T (n x n); floor_k^2 = top eigenvalue of (I - U_k U_k^T) G (I - U_k U_k^T).
        double[] g = SumOfSquares(noise, n);
        var floors = new double[n];
        // In the basis of the singular vectors: H = U^T G U; dropping the first k rows and columns projects them out.
        var h = new double[n * n];
        var gu = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
            {
                double gik = g[i * n + k];
                if (gik == 0) continue;
                TensorPrimitives.MultiplyAdd(vectors.AsSpan(k * n, n), gik, gu.AsSpan(i * n, n), gu.AsSpan(i * n, n));
            }
        for (int i = 0; i < n; i++)
            for (int a = 0; a < n; a++)
            {
                double uia = vectors[i * n + a];
                if (uia == 0) continue;
                TensorPrimitives.MultiplyAdd(gu.AsSpan(i * n, n), uia, h.AsSpan(a * n, n), h.AsSpan(a * n, n));
            }
        int last = n - 1;
        for (int k = 0; k <= last; k++)
        {
            int size = n - k;
            var block = new double[size * size];
            for (int a = 0; a < size; a++)
                for (int b = 0; b < size; b++) block[a * size + b] = h[(k + a) * n + k + b];
            floors[k] = Math.Sqrt(Math.Max(0, SymmetricSpectrum.LargestValue(block, size)));
            if (last == n - 1 && !(values[k] > multiple * floors[k])) last = Math.Min(n - 1, k + FloorsShownBeyond);
        }
        return floors[..(last + 1)];
    }

    private int ChooseHidden(FlattenedSpectrum spectrum, out bool estimated)
    {
        int visible = Math.Min(spectrum.Visible(_options.NoiseFloorMultiple), _dim);
        if (_options.Hidden is int given)
        {
            estimated = false;
            if (given > visible)
                _run.Warn(new LearningWarning(LearningWarningCode.BelowNoiseFloor, $"only {visible} singular value(s) of the flattened moments " +
                    $"stand above {_options.NoiseFloorMultiple} x the noise floor left by the ones before them, but m = {given} was requested; " +
                    "the weakest neurons may not be identifiable from these samples"));
            return given;
        }
        estimated = true;
        Log($"chose m = {visible}: singular values above {_options.NoiseFloorMultiple} x the split-half noise floor left by the ones before them" +
            (visible > 0 && visible < spectrum.Values.Length ? $"; sigma_{visible} = {spectrum.Values[visible - 1]:G3}, sigma_{visible + 1} = " +
                $"{spectrum.Values[visible]:G3}, floor {spectrum.ResidualFloors[visible]:G3}" : string.Empty));
        return visible;
    }

    /// <summary>Pass Q: Q4 and Q5_k (m x m, k = 1..d) in the span P (D x m).</summary>
    private QuarticSlices ProjectedPass(ResponseControl control, double[] p, int m)
    {
        var identity = new double[_d * _d];
        for (int i = 0; i < _d; i++) identity[i * _d + i] = 1;
        T[] identityT = Array.ConvertAll(identity, v => T.CreateTruncating(v));
        T[] pT = Array.ConvertAll(p, v => T.CreateTruncating(v));
        var worker = _run.RunCpuPass(LearningStage.FlattenedMoments, () => new QuarticSliceWorker<T>(control, _d, pT, m, identityT, _d,
            _options.BlockSize), _n, SplitBlockSize(_n));
        var basis = QuarticSlices.ProjectedBasis(p, _d, m);
        var (full, noise) = Combine(worker.Halves, basis, identity);
        control.AddClosedForm(full, basis, identity);
        double signal = Math.Sqrt(full.All.Sum(s => TensorPrimitives.SumOfSquares(s)));
        double error = Math.Sqrt(noise.All.Sum(s => TensorPrimitives.SumOfSquares(s)));
        Log($"projected slices Q4, Q5_1..Q5_{_d} ({m} x {m}): Frobenius norm {signal:G3}, split-half noise {error:G3} (ratio " +
            $"{error / Math.Max(signal, 1e-300):G3})");
        return full;
    }

    private (QuarticSlices Full, QuarticSlices Noise) Combine(IWeightedGramSums[] halves, double[][] basis, double[] directions)
    {
        int d = directions.Length / (halves[0].WeightCount - 1);
        var a = QuarticSlices.Assemble(halves[0], basis, directions, d);
        var b = QuarticSlices.Assemble(halves[1], basis, directions, d);
        // finite samples whose products (y times up to five coordinates of x) overflow: name the largest value
        if (a.All.Concat(b.All).Any(s => !TensorPrimitives.IsFiniteAll<double>(s))) throw _run.NonFinite();
        return (QuarticSlices.Combine(a, halves[0].Count, b, halves[1].Count), QuarticSlices.HalfDifference(a, b));
    }

    /// <summary>Singular values and left singular vectors of [S_0 S_1 ... ] (each n x n) through the eigen-decomposition of sum S_l^2.</summary>
    private static (double[] Values, double[] Vectors) StackedSingular(QuarticSlices slices, int n)
    {
        var spectrum = SymmetricSpectrum.Compute(SumOfSquares(slices, n), n);
        return (spectrum.Values.Select(v => Math.Sqrt(Math.Max(v, 0))).ToArray(), spectrum.LeadingVectors(n));
    }

    /// <summary>sum_l S_l S_l^T.</summary>
    private static double[] SumOfSquares(QuarticSlices slices, int n)
    {
        var sum = new double[n * n];
        foreach (var s in slices.All)
            for (int i = 0; i < n; i++)
                for (int k = 0; k < n; k++)
                {
                    double sik = s[i * n + k];
                    if (sik == 0) continue;
                    TensorPrimitives.MultiplyAdd(s.AsSpan(k * n, n), sik, sum.AsSpan(i * n, n), sum.AsSpan(i * n, n));
                }
        return sum;
    }

    private static double[] LeadingColumns(double[] vectors, int n, int count)
    {
        var p = new double[n * count];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < count; k++) p[i * count + k] = vectors[i * n + k];
        return p;
    }

    /// <summary>w_i = top eigenvector of smat(P v~_i) for each factor;
    /// rankOne is the smallest share |lambda_1| / ||smat(v)||_F (1 for rank one).</summary>
    private double[][] Directions(double[] p, double[] factors, int m, out double rankOne)
    {
        rankOne = 1;
        var result = new double[m][];
        var v = new double[_dim];
        for (int i = 0; i < m; i++)
        {
            for (int r = 0; r < _dim; r++)
            {
                double s = 0;
                for (int k = 0; k < m; k++) s += p[r * m + k] * factors[k * m + i];
                v[r] = s;
            }
            var spectrum = SymmetricSpectrum.Compute(SymmetricCoordinates.Matrix(v, _d), _d);
            rankOne = Math.Min(rankOne, Math.Abs(spectrum.Values[0]) / Math.Max(TensorPrimitives.Norm(v), 1e-300));
            result[i] = spectrum.Vector(0).ToArray();
        }
        return result;
    }

    private LearningCandidateState BuildCandidate(int index, HermiteProjectionAccumulator<T> sums, double[][] set, int offset, SecondMoments second,
        ResponseControl control, SlicePencilResult? pencil)
    {
        int m = set.Length, d = _d;
        double n = _n;
        var w = new double[m * d];
        for (int i = 0; i < m; i++) set[i].CopyTo(w, i * d);
        // r_k = E[y~ He_k(<w_j, x>)] + E[(control) He_k]: the quadratic's part is w^T (T_2 - T_2(f^)) w for k = 2 only,
        // f^'s part sum_i a_i c_k(b_i) <w_i, w_j>^k; together with k = 2 that is w^T T_2 w + (f^ part for k >= 3).
        var lambdas = m == 0 ? [[], [], []] : CoefficientSolve(w, m, order => Enumerable.Range(0, m).Select(i =>
            sums.Sum(order, offset + i) / n + (order >= 3 ? control.Coefficient(order, w.AsSpan(i * d, d)) : 0)).ToArray(), second.T2);
        var network = FromCoefficients(w, m, lambdas, second.T0, second.T1, ReliableBias, out int dropped);
        network = LinearRemainderFlips.Minimize(network, out bool[] flipped, seed: _options.Seed);
        double mse = _local.HeldOutError(network).Mse;
        Log($"candidate {index}: {network.Hidden} neurons" + (dropped > 0 ? $" ({dropped} dropped: |b| beyond {ReliableBias:G3}, where fewer than " +
            $"{ReliableActiveSamples} of the samples see the kink, or a non-finite coefficient)" : string.Empty) +
            $", moment estimate held-out MSE {mse:G4}, linear remainder |c0| {Math.Abs(network.LinearBias):G3}, |c| " +
            $"{TensorPrimitives.Norm(network.LinearWeights):G3}");
        return new LearningCandidateState(index, network, flipped, lambdas,
            pencil?.ChordalGap ?? double.NaN, pencil?.PolishedResidual ?? double.NaN, mse);
    }

    /// <summary>sqrt(2 ln N): beyond this |b| a neuron acts on these samples as a linear function (b &gt; 0) or not at all.</summary>
    private double VisibleBias => Math.Sqrt(2 * Math.Log(Math.Max(_n, 3)));

    /// <summary>
    /// The largest |b| the learner trusts: the kink must be seen by at least <see cref="ReliableActiveSamples"/> samples
    /// (Phi(-|b|) N &gt;= that), and |b| &lt;= sqrt(2 ln N). A neuron estimated beyond it (a bogus direction gives a bogus b,
    /// and a = lambda_2 / phi(b) then explodes) is left to the linear remainder; as a control variate its closed-form moments
    /// would rest on a handful of samples.
    /// </summary>
    private double ReliableBias => Math.Min(VisibleBias, -NormalQuantile(Math.Min(0.5, ReliableActiveSamples / (double)_n)));

    private const int ReliableActiveSamples = 1000;

    /// <summary>Phi^{-1}(p) for 0 &lt; p &lt;= 1/2, by bisection.</summary>
    private static double NormalQuantile(double p)
    {
        double lo = -40, hi = 0;
        for (int i = 0; i < 200; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (GaussianMath.NormalCdf(mid) < p) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>
    /// lambda_k (k = 2, 3, 4) from (G o^k) lambda_k = r_k, with r_2 given the quadratic control variate's own part back
    /// (E[p(x) He_2(&lt;w,x&gt;)] = w^T T_2 w).
    /// </summary>
    internal static double[][] CoefficientSolve(double[] w, int m, Func<int, double[]> rhsOfOrder, double[] t2)
    {
        int d = w.Length / m;
        var gram = new double[m * m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++) gram[i * m + j] = TensorPrimitives.Dot(w.AsSpan(i * d, d), w.AsSpan(j * d, d));
        var lambdas = new double[3][];
        for (int order = 2; order <= 4; order++)
        {
            double[] rhs = rhsOfOrder(order);
            if (order == 2)
                for (int i = 0; i < m; i++) rhs[i] += HermiteContractions.Quadratic(t2, w.AsSpan(i * d, d), w.AsSpan(i * d, d), d);
            var power = new double[m * m];
            for (int i = 0; i < m * m; i++) power[i] = Math.Pow(gram[i], order);
            lambdas[order - 2] = DenseSolve.Solve(power, m, rhs);
        }
        return lambdas;
    }

    /// <summary>
    /// b = -lambda_3 / lambda_2, a = lambda_2 / phi(b), and the linear remainder from t0, t1 and the Gaussian closed forms.
    /// Neurons with |b| &gt; <paramref name="biasLimit"/> (or non-finite a, b) are dropped: on these samples they are linear or
    /// inactive, so the linear remainder (from t0 and t1) absorbs them.
    /// </summary>
    internal static ReluNetwork FromCoefficients(double[] w, int m, double[][] lambdas, double t0, double[] t1, double biasLimit, out int dropped)
    {
        int d = t1.Length;
        var a = new List<double>();
        var bias = new List<double>();
        var kept = new List<double>();
        dropped = 0;
        for (int i = 0; i < m; i++)
        {
            double l2 = lambdas[0][i], l3 = lambdas[1][i];
            double bi = -l3 / l2, ai = l2 / GaussianMath.NormalPdf(bi);
            if (!double.IsFinite(bi) || !double.IsFinite(ai) || Math.Abs(bi) > biasLimit) { dropped++; continue; }
            a.Add(ai);
            bias.Add(bi);
            kept.AddRange(w.AsSpan(i * d, d).ToArray());
        }
        return LinearRemainder.Complete(a.ToArray(), kept.ToArray(), bias.ToArray(), t0, t1);
    }

    /// <summary>What the linear remainder stands for (low-error mode, docs/algorithm.md sections 1 and 11.4).</summary>
    private string DescribeAbsorbed(ReluNetwork network, (double Mse, double Variance) held)
    {
        double visibleBias = Math.Sqrt(2 * Math.Log(_n));
        double c = TensorPrimitives.Norm(network.LinearWeights);
        int edge = 0;
        for (int i = 0; i < network.Hidden; i++) if (Math.Abs(network.B[i]) > 0.75 * visibleBias) edge++;
        return $"absorbed: the linear remainder (c0 = {network.LinearBias:G4}, |c| = {c:G4}) stands for any linear part of the data and any neuron " +
            $"with b >> sqrt(2 ln N) = {visibleBias:G3} (it acts linearly on these samples); " +
            $"neurons with b << -{visibleBias:G3} are almost never active and are not represented. {network.Hidden} visible neuron(s) returned" +
            (edge > 0 ? $", {edge} of them with |b| > {0.75 * visibleBias:G3}, near the edge of visibility" : string.Empty) +
            $"; held-out relative MSE {held.Mse / Math.Max(held.Variance, 1e-300):G3}";
    }

    private void Log(string line) => _run.Reporter.Log(line);

    private void Report(LearningStage stage, long done, long total, string message) => _run.Reporter.Report(stage, done, total, message);

    private static TimeSpan Lap(Stopwatch clock) => LearningReporter.Lap(clock);
}
