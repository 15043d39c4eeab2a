using ReluFast.Learning;
using ReluFast.Sampling;

namespace ReluFast.Tests.Overcomplete;

/// <summary>
/// An overcomplete round whose span holds no rank-one direction (no w w^T keeps half its norm in the span of the flattened
/// moments' leading singular vectors) ends the rounds as "nothing above the noise floor" does: the best network so far, or
/// the linear-only answer with its warning, never an exception from a pass over zero directions. The data are outside the
/// model class: y = (|x|^2 - d)^2, whose fourth-order moment is a multiple of sym(I (x) I); its leading flattened singular
/// vector is svec(I), and the nearest w w^T keeps only 1/d of it (as strongly non-Gaussian inputs with AssumeGaussian do
/// at d = 16, m = 8, N = 10^6, where auto mode's overcomplete fallback threw ArgumentOutOfRangeException).
/// </summary>
public class NoDirectionTests
{
    private const int D = 4, N = 500_000;

    /// <summary>n x d standard Gaussian inputs (fixed by the seed) and y = (|x|^2 - d)^2.</summary>
    internal static (double[] X, double[] Y) RadialSamples(int d, int n, int seed)
    {
        var random = new Random(seed);
        var x = new double[n * d];
        var y = new double[n];
        for (int j = 0; j < n; j++)
        {
            double r2 = 0;
            for (int i = 0; i < d; i++)
            {
                double g = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                x[j * d + i] = g;
                r2 += g * g;
            }
            y[j] = (r2 - d) * (r2 - d);
        }
        return (x, y);
    }

    [Fact]
    public void ARoundWithoutADirectionReturnsTheLinearOnlyAnswer()
    {
        var (x, y) = RadialSamples(D, N, 1001);
        var result = ReluLearner.Learn(new ArraySampleSource<double>(x, y, D), new LearnerOptions { Seed = 1, Hidden = 1 },
            LearnerMode.Overcomplete);
        Assert.Equal(0, result.Network.Hidden);
        Assert.Contains(result.Warnings, w => w.Code == LearningWarningCode.LinearOnly && w.Message.Contains("no direction"));
        Assert.Contains(result.Log, line => line.Contains("rank-one search", StringComparison.Ordinal) && line.Contains("no direction"));
        Assert.True(result.HeldOutMse <= 1.01 * result.HeldOutVariance, $"held-out MSE {result.HeldOutMse} vs Var y {result.HeldOutVariance}");
    }

    [Fact]
    public void AutoKeepsTheFullRankFitWhenTheOvercompleteFallbackFindsNoDirection()
    {
        // T_2 shows all d directions and the full-rank fit leaves most of Var y: auto tries the overcomplete learner too,
        // whose m is estimated from the flattened spectrum (one value above its floor here) and whose span has no direction.
        var (x, y) = RadialSamples(D, N, 1001);
        var result = ReluLearner.Learn(new ArraySampleSource<double>(x, y, D), new LearnerOptions { Seed = 1, AssumeGaussian = true });
        Assert.Equal(LearnerMode.FullRank, result.Mode);
        Assert.Contains(result.Log, line => line.StartsWith("auto: ", StringComparison.Ordinal) && line.EndsWith("(not kept)"));
        Assert.Contains(result.Warnings, w => w.Code == LearningWarningCode.UnexplainedVariance);
    }
}
