using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.Tests.Moments;

/// <summary>
/// <see cref="BandedGram"/>: the Gram of rows formed block by block, split over threads by bands of columns, against the sum of
/// outer products; the same bits for every thread count (no thread's share of the samples enters any sum); the groups of bands.
/// </summary>
public sealed class BandedGramTests
{
    /// <summary>Row j of an n x p matrix of Gaussians, entry (j, k) as a function of (j, k) alone.</summary>
    private static BandedGram.RowsOf Rows(double[] r, int p) => (first, count, rows, stride, _) =>
    {
        for (int j = 0; j < count; j++) r.AsSpan((first + j) * p, p).CopyTo(rows.Slice(j * stride, p));
    };

    private static double[] Gaussians(int n, int p)
    {
        var r = new double[n * p];
        new CounterGaussian(21).Fill(0, r);
        return r;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 100)]
    [InlineData(16, 1000)]
    [InlineData(45, 1777)]
    [InlineData(131, 2049)]
    public void ItIsTheSumOfTheRowsOuterProducts(int p, int n)
    {
        var r = Gaussians(n, p);
        var gram = BandedGram.Run(p, n, Rows(r, p), 0, threads: 3);
        for (int a = 0; a < p; a++)
        {
            for (int b = 0; b < p; b++)
            {
                double sum = 0, size = 0;
                for (int j = 0; j < n; j++)
                {
                    sum += r[j * p + a] * r[j * p + b];
                    size += Math.Abs(r[j * p + a] * r[j * p + b]);
                }
                // each sum rounds at most n times, by 2^-53 of at most the sum of the terms' sizes
                Assert.True(Math.Abs(gram[a * p + b] - sum) <= n * 1.2e-16 * size, $"({a}, {b}): {gram[a * p + b]} against {sum}");
            }
        }
    }

    [Theory]
    [InlineData(45, 1777)]
    [InlineData(300, 900)]
    public void EveryThreadCountSumsTheSameBits(int p, int n)
    {
        var r = Gaussians(n, p);
        var one = BandedGram.Run(p, n, Rows(r, p), 0, threads: 1);
        foreach (int threads in new[] { 2, 3, 7, 64 })
            Assert.Equal(one, BandedGram.Run(p, n, Rows(r, p), 0, threads));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 8)]
    [InlineData(5, 8)]
    [InlineData(40, 8)]
    [InlineData(157, 4)]
    [InlineData(157, 12)]
    public void GroupsCoverTheBandsInOrderWithAboutEqualWork(int bands, int count)
    {
        int[] bounds = BandedGram.Groups(bands, count);
        int groups = Math.Min(bands, count);
        Assert.Equal(groups + 1, bounds.Length);
        Assert.Equal(0, bounds[0]);
        Assert.Equal(bands, bounds[^1]);
        for (int g = 0; g < groups; g++) Assert.True(bounds[g] < bounds[g + 1], $"group {g} is empty: {string.Join(", ", bounds)}");
        // band b holds b + 1 blocks; a group's blocks are its share of the whole give or take its largest band
        double total = bands * (bands + 1) / 2.0;
        for (int g = 0; g < groups; g++)
        {
            long area = 0;
            for (int b = bounds[g]; b < bounds[g + 1]; b++) area += b + 1;
            Assert.True(Math.Abs(area - total / groups) <= bounds[g + 1] + 1, $"group {g}: {area} of {total} in {string.Join(", ", bounds)}");
        }
    }

    [Fact]
    public void ACancelledTokenStopsIt()
    {
        var r = Gaussians(100, 20);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => BandedGram.Run(20, 100, Rows(r, 20), 0, 2, cancelled.Token));
    }
}
