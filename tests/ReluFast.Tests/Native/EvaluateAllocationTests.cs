using ReluFast.Model;
using ReluFast.Sampling;
using ReluFast.Tests.Moments;

namespace ReluFast.Tests.Native;

/// <summary>
/// The per-batch call a .NET host (or the C ABI's relufast_network_evaluate_*) makes in a loop,
/// <see cref="ReluNetwork.Evaluate(ReadOnlySpan{double}, Span{double})"/>: every row equals an independent scalar loop over
/// the definition f(x) = c0 + &lt;c, x&gt; + sum_i a_i max(0, &lt;w_i, x&gt; + b_i) within the rounding error of that sum, in double
/// and in float, and the call allocates nothing once warm.
/// </summary>
public class EvaluateAllocationTests
{
    private static ReluNetwork Network(int d, int m, bool linear, ulong seed)
    {
        var net = RandomTeacher.Create(new TeacherOptions(d, m), seed);
        // Non-unit w_i too: the kernel must not assume normalised weights.
        var w = net.W.ToArray();
        for (int i = 0; i < w.Length; i++) w[i] *= 1 + 0.25 * (i % 3);
        net = new ReluNetwork(d, net.A, w, net.B);
        return linear ? net.WithLinearPart(0.5, Enumerable.Range(0, d).Select(i => 0.1 * i - 0.3).ToArray()) : net;
    }

    /// <summary>
    /// f at row x by the definition, in double, and sum |terms| (the scale of its rounding error): the products c_k x_k,
    /// w_ik x_k and b_i, and a_i times the absolute pre-activation sums.
    /// </summary>
    private static (double Value, double Scale) Definition(ReluNetwork net, ReadOnlySpan<double> x)
    {
        int d = net.InputDim;
        double value = net.LinearBias, scale = Math.Abs(net.LinearBias);
        for (int k = 0; k < d; k++)
        {
            value += net.LinearWeights[k] * x[k];
            scale += Math.Abs(net.LinearWeights[k] * x[k]);
        }
        for (int i = 0; i < net.Hidden; i++)
        {
            double pre = net.B[i], preScale = Math.Abs(net.B[i]);
            for (int k = 0; k < d; k++)
            {
                pre += net.W[i * d + k] * x[k];
                preScale += Math.Abs(net.W[i * d + k] * x[k]);
            }
            value += net.A[i] * Math.Max(0, pre);
            scale += Math.Abs(net.A[i]) * (preScale + Math.Abs(pre));
        }
        return (value, scale);
    }

    /// <summary>
    /// Every row against <see cref="Definition"/>: |error| &lt;= (d + m + 4) u sum |terms|, u the unit roundoff of the batch's type
    /// (each term rounded once when the parameters are rounded to T and up to d + m + 4 times in the sums; Higham's gamma_k).
    /// A wrong sign, a dropped bias or term, or a row offset by one is off by far more than that.
    /// </summary>
    private static void AssertEveryRowMatchesTheDefinition(ReluNetwork net, double[] x, Func<int, double> actual, double unitRoundoff, string what)
    {
        int d = net.InputDim, n = x.Length / d;
        double k = d + net.Hidden + 4, bound = k * unitRoundoff / (1 - k * unitRoundoff);
        for (int j = 0; j < n; j++)
        {
            var (expected, scale) = Definition(net, x.AsSpan(j * d, d));
            double error = Math.Abs(actual(j) - expected);
            if (!(error <= bound * scale))
                Assert.Fail($"{what}, row {j} of {n}: f = {actual(j):R}, definition {expected:R}, error {error:E3} > {bound * scale:E3}");
        }
    }

    private static double[] Inputs(int n, int d, ulong seed, bool roundToFloat)
    {
        var x = new double[n * d];
        new CounterGaussian(seed).Fill(0, x);
        for (int i = 0; i < x.Length; i++) x[i] = roundToFloat ? (float)(1.5 * x[i]) : 1.5 * x[i];
        return x;
    }

    [Theory]
    [InlineData(12, 5, false, 1)]
    [InlineData(12, 5, false, 255)]
    [InlineData(12, 5, false, 1000)] // several 256-row chunks and a partial one
    [InlineData(12, 5, true, 777)]
    [InlineData(3, 17, true, 513)]
    [InlineData(33, 1, true, 300)]
    public void DoubleBatchesMatchTheDefinitionOnEveryRowAndAllocateNothingAfterWarmUp(int d, int m, bool linear, int n)
    {
        var net = Network(d, m, linear, (ulong)(d * 100 + m));
        var x = Inputs(n, d, (ulong)n, roundToFloat: false);
        var y = new double[n];
        net.Evaluate(x, y); // warm-up: builds the cached parameters, JITs, fills the array pool
        AssertEveryRowMatchesTheDefinition(net, x, j => y[j], Math.Pow(2, -53), "double batch");
        Assert.Equal(0, MomentTestData.SteadyStateAllocatedBytes(() => net.Evaluate(x, y), 50));
        AssertEveryRowMatchesTheDefinition(net, x, j => y[j], Math.Pow(2, -53), "double batch, repeated");
        AssertEveryRowMatchesTheDefinition(net, x, j => net.Evaluate(x.AsSpan(j * d, d)), Math.Pow(2, -53), "single point");
    }

    [Theory]
    [InlineData(12, 5, false, 1)]
    [InlineData(12, 5, false, 1000)]
    [InlineData(12, 5, true, 777)]
    [InlineData(3, 17, true, 513)]
    public void FloatBatchesMatchTheDefinitionOnEveryRowAndAllocateNothingAfterWarmUp(int d, int m, bool linear, int n)
    {
        var net = Network(d, m, linear, (ulong)(d * 100 + m));
        // x exactly representable in float, so the only difference from the double definition is float arithmetic.
        var x = Inputs(n, d, (ulong)n + 7, roundToFloat: true);
        var xf = Array.ConvertAll(x, v => (float)v);
        var y = new float[n];
        net.Evaluate(xf, y);
        AssertEveryRowMatchesTheDefinition(net, x, j => y[j], Math.Pow(2, -24), "float batch");
        Assert.Equal(0, MomentTestData.SteadyStateAllocatedBytes(() => net.Evaluate(xf, y), 50));
        AssertEveryRowMatchesTheDefinition(net, x, j => y[j], Math.Pow(2, -24), "float batch, repeated");
    }
}
