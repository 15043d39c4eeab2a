using ReluFast.Moments;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Moments;

[Collection(MomentCollection.Name)]
public class SamplePassTests
{
    private const int D = 13, N = 20_011;
    private readonly double[] _x = Gaussians<double>(N * D, 1);
    private readonly double[] _y = Gaussians<double>(N, 2);
    private readonly ControlVariate _cv = ControlVariate.Linear(0.2, Gaussians<double>(D, 3));

    private double[] Run(int threads, int blockSize = 1000, long start = 0, long count = -1, IProgress<SamplePassProgress>? progress = null)
    {
        var w = SamplePass.Run<double, GramMomentWorker<double>>(new ArraySource<double>(D, _x, _y), () => new GramMomentWorker<double>(_cv),
            new SamplePassOptions(threads, blockSize, start, count), progress);
        var s = new double[w.Moments.StateLength];
        w.Moments.CopyState(s);
        return s;
    }

    [Fact]
    public void OneAndTwoThreadsAgreeAndEachIsDeterministic()
    {
        double[] one = Run(1), two = Run(2), twoAgain = Run(2), three = Run(3), threeAgain = Run(3);
        AssertBitwiseEqual(two, twoAgain, "2 threads, twice");
        AssertBitwiseEqual(three, threeAgain, "3 threads, twice");
        Assert.Equal(N, one[0]);
        // all sums against the sums of |terms|: the threads only change the order of double additions and tiles
        var cvAbs = new double[N];
        _cv.Apply<double>(_x, _y, cvAbs);
        var abs = new WeightedGramAccumulator<double>(D);
        abs.Accumulate(_x.Select(Math.Abs).ToArray(), cvAbs.Select(Math.Abs).ToArray());
        var absState = new double[abs.StateLength]; abs.CopyState(absState);
        double gamma = SumBound<double>(N, 512);
        var bound = absState.Select(v => gamma * v).ToArray();
        AssertWithin(one, two, bound, "1 vs 2 threads");
        AssertWithin(one, three, bound, "1 vs 3 threads");
    }

    [Fact]
    public void OneThreadEqualsAccumulatingTheBlocksInOrder()
    {
        const int start = 1234, count = 7000, block = 999;
        double[] pass = Run(1, block, start, count);
        var w = new GramMomentWorker<double>(_cv);
        for (int s = start; s < start + count; s += block)
        {
            int n = Math.Min(block, start + count - s);
            w.Accumulate(_x.AsSpan(s * D, n * D), _y.AsSpan(s, n));
        }
        var expected = new double[w.Moments.StateLength];
        w.Moments.CopyState(expected);
        AssertBitwiseEqual(expected, pass, "single-threaded pass over a range");
    }

    [Fact]
    public void LargeBlocksAreFedInL2SizedChunksInOrder()
    {
        // d = 300 doubles: x of a chunk is at most 256 KiB, so blocks of 1000 samples arrive as chunks of 109
        const int d = 300, n = 2500, block = 1000;
        int chunk = SamplePass.ChunkSize(block, d, sizeof(double));
        Assert.Equal(262144 / (d * 8), chunk);
        double[] x = Gaussians<double>(n * d, 7), y = Gaussians<double>(n, 8);
        var sizes = new List<int>();
        var pass = SamplePass.Run<double, RecordingWorker>(new ArraySource<double>(d, x, y), () => new RecordingWorker(d, sizes),
            new SamplePassOptions(1, block));
        var expected = new WeightedGramAccumulator<double>(d);
        var expectedSizes = new List<int>();
        for (int b = 0; b < n; b += block)
            for (int s = b; s < Math.Min(b + block, n); s += chunk)
            {
                int m = Math.Min(chunk, Math.Min(b + block, n) - s);
                expected.Accumulate(x.AsSpan(s * d, m * d), y.AsSpan(s, m));
                expectedSizes.Add(m);
            }
        Assert.Equal(expectedSizes, sizes);
        var a = new double[expected.StateLength]; var g = new double[expected.StateLength];
        expected.CopyState(a); pass.Acc.CopyState(g);
        AssertBitwiseEqual(a, g, "chunked pass");
    }

    private sealed class RecordingWorker(int d, List<int> sizes) : IMomentWorker<double, RecordingWorker>
    {
        public WeightedGramAccumulator<double> Acc { get; } = new(d);
        public void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y) { sizes.Add(y.Length); Acc.Accumulate(x, y); }
        public void Merge(RecordingWorker other) => Acc.Merge(other.Acc);
    }

    [Fact]
    public void AnInMemoryPassTellsEachBlockWhereTheThreadsNextBlockLies()
    {
        // 15 blocks of 1000 from sample 17 on two threads: blocks 0-6 and 7-14; every block but a thread's last is told the next
        // block's x (whole, or the range's short last one), its last block nothing; a copied source tells nothing (its next chunk is
        // read into the same buffer after this one)
        var source = new InMemoryArraySource<double>(D, _x, _y);
        var calls = new List<(long Block, long Next, int NextCount)>();
        SamplePass.Run<double, HintWorker>(source, () => new HintWorker(_x, calls), new SamplePassOptions(2, 1000, 17, 14_500));
        calls.Sort();
        Assert.Equal(Enumerable.Range(0, 15).Select(b => 17L + 1000 * b), calls.Select(c => c.Block));
        foreach (var (block, next, count) in calls)
        {
            long index = (block - 17) / 1000;
            if (index is 6 or 14) Assert.Equal((-1L, 0), (next, count));
            else Assert.Equal((block + 1000, index == 13 ? 500 : 1000), (next, count));
        }
        calls.Clear();
        SamplePass.Run<double, HintWorker>(new ArraySource<double>(D, _x, _y), () => new HintWorker(_x, calls), new SamplePassOptions(2, 1000));
        Assert.Equal((N + 999) / 1000, calls.Count); // one chunk a block at d = 13
        Assert.All(calls, c => Assert.Equal(0, c.NextCount));
    }

    private sealed class HintWorker(double[] x, List<(long, long, int)> calls) : IMomentWorker<double, HintWorker>
    {
        public void Accumulate(ReadOnlySpan<double> xs, ReadOnlySpan<double> y) => Accumulate(xs, y, default);

        public void Accumulate(ReadOnlySpan<double> xs, ReadOnlySpan<double> y, ReadOnlySpan<double> nextX)
        {
            long Sample(ReadOnlySpan<double> s) => System.Runtime.CompilerServices.Unsafe.ByteOffset(ref x[0],
                ref System.Runtime.InteropServices.MemoryMarshal.GetReference(s)) / (sizeof(double) * D);
            lock (calls) calls.Add((Sample(xs), nextX.IsEmpty ? -1 : Sample(nextX), nextX.Length / D));
        }

        public void Merge(HintWorker other) { }
    }

    [Fact]
    public void InMemorySourcesAreNotCopiedAndGiveTheSameSums()
    {
        var source = new InMemoryArraySource<double>(D, _x, _y);
        var w = SamplePass.Run<double, GramMomentWorker<double>>(source, () => new GramMomentWorker<double>(_cv),
            new SamplePassOptions(2, 1000, 17, 15_000));
        var got = new double[w.Moments.StateLength];
        w.Moments.CopyState(got);
        Assert.Equal(0, source.Reads);
        AssertBitwiseEqual(Run(2, 1000, 17, 15_000), got, "in-memory vs copied blocks");
    }

    [Fact]
    public void ReportsProgressAndHonoursCancellation()
    {
        var reports = new List<SamplePassProgress>();
        var progress = new SyncProgress(reports);
        Run(2, 500, progress: progress);
        Assert.NotEmpty(reports);
        Assert.Equal(N, reports[^1].SamplesDone);
        Assert.Equal(N, reports[^1].SamplesTotal);

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => SamplePass.Run<double, GramMomentWorker<double>>(
            new ArraySource<double>(D, _x, _y), () => new GramMomentWorker<double>(_cv), new SamplePassOptions(2), cancellationToken: cts.Token));
        Assert.Throws<ArgumentOutOfRangeException>(() => Run(1, 100, N - 5, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Run(1, 0));
    }

    [Fact]
    public void WorkerExceptionsReachTheCaller()
    {
        var source = new ArraySource<double>(D, _x, _y);
        var e = Assert.Throws<InvalidOperationException>(() => SamplePass.Run<double, FailingWorker>(source, () => new FailingWorker(),
            new SamplePassOptions(2)));
        Assert.Equal("boom", e.Message);
    }

    [Fact]
    public void APassStartsNoMoreWorkersThanBlocksAndRefusesThreadsOverItsLimit()
    {
        // 21 blocks of 1000 samples: 64 threads start 21 workers (each holds its accumulators), with the sums of 21 threads to the bit
        int created = 0;
        var source = new ArraySource<double>(D, _x, _y);
        var w = SamplePass.Run<double, GramMomentWorker<double>>(source, () =>
        {
            Interlocked.Increment(ref created);
            return new GramMomentWorker<double>(_cv);
        }, new SamplePassOptions(64, 1000));
        Assert.Equal(21, created);
        var s = new double[w.Moments.StateLength];
        w.Moments.CopyState(s);
        AssertBitwiseEqual(Run(21), s, "64 threads against 21");
        // 100,000 threads ran out of memory creating their workers (relufast learn --threads 100000, exit 2)
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Run(SamplePassOptions.MaxThreads + 1));
        Assert.Contains($"1 to {SamplePassOptions.MaxThreads}", e.Message);
        Assert.Equal(0, Run(SamplePassOptions.MaxThreads, 10)[0] - N);
    }

    [Fact]
    public void EmptyRangeReturnsAnEmptyWorker()
    {
        double[] s = Run(2, 100, 50, 0);
        Assert.All(s, v => Assert.Equal(0.0, v));
    }

    private sealed class SyncProgress(List<SamplePassProgress> reports) : IProgress<SamplePassProgress>
    {
        public void Report(SamplePassProgress value) { lock (reports) reports.Add(value); }
    }

    private sealed class FailingWorker : IMomentWorker<double, FailingWorker>
    {
        public void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y) => throw new InvalidOperationException("boom");
        public void Merge(FailingWorker other) { }
    }
}
