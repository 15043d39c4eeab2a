using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Learning;

/// <summary>
/// Early stopping of refinement against the held-out error's sampling error (docs/algorithm.md section 10): L-BFGS stops
/// when the held-out MSE has not fallen by more than 2 sqrt(2 / n_held) (relative) over one window of 20 iterations, instead
/// of spending its iteration budget on gains the held-out rows cannot tell from noise.
/// </summary>
public class EarlyStoppingTests
{
    private sealed class NoFlips : IFlipPolicy
    {
        public ReluNetwork Apply(ReluNetwork network, out bool[] flipped)
        {
            flipped = new bool[network.Hidden];
            return network;
        }

        public string? AfterRefinement => null;
    }

    [Fact]
    public void StopsAtTheFirstWindowWhoseGainIsWithinTheTolerance()
    {
        // held-out MSE at iterations 0, 20, 40, ...: gains of 50%, 40%, 3%, then 1% (< 2%)
        double[] sequence = [1.0, 0.5, 0.3, 0.291, 0.2885, 0.1];
        int calls = 0;
        var stopping = new HeldOutStopping(_ => sequence[calls++], hidden: 1, inputDim: 1, tolerance: 0.02);
        var theta = new double[MseGradient.ParameterCount(1, 1)];
        int stoppedAt = -1;
        for (int iteration = 0; iteration <= 100 && stoppedAt < 0; iteration++)
            if (stopping.Check(iteration, theta, 0)) stoppedAt = iteration;
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
        var stopping = new HeldOutStopping(_ => Math.Pow(10, -calls++), hidden: 1, inputDim: 1, tolerance: 0.02);
        var theta = new double[MseGradient.ParameterCount(1, 1)];
        for (int iteration = 0; iteration <= 400; iteration++) Assert.False(stopping.Check(iteration, theta, 0));
        Assert.Equal(-1, stopping.StoppedAt);
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
    /// A two-neuron start fitted to a six-neuron noiseless teacher: the fit cannot become exact, its held-out error levels off
    /// after some iterations and L-BFGS alone would go on creeping along the valley. The learner's refinement stops at the first
    /// window without a gain beyond the held-out sampling error, found here by replaying the same refinement without the stop.
    /// </summary>
    [Fact]
    public void RefinementThatCannotFitStopsAtTheFirstWindowWithoutAHeldOutGain()
    {
        const int D = 6, Max = 1000;
        var teacher = RandomTeacher.Create(new TeacherOptions(D, 6), 5);
        var source = new TeacherSampleSource<double>(teacher, 30_000, 6);
        var options = new LearnerOptions { RefinementSamples = 20_000, HeldOutSamples = 10_000, PilotSamples = 20_000, Threads = 1 };
        var run = new LearningRun<double>(source, options, null, null, CancellationToken.None);
        run.Local.Read();
        // the start: two of the teacher's neurons, perturbed
        var start = new ReluNetwork(D, [teacher.A[0] * 1.1, teacher.A[1] * 0.9],
            [.. teacher.WeightsOf(0).ToArray().Select(v => v + 0.05), .. teacher.WeightsOf(1).ToArray().Select(v => v - 0.05)],
            [teacher.B[0] + 0.1, teacher.B[1] - 0.1]);
        double tolerance = HeldOutStopping.RelativeSamplingError(run.Local.HeldOutCount);

        // the same refinement without the stop (a tolerance that never stops it), its held-out error at every window
        var heldOut = new List<double>();
        var watch = new HeldOutStopping(network =>
        {
            double mse = run.Local.HeldOutMse(network, 1);
            heldOut.Add(mse);
            return mse;
        }, start.Hidden, D, double.NegativeInfinity);
        int free;
        using (var refinement = run.Local.Refinement(run.Local.RefineCount, 1))
        {
            var (_, _, optimizer) = refinement.Run(start, Max, CancellationToken.None, watch);
            Assert.False(optimizer.Stopped);
            free = optimizer.Iterations;
        }
        int window = 1;
        while (window < heldOut.Count && heldOut[window] < (1 - tolerance) * heldOut.Take(window).Min()) window++;
        Assert.True(window < heldOut.Count, "the held-out error never levelled off");
        int expected = window * HeldOutStopping.DefaultWindow;
        // the case must tell the rule from L-BFGS's own end: the held-out error levels off well before the optimiser stops
        Assert.True(expected + HeldOutStopping.DefaultWindow <= free, $"held-out level from iteration {expected}, L-BFGS ends at {free}");

        var candidate = new LearningCandidateState(0, start, new bool[2], [new double[2], new double[2], new double[2]], 1, 0,
            run.Local.HeldOutError(start).Mse);
        var (chosen, held) = run.ChooseAndRefine([candidate], Max, 1, new NoFlips());

        Assert.Equal(expected, chosen.Iterations);
        Assert.Contains(run.Reporter.Lines, line => line.StartsWith($"candidate 0: refinement on 20000 samples stopped after {expected} " +
            "iterations", StringComparison.Ordinal));
        // it returns the iterate of the stopping window (to the round-off of rescaling to unit w_i and another summation order)
        Assert.Equal(heldOut[window], held.Mse, 1e-10 * held.Mse);
        Assert.True(held.Mse > 1e-3 * held.Variance, "the two-neuron fit cannot be exact");
    }

    [Fact]
    public void AnUnderSizedNetworkStopsOnTheHeldOutRuleAndWarns()
    {
        // a given m below the teacher's: every candidate's refinement levels off and is stopped; the result warns
        var teacher = RandomTeacher.Create(new TeacherOptions(8, 6), 7);
        var source = new TeacherSampleSource<double>(teacher, 200_000, 8);
        var options = new LearnerOptions { Hidden = 3, Seed = 7, Threads = 1 };
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
