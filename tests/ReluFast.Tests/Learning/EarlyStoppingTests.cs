using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Learning;

/// <summary>
/// Early stopping of refinement against the held-out error's sampling error (docs/algorithm.md section 10): L-BFGS stops
/// when the held-out MSE has not fallen by more than 2 sqrt(2 / n_held) (relative) over one window of 20 iterations while
/// it exceeds the training MSE by more than a least-squares fit's optimism and the sampling error, instead of spending its
/// iteration budget on gains the held-out rows cannot tell from noise; a plateau on the way to an exact fit goes on.
/// </summary>
public class EarlyStoppingTests
{
    [Fact]
    public void StopsAtTheFirstWindowWhoseGainIsWithinTheTolerance()
    {
        // held-out MSE at iterations 0, 20, 40, ...: gains of 50%, 40%, 3%, then 1% (< 2%)
        double[] sequence = [1.0, 0.5, 0.3, 0.291, 0.2885, 0.1];
        int calls = 0;
        var stopping = new HeldOutStopping(_ => sequence[calls++], hidden: 1, inputDim: 1, tolerance: 0.02, gapTolerance: 0.05,
            convergedTolerance: 1e-5);
        var theta = new double[MseGradient.ParameterCount(1, 1)];
        int stoppedAt = -1;
        // a training error 10% below the held-out one: beyond the 5% gap tolerance from the start
        for (int iteration = 0; iteration <= 100 && stoppedAt < 0; iteration++)
            if (stopping.Check(iteration, theta, sequence[Math.Min(calls, sequence.Length - 1)] / 1.1)) stoppedAt = iteration;
        Assert.Equal(80, stoppedAt);
        Assert.Equal(80, stopping.StoppedAt);
        Assert.Equal(5, calls); // evaluated at 0, 20, 40, 60, 80 only
        Assert.Equal(0.291, stopping.BestBefore);
        Assert.Equal(0.2885, stopping.Last);
    }

    [Fact]
    public void NeverStopsWhileTheHeldOutErrorFallsByOrdersOfMagnitude()
    {
        // an exact fit converging: each window gains a factor of 10, down to round-off
        int calls = 0;
        var stopping = new HeldOutStopping(_ => Math.Pow(10, -calls++), hidden: 1, inputDim: 1, tolerance: 0.02,
            gapTolerance: 0.05, convergedTolerance: 1e-5);
        var theta = new double[MseGradient.ParameterCount(1, 1)];
        for (int iteration = 0; iteration <= 400; iteration++) Assert.False(stopping.Check(iteration, theta, 0));
        Assert.Equal(-1, stopping.StoppedAt);
    }

    [Fact]
    public void APlateauWhoseTrainingAndHeldOutErrorsAgreeDoesNotStop()
    {
        // a fit on its way to exact that lingers (two nearly parallel neurons not yet told apart): no gain for three windows,
        // but the training error is the held-out one within the gap tolerance, so it goes on; then the sample is fitted alone
        double[] heldOut = [1e-3, 0.999e-3, 0.998e-3, 0.998e-3, 0.998e-3];
        double[] training = [1e-3, 0.999e-3, 0.997e-3, 0.996e-3, 0.8e-3];
        int calls = 0;
        var stopping = new HeldOutStopping(_ => heldOut[calls], hidden: 1, inputDim: 1, tolerance: 0.02, gapTolerance: 0.05,
            convergedTolerance: 1e-5);
        var theta = new double[MseGradient.ParameterCount(1, 1)];
        for (int iteration = 0; iteration <= 60; iteration += 20) Assert.False(stopping.Check(iteration, theta, training[calls++]));
        Assert.True(stopping.Check(80, theta, training[calls]));
        Assert.Equal(80, stopping.StoppedAt);
    }

    [Fact]
    public void AConvergedFitThatOnlyCreepsStops()
    {
        // a local optimum: held-out and training errors flat to 1e-6 (the gap within its tolerance), L-BFGS creeping on
        double[] heldOut = [1.2, 1.05, 1.05, 1.05];
        double[] training = [1.2, 1.0, 1.0 - 1e-6, 1.0 - 2e-6];
        int calls = 0;
        var stopping = new HeldOutStopping(_ => heldOut[calls], hidden: 1, inputDim: 1, tolerance: 0.02, gapTolerance: 0.1,
            convergedTolerance: 1e-5);
        var theta = new double[MseGradient.ParameterCount(1, 1)];
        Assert.False(stopping.Check(0, theta, training[calls++]));
        Assert.False(stopping.Check(20, theta, training[calls++]));
        Assert.True(stopping.Check(40, theta, training[calls]));
        Assert.False(stopping.Overfit);
        Assert.Contains("converged", stopping.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void LbfgsStopsWhereItsMonitorSaysAndReportsIt()
    {
        // f(x) = sum_k k (x_k - 1)^2: the monitor sees the start (0) and then every iteration
        var seen = new List<int>();
        var x = new double[5];
        var result = LbfgsMinimizer.Minimize((p, g) =>
        {
            double f = 0;
            for (int k = 0; k < p.Length; k++)
            {
                f += (k + 1) * (p[k] - 1) * (p[k] - 1);
                g[k] = 2 * (k + 1) * (p[k] - 1);
            }
            return f;
        }, x, monitor: (iterations, _, _) =>
        {
            seen.Add(iterations);
            return iterations == 3;
        });
        Assert.Equal([0, 1, 2, 3], seen);
        Assert.Equal(3, result.Iterations);
        Assert.True(result.Stopped);
    }

    /// <summary>
    /// Six of a twelve-neuron noiseless teacher's neurons (perturbed) refined on 2,000 rows (97 parameters): the fit cannot become
    /// exact; it reaches a local optimum after about 140 iterations (held-out MSE 0.188, training 0.170), where L-BFGS alone creeps
    /// on to its limit of 1000 without a visible gain. The learner's refinement stops at the first window without a held-out gain
    /// whose training error has converged (or that fits its own sample), found here by replaying the same refinement without
    /// the stop.
    /// </summary>
    [Fact]
    public void RefinementThatFitsItsOwnSampleStopsAtTheFirstWindowWithoutAHeldOutGain()
    {
        const int D = 12, Kept = 6, Max = 1000;
        var teacher = RandomTeacher.Create(new TeacherOptions(D, 12), 5);
        var source = new TeacherSampleSource<double>(teacher, 25_000, 6);
        var options = new LearnerOptions { RefinementSamples = 2_000, HeldOutSamples = 5_000, PilotSamples = 25_000, Threads = 1 };
        var run = new LearningRun<double>(source, options, null, null, CancellationToken.None);
        run.Local.Read();
        var start = new ReluNetwork(D, [.. Enumerable.Range(0, Kept).Select(i => teacher.A[i] * 1.1)],
            [.. Enumerable.Range(0, Kept).SelectMany(i => teacher.WeightsOf(i).ToArray().Select(v => v + 0.05))],
            [.. Enumerable.Range(0, Kept).Select(i => teacher.B[i] + 0.1)]);
        int rows = run.Local.RefineCount, heldRows = run.Local.HeldOutCount;
        Assert.Equal((2_000, 5_000), (rows, heldRows));
        double tolerance = HeldOutStopping.RelativeSamplingError(heldRows);
        int p = MseGradient.ParameterCount(Kept, D);
        double gap = HeldOutStopping.OverfitTolerance(p, rows, heldRows), converged = StreamedRefinement.StatisticalFraction * p / rows;

        // the same refinement without the stop (tolerances that never stop it), its held-out and training errors every window
        var watch = new HeldOutStopping(network => run.Local.HeldOutMse(network, 1), Kept, D, double.NegativeInfinity,
            double.PositiveInfinity, double.NegativeInfinity);
        int free;
        using (var refinement = run.Local.Refinement(rows, 1))
        {
            var (_, _, optimizer) = refinement.Run(start, Max, CancellationToken.None, watch);
            Assert.False(optimizer.Stopped);
            free = optimizer.Iterations;
        }
        var history = watch.History;
        string trace = string.Join("; ", history.Select(h => $"{h.Iteration}: {h.HeldOut:G4} / {h.Training:G4}"));
        bool Stops(int k) => !(history[k].HeldOut < (1 - tolerance) * history.Take(k).Min(h => h.HeldOut))
            && (history[k].HeldOut > (1 + gap) * history[k].Training
                || !(history[k - 1].Training - history[k].Training > converged * history[k].Training));
        int window = 1;
        while (window < history.Count && !Stops(window)) window++;
        Assert.True(window < history.Count, $"the held-out error never levelled off: {trace}");
        int expected = history[window].Iteration;
        // the case must tell the rule from L-BFGS's own end: the stop comes at least a window before the optimiser's
        Assert.True(expected + HeldOutStopping.DefaultWindow <= free, $"stop at {expected}, L-BFGS ends at {free}: {trace}");

        var candidate = new LearningCandidateState(0, start, new bool[Kept], [new double[Kept], new double[Kept], new double[Kept]], 1, 0,
            run.Local.HeldOutError(start).Mse);
        var (chosen, held) = run.ChooseAndRefine([candidate], Max, 1, new NoFlips());

        Assert.Equal(expected, chosen.Iterations);
        Assert.Contains(run.Reporter.Lines, line => line.StartsWith($"candidate 0: refinement on {rows} samples stopped after {expected} " +
            "iterations", StringComparison.Ordinal));
        // it returns the iterate of the stopping window (to the round-off of rescaling to unit w_i and another summation order)
        Assert.Equal(history[window].HeldOut, held.Mse, 1e-10 * held.Mse);
    }

    [Fact]
    public void AnUnderSizedNetworkIsNotRefinedToTheIterationLimitAndSaysWhy()
    {
        // the same teacher learned with m = 6 given on 2,000 refinement rows: every candidate's refinement levels off and is
        // stopped (L-BFGS alone creeps to its 1000 iterations), and the result warns that the network does not explain y
        var teacher = RandomTeacher.Create(new TeacherOptions(12, 12), 5);
        var source = new TeacherSampleSource<double>(teacher, 25_000, 6);
        var options = new LearnerOptions { Hidden = 6, RefinementSamples = 2_000, HeldOutSamples = 5_000, PilotSamples = 25_000, Seed = 7,
            Threads = 1 };
        var result = ReluLearner.Learn(source, options, LearnerMode.FullRank);

        var refined = result.Candidates.Where(c => c.RefinementIterations > 0).ToArray();
        Assert.NotEmpty(refined);
        Assert.All(refined, c =>
        {
            Assert.True(c.RefinementIterations < options.MaxRefinementIterations, $"candidate {c.Index}: {c.RefinementIterations} iterations");
            Assert.Contains(result.Log, line => line.StartsWith($"candidate {c.Index}: refinement on ", StringComparison.Ordinal)
                && line.Contains($" stopped after {c.RefinementIterations} iterations: held-out MSE", StringComparison.Ordinal));
        });
        Assert.Contains(result.Warnings, w => w.Code == LearningWarningCode.UnexplainedVariance);
    }
}
