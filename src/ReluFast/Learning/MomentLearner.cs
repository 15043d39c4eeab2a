using System.Diagnostics;
using System.Numerics;
using ReluFast.Decomposition;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.Learning;

/// <summary>
/// The full-rank learner of docs/algorithm.md sections 5-8 (m &lt;= d, linearly independent w_i): three streaming
/// moment passes over the samples, a robust pencil decomposition, Hermite coefficients, flip resolution,
/// the linear remainder, and L-BFGS refinement of the best candidates on a subsample. One strategy of
/// <see cref="ReluLearner"/> (which also chooses between it and <see cref="OvercompleteLearner"/>).
/// </summary>
internal static class MomentLearner
{
    /// <summary>Smallest sample count the learner accepts for input dimension d: max(1000, 2 d^2).</summary>
    public static long MinimumSamples(int inputDim) => LearnerRules.MinimumSamples(inputDim);

    /// <summary>Learns a network from <paramref name="source"/>: <see cref="ReluLearner.Learn{T}"/> with
    /// <see cref="LearnerMode.FullRank"/>.</summary>
    /// <exception cref="ArgumentException">Too few samples, m &gt; d, m &lt;= 0, non-finite samples, or invalid options;
    /// the message names the problem.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static LearningResult Learn<T>(ISampleSource<T> source, LearnerOptions? options = null,
        IProgress<LearningProgress>? progress = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        ReluLearner.Learn(source, options, LearnerMode.FullRank, progress, cancellationToken);
}

/// <summary>The full-rank strategy: the directions from the pencil of the projected T_3 + T_4(., ., ., g), flips by t1.</summary>
internal sealed class FullRankStrategy<T>(LearningRun<T> run) where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly int _d = run.D;
    private readonly long _n = run.N;

    /// <summary>Put before the estimate's log lines during a <see cref="Refit"/> (its candidates are numbered from 0 there).</summary>
    private string _logPrefix = string.Empty;

    /// <summary>
    /// The last network whose residual round ended without a kept round while its count was the residual's own (not cut by
    /// the room for neurons): a swap round on it would repeat that round.
    /// </summary>
    private ReluNetwork? _settledResidual;
    private LearnerOptions _options => run.Options;
    private CancellationToken _cancel => run.Cancel;

    /// <summary>At most this many residual rounds follow the first fit (<see cref="ResidualRounds"/>).</summary>
    internal const int MaxResidualRounds = 3;

    /// <summary>At most this many swap rounds (<see cref="ResidualRounds"/> past d); each after the first must also beat the
    /// joint network's optimism (<see cref="SwapOptimism"/>).</summary>
    internal const int MaxSwapRounds = 6;

    /// <summary>The held-out error's relative sampling error: a change smaller than this is no change (rounds, merges, pruning).</summary>
    private double NoImprovement => HeldOutStopping.RelativeSamplingError(run.Local.HeldOutCount);

    /// <summary>
    /// The pruning tries a neuron outside its suspects when the others' least-squares output layer leaves at most this multiple of
    /// the held-out MSE without it (<see cref="Prune"/>).
    /// </summary>
    internal const double SpareErrorRatio = 2;

    /// <summary>At most this many continuations of a refinement that its iteration limit stopped (<see cref="Continue"/>).</summary>
    internal const int MaxContinuations = 10;

    public LearningResult Execute()
    {
        var second = run.SecondMoments();
        var clock = Stopwatch.StartNew();
        var estimate = Estimate(second, maxHidden: _d);
        var tChoose = estimate.Choose;
        if (estimate.Candidates is null)
            return run.LinearOnly(LearnerMode.FullRank, second, new LearningWarning(LearningWarningCode.LinearOnly,
                "no eigenvalue of T_2 stands above the noise floor; the data look linear, so only the linear remainder c0 + <c, x> is returned"),
                Timings(tChoose, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, Lap(clock)));
        var (candidates, flips, estimated) = (estimate.Candidates, estimate.Flips!, estimate.Estimated);
        clock.Restart();

        // Refinement of the most promising candidates; the lowest held-out error wins.
        var (chosen, held) = run.ChooseAndRefine(candidates, _options.MaxRefinementIterations, _options.RefinedCandidates, flips,
            streamedLater: true);
        var summaries = candidates.Select(c => c.Summary).ToList();
        if (_options.Refine && chosen.Refined is not null)
        {
            if (estimated) (chosen, held) = Retire(chosen, held, summaries, flips, "first fit");
            (chosen, held) = Continue(chosen, held, summaries, flips);
            if (estimated) (chosen, held) = ResidualRounds(chosen, held, summaries, flips);
            if (estimated && chosen.Refined!.Hidden > estimate.Hidden && !LearningRun<T>.IsExactFit(held))
                (chosen, held) = Refit(second, chosen, held, summaries, flips, estimate.Hidden);
            if (estimated && !LearningRun<T>.IsExactFit(held))
                (chosen, held) = ResidualRounds(chosen, held, summaries, flips, beyondFullRank: true);
            if (estimated) (chosen, held) = Retire(chosen, held, summaries, flips, "result");
        }
        var network = chosen.Refined ?? chosen.Moment;
        IReadOnlyList<bool> flipped = chosen.Flipped;
        if (network.Hidden > _d) network = OrientPastFullRank(network, ref flipped);
        var tRefine = Lap(clock);
        foreach (var warning in ConditioningChecks.Warnings(network, chosen.Gap,
            chosen.Refined is null ? double.NaN : held.Mse / held.Variance, estimated))
            run.Warn(warning);
        Report(LearningStage.Done, 0, 0, $"done: held-out MSE {held.Mse:G4} (relative {held.Mse / Math.Max(held.Variance, 1e-300):G3})");
        return run.Result(LearnerMode.FullRank, network, chosen.MomentEstimate, second, network.Hidden, estimated,
            summaries, chosen.Index, held, flipped, chosen.Lambdas,
            Timings(estimate.Higher, estimate.Decomposition, estimate.Coefficients, tRefine, TimeSpan.Zero));
    }

    /// <summary>
    /// Swap rounds can end with more neurons than inputs (a teacher with m &gt; d under a correlated input law): t1 then no longer
    /// decides each neuron's orientation (its Gram of m &gt; d directions is singular), so the network is oriented as the
    /// overcomplete learner orients its own, by the smallest linear remainder (docs/algorithm.md section 9.2); the function is
    /// unchanged. Only the returned network: the refinements before it do not depend on the orientation.
    /// </summary>
    private ReluNetwork OrientPastFullRank(ReluNetwork network, ref IReadOnlyList<bool> flipped)
    {
        var oriented = LinearRemainderFlips.Minimize(network, out bool[] again, seed: _options.Seed);
        var before = flipped;
        if (before.Count == again.Length) flipped = [.. again.Select((f, i) => f ^ before[i])];
        Log($"the {network.Hidden} neurons outnumber the {_d} inputs: oriented by the smallest linear remainder, " +
            $"{again.Count(f => f)} neuron(s) flipped");
        return oriented;
    }

    /// <summary>The moment estimate of one full-rank fit: m, its candidates (null when m = 0) and the time of each step.</summary>
    private sealed record MomentEstimate(int Hidden, bool Estimated, LearningCandidateState[]? Candidates, IFlipPolicy? Flips,
        TimeSpan Choose, TimeSpan Higher, TimeSpan Decomposition, TimeSpan Coefficients);

    /// <summary>
    /// Residual rounds (docs/algorithm.md section 5): while the refined network does not fit the held-out samples exactly and has
    /// fewer than d neurons, the moments of the residual y - f(x) (whose noise floor is far lower than the first pass's) are
    /// estimated by the same strategy with m taken from the residual's T_2, each residual candidate is added to the fitted
    /// network (neurons side by side, linear parts summed) and the sums are refined jointly on the data. A round is kept only
    /// when it lowers the held-out error by more than its sampling error; otherwise (or when the residual shows no neuron
    /// above its noise floor) the rounds end. With <paramref name="beyondFullRank"/> these are swap rounds: the residual's every
    /// neuron is added even past d, since a fit in a wrong basin leaves the negatives of its wrong neurons in the residual too,
    /// and the joint refinement and the merge cancel them (docs/algorithm.md section 5).
    /// </summary>
    private (LearningCandidateState Chosen, (double Mse, double Variance) Held) ResidualRounds(LearningCandidateState chosen,
        (double Mse, double Variance) held, List<LearningCandidate> summaries, IFlipPolicy flips, bool beyondFullRank = false)
    {
        int first = chosen.Refined!.Hidden;
        string label = beyondFullRank ? "swap round" : "residual round";
        for (int round = 1; round <= (beyondFullRank ? MaxSwapRounds : MaxResidualRounds); round++)
        {
            var fitted = chosen.Refined!;
            // under label noise no fit is exact, and the rounds end on a residual that shows nothing a round keeps
            if (LearningRun<T>.IsExactFit(held) || (!beyondFullRank && fitted.Hidden >= _d) || ReferenceEquals(fitted, _settledResidual)) break;
            Log($"{label} {round}: the {fitted.Hidden}-neuron fit leaves relative held-out MSE " +
                $"{held.Mse / Math.Max(held.Variance, 1e-300):G3}; moments of y - f(x)");
            int room = Math.Min(beyondFullRank ? SwapRoom(fitted.Hidden) : _d - fitted.Hidden, ProjectedTensorAccumulator<T>.MaxDimension);
            if (room <= 0)
            {
                if (beyondFullRank)
                    Log($"{label} {round}: a network of more than {fitted.Hidden} neurons would have fewer than {SwapRowsPerParameter} " +
                        $"refinement samples a parameter ({run.Local.RefineCount} samples): no {label}");
                break;
            }
            // the mode check's count is the data's, not the residual's
            var residualRun = new LearningRun<T>(new ResidualSource<T>(run.Source, fitted), _options with { SuggestedHidden = null },
                run.DeviceEngine, run.Progress, _cancel);
            var residual = new FullRankStrategy<T>(residualRun);
            var estimate = residual.Estimate(residualRun.SecondMoments(), room);
            foreach (string line in residualRun.Reporter.Lines) Log($"{label} {round}: {line}");
            if (estimate.Candidates is null)
            {
                Log($"{label} {round}: no eigenvalue of the residual's T_2 stands above its noise floor: stopping");
                _settledResidual = fitted;
                break;
            }
            var (next, nextHeld) = JointRefinement(chosen, estimate, summaries, flips);
            // a swap round adds neurons that the merge and the pruning must take out again: after the first, one stands only for a
            // gain beyond the joint network's optimism as well as the sampling error
            double bar = beyondFullRank && round > 1 ? Math.Max(NoImprovement, SwapOptimism(next.Refined!.Hidden)) : NoImprovement;
            bool better = IsExactOrLower(nextHeld, held, 1 - bar);
            Log($"{label} {round}: {fitted.Hidden} + {estimate.Hidden} neurons refined jointly, held-out MSE {held.Mse:G4} -> " +
                $"{nextHeld.Mse:G4}: " + (better ? "kept" : bar > NoImprovement
                    ? $"not lower by more than the joint network's optimism 2 p / n ({bar:P1}): stopping"
                    : $"not lower by more than its sampling error ({NoImprovement:P1}): stopping"));
            if (!better)
            {
                if (estimate.Hidden < room) _settledResidual = fitted;
                break;
            }
            (chosen, held) = (next, nextHeld);
            (chosen, held) = Merge(chosen, held, summaries, flips, $"{label} {round}");
            (chosen, held) = Continue(chosen, held, summaries, flips);
        }
        if (chosen.Refined!.Hidden <= first) return (chosen, held);
        (chosen, held) = Prune(chosen, held, summaries, flips);
        return Continue(chosen, held, summaries, flips);
    }

    /// <summary>Whether <paramref name="next"/> fits exactly or its held-out error is below <paramref name="factor"/> times the last.</summary>
    private static bool IsExactOrLower((double Mse, double Variance) next, (double Mse, double Variance) last, double factor) =>
        LearningRun<T>.IsExactFit(next) || next.Mse < factor * last.Mse;

    /// <summary>
    /// Refinement samples a parameter that a swap round's network keeps at least: with n rows and p parameters a least-squares
    /// fit's held-out error exceeds its training error by about 2 p / n (the held-out stop's optimism, docs/algorithm.md section
    /// 10), 20 % at 10 rows a parameter, so a larger network is not one the refinement set can tell from its own sample.
    /// </summary>
    internal const int SwapRowsPerParameter = 10;

    /// <summary>
    /// 2 p / n for a network of <paramref name="hidden"/> neurons (p parameters) on the n refinement samples: how far a least-squares
    /// fit's held-out error exceeds its training error (docs/algorithm.md section 10). A swap round after the first stands only
    /// when it lowers the held-out error by more than this: near <see cref="SwapRowsPerParameter"/> rows a parameter (d = m = 64,
    /// some 130 neurons: 17 %) a smaller gain is of the size of what the larger network's fit to its own sample explains, and it
    /// leaves dozens of neurons for the pruning to remove, one refinement each (seed 6: a 1.15x gain); with hundreds of rows a
    /// parameter (d = 8, m = 16: 0.5 %) a 22 % gain is the next neurons found (seeds 1 and 7 of the condition-1000 law go on to
    /// round-off in rounds 3 and 4).
    /// </summary>
    private double SwapOptimism(int hidden) => 2.0 * MseGradient.ParameterCount(hidden, _d) / run.Local.RefineCount;

    /// <summary>
    /// How many neurons a swap round may add to <paramref name="fitted"/> neurons: every one the residual's T_2 shows, up to d (its
    /// own decomposition is full rank), while the sum keeps <see cref="SwapRowsPerParameter"/>.
    /// </summary>
    private int SwapRoom(int fitted) => Math.Min(_d, run.Local.RefineCount / (SwapRowsPerParameter * (_d + 2)) - fitted);

    /// <summary>Each residual candidate added to the fitted network (neurons side by side, linear parts summed), refined jointly.</summary>
    private (LearningCandidateState Chosen, (double Mse, double Variance) Held) JointRefinement(LearningCandidateState chosen,
        MomentEstimate estimate, List<LearningCandidate> summaries, IFlipPolicy flips)
    {
        var fitted = chosen.Refined!;
        var combined = new LearningCandidateState[estimate.Candidates!.Length];
        for (int k = 0; k < combined.Length; k++)
        {
            var part = estimate.Candidates[k];
            var sum = Concatenate(fitted, part.Moment);
            combined[k] = new LearningCandidateState(summaries.Count + k, sum, [.. chosen.Flipped, .. part.Flipped],
                [.. Enumerable.Range(0, 3).Select(o => (double[])[.. chosen.Lambdas[o], .. part.Lambdas[o]])],
                part.Gap, part.Residual, run.Local.HeldOutError(sum).Mse) { Origin = Concatenate(chosen.MomentEstimate, part.Moment) };
        }
        var refined = run.ChooseAndRefine(combined, _options.MaxRefinementIterations, _options.RefinedCandidates, flips,
            streamedLater: false);
        summaries.AddRange(combined.Select(c => c.Summary));
        return refined;
    }

    /// <summary>
    /// A fresh moment estimate at the count the residual rounds arrived at (docs/algorithm.md section 5), when they added neurons
    /// and still do not fit the held-out samples exactly: the first decomposition was made in the subspace of the first count,
    /// without the neurons under the noise floor, so its slices were not those of m neurons in m dimensions and the first fit,
    /// and the rounds built on it, can sit in a wrong basin (measured at d = m = 64: T_2 counted 56, the rounds' 64-neuron fit
    /// stopped at relative held-out MSE 4e-4, while an estimate with all 64 directions refined to round-off). The lower held-out
    /// error of the two stands.
    /// </summary>
    private (LearningCandidateState Chosen, (double Mse, double Variance) Held) Refit(SecondMoments second,
        LearningCandidateState chosen, (double Mse, double Variance) held, List<LearningCandidate> summaries, IFlipPolicy flips, int first)
    {
        int m = chosen.Refined!.Hidden;
        Log($"refit: the residual rounds found {m - first} neuron(s) more than the first count of {first}, and the {m}-neuron fit leaves " +
            $"relative held-out MSE {held.Mse / Math.Max(held.Variance, 1e-300):G3}: a fresh moment estimate with m = {m}");
        _logPrefix = "refit: ";
        MomentEstimate estimate;
        try { estimate = Estimate(second, _d, count: m); }
        finally { _logPrefix = string.Empty; }
        var candidates = estimate.Candidates!.Select((c, k) => c with { Index = summaries.Count + k }).ToArray();
        var (next, nextHeld) = run.ChooseAndRefine(candidates, _options.MaxRefinementIterations, _options.RefinedCandidates, flips,
            streamedLater: false);
        summaries.AddRange(candidates.Select(c => c.Summary));
        (next, nextHeld) = Continue(next, nextHeld, summaries, flips);
        bool better = nextHeld.Mse < held.Mse;
        Log($"refit: held-out MSE {nextHeld.Mse:G4} against the residual rounds' {held.Mse:G4}: " +
            (better ? "the refit stands" : "the residual rounds' fit stands"));
        // the rounds' count can exceed the teacher's (a neuron spread over two): the refit then drives the spare ones to nothing,
        // or to a kink that almost no sample crosses (a suspect of the backward elimination)
        if (!better) return (chosen, held);
        (next, nextHeld) = Merge(next, nextHeld, summaries, flips, "refit");
        return Prune(next, nextHeld, summaries, flips);
    }

    /// <summary>
    /// Neurons whose kink fewer than <see cref="NeuronCoefficients.MinimumKinkSamples"/> refinement samples cross are retired
    /// (<see cref="RetireUnsupported"/>) and the rest refined again, whatever the held-out error then: the refinement cannot place
    /// such a neuron and the held-out samples cannot judge it, while its part off the sampled rows is unbounded. A moment estimate
    /// clamped at the bias limit of N samples (docs/algorithm.md section 8) or a refinement that moved a kink out of the data leaves
    /// |a| in the thousands there: at d = 8, m = 16 under a condition-1000 law (seed 1) two such neurons of the first fit carried
    /// a^2 |w|^2 Var relu(g - |b| / |w|) = 58 % and 22 % of Var y, 100 times the held-out error, so every residual pass (on all N
    /// samples) saw a residual of that size and a noise floor 9 times too high, and the streamed refinement started at 130 times
    /// the held-out MSE.
    /// </summary>
    private (LearningCandidateState Chosen, (double Mse, double Variance) Held) Retire(LearningCandidateState chosen,
        (double Mse, double Variance) held, List<LearningCandidate> summaries, IFlipPolicy flips, string label)
    {
        var (retired, kept) = RetireUnsupported(chosen.Refined!, run.Local.RefinementInputs.Span);
        int count = chosen.Refined!.Hidden - retired.Hidden;
        if (count == 0) return (chosen, held);
        var (again, againHeld) = RefineSubset(chosen, retired, kept, summaries, flips);
        Log($"{label}: {count} neuron(s) whose kink fewer than {NeuronCoefficients.MinimumKinkSamples} of the {run.Local.RefineCount} " +
            $"refinement samples cross retired (dropped, or folded into the linear part), held-out MSE {held.Mse:G4} -> {againHeld.Mse:G4}");
        return (again, againHeld);
    }

    /// <summary>
    /// A neuron that refinement turned into a copy of another (parallel w, same kink) or into nothing is merged or dropped, and
    /// the smaller network refined again; it stands when it fits as well (<see cref="FitsAsWell"/>).
    /// </summary>
    private (LearningCandidateState Chosen, (double Mse, double Variance) Held) Merge(LearningCandidateState chosen,
        (double Mse, double Variance) held, List<LearningCandidate> summaries, IFlipPolicy flips, string label)
    {
        (chosen, held) = Retire(chosen, held, summaries, flips, label);
        var (merged, kept) = MergeRedundant(chosen.Refined!);
        if (merged.Hidden == chosen.Refined!.Hidden) return (chosen, held);
        var (again, againHeld) = RefineSubset(chosen, merged, kept, summaries, flips);
        bool keep = FitsAsWell(againHeld, held, NoImprovement);
        Log($"{label}: {chosen.Refined!.Hidden - merged.Hidden} redundant neuron(s) merged, held-out MSE {againHeld.Mse:G4}: " +
            (keep ? "kept" : "not kept"));
        return keep ? (again, againHeld) : (chosen, held);
    }

    /// <summary>
    /// Continues a refinement that its iteration limit stopped (docs/algorithm.md section 5), after the first fit, after each
    /// kept residual round and after the pruning: the fit is refined again from where it stopped, and the continuation stands
    /// when it lowers the held-out error by more than its sampling error. Another follows only while each continuation at least
    /// halves the held-out error: a fit converging that steeply has all its neurons, and its residual y - f(x) (the unconverged
    /// part, structured like the neurons' derivatives) would show a residual round new neurons that are not there. A fit that
    /// misses a neuron falls slowly and goes on to the residual round.
    /// </summary>
    private (LearningCandidateState Chosen, (double Mse, double Variance) Held) Continue(LearningCandidateState chosen,
        (double Mse, double Variance) held, List<LearningCandidate> summaries, IFlipPolicy flips)
    {
        // an exact held-out fit (1e-12 relative) is no reason to stop: the refinement's own target is round-off (1e-20)
        for (int k = 1; k <= MaxContinuations && chosen.Unfinished && held.Mse > 0; k++)
        {
            var network = chosen.Refined!;
            var (again, againHeld) = RefineSubset(chosen, network, [.. Enumerable.Range(0, network.Hidden)], summaries, flips);
            bool lower = LearningRun<T>.IsExactFit(againHeld) || againHeld.Mse < (1 - NoImprovement) * held.Mse;
            bool steep = againHeld.Mse <= 0.5 * held.Mse;
            Log($"continued refinement {k}: the {network.Hidden}-neuron fit stopped at the iteration limit with held-out MSE " +
                $"{held.Mse:G4}; {again.Iterations} more iterations: {againHeld.Mse:G4}" +
                (!lower ? " (not lower by more than its sampling error: not kept)"
                    : steep ? string.Empty : " (kept; not steep: no further continuation)"));
            if (!lower) break;
            (chosen, held) = (again, againHeld);
            if (!steep) break;
        }
        return (chosen, held);
    }

    /// <summary>
    /// Backward elimination after residual rounds that added neurons, and after a refit that stands: each suspect neuron
    /// (<see cref="Suspects"/>), smallest output a |w| first, is removed and the rest refined again; the removal stands when the
    /// held-out error stays exact or within its sampling error. When the suspects are spent and the fit is not exact, one neuron in
    /// general position is tried if the others' least-squares output layer alone nearly replaces it (<see cref="SpareErrorRatio"/>).
    /// Rounds on a strongly correlated input law can fit the data with
    /// more neurons than it needs (one neuron spread over several); the held-out evidence does not need them, and the smaller
    /// network is the one that generalises off the sampled region.
    /// </summary>
    private (LearningCandidateState Chosen, (double Mse, double Variance) Held) Prune(LearningCandidateState chosen,
        (double Mse, double Variance) held, List<LearningCandidate> summaries, IFlipPolicy flips)
    {
        int trials = chosen.Refined!.Hidden, failures = 0;
        ReluNetwork? triedOutside = null;
        for (int attempt = 0; attempt < trials && failures < chosen.Refined!.Hidden && chosen.Refined!.Hidden > 1; attempt++)
        {
            var network = chosen.Refined!;
            int m = network.Hidden;
            // the smallest output a |w| past the neurons whose removal did not stand, among the suspects only: a refinement
            // without a real neuron runs to its iteration cap, so neurons in general position are not tried
            var order = Suspects(network, run.Local.RefinementInputs.Span).OrderBy(i => Math.Abs(network.A[i]) *
                System.Numerics.Tensors.TensorPrimitives.Norm(network.WeightsOf(i))).ToArray();
            int drop;
            if (failures < order.Length)
            {
                drop = order[failures];
            }
            else
            {
                // the suspects are spent and the fit is still not exact: one neuron in general position may be spare (a teacher
                // neuron spread over two). One trial, each network once, for the neuron the others' least-squares output layer
                // replaces best, and only when that alone leaves at most twice the held-out error: the refinement then has little
                // left to do (d = 8, m = 16, condition 1000, seed 10: 17 neurons at held-out MSE 2.4e-8, 1.4e-8 without neuron 14)
                int[] outside = [.. Enumerable.Range(0, m).Where(i => !order.Contains(i))];
                if (LearningRun<T>.IsExactFit(held) || ReferenceEquals(triedOutside, network) || outside.Length == 0) break;
                triedOutside = network;
                var errors = run.Local.OutputLayerErrorsWithout(network);
                drop = outside.MinBy(i => errors[i]);
                bool spare = errors[drop] <= SpareErrorRatio * held.Mse;
                Log($"pruning: no suspect left; without neuron {drop} the others' output layer leaves MSE {errors[drop]:G3} on the " +
                    $"refinement samples (held-out MSE {held.Mse:G3}): " + (spare ? "tried" : "no spare neuron"));
                if (!spare) break;
            }
            int[] kept = [.. Enumerable.Range(0, m).Where(i => i != drop)];
            var smaller = Neurons(network, kept);
            var (again, againHeld) = RefineSubset(chosen, smaller, kept, summaries, flips);
            bool keep = FitsAsWell(againHeld, held, NoImprovement);
            Log($"pruning: without neuron {drop} of {m}, held-out MSE {againHeld.Mse:G4} (was {held.Mse:G4}): " +
                (keep ? "removed" : "kept"));
            if (keep)
            {
                // the smaller network has its own suspects, each tried afresh: a count of the earlier failures would skip the first
                // of them (a neuron driven to a = -5e-9 stayed in a 9-neuron fit of 8 teacher neurons)
                (chosen, held) = (again, againHeld);
                failures = 0;
            }
            else
            {
                failures++;
            }
        }
        return (chosen, held);
    }

    /// <summary>
    /// Refines <paramref name="network"/>, the neurons <paramref name="kept"/> of <paramref name="chosen"/> (merged or some
    /// removed), as one more candidate with the kept neurons' flips and Hermite coefficients; the refined candidate joins the
    /// summaries.
    /// </summary>
    private (LearningCandidateState Chosen, (double Mse, double Variance) Held) RefineSubset(LearningCandidateState chosen,
        ReluNetwork network, int[] kept, List<LearningCandidate> summaries, IFlipPolicy flips)
    {
        // the moment estimate's neurons are the chosen network's, in the same order
        var origin = chosen.MomentEstimate.Hidden == chosen.Refined!.Hidden ? Neurons(chosen.MomentEstimate, kept) : chosen.MomentEstimate;
        var state = new LearningCandidateState(summaries.Count, network, [.. kept.Select(i => chosen.Flipped[i])],
            [.. chosen.Lambdas.Select(l => kept.Select(i => l[i]).ToArray())], chosen.Gap, chosen.Residual,
            run.Local.HeldOutError(network).Mse) { Origin = origin };
        var refined = run.ChooseAndRefine([state], _options.MaxRefinementIterations, 1, flips, streamedLater: true);
        summaries.Add(state.Summary); // after refinement: the summary is a snapshot of the refined candidate
        return refined;
    }

    /// <summary>
    /// Whether a smaller network (merged or pruned) stands in for the larger one: its held-out error is exact or within the
    /// larger's sampling error (<paramref name="noImprovement"/>, relative).
    /// </summary>
    private static bool FitsAsWell((double Mse, double Variance) smaller, (double Mse, double Variance) larger, double noImprovement) =>
        LearningRun<T>.IsExactFit(smaller) || smaller.Mse <= larger.Mse * (1 + noImprovement);

    /// <summary>Per neuron, how many rows of <paramref name="x"/> (n x d) put it on the active side of its kink.</summary>
    private static int[] ActiveCounts(ReluNetwork network, ReadOnlySpan<double> x)
    {
        int m = network.Hidden, d = network.InputDim, n = x.Length / d;
        var active = new int[m];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++)
                if (System.Numerics.Tensors.TensorPrimitives.Dot(network.WeightsOf(i), x.Slice(j * d, d)) + network.B[i] > 0)
                    active[i]++;
        return active;
    }

    /// <summary>
    /// Neurons a backward elimination tries to remove: those with a nearly parallel or opposite partner (|cos| &gt; 0.99), a kink
    /// that fewer than 0.1% of the refinement samples cross on one side, or an output a |w| under 1e-3 of the largest.
    /// </summary>
    private static IEnumerable<int> Suspects(ReluNetwork network, ReadOnlySpan<double> x)
    {
        int m = network.Hidden, n = x.Length / network.InputDim;
        var active = ActiveCounts(network, x);
        var output = new double[m];
        var norms = new double[m];
        for (int i = 0; i < m; i++)
        {
            norms[i] = System.Numerics.Tensors.TensorPrimitives.Norm(network.WeightsOf(i));
            output[i] = Math.Abs(network.A[i]) * norms[i];
        }
        double largest = output.Max();
        var suspects = new List<int>();
        for (int i = 0; i < m; i++)
        {
            bool partner = Enumerable.Range(0, m).Any(j => j != i && Math.Abs(System.Numerics.Tensors.TensorPrimitives.Dot(
                network.WeightsOf(i), network.WeightsOf(j))) > 0.99 * norms[i] * norms[j]);
            bool rare = Math.Min(active[i], n - active[i]) < 1e-3 * n;
            if (partner || rare || output[i] < 1e-3 * largest) suspects.Add(i);
        }
        return suspects;
    }

    /// <summary>
    /// The neurons of <paramref name="network"/> whose kink at least <see cref="NeuronCoefficients.MinimumKinkSamples"/> rows of
    /// <paramref name="x"/> cross on each side; the others are dropped (almost never active) or folded into the linear part
    /// (almost always active: a (w x + b)), which changes the function on fewer than that many rows.
    /// </summary>
    private static (ReluNetwork Network, int[] Kept) RetireUnsupported(ReluNetwork network, ReadOnlySpan<double> x)
    {
        int m = network.Hidden, d = network.InputDim, n = x.Length / d;
        var active = ActiveCounts(network, x);
        var linear = network.LinearWeights.ToArray();
        double linearBias = network.LinearBias;
        var kept = new List<int>();
        for (int i = 0; i < m; i++)
        {
            if (active[i] >= NeuronCoefficients.MinimumKinkSamples && n - active[i] >= NeuronCoefficients.MinimumKinkSamples)
            {
                kept.Add(i);
            }
            else if (active[i] > n / 2)
            {
                for (int k = 0; k < d; k++) linear[k] += network.A[i] * network.WeightsOf(i)[k];
                linearBias += network.A[i] * network.B[i];
            }
        }
        if (kept.Count == m || kept.Count == 0) return (network, [.. Enumerable.Range(0, m)]);
        return (Neurons(network, [.. kept], linearBias, linear), [.. kept]);
    }

    /// <summary>
    /// Merges neurons with parallel w and the same kink (a relu(w x + b) = a |w| relu(w/|w| x + b/|w|)), or with opposite w and
    /// the same hyperplane (relu(-t) = relu(t) - t, the linear part to the remainder), and drops neurons whose
    /// output a |w| is negligible against the largest.
    /// </summary>
    private static (ReluNetwork Network, int[] Kept) MergeRedundant(ReluNetwork network)
    {
        int m = network.Hidden, d = network.InputDim;
        var linear = network.LinearWeights.ToArray();
        double linearBias = network.LinearBias;
        var unit = new double[m * d];
        var scale = new double[m];
        var kink = new double[m];
        for (int i = 0; i < m; i++)
        {
            var w = network.WeightsOf(i);
            double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(w, w));
            for (int k = 0; k < d; k++) unit[i * d + k] = w[k] / norm;
            scale[i] = network.A[i] * norm;
            kink[i] = network.B[i] / norm;
        }
        double largest = scale.Max(Math.Abs);
        var keep = new List<int>();
        for (int i = 0; i < m; i++)
        {
            if (!(Math.Abs(scale[i]) > 1e-7 * largest)) continue;
            int twin = keep.FindIndex(j => System.Numerics.Tensors.TensorPrimitives.Dot(unit.AsSpan(i * d, d), unit.AsSpan(j * d, d)) > 1 - 1e-6
                && Math.Abs(kink[i] - kink[j]) < 1e-3 * (1 + Math.Abs(kink[j])));
            // The same hyperplane from the other side: with t = u_j x + k_j, s_i relu(-t) = s_i relu(t) - s_i t.
            int opposite = twin >= 0 ? -1 : keep.FindIndex(j =>
                System.Numerics.Tensors.TensorPrimitives.Dot(unit.AsSpan(i * d, d), unit.AsSpan(j * d, d)) < -(1 - 1e-6)
                && Math.Abs(kink[i] + kink[j]) < 1e-3 * (1 + Math.Abs(kink[j])));
            if (twin >= 0) scale[keep[twin]] += scale[i];
            else if (opposite >= 0)
            {
                int j = keep[opposite];
                scale[j] += scale[i];
                for (int k = 0; k < d; k++) linear[k] -= scale[i] * unit[j * d + k];
                linearBias -= scale[i] * kink[j];
            }
            else keep.Add(i);
        }
        // a pair that cancelled (a relu(t) - a relu(t) after the merges above) leaves nothing
        keep.RemoveAll(i => !(Math.Abs(scale[i]) > 1e-7 * largest));
        if (keep.Count == m) return (network, [.. keep]);
        var a = keep.Select(i => scale[i]).ToArray();
        var b = keep.Select(i => kink[i]).ToArray();
        var wOut = keep.SelectMany(i => unit.AsSpan(i * d, d).ToArray()).ToArray();
        return (new ReluNetwork(d, a, wOut, b, linearBias, linear), [.. keep]);
    }

    /// <summary>The neurons <paramref name="kept"/> of <paramref name="network"/>, with its linear remainder.</summary>
    private static ReluNetwork Neurons(ReluNetwork network, int[] kept) => Neurons(network, kept, network.LinearBias, network.LinearWeights);

    /// <summary>The neurons <paramref name="kept"/> of <paramref name="network"/>, with the linear part given.</summary>
    private static ReluNetwork Neurons(ReluNetwork network, int[] kept, double linearBias, ReadOnlySpan<double> linear) =>
        new(network.InputDim, [.. kept.Select(i => network.A[i])], [.. kept.SelectMany(i => network.WeightsOf(i).ToArray())],
            [.. kept.Select(i => network.B[i])], linearBias, linear);

    /// <summary>The sum of two networks: the neurons of both, the linear parts added.</summary>
    private static ReluNetwork Concatenate(ReluNetwork first, ReluNetwork second)
    {
        var linear = first.LinearWeights.ToArray();
        for (int k = 0; k < linear.Length; k++) linear[k] += second.LinearWeights[k];
        return new ReluNetwork(first.InputDim, [.. first.A, .. second.A], [.. first.W, .. second.W], [.. first.B, .. second.B],
            first.LinearBias + second.LinearBias, linear);
    }

    /// <summary>
    /// Passes 2 and 3 on this strategy's run after pass 1: m (estimated up to <paramref name="maxHidden"/> when not given),
    /// the pencil candidates and their moment estimates.
    /// </summary>
    /// <param name="second">Pass 1's moments.</param>
    /// <param name="maxHidden">The most neurons the estimate may have.</param>
    /// <param name="count">m decided already (<see cref="Refit"/>); null: from the options or the T_2 spectrum.</param>
    private MomentEstimate Estimate(SecondMoments second, int maxHidden, int? count = null)
    {
        var clock = Stopwatch.StartNew();
        var (t0, t1, t2, spectrum) = (second.T0, second.T1, second.T2, second.Spectrum);
        double n = _n;
        bool estimated = true;
        int m = DistributedPass.ShareFromRankZero(_options.Reducer, Math.Min(maxHidden, count ?? ChooseHidden(second, out estimated)));
        var tChoose = Lap(clock);
        if (m == 0) return new MomentEstimate(0, estimated, null, null, tChoose, tChoose, TimeSpan.Zero, TimeSpan.Zero);

        // Subspace U (d x m), B = U^T T_2 U, and the quadratic control variate in z = U^T x.
        double[] u = spectrum.LeadingVectors(m);
        DistributedPass.ShareFromRankZero(_options.Reducer, u);
        double[] b = MomentLearnerMath.Congruence(u, t2, _d, m);
        double[] t1z = MomentLearnerMath.TransposeTimes(u, t1, _d, m);
        var quadratic = ControlVariate.Quadratic(t0, t1z, b);
        T[] uT = Array.ConvertAll(u, v => T.CreateTruncating(v));

        // Pass 2: the sums of the candidates' tensors C_r = T_3 + T_4(., ., ., g_r).
        int restarts = _options.Restarts;
        double[] g = new double[m * restarts];
        new CounterGaussian(_options.Seed, key: 0x6A).Fill(0, g);
        T[] gT = Array.ConvertAll(g, v => T.CreateTruncating(v));
        var pass2 = run.RunPass(LearningStage.ProjectedTensor,
            () => new ProjectedMomentWorker<T>(uT, _d, m, gT, restarts, quadratic, _options.BlockSize, run.DeviceEngine,
                singleProducts: _options.TensorPrecision == TensorPrecision.Mixed));
        var tPass2 = tChoose + Lap(clock);

        // Decomposition of each candidate C_r = T_3 + T_4(., ., ., g_r).
        Report(LearningStage.Decomposition, 0, 0, "decomposing");
        var pencils = new PencilResult[restarts];
        var slices = new double[restarts][];
        for (int r = 0; r < restarts; r++)
        {
            slices[r] = MomentLearnerMath.CandidateTensor(pass2.Moments, pass2.CentredMoments, r, g, restarts, m, n);
            // finite samples whose products overflow: name the largest value
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<double>(slices[r])) throw run.NonFinite();
        }
        // The candidates are independent small problems: one per core (each on a single libtorch thread where m is large
        // enough for libtorch; small ones are solved in managed code and libtorch is not loaded).
        DenseBackend.WithSingleTorchThread(m, () =>
        {
            int workers = _options.Threads > 0 ? _options.Threads : Environment.ProcessorCount;
            Parallel.For(0, restarts, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = _cancel }, r =>
            {
                pencils[r] = PencilDecomposition.Decompose(b, slices[r], m, _options.PencilTrials, _options.Seed + (ulong)r,
                    _options.PolishIterations);
            });
        });
        for (int r = 0; r < restarts; r++)
            Log($"candidate {r}: relative eigen-gap {pencils[r].RelativeGap:G3}, " +
                $"slice residual {pencils[r].PencilResidual:G3} -> {pencils[r].PolishedResidual:G3} " +
                $"after {pencils[r].PolishIterations} polish iterations");
        foreach (var pencil in pencils) DistributedPass.ShareFromRankZero(_options.Reducer, pencil.Factors);
        var tDecomposition = Lap(clock);

        // Pass 3: Hermite coefficients r_k = E[y~ He_k(<w_j, x>)] for every candidate's directions.
        int columns = m * restarts;
        var directions = new double[m * columns];
        for (int r = 0; r < restarts; r++)
            for (int i = 0; i < m; i++)
                for (int k = 0; k < m; k++)
                    directions[k * columns + r * m + i] = pencils[r].Factors[k * m + i];
        var pass3 = run.RunPass(LearningStage.Coefficients,
            () => new CoefficientWorker<T>(uT, _d, m, directions, columns, 4, quadratic, _options.BlockSize, run.DeviceEngine));
        var flips = new FirstMomentFlips(t1);
        var candidates = new LearningCandidateState[restarts];
        double varianceY = run.Local.HeldOutError(new ReluNetwork(_d, [], [], [])).Variance;
        for (int r = 0; r < restarts; r++)
            candidates[r] = BuildCandidate(r, pencils[r], pass3.Moments, directions, columns, m, u, b, t0, t1, n, varianceY, flips);
        var tPass3 = Lap(clock);
        return new MomentEstimate(m, estimated, candidates, flips, tChoose, tPass2, tDecomposition, tPass3);
    }

    private LearningTimings Timings(TimeSpan higher, TimeSpan decomposition, TimeSpan coefficients, TimeSpan refinement, TimeSpan extra) =>
        new(run.PilotTime, run.SecondMomentTime, higher + extra, decomposition, coefficients, refinement) { ModeCheck = run.ModeCheckTime };

    private int ChooseHidden(SecondMoments second, out bool estimated)
    {
        var (values, noiseFloor) = (second.Spectrum.Values, second.NoiseFloor);
        string top = string.Join(", ", values.Take(Math.Min(values.Count, 24)).Select(v => v.ToString("G3")));
        Log($"T_2 spectrum (by |value|): {top}{(values.Count > 24 ? ", ..." : string.Empty)}; noise floor {noiseFloor:G3}");
        if (_options.Hidden is int given)
        {
            estimated = false;
            if (given < _d && Math.Abs(values[given - 1]) < _options.NoiseFloorMultiple * noiseFloor)
                run.Warn(new LearningWarning(LearningWarningCode.BelowNoiseFloor,
                    $"eigenvalue {given} of T_2 ({values[given - 1]:G3}) is below {_options.NoiseFloorMultiple} x the noise floor: " +
                    "some neurons are not identifiable from these samples"));
            return given;
        }
        estimated = true;
        double threshold = _options.NoiseFloorMultiple * noiseFloor;
        int m = second.Significant(_options.NoiseFloorMultiple);
        Log($"chose m = {m}: eigenvalues above {_options.NoiseFloorMultiple} x noise floor = {threshold:G3}" +
            (m > 0 && m < values.Count
                ? $"; gap |lambda_{m}| / |lambda_{m + 1}| = {Math.Abs(values[m - 1]) / Math.Max(Math.Abs(values[m]), 1e-300):G3}"
                : string.Empty));
        if (_options.SuggestedHidden is int suggested && suggested > m)
        {
            Log($"chose m = {suggested} instead: the flattened moments count {suggested} neurons (T_2 undercounts)");
            m = suggested;
        }
        return m;
    }

    private LearningCandidateState BuildCandidate(int r, PencilResult pencil, HermiteProjectionAccumulator<T> sums, double[] directions, int columns,
        int m, double[] u, double[] b, double t0, double[] t1, double n, double varianceY, IFlipPolicy flips)
    {
        // V: the candidate's m unit directions in z-space, column i.
        var v = new double[m * m];
        for (int k = 0; k < m; k++)
            for (int i = 0; i < m; i++)
                v[k * m + i] = directions[k * columns + r * m + i];
        var gramV = new double[m * m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int k = 0; k < m; k++) s += v[k * m + i] * v[k * m + j];
                gramV[i * m + j] = s;
            }
        // r_k with the control variate's own part added back for k = 2: E[p(z) He_2(<v, z>)] = v^T B v (docs/algorithm.md section 8).
        var lambdas = new double[3][];
        for (int order = 2; order <= 4; order++)
        {
            var rhs = new double[m];
            for (int i = 0; i < m; i++)
            {
                rhs[i] = sums.Sum(order, r * m + i) / n;
                if (order == 2)
                    for (int p = 0; p < m; p++)
                        for (int q = 0; q < m; q++) rhs[i] += v[p * m + i] * b[p * m + q] * v[q * m + i];
            }
            var power = new double[m * m];
            for (int i = 0; i < m * m; i++) power[i] = Math.Pow(gramV[i], order);
            lambdas[order - 2] = DenseSolve.Solve(power, m, rhs);
        }
        // b_i = -lambda_3 / lambda_2, a_i = lambda_2 / phi(b_i) (docs/algorithm.md section 8), within what N samples support.
        var a = new double[m];
        var bias = new double[m];
        var limited = new List<int>();
        for (int i = 0; i < m; i++)
        {
            (a[i], bias[i]) = NeuronCoefficients.FromHermite(lambdas[0][i], lambdas[1][i], n, varianceY, out bool clamped);
            if (clamped) limited.Add(i);
        }
        if (limited.Count > 0)
            Log($"candidate {r}: neuron(s) {string.Join(", ", limited)}: moment estimate of (a, b) beyond what {n:G3} samples support " +
                $"(|b| > {NeuronCoefficients.BiasLimit(n):F2} or a neuron varying more than y): started within those bounds");
        // w_i = U v_i (unit), then the linear remainder and the orientation that t1 calls for.
        var w = new double[m * _d];
        for (int i = 0; i < m; i++)
        {
            double norm = 0;
            for (int k = 0; k < _d; k++)
            {
                double value = 0;
                for (int p = 0; p < m; p++) value += u[k * m + p] * v[p * m + i];
                w[i * _d + k] = value;
                norm += value * value;
            }
            norm = Math.Sqrt(norm);
            for (int k = 0; k < _d; k++) w[i * _d + k] /= norm;
        }
        var network = flips.Apply(LinearRemainder.Complete(a, w, bias, t0, t1), out bool[] flipped);
        double mse = run.Local.HeldOutError(network).Mse;
        Log($"candidate {r}: moment estimate held-out MSE {mse:G4}, flips {flipped.Count(f => f)}");
        return new LearningCandidateState(r, network, flipped, lambdas, pencil.RelativeGap, pencil.PolishedResidual, mse);
    }

    private void Log(string line) => run.Reporter.Log(_logPrefix + line);

    private void Report(LearningStage stage, long done, long total, string message) => run.Reporter.Report(stage, done, total, message);

    private static TimeSpan Lap(Stopwatch clock) => LearningReporter.Lap(clock);
}

/// <summary>The full-rank strategy's tensor algebra.</summary>
internal static class MomentLearnerMath
{
    /// <summary>U^T A U for U d x m and A d x d (row-major).</summary>
    internal static double[] Congruence(double[] u, double[] a, int d, int m)
    {
        var au = new double[d * m];
        for (int i = 0; i < d; i++)
            for (int k = 0; k < d; k++)
            {
                double aik = a[i * d + k];
                if (aik == 0) continue;
                for (int j = 0; j < m; j++) au[i * m + j] += aik * u[k * m + j];
            }
        var result = new double[m * m];
        for (int i = 0; i < d; i++)
            for (int p = 0; p < m; p++)
            {
                double uip = u[i * m + p];
                for (int q = 0; q < m; q++) result[p * m + q] += uip * au[i * m + q];
            }
        for (int p = 0; p < m; p++)
            for (int q = p + 1; q < m; q++)
                result[p * m + q] = result[q * m + p] = 0.5 * (result[p * m + q] + result[q * m + p]);
        return result;
    }

    /// <summary>U^T v for U d x m.</summary>
    internal static double[] TransposeTimes(double[] u, double[] v, int d, int m)
    {
        var result = new double[m];
        for (int i = 0; i < d; i++)
            for (int p = 0; p < m; p++) result[p] += u[i * m + p] * v[i];
        return result;
    }

    /// <summary>
    /// E[c H_3(z)] = M_3 - (delta_ij M_1k + delta_ik M_1j + delta_jk M_1i) from the moments of one weight c (T_3 for c = y~;
    /// docs/algorithm.md sections 4 and 6): M_3 from weight <paramref name="weight"/>'s 3-tensor, M_1 from its degree 1 sums
    /// <paramref name="firstSums"/>.
    /// </summary>
    internal static double[] ThirdOrderTensor<T>(ProjectedTensorAccumulator<T> acc, int weight, ReadOnlySpan<double> firstSums, int m, double n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var t = new double[m * m * m];
        acc.CopyThirdMoment(weight, t);
        for (int i = 0; i < t.Length; i++) t[i] /= n;
        for (int i = 0; i < m; i++)
            for (int k = 0; k < m; k++)
            {
                double m1 = firstSums[k] / n;
                t[(i * m + i) * m + k] -= m1;
                t[(i * m + k) * m + i] -= m1;
                t[(k * m + i) * m + i] -= m1;
            }
        return t;
    }

    /// <summary>
    /// Candidate r's tensor C_r = T_3 + T_4(., ., ., g_r) from pass 2's sums (<see cref="ProjectedMomentWorker{T}"/>). Weight r of
    /// <paramref name="tensor"/> is y~ (1 + &lt;z, g_r&gt;), so <see cref="ThirdOrderTensor{T}"/> of it is T_3 plus the first two terms
    /// of T_4(., ., ., g) = E[y~ H_4(z)(., ., ., g)] = M3_g - sym(delta (x) M1_g) - (g_k M2_ij + g_j M2_ik + g_i M2_jk)
    /// + M0 (delta_ij g_k + delta_ik g_j + delta_jk g_i), whose M2 and M0 are y~'s (<paramref name="centred"/>); the tensor keeps
    /// no lower degrees, and the weight's degree 1 sums are y~'s too: sum y~ (1 + &lt;z, g&gt;) z = sum y~ z + (sum y~ z z^T) g.
    /// </summary>
    internal static double[] CandidateTensor<T>(ProjectedTensorAccumulator<T> tensor, WeightedGramAccumulator<T> centred, int r, double[] g,
        int restarts, int m, double n) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var gr = new double[m];
        for (int i = 0; i < m; i++) gr[i] = g[i * restarts + r];
        var first = new double[m];
        var m2 = new double[m * m];
        centred.CopyFirstMoment(0, first);
        centred.CopyGram(0, m2);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++) first[i] += m2[i * m + j] * gr[j];
        double[] t = ThirdOrderTensor(tensor, r, first, m, n);
        double m0 = centred.WeightSum(0) / n;
        for (int i = 0; i < m2.Length; i++) m2[i] /= n;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                for (int k = 0; k < m; k++)
                    t[(i * m + j) * m + k] -= gr[k] * m2[i * m + j] + gr[j] * m2[i * m + k] + gr[i] * m2[j * m + k];
        for (int i = 0; i < m; i++)
            for (int k = 0; k < m; k++)
            {
                t[(i * m + i) * m + k] += m0 * gr[k];
                t[(i * m + k) * m + i] += m0 * gr[k];
                t[(k * m + i) * m + i] += m0 * gr[k];
            }
        return t;
    }
}
