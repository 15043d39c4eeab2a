using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ReluFast.Sampling;

/// <summary>
/// The samples (x_j, f(x_j)) of a black box <see cref="IQueryOracle{T}"/>: x_j ~ N(0, I_d) is drawn from the counter-based
/// stream of <see cref="TeacherSampleSource{T}"/> (a pure function of (seed, j): the same queries for any thread count,
/// block size or pass), and y_j is asked of the oracle block by block, from the learner's worker threads when the oracle
/// says it is thread-safe. Nothing of size N is held unless <see cref="CachesResponses"/>.
/// </summary>
/// <remarks>
/// The learner reads the stream several times (pass 1, 2, 3, the pilot and held-out subsamples). Without the response cache every
/// read asks the oracle again, so <see cref="Queries"/> counts several times N; with it, each x_j is asked once (8 bytes and a flag
/// per sample are kept) and <see cref="Queries"/> is at most <see cref="Count"/>. Extraction is measured in queries: read
/// <see cref="Queries"/> after learning.
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>: the oracle's precision (float queries are the double draws rounded).</typeparam>
public sealed class OracleSampleSource<T> : ISampleSource<T>, IKnownInputLaw where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>The key of the query stream in <see cref="CounterGaussian"/> (the key of <see cref="TeacherSampleSource{T}"/>'s inputs).</summary>
    public const ulong QueryKey = 1;

    private readonly IQueryOracle<T> _oracle;
    private readonly CounterGaussian _inputs;
    private readonly object _gate = new();
    private readonly T[]? _responses;
    private readonly byte[]? _known;
    private long _queries;
    private long _calls;

    /// <summary>Creates the stream of <paramref name="count"/> queries of <paramref name="oracle"/>.</summary>
    /// <param name="oracle">The black box.</param>
    /// <param name="count">Number of samples N (distinct queries).</param>
    /// <param name="seed">Seed of the query stream.</param>
    /// <param name="cacheResponses">Keep each y_j once asked (N values and N flags in memory), so that every x_j is queried once.</param>
    /// <exception cref="ArgumentException">count is negative, or too large to cache.</exception>
    public OracleSampleSource(IQueryOracle<T> oracle, long count, ulong seed, bool cacheResponses = false)
    {
        ArgumentNullException.ThrowIfNull(oracle);
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"Samples must be float or double, not {typeof(T).Name}.");
        if (oracle.Dimension <= 0)
            throw new ArgumentException($"The oracle's input dimension must be positive, got {oracle.Dimension}.", nameof(oracle));
        if (count < 0) throw new ArgumentException($"The query count must be non-negative, got {count}.", nameof(count));
        if (cacheResponses && count > Array.MaxLength)
            throw new ArgumentException($"{count} responses are more than one array can cache ({Array.MaxLength}); query without the cache.",
                nameof(count));
        long cacheBytes = cacheResponses ? count * (System.Runtime.CompilerServices.Unsafe.SizeOf<T>() + 1L) : 0;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (cacheBytes > available / 2)
            throw new ArgumentException($"caching {count} responses takes {cacheBytes / 1e9:F2} GB, more than half of the {available / 1e9:F2} GB " +
                "of memory available; query without the cache (every pass asks the model again) or ask fewer queries.", nameof(count));
        _oracle = oracle;
        Count = count;
        Seed = seed;
        _inputs = new CounterGaussian(seed, QueryKey);
        if (cacheResponses)
        {
            _responses = new T[count];
            _known = new byte[count];
        }
    }

    /// <summary>Seed of the query stream.</summary>
    public ulong Seed { get; }

    /// <inheritdoc />
    public int Dimension => _oracle.Dimension;

    /// <inheritdoc />
    public long Count { get; }

    /// <inheritdoc />
    bool IKnownInputLaw.IsStandardNormal => true;

    /// <summary>Whether responses are kept, so that each x_j is asked once.</summary>
    public bool CachesResponses => _responses is not null;

    /// <summary>Inputs sent to the oracle so far (every call's block length summed): the cost of the extraction.</summary>
    public long Queries => Interlocked.Read(ref _queries);

    /// <summary>Calls of <see cref="IQueryOracle{T}.Query"/> so far (blocks).</summary>
    public long OracleCalls => Interlocked.Read(ref _calls);

    /// <summary>
    /// Writes query inputs [start, start + n) of the stream with seed <paramref name="seed"/> in dimension <paramref name="dimension"/>
    /// (n x d, row-major, n = x.Length / d): the x that <see cref="Read"/> sends to the oracle. For hosts that evaluate the queries themselves.
    /// </summary>
    public static void Draw(ulong seed, int dimension, long start, Span<T> x)
    {
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The dimension must be positive.");
        if (start < 0) throw new ArgumentOutOfRangeException(nameof(start), start, "The first index must be non-negative.");
        if (x.Length % dimension != 0)
            throw new ArgumentOutOfRangeException(nameof(x), $"x holds {x.Length} values, not a multiple of d = {dimension}.");
        Draw(new CounterGaussian(seed, QueryKey), checked(start * dimension), x);
    }

    /// <inheritdoc />
    public void Read(long start, Span<T> x, Span<T> y)
    {
        int n = y.Length, d = Dimension;
        if (start < 0 || start > Count - n)
            throw new ArgumentOutOfRangeException(nameof(start), $"Samples [{start}, {start + n}) are outside [0, {Count}).");
        if (x.Length != (long)n * d) throw new ArgumentOutOfRangeException(nameof(x), $"x must hold n x d = {n} x {d} values, got {x.Length}.");
        if (n == 0) return;
        Draw(_inputs, start * d, x);
        if (_responses is null)
        {
            Ask(x, y);
            return;
        }
        // Ask only for the runs of samples not yet answered (passes and subsamples overlap); the rest comes from the cache.
        for (int j = 0; j < n;)
        {
            bool known = Volatile.Read(ref _known![start + j]) != 0;
            int end = j + 1;
            while (end < n && (Volatile.Read(ref _known[start + end]) != 0) == known) end++;
            Span<T> target = y[j..end];
            if (known)
            {
                _responses.AsSpan((int)(start + j), end - j).CopyTo(target);
            }
            else
            {
                Ask(x.Slice(j * d, (end - j) * d), target);
                target.CopyTo(_responses.AsSpan((int)(start + j), end - j));
                for (int k = j; k < end; k++) Volatile.Write(ref _known[start + k], 1);
            }
            j = end;
        }
    }

    private void Ask(ReadOnlySpan<T> x, Span<T> y)
    {
        if (_oracle.IsThreadSafe)
        {
            _oracle.Query(x, y);
        }
        else
        {
            lock (_gate) _oracle.Query(x, y);
        }
        Interlocked.Add(ref _queries, y.Length);
        Interlocked.Increment(ref _calls);
    }

    private static void Draw(CounterGaussian inputs, long first, Span<T> x)
    {
        if (typeof(T) == typeof(double))
        {
            inputs.Fill(first, MemoryMarshal.Cast<T, double>(x));
            return;
        }
        double[] rented = ArrayPool<double>.Shared.Rent(x.Length);
        try
        {
            Span<double> xd = rented.AsSpan(0, x.Length);
            inputs.Fill(first, xd);
            // Exactly TeacherSampleSource's rounding, so that an oracle of a known network sees its float stream.
            for (int i = 0; i < xd.Length; i++) xd[i] = (float)xd[i];
            System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<double, float>(xd, MemoryMarshal.Cast<T, float>(x));
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }
}
