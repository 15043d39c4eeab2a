using System.Numerics;
using ReluFast.Sampling;

namespace ReluFast.Tests.Moments;

/// <summary>Every moment-engine test class runs in this collection, one at a time: some switch the engine's SIMD width,
/// a process-wide setting.</summary>
[CollectionDefinition(Name)]
public sealed class MomentCollection
{
    public const string Name = "Moments (serial: SIMD width switch)";
}

/// <summary>Random data, a tiny in-memory sample source, and the floating-point error bounds the tests use.</summary>
internal static class MomentTestData
{
    /// <summary>
    /// Bytes that <paramref name="calls"/> calls of <paramref name="work"/> allocate on this thread, the least of three tries:
    /// a real per-call allocation shows in every try, while the runtime's own one-off work (a method reaching the next JIT
    /// tier or an on-stack replacement, compiled on the calling thread while other tests load the cores) lands in one.
    /// </summary>
    public static long SteadyStateAllocatedBytes(Action work, int calls)
    {
        long least = long.MaxValue;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++) work();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }

    /// <summary>Unit roundoff of T (half the machine epsilon).</summary>
    public static double UnitRoundoff<T>() => typeof(T) == typeof(float) ? Math.Pow(2, -24) : Math.Pow(2, -53);

    /// <summary>
    /// Worst-case relative bound (times sum |terms|) for a sum of n products formed with up to
    /// <paramref name="roundings"/> roundings each, summed in T over tiles of at most <paramref name="tile"/> terms
    /// and then in double over all n (Higham, recursive summation: gamma_k = k u / (1 - k u)).
    /// </summary>
    public static double SumBound<T>(long n, int tile, int roundings = 3)
    {
        double uT = UnitRoundoff<T>(), uD = Math.Pow(2, -53);
        long kT = Math.Min(n, tile) + roundings, kD = n + roundings;
        return kT * uT / (1 - kT * uT) + kD * uD / (1 - kD * uD);
    }

    public static double Gaussian(Random r)
    {
        // Box-Muller; 1 - NextDouble() is in (0, 1]
        double u1 = 1.0 - r.NextDouble(), u2 = r.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static T[] Gaussians<T>(int count, int seed, double scale = 1.0) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var r = new Random(seed);
        var a = new T[count];
        for (int i = 0; i < a.Length; i++) a[i] = T.CreateTruncating(scale * Gaussian(r));
        return a;
    }

    public static double[] ToDouble<T>(ReadOnlySpan<T> values) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var a = new double[values.Length];
        for (int i = 0; i < a.Length; i++) a[i] = double.CreateTruncating(values[i]);
        return a;
    }

    /// <summary>Random orthonormal d x m matrix (row-major, orthonormal columns) by Gram-Schmidt.</summary>
    public static double[] Orthonormal(int d, int m, int seed)
    {
        var r = new Random(seed);
        var u = new double[d * m];
        for (int c = 0; c < m; c++)
        {
            for (int i = 0; i < d; i++) u[i * m + c] = Gaussian(r);
            for (int pass = 0; pass < 2; pass++)
                for (int p = 0; p < c; p++)
                {
                    double dot = 0;
                    for (int i = 0; i < d; i++) dot += u[i * m + c] * u[i * m + p];
                    for (int i = 0; i < d; i++) u[i * m + c] -= dot * u[i * m + p];
                }
            double norm = 0;
            for (int i = 0; i < d; i++) norm += u[i * m + c] * u[i * m + c];
            norm = Math.Sqrt(norm);
            for (int i = 0; i < d; i++) u[i * m + c] /= norm;
        }
        return u;
    }

    public static void AssertWithin(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, ReadOnlySpan<double> bound, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(expected[i] - actual[i]);
            if (!(err <= bound[i]))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}, error {err:E3} > bound {bound[i]:E3}");
        }
    }

    public static void AssertBitwiseEqual(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: {expected[i]:R} != {actual[i]:R}");
    }

    /// <summary>The widths the kernels took inside <see cref="WithWidth"/> so far in this process.</summary>
    public static int[] WidthsRun
    {
        get { lock (s_widthsRun) return s_widthsRun.Order().ToArray(); }
    }

    private static readonly HashSet<int> s_widthsRun = [];

    /// <summary>Runs <paramref name="body"/> with the engine forced to a SIMD width (0 = hardware, 256, 64 = scalar).</summary>
    public static void WithWidth(int bits, Action body)
    {
        int saved = ReluFast.Moments.Kernels.Simd.ForcedWidthBits;
        ReluFast.Moments.Kernels.Simd.ForcedWidthBits = bits;
        lock (s_widthsRun) s_widthsRun.Add(ReluFast.Moments.Kernels.Simd.WidthBits);
        try { body(); }
        finally { ReluFast.Moments.Kernels.Simd.ForcedWidthBits = saved; }
    }
}

/// <summary>An in-memory <see cref="ISampleSource{T}"/> over arrays, for tests.</summary>
internal sealed class ArraySource<T>(int dimension, T[] x, T[] y) : ISampleSource<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public int Dimension { get; } = dimension;
    public long Count => y.Length;
    public int Reads;

    public void Read(long start, Span<T> xBlock, Span<T> yBlock)
    {
        int n = yBlock.Length;
        if (start < 0 || start + n > y.Length || xBlock.Length != n * Dimension) throw new ArgumentOutOfRangeException(nameof(start));
        x.AsSpan((int)start * Dimension, n * Dimension).CopyTo(xBlock);
        y.AsSpan((int)start, n).CopyTo(yBlock);
        Interlocked.Increment(ref Reads);
    }
}

/// <summary>The same arrays as an <see cref="ReluFast.Moments.IInMemorySampleSource{T}"/>: SamplePass should take spans, not call Read.</summary>
internal sealed class InMemoryArraySource<T>(int dimension, T[] x, T[] y) : ReluFast.Moments.IInMemorySampleSource<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public int Dimension { get; } = dimension;
    public long Count => y.Length;
    public int Reads;

    public void Read(long start, Span<T> xBlock, Span<T> yBlock)
    {
        Interlocked.Increment(ref Reads);
        GetInputs(start, yBlock.Length).CopyTo(xBlock);
        GetResponses(start, yBlock.Length).CopyTo(yBlock);
    }

    public ReadOnlySpan<T> GetInputs(long start, int count) => x.AsSpan((int)start * Dimension, count * Dimension);
    public ReadOnlySpan<T> GetResponses(long start, int count) => y.AsSpan((int)start, count);
}
