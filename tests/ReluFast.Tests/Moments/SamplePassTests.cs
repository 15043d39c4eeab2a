using System.Runtime.CompilerServices;
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
    public void EveryThreadCountSumsTheSameBits()
    {
        // the segments depend on the blocks alone and merge in their order, so 1, 2, 3, 7 and 64 threads give the same sums (with a
        // fixed range of blocks per thread each thread count summed in its own order: 1 and 2 threads differed in the last bits)
        double[] one = Run(1);
        foreach (int threads in new[] { 2, 3, 7, 64 }) AssertBitwiseEqual(one, Run(threads), $"{threads} threads against 1");
        Assert.Equal(N, one[0]);
        // against one accumulator over every sample, within the sums of |terms|: segments only change the order of double additions
        var all = new GramMomentWorker<double>(_cv);
        all.Accumulate(_x, _y);
        var whole = new double[all.Moments.StateLength];
        all.Moments.CopyState(whole);
        var cvAbs = new double[N];
        _cv.Apply<double>(_x, _y, cvAbs);
        var abs = new WeightedGramAccumulator<double>(D);
        abs.Accumulate(_x.Select(Math.Abs).ToArray(), cvAbs.Select(Math.Abs).ToArray());
        var absState = new double[abs.StateLength]; abs.CopyState(absState);
        double gamma = SumBound<double>(N, 512);
        AssertWithin(whole, one, absState.Select(v => gamma * v).ToArray(), "a pass against one accumulator");
    }

    [Fact]
    public void APassIsItsSegmentsEachSummedAloneThenMergedInOrder()
    {
        const int start = 1234, count = 17_000, block = 99; // 172 blocks: 16 of one block at the end, 16 of two, 16 of four, 8 of eight
        long blocks = (count + block - 1) / block;
        long[] bounds = SamplePass.SegmentBounds(blocks);
        Assert.Equal(57, bounds.Length);
        var total = new GramMomentWorker<double>(_cv);
        for (int k = 0; k + 1 < bounds.Length; k++)
        {
            var segment = new GramMomentWorker<double>(_cv);
            for (long b = bounds[k]; b < bounds[k + 1]; b++)
            {
                int s = (int)(start + b * block), n = Math.Min(block, start + count - s);
                segment.Accumulate(_x.AsSpan(s * D, n * D), _y.AsSpan(s, n));
            }
            total.Merge(segment);
        }
        var expected = new double[total.Moments.StateLength];
        total.Moments.CopyState(expected);
        AssertBitwiseEqual(expected, Run(1, block, start, count), "one thread");
        AssertBitwiseEqual(expected, Run(3, block, start, count), "three threads");
    }

    [Fact]
    public void SegmentsAreShortAtTheEndOfAPassAndLongBeforeIt()
    {
        Assert.Equal([0L], SamplePass.SegmentBounds(0));
        Assert.Equal([0L, 1], SamplePass.SegmentBounds(1));
        // 2442 blocks: the demo's 10^7 samples; 244,141: 10^9
        foreach (long blocks in new long[] { 5, 16, 17, 21, 172, 2442, 244_141 })
        {
            long[] bounds = SamplePass.SegmentBounds(blocks);
            Assert.Equal(0, bounds[0]);
            Assert.Equal(blocks, bounds[^1]);
            int segments = bounds.Length - 1;
            for (int k = 0; k < segments; k++)
            {
                // counted from the end: SegmentsPerLength of each length 1, 2, 4, ... up to LongestSegment; the first one what is left
                int fromEnd = segments - 1 - k;
                long length = Math.Min(SamplePass.LongestSegment, 1L << Math.Min(30, fromEnd / SamplePass.SegmentsPerLength));
                long got = bounds[k + 1] - bounds[k];
                if (k == 0) Assert.InRange(got, 1, length);
                else Assert.Equal(length, got);
            }
        }
        Assert.Equal(119, SamplePass.SegmentBounds(2442).Length - 1);
    }

    [Fact]
    public void AThreadOnABusyCoreTakesFewerSegmentsAndTheSumsKeepTheirBits()
    {
        // 41 blocks of 500 on two threads, each block 50 ms slower on the calling thread (a core busy with the host's work): the other
        // thread takes the segments the slow one would have kept it waiting for (with a fixed range each, each took 20 or 21). It
        // runs ahead only as far as the pass's workers reach (2 P + 1: the segments it finishes wait for the slow one's to merge),
        // so the slow thread still takes about a quarter: at most 15. (At least one is not asserted: with the test run's other
        // threads on both cores the helper has taken all 41 before the calling thread claimed its first.)
        var onCaller = new StrongBox<int>();
        int caller = Environment.CurrentManagedThreadId;
        var w = SamplePass.Run<double, SlowWorker>(new ArraySource<double>(D, _x, _y), () => new SlowWorker(_cv, caller, 50, onCaller),
            new SamplePassOptions(2, 500));
        Assert.InRange(onCaller.Value, 0, 15);
        var s = new double[w.Inner.Moments.StateLength];
        w.Inner.Moments.CopyState(s);
        AssertBitwiseEqual(Run(1, 500), s, "a busy core against one thread");
    }

    [Fact]
    public async Task AFirstSegmentThatEndsLastIsStillMergedFirstAndThePassHoldsFewWorkers()
    {
        // the first block takes 300 ms: the other segments finish long before it and wait to be merged; the pass holds at most
        // 2 P + 1 workers, one always kept for the thread holding the earliest segment (else the pass could wait on itself)
        int created = 0;
        var pass = Task.Run(() => SamplePass.Run<double, SlowWorker>(new ArraySource<double>(D, _x, _y), () =>
        {
            Interlocked.Increment(ref created);
            return new SlowWorker(_cv, -1, 300, new StrongBox<int>(), _x[0]);
        }, new SamplePassOptions(3, 500)));
        Assert.Same(pass, await Task.WhenAny(pass, Task.Delay(TimeSpan.FromSeconds(60)))); // not waiting on itself
        var total = await pass;
        Assert.InRange(created, 4, 7);
        var s = new double[total.Inner.Moments.StateLength];
        total.Inner.Moments.CopyState(s);
        AssertBitwiseEqual(Run(1, 500), s, "a late first segment against one thread");
    }

    [Fact]
    public async Task AFailureWakesTheThreadsWaitingForAWorker()
    {
        // the first block fails after 300 ms while the other threads have run ahead and wait for a worker: they stop, and the pass throws
        var pass = Task.Run(() => SamplePass.Run<double, SlowWorker>(new ArraySource<double>(D, _x, _y),
            () => new SlowWorker(_cv, -1, 300, new StrongBox<int>(), _x[0], fail: true), new SamplePassOptions(3, 100)));
        Assert.Same(pass, await Task.WhenAny(pass, Task.Delay(TimeSpan.FromSeconds(60))));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => pass);
        Assert.Equal("boom", e.Message);
    }

    /// <summary>
    /// A Gram worker that sleeps <paramref name="milliseconds"/> on each block on thread <paramref name="slowThread"/> (counting them),
    /// or, with <paramref name="slowThread"/> -1, on the pass's first block (the one starting with <paramref name="firstX"/>), then
    /// fails there with <paramref name="fail"/>.
    /// </summary>
    private sealed class SlowWorker(ControlVariate cv, int slowThread, int milliseconds, StrongBox<int> slowBlocks, double firstX = double.NaN,
        bool fail = false)
        : IMomentWorker<double, SlowWorker>
    {
        public GramMomentWorker<double> Inner { get; } = new(cv);

        public void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
        {
            bool first = slowThread < 0 && Inner.Moments.Count == 0 && x[0] == firstX;
            if (Environment.CurrentManagedThreadId == slowThread || first)
            {
                Interlocked.Increment(ref slowBlocks.Value);
                Thread.Sleep(milliseconds);
                if (fail) throw new InvalidOperationException("boom");
            }
            Inner.Accumulate(x, y);
        }

        public void Merge(SlowWorker other) => Inner.Merge(other.Inner);
        public bool CanReset => true;
        public void Reset() => Inner.Reset();
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
        // (a worker that cannot be reset: a fixed range of blocks per thread)
        // 15 blocks of 1000 from sample 17 on two threads: blocks 0-6 and 7-14; every block but a thread's last is told the next
        // block's x (whole, or the range's short last one), its last block nothing; a copied source tells nothing (its next chunk is
        // read into the same buffer after this one)
        var source = new InMemoryArraySource<double>(D, _x, _y);
        var calls = new List<(int Thread, long Block, long Next, int NextCount)>();
        SamplePass.Run<double, HintWorker>(source, () => new HintWorker(_x, calls), new SamplePassOptions(2, 1000, 17, 14_500));
        calls.Sort((a, b) => a.Block.CompareTo(b.Block));
        Assert.Equal(Enumerable.Range(0, 15).Select(b => 17L + 1000 * b), calls.Select(c => c.Block));
        foreach (var (_, block, next, count) in calls)
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

    [Fact]
    public void EverySegmentsBlockIsToldTheBlockItsThreadTakesNext()
    {
        // 40 blocks of 500 on three threads, dealt out in segments: each block is told the block its thread accumulates next (the
        // next segment a thread claims as its segment's last block starts), a thread's last block nothing
        var source = new InMemoryArraySource<double>(D, _x, _y);
        var calls = new List<(int Thread, long Block, long Next, int NextCount)>();
        SamplePass.Run<double, HintWorker>(source, () => new HintWorker(_x, calls, resettable: true), new SamplePassOptions(3, 500, 11, 20_000));
        Assert.Equal(Enumerable.Range(0, 40).Select(b => 11L + 500 * b), calls.Select(c => c.Block).Order());
        foreach (var thread in calls.GroupBy(c => c.Thread))
        {
            var blocks = thread.ToList(); // in the order the thread accumulated them
            for (int i = 0; i < blocks.Count; i++) Assert.Equal(i + 1 < blocks.Count ? blocks[i + 1].Block : -1, blocks[i].Next);
        }
    }

    /// <summary>Records, for each block, its thread, its first sample and the first sample and count of the x it is told of
    /// (-1 and 0: none); <paramref name="resettable"/> takes the segmented pass, else the fixed ranges.</summary>
    private sealed class HintWorker(double[] x, List<(int, long, long, int)> calls, bool resettable = false)
        : IMomentWorker<double, HintWorker>
    {
        public void Accumulate(ReadOnlySpan<double> xs, ReadOnlySpan<double> y) => Accumulate(xs, y, default);

        public void Accumulate(ReadOnlySpan<double> xs, ReadOnlySpan<double> y, ReadOnlySpan<double> nextX)
        {
            long Sample(ReadOnlySpan<double> s) => System.Runtime.CompilerServices.Unsafe.ByteOffset(ref x[0],
                ref System.Runtime.InteropServices.MemoryMarshal.GetReference(s)) / (sizeof(double) * D);
            lock (calls) calls.Add((Environment.CurrentManagedThreadId, Sample(xs), nextX.IsEmpty ? -1 : Sample(nextX), nextX.Length / D));
        }

        public void Merge(HintWorker other) { }
        public bool CanReset => resettable;
        public void Reset() { }
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
    public void APassStartsNoMoreThreadsThanSegmentsAndRefusesThreadsOverItsLimit()
    {
        // 21 blocks of 1000 samples are 19 segments: 64 threads start 19 (each holds its accumulators) and the pass makes 20 workers
        // (theirs and the total), with the sums of 21 threads to the bit
        int created = 0;
        var source = new ArraySource<double>(D, _x, _y);
        var w = SamplePass.Run<double, GramMomentWorker<double>>(source, () =>
        {
            Interlocked.Increment(ref created);
            return new GramMomentWorker<double>(_cv);
        }, new SamplePassOptions(64, 1000));
        Assert.Equal(20, created);
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
