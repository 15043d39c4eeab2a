using ReluFast.Evaluation;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests.Model;

public class ReluNetworkTests
{
    [Fact]
    public void EvaluateMatchesTheDefinitionInDoubleAndFloat()
    {
        var net = new ReluNetwork(2, [1.5, -0.5], [1, 0, 0.6, 0.8], [0.25, -1], linearBias: 0.1, linearWeights: [0.3, -0.2]);
        double[] x = [0.5, -2, -1, 1];
        var y = new double[2];
        net.Evaluate(x, y);
        double f0 = 1.5 * Math.Max(0.5 + 0.25, 0) - 0.5 * Math.Max(0.6 * 0.5 - 0.8 * 2 - 1, 0) + 0.1 + 0.3 * 0.5 + 0.2 * 2;
        double f1 = 1.5 * Math.Max(-1 + 0.25, 0) - 0.5 * Math.Max(-0.6 + 0.8 - 1, 0) + 0.1 - 0.3 - 0.2;
        Assert.Equal(f0, y[0], 14);
        Assert.Equal(f1, y[1], 14);
        var yf = new float[2];
        net.Evaluate(Array.ConvertAll(x, v => (float)v), yf);
        Assert.Equal(f0, yf[0], 6);
        Assert.Equal(f1, yf[1], 6);
    }

    [Fact]
    public void NormalisationKeepsTheFunction()
    {
        var net = new ReluNetwork(3, [2, -1], [3, 0, 4, 0, -2, 0], [1, 0.5]);
        var unit = net.Normalized();
        Assert.Equal(1.0, Math.Sqrt(unit.WeightsOf(0).ToArray().Sum(v => v * v)), 14);
        Assert.Equal(10.0, unit.A[0], 14);
        Assert.Equal(0.2, unit.B[0], 14);
        var x = new double[3 * 100];
        new CounterGaussian(5).Fill(0, x);
        var y1 = new double[100]; var y2 = new double[100];
        net.Evaluate(x, y1);
        unit.Evaluate(x, y2);
        for (int i = 0; i < 100; i++) Assert.Equal(y1[i], y2[i], 12);
    }

    [Fact]
    public void ShapeAndValueErrorsNameTheProblem()
    {
        var e1 = Assert.Throws<ArgumentException>(() => new ReluNetwork(2, [1, 2], [1, 0, 0], [0, 0]));
        Assert.Contains("2 x 2", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => new ReluNetwork(1, [double.NaN], [1], [0]));
        Assert.Contains("NaN", e2.Message);
        var net = new ReluNetwork(2, [1], [1, 0], [0]);
        Assert.Throws<ArgumentException>(() => net.Evaluate(new double[3], new double[2]));
    }

    [Fact]
    public void ComparisonIsInvariantToPermutationAndScaling()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 4), 3);
        // Permute the neurons and rescale each w_i by a positive factor: the same function.
        int[] perm = [2, 0, 3, 1];
        double[] scale = [0.5, 2, 3, 1.25];
        var a = new double[4]; var b = new double[4]; var w = new double[24];
        for (int i = 0; i < 4; i++)
        {
            int s = perm[i];
            a[i] = teacher.A[s] / scale[i];
            b[i] = teacher.B[s] * scale[i];
            for (int k = 0; k < 6; k++) w[i * 6 + k] = teacher.WeightsOf(s)[k] * scale[i];
        }
        var model = new ReluNetwork(6, a, w, b);
        var cmp = NetworkComparison.Compare(model, teacher, 10_000);
        Assert.True(cmp.WError < 1e-12 && cmp.AError < 1e-12 && cmp.BError < 1e-12);
        Assert.True(cmp.TestMse < 1e-24);
        for (int i = 0; i < 4; i++) Assert.Equal(i, perm[cmp.Matching[i]]);
    }

    [Theory]
    [InlineData(1e-200)]
    [InlineData(-3e-170)]
    [InlineData(1e200)]
    public void NormalisesRowsWhoseSquaresUnderOrOverflow(double scale)
    {
        // Issue 18: |w| of a row of 1e-200 was computed as 0 ("w_0 is zero"); scaled, it is exact.
        var net = new ReluNetwork(2, [2.0], [3 * scale, -4 * scale], [5 * Math.Abs(scale)]);
        var unit = net.Normalized();
        Assert.Equal(0.6 * Math.Sign(scale), unit.W[0], 1e-15);
        Assert.Equal(-0.8 * Math.Sign(scale), unit.W[1], 1e-15);
        Assert.Equal(2.0 * 5 * Math.Abs(scale), unit.A[0], 1e-14 * Math.Abs(scale));
        Assert.Equal(1.0, unit.B[0], 1e-14);
    }

    [Fact]
    public void NormalisingAZeroRowOrOneThatOverflowsNamesTheNeuron()
    {
        var zero = new ReluNetwork(2, [1.0, 1.0], [1, 0, 0, 0], [0, 0]);
        Assert.Contains("w_1 (row 1 of w) is zero", Assert.Throws<InvalidOperationException>(() => zero.Normalized()).Message);
        var huge = new ReluNetwork(2, [1e10], [1e300, 0], [0]);
        Assert.Contains("w_0 (row 0 of w) has length 1E+300", Assert.Throws<InvalidOperationException>(() => huge.Normalized()).Message);
    }
}
