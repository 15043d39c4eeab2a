using System.Diagnostics;
using System.Numerics;
using System.Runtime.ExceptionServices;
using ReluFast.Moments.Kernels;
using ReluFast.Sampling;

namespace ReluFast.Moments;

/// <summary>
/// The multi-threaded driver of a moment pass: reads blocks of samples from a source and feeds them to
/// per-thread workers, then merges the workers.
/// </summary>
/// <remarks>
/// <para>The B blocks of a pass are cut into segments that depend on B alone (<see cref="SegmentBounds"/>: whole blocks, one block
/// each at the end of the pass, longer towards its start). Threads take the segments in order as they free up, each segment into
/// a worker of its own (a reset one), and the segments' workers are merged in segment order into the first worker created, as
/// each one and those before it are done; so a pass's sums are the same bits for every thread count and every timing, and a
/// thread on a slower or busier core takes fewer segments instead of holding the others up. A pass holds at most
/// 2 P + 1 workers for P threads (a thread whose segment cannot be merged yet, because an earlier one is still running, takes
/// another worker; one is kept back for the thread holding the earliest segment, so the pass always goes on).</para>
/// <para>Workers that cannot be reset (<see cref="IMomentWorker{T, TSelf}.CanReset"/>: a device session's) get a fixed range
/// instead: thread t the blocks [t B / P, (t + 1) B / P), in order, merged in thread order, so such a pass is bit-identical for
/// the same thread count.</para>
/// <para>A block whose x is larger than 256 KiB is read and handed to the worker in consecutive chunks of at most that size (in
/// order), so the worker finds it in L2; the chunk size depends only on d, T and the kind of source. Each thread allocates its
/// buffers once per pass, each starting a page (<see cref="AlignedBuffer{T}"/>: two threads' blocks at other offsets in their
/// pages slowed one of them). A source that is an <see cref="IInMemorySampleSource{T}"/> is not copied: the workers get spans of
/// its memory, a whole block at a time, with x of the block the thread takes next, which they may prefetch. Thread 0 is the
/// caller; the others are <see cref="PassThreads"/>' helpers, kept between passes.</para>
/// </remarks>
internal static class SamplePass
{
    private static readonly long s_reportInterval = Stopwatch.Frequency / 10;

    /// <summary>Bytes of x read and accumulated at a time: small enough that the worker reads the chunk from L2.</summary>
    internal const int ChunkBytes = 262144;

    /// <summary>Segments of each length at the end of a pass (<see cref="SegmentBounds"/>).</summary>
    internal const int SegmentsPerLength = 16;

    /// <summary>The longest segment, in blocks (<see cref="SegmentBounds"/>).</summary>
    internal const int LongestSegment = 64;

    /// <summary>Samples per chunk: the block, or fewer so that x of one chunk is at most <see cref="ChunkBytes"/>.</summary>
    internal static int ChunkSize(int blockSize, int dimension, int elementSize) =>
        Math.Clamp(ChunkBytes / Math.Max(1, dimension * elementSize), 1, blockSize);

    /// <summary>
    /// The segments of a pass of <paramref name="blocks"/> blocks, as the first block of each and then <paramref name="blocks"/>:
    /// counted from the end of the pass, <see cref="SegmentsPerLength"/> segments of one block, as many of two, of four, and so
    /// on up to <see cref="LongestSegment"/> blocks, the rest of that length; the first segment takes what is left. Short
    /// segments at the end let the threads finish together; long ones before keep the merges (one per segment) few.
    /// </summary>
    internal static long[] SegmentBounds(long blocks)
    {
        var starts = new List<long> { blocks };
        long end = blocks, length = 1;
        int ofLength = 0;
        while (end > 0)
        {
            end = Math.Max(0, end - length);
            starts.Add(end);
            if (++ofLength == SegmentsPerLength && length < LongestSegment)
            {
                length *= 2;
                ofLength = 0;
            }
        }
        starts.Reverse();
        return [.. starts];
    }

    /// <summary>
    /// Runs one pass over the source and returns the merged worker (the first one created). <paramref name="createWorker"/> is
    /// called on the calling thread, first for that worker, then once per thread; a pass whose segments run ahead of its merges
    /// calls it again, on a pass thread (never two calls at once).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range or the options are invalid.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static TWorker Run<T, TWorker>(ISampleSource<T> source, Func<TWorker> createWorker,
        SamplePassOptions? options = null, IProgress<SamplePassProgress>? progress = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TWorker : IMomentWorker<T, TWorker>
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(createWorker);
        options ??= new SamplePassOptions();
        long start = options.Start;
        long count = options.Count < 0 ? source.Count - start : options.Count;
        if (start < 0 || start > source.Count)
            throw new ArgumentOutOfRangeException(nameof(options), $"Start {start} is outside [0, {source.Count}].");
        if (count < 0 || start + count > source.Count)
            throw new ArgumentOutOfRangeException(nameof(options),
                $"The range [{start}, {start + count}) is outside the source's {source.Count} samples.");
        if (options.BlockSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "BlockSize must be positive.");
        if (options.Threads < 0 || options.Threads > SamplePassOptions.MaxThreads)
            throw new ArgumentOutOfRangeException(nameof(options), $"Threads must be 0 (all processors) or 1 to {SamplePassOptions.MaxThreads}.");
        int blockSize = options.BlockSize;
        long blocks = (count + blockSize - 1) / blockSize;
        int processors = options.Threads == 0 ? Environment.ProcessorCount : options.Threads;
        int d = source.Dimension;
        var memory = source as IInMemorySampleSource<T>;
        // copied blocks go in L2-sized chunks; in-memory samples are handed over a block at a time
        int chunk = memory is not null ? blockSize : ChunkSize(blockSize, d, System.Runtime.CompilerServices.Unsafe.SizeOf<T>());

        TWorker total = createWorker();
        var clock = Stopwatch.StartNew();
        long done = 0, lastReport = 0;

        // Block b into the worker; nextBlock: the block this thread takes next (its x may be prefetched), or -1.
        void Block(TWorker worker, long b, long nextBlock, AlignedBuffer<T> x, AlignedBuffer<T> y)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long blockStart = start + b * blockSize, blockEnd = Math.Min(blockStart + blockSize, start + count);
            if (memory is not null)
            {
                int n = (int)(blockEnd - blockStart);
                long nextStart = start + nextBlock * blockSize;
                worker.Accumulate(memory.GetInputs(blockStart, n), memory.GetResponses(blockStart, n),
                    nextBlock >= 0 ? memory.GetInputs(nextStart, (int)Math.Min(blockSize, start + count - nextStart)) : default);
            }
            else
            {
                for (long s = blockStart; s < blockEnd; s += chunk)
                {
                    int n = (int)Math.Min(chunk, blockEnd - s);
                    Span<T> xs = x.Span[..(n * d)], ys = y.Span[..n];
                    source.Read(s, xs, ys);
                    worker.Accumulate(xs, ys);
                }
            }
            long sum = Interlocked.Add(ref done, blockEnd - blockStart);
            if (progress is not null)
            {
                long now = clock.ElapsedTicks, previous = Interlocked.Read(ref lastReport);
                if (now - previous >= s_reportInterval && Interlocked.CompareExchange(ref lastReport, now, previous) == previous)
                    progress.Report(new SamplePassProgress(sum, count, clock.Elapsed));
            }
        }

        (AlignedBuffer<T> X, AlignedBuffer<T> Y) Buffers() =>
            (new AlignedBuffer<T>(memory is null ? checked(chunk * d) : 0), new AlignedBuffer<T>(memory is null ? chunk : 0));

        if (total.CanReset) Segmented<T, TWorker>(total, blocks, processors, createWorker, Block, Buffers);
        else Fixed<T, TWorker>(total, blocks, processors, createWorker, Block, Buffers);
        progress?.Report(new SamplePassProgress(done, count, clock.Elapsed));
        return total;
    }

    /// <summary>Thread t takes the blocks [t B / P, (t + 1) B / P) into a worker of its own; the workers merge in thread order.</summary>
    private static void Fixed<T, TWorker>(TWorker total, long blocks, int processors, Func<TWorker> createWorker,
        Action<TWorker, long, long, AlignedBuffer<T>, AlignedBuffer<T>> block, Func<(AlignedBuffer<T> X, AlignedBuffer<T> Y)> buffers)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TWorker : IMomentWorker<T, TWorker>
    {
        // a worker without a block would only hold accumulators; with one block each the partition below is the same
        int threads = (int)Math.Clamp(blocks, 1, processors);
        var workers = new TWorker[threads];
        workers[0] = total;
        for (int t = 1; t < threads; t++) workers[t] = createWorker();
        var errors = new ExceptionDispatchInfo?[threads];

        void Work(int t)
        {
            try
            {
                long first = blocks * t / threads, last = blocks * (t + 1) / threads;
                if (first == last) return;
                var (x, y) = buffers();
                for (long b = first; b < last; b++) block(workers[t], b, b + 1 < last ? b + 1 : -1, x, y);
            }
            catch (Exception e)
            {
                errors[t] = ExceptionDispatchInfo.Capture(e);
            }
        }

        PassThreads.Run(threads, Work); // thread 0 is this one; the others are kept between passes
        PassThreads.Rethrow(errors);
        for (int t = 1; t < threads; t++) total.Merge(workers[t]);
    }

    /// <summary>
    /// The segments of <see cref="SegmentBounds"/> dealt out in order as threads free up, each into a reset worker, merged into
    /// <paramref name="total"/> in segment order (the class remarks).
    /// </summary>
    private static void Segmented<T, TWorker>(TWorker total, long blocks, int processors, Func<TWorker> createWorker,
        Action<TWorker, long, long, AlignedBuffer<T>, AlignedBuffer<T>> block, Func<(AlignedBuffer<T> X, AlignedBuffer<T> Y)> buffers)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TWorker : IMomentWorker<T, TWorker>
    {
        long[] bounds = SegmentBounds(blocks);
        int segments = bounds.Length - 1;
        int threads = Math.Clamp(segments, 1, processors);
        var gate = new object();
        var free = new Stack<TWorker>(2 * threads);
        for (int t = 0; t < threads; t++) free.Push(createWorker());
        int creatable = threads; // workers the pass may still make: at most 2 P besides the total
        var pending = new TWorker?[segments]; // done, waiting for the segments before them
        int frontier = 0; // the first segment not merged
        bool merging = false, failed = false;
        long claimed = 0;
        var errors = new ExceptionDispatchInfo?[threads];

        int Claim() => (int)Math.Min(Interlocked.Increment(ref claimed) - 1, segments);

        // A worker for segment s: the last one free (or the last the pass may make) only for the frontier's segment, whose
        // merge frees workers again; null when the pass failed.
        TWorker? Acquire(int s)
        {
            lock (gate)
            {
                while (true)
                {
                    if (failed) return default;
                    if (free.Count + creatable >= (s == frontier ? 1 : 2))
                    {
                        if (free.Count > 0) return free.Pop();
                        creatable--;
                        return createWorker(); // under the gate: one call at a time, and rare
                    }
                    Monitor.Wait(gate);
                }
            }
        }

        // Segment s is done in the worker: merges it and every done segment after it that the frontier reaches, one thread at a time.
        void Deposit(int s, TWorker worker)
        {
            lock (gate)
            {
                pending[s] = worker;
                if (merging) return; // the merging thread will find it
                merging = true;
            }
            while (true)
            {
                TWorker next;
                lock (gate)
                {
                    if (frontier == segments || pending[frontier] is not TWorker ready)
                    {
                        merging = false;
                        return;
                    }
                    next = ready;
                    pending[frontier] = default;
                }
                total.Merge(next);
                next.Reset();
                lock (gate)
                {
                    free.Push(next);
                    frontier++;
                    Monitor.PulseAll(gate);
                }
            }
        }

        void Work(int t)
        {
            try
            {
                var (x, y) = buffers();
                int s = Claim();
                while (s < segments)
                {
                    if (Acquire(s) is not TWorker worker) return;
                    long first = bounds[s], end = bounds[s + 1];
                    int next = segments;
                    for (long b = first; b < end; b++)
                    {
                        if (Volatile.Read(ref failed)) return;
                        long nextBlock = b + 1 < end ? b + 1 : -1;
                        if (b + 1 == end)
                        {
                            // the next segment is claimed as this one's last block starts, so that the block can prefetch it
                            next = Claim();
                            if (next < segments) nextBlock = bounds[next];
                        }
                        block(worker, b, nextBlock, x, y);
                    }
                    Deposit(s, worker);
                    s = next;
                }
            }
            catch (Exception e)
            {
                errors[t] = ExceptionDispatchInfo.Capture(e);
                lock (gate)
                {
                    failed = true;
                    Monitor.PulseAll(gate);
                }
            }
        }

        PassThreads.Run(threads, Work); // thread 0 is this one; the others are kept between passes
        PassThreads.Rethrow(errors);
        Debug.Assert(frontier == segments, "every segment was merged");
    }
}
