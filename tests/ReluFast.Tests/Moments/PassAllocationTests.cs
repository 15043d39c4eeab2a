using System.Numerics;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.Tests.Moments;

/// <summary>
/// Every moment pass of both learners allocates nothing per block on any of its threads: a whole <see cref="SamplePass"/>
/// over 24 blocks per thread runs with every worker wrapped in an <see cref="AllocationProbe{T, TWorker}"/>, which reads the
/// allocation counter of the thread it runs on before and after each block, so the pass's helper threads are measured too (a
/// plain <see cref="GC.GetAllocatedBytesForCurrentThread"/> around the pass sees only the calling thread). What is counted is
/// all a thread does from the end of its first block to the end of its last: the source's reads, the driver's loop (its
/// segments dealt out, merged and reset) and the worker. Left out, as once per pass or per worker: a thread's first block
/// (a new thread fills its thread-static scratch and its array-pool slot there), a worker's first block (buffers made on first
/// use), and a worker made while the pass runs (segments done ahead of their merge take another). (<see
/// cref="GC.GetTotalAllocatedBytes(bool)"/> around whole passes, tried first, is not exact: a fresh thread's first array-pool
/// rent sometimes misses the per-core cache, so one 16 KB array shows up in some passes and not in others, whatever their
/// length.)
/// </summary>
public class PassAllocationTests
{
    private const int D = 6, M = 3, Block = 256, Threads = 2, BlocksPerThread = 24;

    /// <summary>What the threads of one pass allocated, and the blocks they accumulated.</summary>
    private sealed class Tally
    {
        public long Allocated, Blocks;
    }

    [ThreadStatic] private static Tally? t_pass; // the pass whose block this thread accumulated last
    [ThreadStatic] private static long t_mark;   // the thread's allocation counter at the end of that block

    /// <summary>Wraps a worker and adds what its threads allocate to the pass's tally (the class summary says what is left out).</summary>
    private sealed class AllocationProbe<T, TWorker>(TWorker inner, Tally tally) : IMomentWorker<T, AllocationProbe<T, TWorker>>
        where T : unmanaged, IBinaryFloatingPointIeee754<T> where TWorker : IMomentWorker<T, TWorker>
    {
        private bool _used;

        public TWorker Inner => inner;

        public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            inner.Accumulate(x, y);
            Count(before);
        }

        public void Accumulate(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> nextX)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            inner.Accumulate(x, y, nextX);
            Count(before);
        }

        private void Count(long before)
        {
            long now = GC.GetAllocatedBytesForCurrentThread();
            bool threadsFirst = t_pass != tally;
            long counted = (threadsFirst ? 0 : before - t_mark) + (threadsFirst || !_used ? 0 : now - before);
            Interlocked.Add(ref tally.Allocated, counted);
            Interlocked.Increment(ref tally.Blocks);
            t_pass = tally;
            t_mark = now;
            _used = true;
        }

        public void Merge(AllocationProbe<T, TWorker> other) => inner.Merge(other.Inner);

        public bool CanReset => inner.CanReset;

        public void Reset() => inner.Reset();
    }

    private static void AssertNoPerBlockAllocation<T, TWorker>(ISampleSource<T> source, Func<TWorker> create, string what)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> where TWorker : IMomentWorker<T, TWorker>
    {
        var options = new SamplePassOptions(Threads, Block, 0, (long)Block * Threads * BlocksPerThread);
        SamplePass.Run(source, create, options); // JIT and static caches (the runtime's one-offs, not the pass's)
        // The least of 3 passes: a one-off of the runtime (an array pool trimmed by a full GC that other tests caused, then
        // refilled) lands in one pass; an allocation per block shows in every pass.
        long least = long.MaxValue;
        var tries = new List<long>();
        for (int attempt = 0; attempt < 3 && least > 0; attempt++)
        {
            var tally = new Tally();
            SamplePass.Run(source, () =>
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                var probe = new AllocationProbe<T, TWorker>(create(), tally);
                if (t_pass == tally) t_mark += GC.GetAllocatedBytesForCurrentThread() - before; // made while the pass runs
                return probe;
            }, options);
            Assert.Equal(Threads * BlocksPerThread, tally.Blocks);
            least = Math.Min(least, tally.Allocated);
            tries.Add(tally.Allocated);
        }
        Assert.True(least == 0,
            $"{what} ({typeof(T).Name}): {string.Join(", ", tries)} bytes allocated over {Threads * (BlocksPerThread - 1)} blocks " +
            "after each thread's first " +
            $"(about {least / (double)(Threads * (BlocksPerThread - 1)):F0} per block)");
    }

    private static ISampleSource<T>[] Sources<T>() where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        const int n = Block * Threads * 24;
        var teacher = RandomTeacher.Create(new TeacherOptions(D, M), 4);
        var streamed = new TeacherSampleSource<T>(teacher, n, 5);
        var x = new T[n * D];
        var y = new T[n];
        streamed.Read(0, x, y);
        // Copied blocks (the .npy path), spans of memory (arrays, .npz, CSV), and samples generated on the fly (demo, report).
        return [new ArraySource<T>(D, x, y), new InMemoryArraySource<T>(D, x, y), streamed];
    }

    private static T[] Values<T>(int count, int seed) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        MomentTestData.Gaussians<T>(count, seed, 0.5);

    public static TheoryData<string> Precisions => ["double", "float"];

    [Theory]
    [MemberData(nameof(Precisions))]
    public void FullRankPassesAllocateNothingPerBlock(string precision)
    {
        if (precision == "double") FullRank<double>();
        else FullRank<float>();
    }

    private static void FullRank<T>() where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        const int restarts = 2, count = 5;
        var linear = ControlVariate.Linear(0.2, Values<double>(D, 1));
        var quadratic = ControlVariate.Quadratic(0.1, Values<double>(M, 2), Values<double>(M * M, 3));
        T[] basis = Array.ConvertAll(MomentTestData.Orthonormal(D, M, 4), T.CreateTruncating), directions = Values<T>(M * restarts, 5);
        double[] candidates = Values<double>(M * count, 6);
        foreach (var source in Sources<T>())
        {
            string kind = source.GetType().Name;
            AssertNoPerBlockAllocation(source, () => new SecondMomentWorker<T>(linear, Block), "pass 1 (T_2) over " + kind);
            AssertNoPerBlockAllocation(source, () => new ProjectedMomentWorker<T>(basis, D, M, directions, restarts, quadratic, Block),
                "pass 2 (projected T_3 + T_4) over " + kind);
            // as the learner runs it (TensorPrecision.Mixed): float32 products, on the lanes or through the float32 twin (forced widths)
            AssertNoPerBlockAllocation(source, () => new ProjectedMomentWorker<T>(basis, D, M, directions, restarts, quadratic, Block,
                singleProducts: true), "pass 2 with float32 products over " + kind);
            AssertNoPerBlockAllocation(source, () => new CoefficientWorker<T>(basis, D, M, candidates, count, 4, quadratic, Block),
                "pass 3 (coefficients) over " + kind);
            AssertNoPerBlockAllocation(source, () => new GramMomentWorker<T>(linear), "GramMomentWorker over " + kind);
        }
    }

    [Theory]
    [MemberData(nameof(Precisions))]
    public void OvercompletePassesAllocateNothingPerBlock(string precision)
    {
        if (precision == "double") Overcomplete<double>();
        else Overcomplete<float>();
    }

    private static void Overcomplete<T>() where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int dim = SymmetricCoordinates.Dimension(D);
        // The network control (a previous round's network, evaluated per block) is the costly case; plain quadratic too.
        var network = RandomTeacher.Create(new TeacherOptions(D, 8, BiasRange: 1), 9);
        var controls = new[]
        {
            ResponseControl.Create(0.1, Values<double>(D, 7), Values<double>(D * D, 8), null),
            ResponseControl.Create(0.1, Values<double>(D, 7), Values<double>(D * D, 8), network),
        };
        T[] projection = Array.ConvertAll(MomentTestData.Orthonormal(dim, 6, 2), T.CreateTruncating);
        T[] spanDirections = Values<T>(D * 2, 10), sliceDirections = Values<T>(D * D, 11);
        double[] candidates = Values<double>(D * 9, 12);
        foreach (var control in controls)
            foreach (var source in Sources<T>())
            {
                string kind = $"{source.GetType().Name}, {(control.Network is null ? "quadratic" : "network")} control";
                AssertNoPerBlockAllocation(source, () => new QuarticSliceWorker<T>(control, D, null, dim, spanDirections, 2, Block),
                    "span pass over " + kind);
                AssertNoPerBlockAllocation(source, () => new QuarticSliceWorker<T>(control, D, projection, 6, sliceDirections, D, Block),
                    "projected slice pass over " + kind);
                AssertNoPerBlockAllocation(source, () => new DirectionHermiteWorker<T>(D, candidates, 9, 4, control, Block),
                    "coefficient pass over " + kind);
            }
    }
}
