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
}
