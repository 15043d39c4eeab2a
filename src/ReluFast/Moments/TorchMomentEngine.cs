using System.Numerics;
using System.Runtime.InteropServices;
using ReluFast.Interop;
using TorchSharp;
using static TorchSharp.torch;

namespace ReluFast.Moments;

/// <summary>
/// The same moment computations as the SIMD engine, on libtorch tensors (matmul and einsum) on the CPU. Each call
/// computes the sums of one block and adds them to an accumulator of the SIMD engine (through its flat state), so both
/// engines' results can be merged, serialised and compared. It is the baseline the SIMD engine is measured against (the
/// GPU engine is ReluFast.Gpu's ILGPU kernels, not libtorch: the build references the CPU libtorch only).
/// </summary>
/// <remarks>Computes in the samples' precision (float or double); sums come back as double. Allocates (tensors) on every call.</remarks>
internal sealed class TorchMomentEngine
{
    private const int TensorChunk = 8192; // samples per einsum chunk: bounds the n x m x m intermediate

    /// <summary>An engine on libtorch's CPU device (transitional parameter: "cpu" is the only device).</summary>
    /// <exception cref="TorchUnavailableException">libtorch cannot be loaded.</exception>
    /// <exception cref="ArgumentException">The device is not "cpu".</exception>
    public TorchMomentEngine(string device = "cpu")
    {
        if (!string.Equals(device, "cpu", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"libtorch runs on the CPU only, not '{device}'; the GPU engine is ReluFast.Gpu.", nameof(device));
        TorchRuntime.EnsureLoaded();
        Device = torch.CPU;
    }

    /// <summary>The libtorch device the sums are computed on.</summary>
    public Device Device { get; }

    /// <summary>Adds a block to <paramref name="target"/> exactly as <see cref="WeightedGramAccumulator{T}.Accumulate"/> would.</summary>
    public void AccumulateWeightedGram<T>(WeightedGramAccumulator<T> target, ReadOnlySpan<T> x, ReadOnlySpan<T> weights)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(target);
        int d = target.Dimension, l = target.WeightCount, n = weights.Length / l;
        if (n * l != weights.Length || (long)n * d != x.Length) throw new ArgumentException("x and weights do not match the accumulator's d and L.");
        var state = new double[target.StateLength];
        state[0] = n;
        using (NewDisposeScope())
        {
            Tensor xt = ToTensor(x, n, d), c = ToTensor(weights, l, n);
            var (sums, first, gram) = GramTensors(xt, c);
            double[] s = ToDoubles(sums), f = ToDoubles(first), g = ToDoubles(gram);
            int p = 1;
            for (int q = 0; q < l; q++)
            {
                state[p++] = s[q];
                f.AsSpan(q * d, d).CopyTo(state.AsSpan(p)); p += d;
                MomentState.PackUpper(g.AsSpan(q * d * d, d * d), d, d, state.AsSpan(p)); p += d * (d + 1) / 2;
            }
        }
        target.AddState(state);
    }

    /// <summary>Adds a block to <paramref name="target"/> exactly as <see cref="PrefixProductAccumulator{T}.Accumulate"/> would.</summary>
    public void AccumulateProjectedTensor<T>(ProjectedTensorAccumulator<T> target, ReadOnlySpan<T> z, ReadOnlySpan<T> weights)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(target);
        int m = target.Dimension, l = target.WeightCount, n = weights.Length / l;
        if (n * l != weights.Length || (long)n * m != z.Length) throw new ArgumentException("z and weights do not match the accumulator's m and L.");
        var state = new double[target.StateLength];
        state[0] = n;
        using (NewDisposeScope())
        {
            Tensor zt = ToTensor(z, n, m), c = ToTensor(weights, l, n);
            var (sums, first, second, third) = TensorMoments(zt, c);
            double[] s = ToDoubles(sums), f = ToDoubles(first), s2 = ToDoubles(second), s3 = ToDoubles(third);
            int p = 1;
            for (int q = 0; q < l; q++)
            {
                if (target.HasLowerDegrees)
                {
                    state[p++] = s[q];
                    f.AsSpan(q * m, m).CopyTo(state.AsSpan(p)); p += m;
                    for (int j = 0; j < m; j++)
                        for (int i = 0; i <= j; i++) state[p++] = s2[(q * m + i) * m + j];
                }
                for (int j = 0; j < m; j++)
                    for (int i = 0; i <= j; i++)
                        for (int k = j; k < m; k++) state[p++] = s3[((q * m + i) * m + j) * m + k];
            }
        }
        target.AddState(state);
    }

    /// <summary>Adds a block to <paramref name="target"/> exactly as <see cref="HermiteProjectionAccumulator{T}.Accumulate"/> would.</summary>
    public void AccumulateHermiteProjection<T>(HermiteProjectionAccumulator<T> target, ReadOnlySpan<T> x, ReadOnlySpan<T> response)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(target);
        int d = target.Dimension, m = target.Hidden, n = response.Length;
        if ((long)n * d != x.Length) throw new ArgumentException("x does not match the accumulator's d and the response's length.");
        var state = new double[target.StateLength];
        state[0] = n;
        using (NewDisposeScope())
        {
            Tensor xt = ToTensor(x, n, d), r = ToTensor(response, n);
            Tensor w = tensor(target.Directions.ToArray(), [d, m], dtype: ScalarOf<T>(), device: Device);
            double[] sums = ToDoubles(HermiteSums(xt, w, r, target.MaxOrder));
            sums.CopyTo(state.AsSpan(1));
        }
        target.AddState(state);
    }

    /// <summary>z = x U on the device (same contract as <see cref="Projection.Project{T}"/>).</summary>
    public void Project<T>(ReadOnlySpan<T> x, int dimension, ReadOnlySpan<T> u, int projected, Span<T> z)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = x.Length / dimension;
        if (n * dimension != x.Length || u.Length != dimension * projected || z.Length != n * projected)
            throw new ArgumentException("The lengths of x, u and z do not match the dimensions.");
        using (NewDisposeScope())
        {
            Tensor result = ToTensor(x, n, dimension).matmul(ToTensor(u, dimension, projected)).cpu().contiguous();
            CopyOut(result, z);
        }
    }

    /// <summary>sum c (L), sum c x (L x d), sum c x x^T (L x d x d) for x (n x d) and c (L x n): X^T diag(c) X by matmul.</summary>
    internal static (Tensor Sums, Tensor First, Tensor Gram) GramTensors(Tensor x, Tensor c)
    {
        if (c.shape[0] == 1)
        {
            Tensor s1 = x * c[0].unsqueeze(1);                        // n x d: one 2-D matmul
            return (c.sum(dim: 1), s1.sum(dim: 0).unsqueeze(0), s1.T.matmul(x).unsqueeze(0));
        }
        Tensor scaled = c.unsqueeze(2) * x.unsqueeze(0);            // L x n x d
        return (c.sum(dim: 1), scaled.sum(dim: 1), scaled.transpose(1, 2).matmul(x)); // (L x d x n) @ (n x d)
    }

    /// <summary>sum c, sum c z, sum c z z^T and sum c z (x) z (x) z (full m^3, by einsum over chunks of samples).</summary>
    internal static (Tensor Sums, Tensor First, Tensor Second, Tensor Third) TensorMoments(Tensor z, Tensor c, long chunk = TensorChunk)
    {
        long n = z.shape[0], m = z.shape[1], l = c.shape[0];
        Tensor third = zeros([l, m, m, m], dtype: z.dtype, device: z.device);
        Tensor second = zeros([l, m, m], dtype: z.dtype, device: z.device);
        for (long k0 = 0; k0 < n; k0 += chunk)
        {
            using var chunkScope = NewDisposeScope();
            long k1 = Math.Min(n, k0 + chunk);
            Tensor zc = z[TensorIndex.Slice(k0, k1)], cc = c[TensorIndex.Colon, TensorIndex.Slice(k0, k1)];
            Decomposition.TorchTensors.AddInPlace(second, einsum("ln,ni,nj->lij", cc, zc, zc));
            Decomposition.TorchTensors.AddInPlace(third, einsum("lnij,nk->lijk", einsum("ln,ni,nj->lnij", cc, zc, zc), zc));
        }
        return (c.sum(dim: 1), c.matmul(z), second, third);
    }

    /// <summary>sum_j r_j He_k(s_ji) for k = 0..maxOrder with s = x W: (maxOrder + 1) x m.</summary>
    internal static Tensor HermiteSums(Tensor x, Tensor w, Tensor r, int maxOrder)
    {
        Tensor s = x.matmul(w);
        Tensor rc = r.unsqueeze(1);
        Tensor previous = rc.expand(s.shape), current = rc * s;            // g_k = r He_k(s), docs/algorithm.md section 4.5
        var rows = new List<Tensor> { previous.sum(dim: 0) };
        if (maxOrder >= 1) rows.Add(current.sum(dim: 0));
        for (int k = 1; k < maxOrder; k++)
        {
            Tensor next = s * current - Decomposition.TorchTensors.Scaled(previous, k);
            rows.Add(next.sum(dim: 0));
            (previous, current) = (current, next);
        }
        return stack(rows);
    }

    internal Tensor ToTensor<T>(ReadOnlySpan<T> values, params long[] shape) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Tensor t = typeof(T) == typeof(double)
            ? tensor(MemoryMarshal.Cast<T, double>(values).ToArray(), shape, dtype: ScalarType.Float64)
            : tensor(MemoryMarshal.Cast<T, float>(values).ToArray(), shape, dtype: ScalarType.Float32);
        return t;
    }

    internal static ScalarType ScalarOf<T>() => typeof(T) == typeof(double) ? ScalarType.Float64 : ScalarType.Float32;

    private static double[] ToDoubles(Tensor t) => t.to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();

    private static void CopyOut<T>(Tensor t, Span<T> destination) where T : unmanaged
    {
        if (typeof(T) == typeof(double)) t.to(ScalarType.Float64).data<double>().ToArray().AsSpan()
            .CopyTo(MemoryMarshal.Cast<T, double>(destination));
        else t.to(ScalarType.Float32).data<float>().ToArray().AsSpan().CopyTo(MemoryMarshal.Cast<T, float>(destination));
    }
}
