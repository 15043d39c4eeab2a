using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Learning;

/// <summary>
/// Refinement starts on a quick subsample (the first rows of the refinement set) and moves on to the whole refinement set only
/// when the quick fit is not exact. A neuron whose kink no quick row crosses has no gradient there: the quick subsample can then
/// look fitted exactly while the held-out rows are not, which is how residual rounds under a condition-1000 input law kept
/// extra neurons (docs/algorithm.md section 5). The held-out rows decide whether the quick fit is exact.
/// </summary>
public class QuickRefinementTests
{
    [Fact]
    public void AQuickFitThatOnlyLooksExactIsRefinedOnTheWholeRefinementSet()
    {
        const int D = 4, N = 50_000, Refine = 40_000, HeldOut = 10_000, Kink = 2;
        var rng = new Random(11);
        var x = new double[N * D];
        for (int i = 0; i < x.Length; i++)
            x[i] = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        // the quick subsample (20000 rows: the learner's minimum) never crosses the extra neuron's kink x_0 = 2
        for (int j = 0; j < 20_000; j++) x[j * D] = Math.Min(x[j * D], Kink);
        var teacher = new ReluNetwork(D, [1.0, -0.7], [0, 1, 0, 0, 0, 0, 0.6, 0.8], [0.2, -0.3]);
        var y = new double[N];
        teacher.Evaluate(x, y);
        var start = new ReluNetwork(D, [1.0, -0.7, 0.8], [0, 1, 0, 0, 0, 0, 0.6, 0.8, 1, 0, 0, 0], [0.2, -0.3, -Kink]);

        var options = new LearnerOptions { RefinementSamples = Refine, HeldOutSamples = HeldOut, PilotSamples = Refine, Threads = 1 };
        var run = new LearningRun<double>(new ArraySampleSource<double>(x, y, D), options, null, null, CancellationToken.None);
        run.Local.Read();
        double before = run.Local.HeldOutError(start).Mse;
        Assert.True(before > 1e-5, $"the extra neuron must show on the held-out rows: {before}");
        var candidate = new LearningCandidateState(0, start, new bool[3], [new double[3], new double[3], new double[3]], 1, 0, before);

        var (chosen, held) = run.ChooseAndRefine([candidate], 1000, 1, new NoFlips(), streamedLater: true);

        // on the quick rows alone the start is exact, and nothing moves it; the whole refinement set sees the extra neuron
        Assert.True(chosen.Iterations > 0, "only the quick subsample was refined");
        Assert.True(held.Mse < 1e-4 * before, $"held-out MSE {held.Mse} after refinement, {before} before");
    }

    [Fact]
    public void ACandidateWithTheSameMomentEstimateIsRefinedOnce()
    {
        // a residual round that finds one neuron gives the same network for every contraction g (a 1 x 1 pencil): the second
        // refinement of it would repeat the first
        const int D = 4, N = 50_000;
        // a third neuron that the two-neuron start cannot fit: no exact fit ends the search after the first candidate
        var teacher = new ReluNetwork(D, [1.0, -0.7, 0.8], [0, 1, 0, 0, 0, 0, 0.6, 0.8, 1, 0, 0, 0], [0.2, -0.3, 0.5]);
        var source = new TeacherSampleSource<double>(teacher, N, 3);
        var options = new LearnerOptions { RefinementSamples = 30_000, HeldOutSamples = 10_000, PilotSamples = 30_000, Threads = 1 };
        var run = new LearningRun<double>(source, options, null, null, CancellationToken.None);
        run.Local.Read();
        var start = new ReluNetwork(D, [0.9, -0.6], [0.1, 1, 0, 0, 0, 0, 0.5, 0.8], [0.1, -0.2]);
        double mse = run.Local.HeldOutError(start).Mse;
        LearningCandidateState Candidate(int index) =>
            new(index, start, new bool[2], [new double[2], new double[2], new double[2]], 1, 0, mse);
        var first = Candidate(0);
        var second = Candidate(1);

        run.ChooseAndRefine([first, second], 1000, 2, new NoFlips());

        Assert.True(first.Iterations > 0);
        Assert.Equal(0, second.Iterations);
        Assert.True(double.IsNaN(second.RefinedMse));
        Assert.Contains("candidate 1: the same moment estimate as candidate 0: not refined again", run.Reporter.Lines);
    }
}
