using ReluFast.Evaluation;
using ReluFast.Sampling;

namespace ReluFast.Tests.Evaluation;

public class HungarianMatchingTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 3)]
    [InlineData(5, 5)]
    [InlineData(4, 7)]
    [InlineData(7, 7)]
    public void MatchesBruteForceOptimum(int rows, int columns)
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            var cost = new double[rows * columns];
            new CounterGaussian(seed).Fill(0, cost);
            int[] assignment = HungarianMatching.Solve(cost, rows, columns);
            Assert.Equal(rows, assignment.Distinct().Count());
            double total = Enumerable.Range(0, rows).Sum(i => cost[i * columns + assignment[i]]);
            Assert.Equal(BruteForce(cost, rows, columns, 0, new bool[columns]), total, 12);
        }
    }

    [Fact]
    public void RejectsMoreRowsThanColumnsAndNaN()
    {
        Assert.Throws<ArgumentException>(() => HungarianMatching.Solve(new double[6], 3, 2));
        Assert.Throws<ArgumentException>(() => HungarianMatching.Solve([double.NaN], 1, 1));
    }

    private static double BruteForce(double[] cost, int rows, int columns, int row, bool[] used)
    {
        if (row == rows) return 0;
        double best = double.PositiveInfinity;
        for (int j = 0; j < columns; j++)
        {
            if (used[j]) continue;
            used[j] = true;
            best = Math.Min(best, cost[row * columns + j] + BruteForce(cost, rows, columns, row + 1, used));
            used[j] = false;
        }
        return best;
    }

    [Fact]
    public void LargeNetworksAreMatchedGreedilyAndSaySo()
    {
        // m = 700 neurons in d = 700: r^2 c = 3.4E8 > MaxExactWork. A permuted copy must still be matched exactly by the greedy pass.
        const int m = 700, d = 700;
        var w = new double[m * d];
        for (int i = 0; i < m; i++) w[i * d + i] = 1;
        var a = Enumerable.Repeat(1.0, m).ToArray();
        var b = new double[m];
        var truth = new ReluFast.Model.ReluNetwork(d, a, w, b);
        int[] perm = Enumerable.Range(0, m).OrderBy(i => (i * 7919) % m).ToArray();
        var wp = new double[m * d];
        for (int j = 0; j < m; j++) w.AsSpan(perm[j] * d, d).CopyTo(wp.AsSpan(j * d, d));
        var model = new ReluFast.Model.ReluNetwork(d, a, wp, b);
        int[] matching = NetworkComparison.MatchNeurons(model, truth, out bool exact);
        Assert.False(exact);
        for (int j = 0; j < m; j++) Assert.Equal(j, matching[perm[j]]);
        var comparison = NetworkComparison.Compare(model, truth, 1000);
        Assert.False(comparison.ExactMatching);
        Assert.Equal(0, comparison.WError);
        var few = new ReluFast.Model.ReluNetwork(d, a.AsSpan(0, 10), w.AsSpan(0, 10 * d), b.AsSpan(0, 10));
        NetworkComparison.MatchNeurons(few, few, out bool exactFew);
        Assert.True(exactFew);
    }

    [Fact]
    public void TestErrorIsTheSequentialAverageWhateverTheThreads()
    {
        // The parallel blocks of TestError add up to the plain average over the same counter-based samples.
        var truth = ReluFast.Model.RandomTeacher.Create(new ReluFast.Model.TeacherOptions(5, 3), 3);
        var model = ReluFast.Model.RandomTeacher.Create(new ReluFast.Model.TeacherOptions(5, 3), 4);
        const long n = 30_000;
        var (mse, variance) = NetworkComparison.TestError(model, truth, n, 9);
        var source = new TeacherSampleSource<double>(truth, n, 9 ^ 0x5EED_7E57UL);
        var x = new double[n * 5];
        var y = new double[n];
        var yHat = new double[n];
        source.Read(0, x, y);
        model.Evaluate(x, yHat);
        double sq = 0, sum = 0, sum2 = 0;
        for (int j = 0; j < n; j++) { sq += (yHat[j] - y[j]) * (yHat[j] - y[j]); sum += y[j]; sum2 += y[j] * y[j]; }
        Assert.Equal(sq / n, mse, 1e-12 * (sq / n));
        Assert.Equal(sum2 / n - sum / n * (sum / n), variance, 1e-10 * variance);
    }
}
