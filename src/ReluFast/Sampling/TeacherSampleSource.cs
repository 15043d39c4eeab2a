using System.Buffers;
using System.Numerics;
using ReluFast.Model;

namespace ReluFast.Sampling;

/// <summary>
/// Samples of a known network generated on the fly: x ~ N(0, I_d) (or x = mu + L g with g ~ N(0, I_d) for a given
/// <see cref="InputDistribution"/>), y = f(x) + e with e ~ N(0, s^2).
/// Sample j is a pure function of (seed, j), so every pass, thread count and block size sees the
/// same data, in float or double (float samples are the double samples rounded, with y computed from
/// the rounded x).
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class TeacherSampleSource<T> : ISampleSource<T>, IKnownInputLaw where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly CounterGaussian _inputs;
    private readonly CounterGaussian _noise;

    /// <summary>Creates a stream of <paramref name="count"/> samples of <paramref name="teacher"/>.</summary>
    /// <param name="teacher">The network that labels the samples.</param>
    /// <param name="count">Number of samples N.</param>
    /// <param name="seed">Seed of the stream.</param>
    /// <param name="noiseStd">Standard deviation s of the additive label noise (0 for noiseless labels).</param>
    /// <param name="inputs">The law of x (null: N(0, I_d)).</param>
    /// <exception cref="ArgumentException">count is negative, noiseStd is negative or not finite, or the law's dimension is not the
    /// teacher's.</exception>
    public TeacherSampleSource(ReluNetwork teacher, long count, ulong seed, double noiseStd = 0, InputDistribution? inputs = null)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"Samples must be float or double, not {typeof(T).Name}.");
        if (count < 0) throw new ArgumentException($"The sample count must be non-negative, got {count}.", nameof(count));
        if (!(noiseStd >= 0) || !double.IsFinite(noiseStd))
            throw new ArgumentException($"The noise standard deviation must be finite and non-negative, got {noiseStd}.", nameof(noiseStd));
        if (inputs is not null && inputs.Dimension != teacher.InputDim)
            throw new ArgumentException($"The input law has dimension {inputs.Dimension}, the teacher {teacher.InputDim}.", nameof(inputs));
        Teacher = teacher;
        Inputs = inputs is null || inputs.IsStandard ? null : inputs;
        Count = count;
        Seed = seed;
        NoiseStd = noiseStd;
        _inputs = new CounterGaussian(seed, key: 1);
        _noise = new CounterGaussian(seed, key: 2);
    }

    /// <summary>The labelling network.</summary>
    public ReluNetwork Teacher { get; }

    /// <summary>Seed of the stream.</summary>
    public ulong Seed { get; }

    /// <summary>The law of x when it is not N(0, I_d) (null: standard normal inputs).</summary>
    public InputDistribution? Inputs { get; }

    /// <inheritdoc />
    bool IKnownInputLaw.IsStandardNormal => Inputs is null;

    /// <summary>Standard deviation of the label noise.</summary>
    public double NoiseStd { get; }

    /// <inheritdoc />
    public int Dimension => Teacher.InputDim;

    /// <inheritdoc />
    public long Count { get; }

    /// <inheritdoc />
    public void Read(long start, Span<T> x, Span<T> y)
    {
        int n = y.Length, d = Dimension;
        if (start < 0 || start > Count - n)
            throw new ArgumentOutOfRangeException(nameof(start), $"Samples [{start}, {start + n}) are outside [0, {Count}).");
        if (x.Length != n * d) throw new ArgumentOutOfRangeException(nameof(x), $"x must hold n x d = {n} x {d} values, got {x.Length}.");
        if (n == 0) return;
        if (typeof(T) == typeof(double))
        {
            // Generated in place: no scratch buffer and no copy (the same values as through the scratch buffer).
            Span<double> xd = System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(x);
            Span<double> yd = System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(y);
            _inputs.Fill(start * d, xd);
            if (Inputs is not null)
            {
                double[] scratch = ArrayPool<double>.Shared.Rent(d);
                try { Inputs.Apply(xd, scratch.AsSpan(0, d)); }
                finally { ArrayPool<double>.Shared.Return(scratch); }
            }
            Teacher.Evaluate(xd, yd);
            if (NoiseStd > 0) AddNoise(start, yd);
            return;
        }

        double[] rented = ArrayPool<double>.Shared.Rent(n * d + n + d);
        try
        {
            Span<double> xd = rented.AsSpan(0, n * d);
            Span<double> yd = rented.AsSpan(n * d, n);
            _inputs.Fill(start * d, xd);
            Inputs?.Apply(xd, rented.AsSpan(n * d + n, d));
            // float (the constructor admits no other type): round x first so that y is f of exactly the float inputs the caller
            // sees; x is written once, rounded, and its values widened back, both conversions vectorised
            Span<float> xf = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(x);
            System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<double, float>(xd, xf);
            System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<float, double>(xf, xd);
            Teacher.Evaluate(xd, yd);
            if (NoiseStd > 0)
            {
                AddNoise(start, yd);
            }
            Span<float> yf = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(y);
            System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<double, float>(yd, yf);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    private void AddNoise(long start, Span<double> y)
    {
        double[] rented = ArrayPool<double>.Shared.Rent(y.Length);
        try
        {
            Span<double> e = rented.AsSpan(0, y.Length);
            _noise.Fill(start, e);
            for (int i = 0; i < y.Length; i++) y[i] += NoiseStd * e[i];
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }
}
