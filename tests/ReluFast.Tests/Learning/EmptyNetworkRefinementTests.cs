using ReluFast.Learning;

namespace ReluFast.Tests.Learning;

/// <summary>
/// A candidate whose every neuron was left to the linear remainder (the overcomplete learner drops neurons whose kink fewer
/// than 1000 samples see, which on a few thousand samples can be all of them) is refined as its linear part alone.
/// </summary>
public class EmptyNetworkRefinementTests
{
    [Fact]
    public void TheObjectiveOfANetworkWithoutNeuronsIsTheLinearLeastSquaresLoss()
    {
        const int d = 3, n = 1000;
        var rng = new Random(7);
        double[] x = new double[n * d], y = new double[n];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextDouble() - 0.5;
        for (int j = 0; j < n; j++) y[j] = Math.Sin(5 * x[j * d]) + x[j * d + 2];
        double[] p = [0.25, 0.5, -1, 2]; // c0, c (m = 0: no w, b or a)
        using var objective = new SimdMseObjective(x, y, d, threads: 1);
        var gradient = new double[p.Length];
        double loss = objective.Evaluate(p, gradient, hidden: 0);

        double expected = 0;
        var expectedGradient = new double[p.Length];
        for (int j = 0; j < n; j++)
        {
            double e = p[0] + p[1] * x[j * d] + p[2] * x[j * d + 1] + p[3] * x[j * d + 2] - y[j];
            expected += e * e / n;
            expectedGradient[0] += 2 * e / n;
            for (int k = 0; k < d; k++) expectedGradient[1 + k] += 2 * e * x[j * d + k] / n;
        }
        Assert.True(Math.Abs(loss - expected) <= 1e-12 * expected, $"loss {loss} vs {expected}");
        for (int i = 0; i < p.Length; i++)
            Assert.True(Math.Abs(gradient[i] - expectedGradient[i]) <= 1e-12 * expectedGradient.Max(Math.Abs),
                $"gradient[{i}]: {gradient[i]} vs {expectedGradient[i]}");
    }
}
