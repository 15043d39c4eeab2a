using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;
using ReluFast.Tests.Moments;

namespace ReluFast.Tests.Learning;

/// <summary>
/// The refinement objective keeps its buffers between evaluations (its hot path allocates no array of the parameters' size;
/// at d = 256, m = 64 fresh ones were half a megabyte per evaluation) and gives the same bits as a fresh objective when the
/// number of parameters changes between calls; and every thread count gives the same bits (an evaluation is a segmented pass).
/// </summary>
public class MseObjectiveBufferTests
{
    private const int D = 40, N = 3_000;

    private static (double[] X, double[] Y) Samples()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(D, 6), 3);
        var x = new double[N * D];
        new CounterGaussian(17).Fill(0, x);
        var y = new double[N];
        teacher.Evaluate(x, y);
        return (x, y);
    }

    private static double[] Parameters(int m, ulong seed)
    {
        var p = new double[MseGradient.ParameterCount(m, D)];
        new CounterGaussian(seed).Fill(0, p);
        return p;
    }

    [Fact]
    public void AnEvaluationAllocatesLessThanOneParameterVector()
    {
        var (x, y) = Samples();
        using var objective = new SimdMseObjective(x, y, D, threads: 1);
        const int M = 20;
        var p = Parameters(M, 5);
        var g = new double[p.Length];
        objective.Evaluate(p, g, M); // the buffers
        long perCall = MomentTestData.SteadyStateAllocatedBytes(() => objective.Evaluate(p, g, M), 20) / 20;
        Assert.True(perCall < p.Length * sizeof(double), $"{perCall} bytes per evaluation, one parameter vector is {p.Length * 8}");
    }

    [Fact]
    public void EveryThreadCountGivesTheSameBits()
    {
        var (x, y) = Samples();
        const int M = 6;
        var p = Parameters(M, 9);
        var expected = new double[p.Length];
        using var one = new SimdMseObjective(x, y, D, threads: 1);
        double loss = one.Evaluate(p, expected, M);
        foreach (int threads in new[] { 2, 3, 5 })
        {
            using var objective = new SimdMseObjective(x, y, D, threads);
            var g = new double[p.Length];
            Assert.Equal(loss, objective.Evaluate(p, g, M));
            Assert.Equal(expected, g);
        }
    }

    [Fact]
    public void ReusedBuffersGiveTheBitsOfAFreshObjectiveWhenMChanges()
    {
        var (x, y) = Samples();
        using var reused = new SimdMseObjective(x, y, D, threads: 2);
        foreach (int m in new[] { 3, 7, 3, 5 })
        {
            var p = Parameters(m, (ulong)m);
            var g = new double[p.Length];
            double loss = reused.Evaluate(p, g, m);
            using var fresh = new SimdMseObjective(x, y, D, threads: 2);
            var expected = new double[p.Length];
            Assert.Equal(fresh.Evaluate(p, expected, m), loss);
            Assert.Equal(expected, g);
        }
    }
}
