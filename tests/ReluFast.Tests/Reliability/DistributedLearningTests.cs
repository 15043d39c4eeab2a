using ReluFast.Interop.Mpi;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.Tests.Reliability;

/// <summary>
/// Distributed learning without MPI: an <see cref="InProcessGroup"/> plays K processes (one thread each), so the
/// learner's slicing and reductions are tested here; the real MPI binding is tested by tests/ReluFast.MpiCheck under
/// mpirun in .ci/run.
/// </summary>
public class DistributedLearningTests
{
    private static readonly ReluNetwork s_teacher = RandomTeacher.Create(new TeacherOptions(8, 4), 5);

    [Theory]
    [InlineData(1_000_000L, 2)]
    [InlineData(1_000_003L, 3)]
    [InlineData(5L, 4)]
    public void SlicesCoverTheSamplesOnceInRankOrder(long n, int size)
    {
        var group = new InProcessGroup(size);
        long next = 0;
        foreach (var member in group.Members)
        {
            var (start, count) = DistributedPass.Slice(n, member);
            Assert.Equal(next, start);
            Assert.InRange(count, n / size, n / size + 1);
            next = start + count;
        }
        Assert.Equal(n, next);
        Assert.Equal((0L, n), DistributedPass.Slice(n, null));
        Assert.Equal((0L, n), DistributedPass.Slice(n, SingleProcessReducer.Instance));
    }

    [Fact]
    public void ReducedSlicesAreTheSlicesPassesMergedInRankOrderBitForBit()
    {
        // The reduction adds the ranks' states as Merge adds a worker's sums. (A pass's segments depend on its own range, so two
        // slices' reduced sums are one process's within round-off: ReducedStatesOfEveryWorkerMatchOneProcessWithinRoundOff.)
        var source = new TeacherSampleSource<double>(s_teacher, 1L << 20, 6);
        var cv = ControlVariate.Linear(0.3, [0.1, -0.2, 0.3, 0, 0, 0.5, 0, 0]);
        var group = new InProcessGroup(2);
        SecondMomentWorker<double> Slice(IMomentReducer member)
        {
            var (start, count) = DistributedPass.Slice(source.Count, member);
            return SamplePass.Run(source, () => new SecondMomentWorker<double>(cv, 4096), new SamplePassOptions(2, 4096, start, count));
        }
        var merged = Slice(group.Members[0]); // the members' ranks alone, outside a collective
        merged.Merge(Slice(group.Members[1]));
        var expected = new double[merged.StateLength];
        merged.CopyState(expected);

        var states = group.Run(member =>
        {
            var part = Slice(member);
            DistributedPass.Reduce(part, member);
            var state = new double[part.StateLength];
            part.CopyState(state);
            return state;
        });
        Assert.Equal(expected, states[0]);
        Assert.Equal(expected, states[1]);
    }

    [Fact]
    public void ReducedStatesOfEveryWorkerMatchOneProcessWithinRoundOff()
    {
        var source = new TeacherSampleSource<float>(s_teacher, 300_001, 8);
        int d = 8, m = 3;
        var basis = new float[d * m];
        for (int i = 0; i < m; i++) basis[i * m + i] = 1;
        var g = new float[] { 0.5f, -1, 0.25f };
        var cv = ControlVariate.Quadratic(0.1, [0.2, 0, -0.1], [0.3, 0, 0, 0, 0.2, 0, 0, 0, 0.1]);
        var directions = new double[m * 2];
        directions[0] = directions[3] = 1;
        Func<ProjectedMomentWorker<float>> projected = () => new ProjectedMomentWorker<float>(basis, d, m, g, 1, cv, 1024);
        Func<CoefficientWorker<float>> coefficients = () => new CoefficientWorker<float>(basis, d, m, directions, 2, 4, cv, 1024);
        AssertReducedMatches(source, projected);
        AssertReducedMatches(source, coefficients);
    }

    private static void AssertReducedMatches<TWorker>(ISampleSource<float> source, Func<TWorker> create)
        where TWorker : IMomentWorker<float, TWorker>, IReducibleMomentWorker
    {
        var whole = SamplePass.Run(source, create, new SamplePassOptions(Threads: 1, BlockSize: 1024));
        var expected = new double[whole.StateLength];
        whole.CopyState(expected);
        var states = new InProcessGroup(3).Run(member =>
        {
            var (start, count) = DistributedPass.Slice(source.Count, member);
            var part = SamplePass.Run(source, create, new SamplePassOptions(1, 1024, start, count));
            DistributedPass.Reduce(part, member);
            var state = new double[part.StateLength];
            part.CopyState(state);
            return state;
        });
        Assert.Equal(states[0], states[1]);
        Assert.Equal(states[0], states[2]);
        Assert.Equal(expected[0], states[0][0]); // the sample count, exactly
        // Float blocks summed in another order: relative round-off of float partial sums, far below 1/sqrt(N).
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(states[0][i] - expected[i]) <= 1e-5 * scale, $"entry {i}: {states[0][i]} vs {expected[i]}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TwoSimulatedProcessesLearnTheModelOfOne(bool refine)
    {
        // The sums differ from one process's by summation order only (about 1e-13 relative); a missing or doubled
        // slice would move the moment estimate by the statistical error, about 1/sqrt(N) = 1e-3. Bound: 1e-9. Pass 2 in the
        // samples' type: the default's float32 tile sums start where each process's slice starts (their rounding, about 1e-7,
        // moves with it; the reduction is the same code).
        var source = new TeacherSampleSource<double>(s_teacher, 1_000_000, 6);
        var options = new LearnerOptions { Hidden = 4, Refine = refine, Seed = 7, Threads = 1, TensorPrecision = TensorPrecision.SampleType };
        var single = MomentLearner.Learn(source, options);
        var ranks = new InProcessGroup(2).Run(member => MomentLearner.Learn(source, options with { Reducer = member }));
        foreach (var r in ranks)
        {
            Assert.True(MaxRelativeDifference(Parameters(r), Parameters(single)) <= 1e-9,
                $"difference {MaxRelativeDifference(Parameters(r), Parameters(single)):G3}");
            Assert.Contains(r.Log, l => l.StartsWith("distributed over 2 processes", StringComparison.Ordinal));
            Assert.Equal(single.Hidden, r.Hidden);
            Assert.Equal(single.Samples, r.Samples);
        }
    }

    [Fact]
    public void RanksWithDifferentSourcesAllFailWithTheSameMessage()
    {
        var group = new InProcessGroup(2);
        var error = Assert.Throws<AggregateException>(() => group.Run(member =>
            MomentLearner.Learn(new TeacherSampleSource<double>(s_teacher, 10_000 + member.Rank, 6),
                new LearnerOptions { Hidden = 4, Reducer = member })));
        Assert.Equal(2, error.InnerExceptions.Count);
        Assert.All(error.InnerExceptions, e => Assert.Contains("rank 1 has N = 10001", e.Message));
    }

    [Fact]
    public void OutsideMpirunTheReducerIsTheSingleProcessOneAndNeedsNoMpi()
    {
        if (MpiSession.IsLaunchedByMpi) return; // this test is about the plain single-process path
        var reducer = MpiSession.TryInitialize();
        Assert.Same(SingleProcessReducer.Instance, reducer);
        Assert.Equal((0, 1), (reducer.Rank, reducer.Size));
        double[] values = [1, 2, 3];
        reducer.AllreduceSum(values);
        Assert.Equal([1, 2, 3], values);
    }

    private static double[] Parameters(LearningResult r)
    {
        var net = r.Network;
        return [.. net.A, .. net.W, .. net.B, net.LinearBias, .. net.LinearWeights, .. r.Spectrum, r.NoiseFloor,
            .. r.HermiteCoefficients.SelectMany(l => l)];
    }

    private static double MaxRelativeDifference(double[] a, double[] b)
    {
        if (a.Length != b.Length) return double.PositiveInfinity;
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]) / Math.Max(1, Math.Abs(b[i])));
        return double.IsNaN(max) ? double.PositiveInfinity : max;
    }
}
