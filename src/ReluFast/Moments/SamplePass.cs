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
/// Thread t gets the contiguous range of blocks [t B / P, (t + 1) B / P) of the B blocks, processes them in
/// order, and the workers are merged in thread order into worker 0, so a pass is bit-identical for the same
/// source, range, block size and thread count. A block whose x is larger than 256 KiB is read and handed to
/// the worker in consecutive chunks of at most that size (in order), so the worker finds it in L2; the chunk
/// size depends only on d, T and the kind of source. Each thread allocates its buffers once per pass, each starting a page
/// (<see cref="AlignedBuffer{T}"/>: two threads' blocks at other offsets in their pages slowed one of them). A source
/// that is an <see cref="IInMemorySampleSource{T}"/> is not copied: the workers get spans of its memory, a whole block at a
/// time, with x of the thread's next block, which they may prefetch. Thread 0 is the caller; the others are
/// <see cref="PassThreads"/>' helpers, kept between passes (a pass no longer starts threads of its own).
/// </remarks>
internal static class SamplePass
{
    private static readonly long s_reportInterval = Stopwatch.Frequency / 10;

    /// <summary>Bytes of x read and accumulated at a time: small enough that the worker reads the chunk from L2.</summary>
    internal const int ChunkBytes = 262144;

    /// <summary>Samples per chunk: the block, or fewer so that x of one chunk is at most <see cref="ChunkBytes"/>.</summary>
    internal static int ChunkSize(int blockSize, int dimension, int elementSize) =>
        Math.Clamp(ChunkBytes / Math.Max(1, dimension * elementSize), 1, blockSize);

    /// <summary>
    /// Runs one pass over the source and returns the merged worker (the first one created).
    /// <paramref name="createWorker"/> is called once per thread, on the calling thread, in thread order.
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
        // a worker without a block would only hold accumulators; with one block each the partition below is the same
        int threads = (int)Math.Clamp(blocks, 1, options.Threads == 0 ? Environment.ProcessorCount : options.Threads);
        int d = source.Dimension;
        // copied blocks go in L2-sized chunks; in-memory samples are handed over a block at a time
        int chunk = source is IInMemorySampleSource<T> ? blockSize : ChunkSize(blockSize, d, System.Runtime.CompilerServices.Unsafe.SizeOf<T>());

        var workers = new TWorker[threads];
        for (int t = 0; t < threads; t++) workers[t] = createWorker();

        var clock = Stopwatch.StartNew();
        long done = 0, lastReport = 0;
        var errors = new ExceptionDispatchInfo?[threads];

        void Work(int t)
        {
            try
            {
                long first = blocks * t / threads, last = blocks * (t + 1) / threads;
                if (first == last) return;
                var memory = source as IInMemorySampleSource<T>;
                long rangeEnd = Math.Min(start + last * blockSize, start + count); // this thread's samples end here
                var x = new AlignedBuffer<T>(memory is null ? checked(chunk * d) : 0);
                var y = new AlignedBuffer<T>(memory is null ? chunk : 0);
                TWorker worker = workers[t];
                for (long b = first; b < last; b++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    long blockStart = start + b * blockSize, blockEnd = Math.Min(blockStart + blockSize, start + count);
                    for (long s = blockStart; s < blockEnd; s += chunk)
                    {
                        int n = (int)Math.Min(chunk, blockEnd - s);
                        if (memory is not null)
                        {
                            // the next block of this thread, which the worker may prefetch while it works on this one
                            int next = (int)Math.Min(blockSize, rangeEnd - (s + n));
                            worker.Accumulate(memory.GetInputs(s, n), memory.GetResponses(s, n),
                                next > 0 ? memory.GetInputs(s + n, next) : default);
                            continue;
                        }
                        Span<T> xs = x.Span[..(n * d)], ys = y.Span[..n];
                        source.Read(s, xs, ys);
                        worker.Accumulate(xs, ys);
                    }
                    long total = Interlocked.Add(ref done, blockEnd - blockStart);
                    if (progress is not null)
                    {
                        long now = clock.ElapsedTicks, previous = Interlocked.Read(ref lastReport);
                        if (now - previous >= s_reportInterval && Interlocked.CompareExchange(ref lastReport, now, previous) == previous)
                            progress.Report(new SamplePassProgress(total, count, clock.Elapsed));
                    }
                }
            }
            catch (Exception e)
            {
                errors[t] = ExceptionDispatchInfo.Capture(e);
            }
        }

        PassThreads.Run(threads, Work); // thread 0 is this one; the others are kept between passes

        foreach (ExceptionDispatchInfo? e in errors)
            if (e?.SourceException is OperationCanceledException) e.Throw();
        foreach (ExceptionDispatchInfo? e in errors) e?.Throw();

        for (int t = 1; t < threads; t++) workers[0].Merge(workers[t]);
        progress?.Report(new SamplePassProgress(done, count, clock.Elapsed));
        return workers[0];
    }
}
