using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using ReluFast.Moments;

namespace ReluFast.Learning;

/// <summary>
/// The squared-error kernel of refinement, shared by the in-memory objective (<see cref="SimdMseObjective"/>) and the
/// streamed pass over all samples (<see cref="MseGradientWorker{T}"/>): for f(x) = a^T relu(W x + b) + c0 + &lt;c, x&gt;
/// over the flat parameters [W (m x d), b (m), a (m), c0, c (d)] it returns sum_j e_j^2 over a block and adds
/// sum_j e_j grad f(x_j) (the gradient of sum_j e_j^2 / 2) into a gradient buffer, with e_j = f(x_j) - y_j.
/// </summary>
internal static class MseGradient
{
    /// <summary>Samples per chunk: the chunk's pre-activations and x^T stay in L1/L2 while its gradient is formed.</summary>
    public const int Chunk = 256;

    /// <summary>Number of parameters of a network with <paramref name="m"/> neurons on d inputs.</summary>
    public static int ParameterCount(int m, int d) => m * d + 2 * m + 1 + d;

    /// <summary>Scratch doubles <see cref="Accumulate"/> needs.</summary>
    public static int ScratchLength(int m, int d) => 2 * Chunk * m + 2 * Chunk + Math.Max(m, d) + m * d;

    /// <summary>W^T (d x m row-major) of the flat parameters: the projection kernel's layout.</summary>
    public static void Transpose(ReadOnlySpan<double> p, int m, int d, Span<double> wT)
    {
        for (int i = 0; i < m; i++)
            for (int k = 0; k < d; k++) wT[k * m + i] = p[i * d + k];
    }

    /// <summary>
    /// Sum of squared errors over the block (x: n x d row-major, y: n); adds sum_j e_j grad f(x_j) into
    /// <paramref name="g"/> (<see cref="ParameterCount"/> entries). <paramref name="wT"/> is W^T (<see cref="Transpose"/>);
    /// <paramref name="scratch"/> has <see cref="ScratchLength"/> entries. Does not allocate.
    /// </summary>
    public static double Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> wT, int m,
        int d, Span<double> g, Span<double> scratch)
    {
        ReadOnlySpan<double> b = p.Slice(m * d, m), a = p.Slice(m * d + m, m), c = p.Slice(m * d + 2 * m + 1, d);
        double c0 = p[m * d + 2 * m];
        Span<double> gW = g.Slice(0, m * d), gB = g.Slice(m * d, m), gA = g.Slice(m * d + m, m), gC = g.Slice(m * d + 2 * m + 1, d);
        Span<double> hidden = scratch.Slice(0, Chunk * m);
        Span<double> backwardT = scratch.Slice(Chunk * m, Chunk * m);
        Span<double> errors = scratch.Slice(2 * Chunk * m, Chunk);
        Span<double> linear = scratch.Slice(2 * Chunk * m + Chunk, Chunk);
        Span<double> small = scratch.Slice(2 * Chunk * m + 2 * Chunk, Math.Max(m, d));
        Span<double> chunkGradient = scratch.Slice(2 * Chunk * m + 2 * Chunk + Math.Max(m, d), m * d);
        double sse = 0, gC0 = 0;
        int n = y.Length;
        for (int start = 0; start < n; start += Chunk)
        {
            int count = Math.Min(Chunk, n - start);
            ReadOnlySpan<double> xs = x.Slice(start * d, count * d);
            Span<double> h = hidden.Slice(0, count * m), e = errors.Slice(0, count), gT = backwardT.Slice(0, count * m);
            // Forward: pre-activations X W^T and the linear part X c as register-tiled projections of the chunk.
            if (m > 0) Projection.Project(xs, d, wT, m, h); // m = 0: only the linear part (every neuron was left to it)
            Projection.Project(xs, d, c, 1, linear.Slice(0, count));
            for (int j = 0; j < count; j++)
            {
                Span<double> hj = h.Slice(j * m, m);
                double f = c0 + linear[j];
                for (int i = 0; i < m; i++)
                {
                    double relu = Math.Max(hj[i] + b[i], 0.0); // h = relu(pre), branch-free: the signs are not predictable
                    hj[i] = relu;
                    f += a[i] * relu;
                }
                double ej = f - y[start + j];
                e[j] = ej;
                sse += ej * ej;
                // dL/da += e_j h_j; G[j, i] = e_j a_i 1[pre_ij > 0] in place of h_j.
                for (int i = 0; i < m; i++)
                {
                    gA[i] += ej * hj[i];
                    bool active = hj[i] > 0;
                    hj[i] = ej * a[i] * Unsafe.As<bool, byte>(ref active);
                }
            }
            // G^T (m x count) for dL/dW = G^T X below, transposed in blocks of 8 samples.
            for (int j0 = 0; j0 < count; j0 += 8)
                for (int i = 0; i < m; i++)
                    for (int j = j0; j < Math.Min(j0 + 8, count); j++) gT[i * count + j] = h[j * m + i];
            gC0 += TensorPrimitives.Sum<double>(e);
            // dL/dc += X^T e: the chunk's errors projected on its inputs.
            Projection.Project<double>(e, count, xs, d, small.Slice(0, d));
            TensorPrimitives.Add(gC, small.Slice(0, d), gC);
            if (m == 0) continue;
            // dL/db += column sums of G; dL/dW += G^T X.
            for (int i = 0; i < m; i++) gB[i] += TensorPrimitives.Sum<double>(gT.Slice(i * count, count));
            Projection.Project<double>(gT, count, xs, d, chunkGradient);
            TensorPrimitives.Add(gW, chunkGradient, gW);
        }
        g[m * d + 2 * m] += gC0;
        return sse;
    }
}
