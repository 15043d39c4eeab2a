using System.Runtime.ExceptionServices;
using ReluFast.Moments.Kernels;

namespace ReluFast.Moments;

/// <summary>
/// The Gram matrix sum_j r_j r_j^T of n rows r_j in R^p that the caller forms block by block and can form again (Jacobian
/// rows at fixed parameters), split over threads by its columns rather than by its rows: the upper triangle is cut into bands of
/// two panels of columns, and each band is summed over all samples in sample order, one <see cref="PrefixGemm"/> call a block,
/// by whichever thread takes it. So the sums are the same bits for every thread count, they take one p x p array (a split by
/// samples holds one per thread, 50 MB each at p = 2,500, and merges them), and nothing is merged. The price: a thread forms every
/// block's rows again for each group of bands it takes (p values a sample, against the groups' p^2 / 2 multiply-adds).
/// </summary>
internal static class BandedGram
{
    /// <summary>Columns of a band: two panels, the unit of <see cref="PrefixGemm"/>'s pair kernels.</summary>
    private static int BandWidth => 2 * PrefixGemm.PanelWidth<double>();

    /// <summary>Groups of bands per thread, dealt out in order as threads free up (fewer where there are fewer bands).</summary>
    private const int GroupsPerThread = 4;

    /// <summary>
    /// Forms the rows of samples [first, first + count) into <paramref name="rows"/> (count x stride row-major; the caller writes
    /// the first p entries of each row, the rest stay zero), with <paramref name="scratch"/> of its own (per thread).
    /// Called from several threads at once, each with its own buffers.
    /// </summary>
    public delegate void RowsOf(int first, int count, Span<double> rows, int stride, Span<double> scratch);

    /// <summary>
    /// Samples per block: about 1 MiB of rows, read by every band of a group while each band's strip of the sums is read and
    /// written once a block, so that more samples a block mean less of that traffic a multiply-add (`fisher` benchmark, 2-core
    /// Zen 5, two threads: at p = 577 and 2,177 blocks of 1 MiB ran at 40-42 and 56-58 G multiply-adds/s, of 128 KiB at 24 and
    /// 39-42, of 2 MiB within noise of 1 MiB).
    /// </summary>
    internal static int BlockSize(int stride) => Math.Clamp((1 << 20) / (stride * sizeof(double)), 16, 512) & ~7;

    /// <summary>
    /// sum_j r_j r_j^T over the <paramref name="n"/> samples (p x p row-major, symmetric) on <paramref name="threads"/> threads
    /// (0: all processors); <paramref name="rowsOf"/> gets a scratch of <paramref name="scratchPerSample"/> doubles a sample of the
    /// block, per thread.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static double[] Run(int p, int n, RowsOf rowsOf, int scratchPerSample, int threads, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(p);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentNullException.ThrowIfNull(rowsOf);
        ArgumentOutOfRangeException.ThrowIfNegative(scratchPerSample);
        int width = BandWidth, stride = Simd.RoundUp(p, width), bands = stride / width, block = BlockSize(stride);
        int processors = threads > 0 ? threads : Environment.ProcessorCount;
        int[] groups = Groups(bands, Math.Min(bands, GroupsPerThread * processors));
        int groupCount = groups.Length - 1;
        var sums = new double[(long)stride * stride <= Array.MaxLength ? stride * stride
            : throw new ArgumentOutOfRangeException(nameof(p), "The Gram matrix would not fit in one array.")];
        int workers = Math.Min(processors, groupCount);
        var errors = new ExceptionDispatchInfo?[workers];
        int claimed = 0;
        bool failed = false;

        void Work(int t)
        {
            try
            {
                var rows = new double[block * stride];
                var scratch = new double[block * scratchPerSample];
                Span<int> rowEnds = stackalloc int[2];
                for (int g = Interlocked.Increment(ref claimed) - 1; g < groupCount && !Volatile.Read(ref failed);
                    g = Interlocked.Increment(ref claimed) - 1)
                {
                    for (int first = 0; first < n; first += block)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        int count = Math.Min(block, n - first);
                        rowsOf(first, count, rows.AsSpan(0, count * stride), stride, scratch);
                        for (int band = groups[g]; band < groups[g + 1]; band++)
                        {
                            // the band's columns [j0, j0 + width), every row up to its panels' last columns (the upper triangle)
                            int j0 = band * width;
                            rowEnds[0] = j0 + width / 2;
                            rowEnds[1] = j0 + width;
                            PrefixGemm.Run<double>(rows, stride, rows.AsSpan(j0), stride, count, rowEnds, sums.AsSpan(j0), stride);
                        }
                    }
                }
            }
            catch (Exception e)
            {
                errors[t] = ExceptionDispatchInfo.Capture(e);
                Volatile.Write(ref failed, true);
            }
        }

        PassThreads.Run(workers, Work);
        PassThreads.Rethrow(errors);
        var gram = new double[p * p];
        for (int i = 0; i < p; i++)
        {
            for (int j = i; j < p; j++) gram[i * p + j] = gram[j * p + i] = sums[i * stride + j];
        }
        return gram;
    }

    /// <summary>
    /// Bounds of <paramref name="count"/> contiguous groups of bands with about equal multiply-adds (band b holds b + 1 square
    /// blocks of the upper triangle), as the first band of each and then <paramref name="bands"/>.
    /// </summary>
    internal static int[] Groups(int bands, int count)
    {
        count = Math.Clamp(count, 1, Math.Max(1, bands));
        var bounds = new int[count + 1];
        long total = (long)bands * (bands + 1) / 2;
        for (int g = 1; g < count; g++)
        {
            // the first k whose bands 0 .. k - 1 (k (k + 1) / 2 blocks) reach g / count of the whole, a band at least in each group
            int k = bounds[g - 1] + 1;
            while (k < bands - (count - g) && (long)k * (k + 1) / 2 * count < total * g) k++;
            bounds[g] = k;
        }
        bounds[count] = bands;
        return bounds;
    }
}
