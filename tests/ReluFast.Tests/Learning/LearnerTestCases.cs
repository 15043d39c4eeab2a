using System.Numerics.Tensors;
using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Learning;

/// <summary>Teachers and helpers shared by the learner tests.</summary>
internal static class LearnerTestCases
{
    /// <summary>Random unit w_i (deterministic in the seed), with the given a and b.</summary>
    public static ReluNetwork Teacher(int d, double[] a, double[] b, ulong seed)
    {
        var w = RandomTeacher.Create(new TeacherOptions(d, a.Length), seed).W.ToArray();
        return new ReluNetwork(d, a, w, b);
    }

    /// <summary>Unit w_i where w_2 is turned towards w_1 until sigma_min(W) = 0.3 (bisection on the angle).</summary>
    public static ReluNetwork IllConditioned(int d, int m, ulong seed)
    {
        var net = RandomTeacher.Create(new TeacherOptions(d, m), seed);
        var w = net.W.ToArray();
        ReadOnlySpan<double> w1 = net.WeightsOf(0), w2 = net.WeightsOf(1);
        double along = TensorPrimitives.Dot(w1, w2);
        var u = new double[d];
        for (int k = 0; k < d; k++) u[k] = w2[k] - along * w1[k];
        TensorPrimitives.Divide(u, TensorPrimitives.Norm(u), u);
        double lo = 0, hi = Math.PI / 2;
        for (int iteration = 0; iteration < 60; iteration++)
        {
            double angle = 0.5 * (lo + hi);
            for (int k = 0; k < d; k++) w[d + k] = Math.Cos(angle) * w1[k] + Math.Sin(angle) * u[k];
            if (SmallestSingularValue(new ReluNetwork(d, net.A, w, net.B)) < 0.3) lo = angle; else hi = angle;
        }
        return new ReluNetwork(d, net.A, w, net.B);
    }

    /// <summary>sigma_min of the m x d matrix with rows w_i.</summary>
    public static double SmallestSingularValue(ReluNetwork n)
    {
        int m = n.Hidden;
        var g = new double[m * m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++) g[i * m + j] = TensorPrimitives.Dot(n.WeightsOf(i), n.WeightsOf(j));
        return Math.Sqrt(Math.Max(0, ReluFast.Decomposition.SymmetricSpectrum.Compute(g, m).Values.Min(Math.Abs)));
    }

    public static (LearningResult Result, NetworkComparison Comparison) Learn(ReluNetwork teacher, long samples, ulong seed,
        LearnerOptions? options = null, double noise = 0)
    {
        var source = new TeacherSampleSource<double>(teacher, samples, seed, noise);
        var result = MomentLearner.Learn(source, options ?? new LearnerOptions { Hidden = teacher.Hidden, Seed = seed });
        return (result, NetworkComparison.Compare(result.Network, teacher, 100_000));
    }
}
