using System.Numerics.Tensors;
using ReluFast.Sampling;

namespace ReluFast.Model;

/// <summary>How <see cref="RandomTeacher"/> draws a teacher network.</summary>
/// <param name="InputDim">Input dimension d.</param>
/// <param name="Hidden">Number of hidden neurons m.</param>
/// <param name="BiasRange">Biases are uniform in [-BiasRange, BiasRange].</param>
/// <param name="MinOutputWeight">|a_i| is uniform in [MinOutputWeight, MaxOutputWeight], with a random sign.</param>
/// <param name="MaxOutputWeight">Upper end of |a_i|.</param>
public sealed record TeacherOptions(int InputDim, int Hidden, double BiasRange = 1.5, double MinOutputWeight = 0.5, double MaxOutputWeight = 1.5);

/// <summary>Draws random teacher networks with unit w_i (uniform on the sphere), for demos and tests.</summary>
public static class RandomTeacher
{
    /// <summary>The most weights m d of a random teacher (2^26, 512 MB of doubles, copied once more by the network).</summary>
    public const long MaxWeights = 1L << 26;

    /// <summary>A random teacher: w_i uniform on the unit sphere, a_i = +-U[min, max], b_i = U[-B, B]. Deterministic in the seed.</summary>
    /// <exception cref="ArgumentException">Non-positive sizes, m d over <see cref="MaxWeights"/>, or ranges that are out of order.</exception>
    public static ReluNetwork Create(TeacherOptions options, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        int d = options.InputDim, m = options.Hidden;
        if (d <= 0) throw new ArgumentException($"The input dimension must be positive, got {d}.", nameof(options));
        if (m <= 0) throw new ArgumentException($"The number of hidden neurons must be positive, got {m}.", nameof(options));
        if ((long)m * d > MaxWeights)
            throw new ArgumentException(
                $"A teacher with d = {d} inputs and m = {m} neurons has {(long)m * d} weights, over the limit of {MaxWeights} (512 MB of doubles).",
                nameof(options));
        if (options.BiasRange < 0 || !double.IsFinite(options.BiasRange))
            throw new ArgumentException($"The bias range must be finite and non-negative, got {options.BiasRange}.", nameof(options));
        if (!(options.MinOutputWeight >= 0 && options.MaxOutputWeight >= options.MinOutputWeight && double.IsFinite(options.MaxOutputWeight)))
            throw new ArgumentException($"Output weights need 0 <= min <= max, got [{options.MinOutputWeight}, {options.MaxOutputWeight}].",
                nameof(options));

        var normals = new CounterGaussian(seed, key: 0x7EAC4E5);
        var w = new double[m * d];
        normals.Fill(0, w);
        for (int i = 0; i < m; i++)
        {
            Span<double> wi = w.AsSpan(i * d, d);
            TensorPrimitives.Divide(wi, TensorPrimitives.Norm(wi), wi);
        }
        var a = new double[m];
        var b = new double[m];
        long k = (long)m * d;
        for (int i = 0; i < m; i++)
        {
            double magnitude = options.MinOutputWeight + (options.MaxOutputWeight - options.MinOutputWeight) * normals.Uniform(k++);
            a[i] = normals.Uniform(k++) < 0.5 ? -magnitude : magnitude;
            b[i] = options.BiasRange * (2 * normals.Uniform(k++) - 1);
        }
        return new ReluNetwork(d, a, w, b);
    }
}
