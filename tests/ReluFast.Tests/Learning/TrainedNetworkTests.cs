using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using ReluFast.Evaluation;
using ReluFast.IO;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Learning;

/// <summary>
/// Networks that nobody designed as random teachers (issue 13, item 3): depth-2 ReLU regressors trained by Adam on
/// scikit-learn's digits (Fixtures/Trained/make_trained.py, d = 64), with the uneven row norms, correlated directions and
/// small biases of trained weights, extracted from Gaussian queries with m estimated and the mode chosen from the data.
/// The labels are noiseless, so refinement reaches round-off (about 1e-10): the issue's bound 1e-4 on every neuron's w, a and b
/// is far above what a correct extraction gives and far below what a wrong one gives (the moment estimate alone is off by
/// about 1/sqrt(N) times the conditioning, 1e-2 here; a lost neuron makes the errors infinite). With m estimated, the first
/// count takes the T_2 eigenvalues above twice its noise floor 2 sqrt(d E[y~^2] / N), and the m-th eigenvalue of the trained
/// networks' T_2 asks for N &gt; 2.4e5 at m = 16 but 9.4e6 at m = 32, 1.3e8 at m = 48 and 3.8e12 at m = 64 (their w_i are
/// nearly dependent: sigma_min 0.0084); the residual rounds find the rest below that floor, so m = 48 is recovered from 2e6
/// queries (about 80 s on two cores). m = 32 and 64 are measured by the benchmark command <c>trained</c> (README, "Networks
/// trained on real data").
/// </summary>
public class TrainedNetworkTests
{
    private const double Exact = 1e-4;

    internal static string Fixture(int m) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Trained", $"trained_d64_m{m}.json");

    [Theory]
    [InlineData(16, 1_000_000)]
    [InlineData(48, 2_000_000)]
    public void RecoversEveryNeuronOfARegressorTrainedOnDigits(int m, long n)
    {
        var teacher = NetworkJson.Read(Fixture(m));
        var source = new TeacherSampleSource<double>(teacher, n, seed: 13);
        var result = ReluLearner.Learn(source, new LearnerOptions { Seed = 1, Threads = 2 });
        var cmp = NetworkComparison.Compare(result.Network, teacher, 100_000);
        string what = Describe(result, cmp);
        Assert.True(result.HiddenWasEstimated, what);
        Assert.Equal(m, result.Hidden);
        Assert.True(cmp.WError < Exact && cmp.AError < Exact && cmp.BError < Exact, what);
        Assert.True(cmp.RelativeTestMse < 1e-10, what);
        Assert.Empty(result.Warnings);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(48)]
    [InlineData(64)]
    public void FixturesHoldTheWeightsAsTrainedWithTheStatedStatistics(int m)
    {
        // The weights must not be normalised or otherwise changed after training: the row norms, |a_i| and the smallest
        // singular value of the unit rows are those make_trained.py recorded (6 significant digits) from the trained model.
        var net = NetworkJson.Read(Fixture(m));
        Assert.Equal(64, net.InputDim);
        Assert.Equal(m, net.Hidden);
        Assert.True(net.LinearBias != 0 && !net.LinearWeights.ContainsAnyExcept(0.0));
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixture(m)));
        var meta = doc.RootElement.GetProperty("metadata");
        var norms = Enumerable.Range(0, m).Select(i => TensorPrimitives.Norm(net.WeightsOf(i))).ToArray();
        AssertRange(meta, "row norms |w_i|", norms.Min(), norms.Max());
        AssertRange(meta, "|a_i|", Math.Abs(TensorPrimitives.MinMagnitude(net.A)), Math.Abs(TensorPrimitives.MaxMagnitude(net.A)));
        AssertRange(meta, "b_i", TensorPrimitives.Min(net.B), TensorPrimitives.Max(net.B));
        double sigmaMin = LearnerTestCases.SmallestSingularValue(net.Normalized());
        string singular = meta.GetProperty("singular values of the matrix of unit w_i").GetString()!;
        Assert.Equal(double.Parse(singular.Split(" .. ")[0], CultureInfo.InvariantCulture), sigmaMin, Relative(sigmaMin));
    }

    private static void AssertRange(JsonElement meta, string name, double lo, double hi)
    {
        string[] parts = meta.GetProperty(name).GetString()!.Split(" .. ");
        Assert.Equal(double.Parse(parts[0], CultureInfo.InvariantCulture), lo, Relative(lo));
        Assert.Equal(double.Parse(parts[1], CultureInfo.InvariantCulture), hi, Relative(hi));
    }

    /// <summary>The rounding of Python's "%.6g": half a unit in the sixth significant digit.</summary>
    private static double Relative(double value) => 5e-6 * Math.Abs(value);

    private static string Describe(LearningResult result, NetworkComparison c) => string.Create(CultureInfo.InvariantCulture,
        $"learned m = {result.Hidden} ({result.Mode}), w {c.WError:E2} a {c.AError:E2} b {c.BError:E2} relative MSE {c.RelativeTestMse:E2}; " +
        $"warnings: {string.Join("; ", result.Warnings.Select(w => w.Message))}");
}
