using System.Numerics.Tensors;
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
    public static int ScratchLength(int m, int d) => 2 * Chunk * m + Chunk * d + 2 * d * m;

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
        Span<double> gB = g.Slice(m * d, m), gA = g.Slice(m * d + m, m), gC = g.Slice(m * d + 2 * m + 1, d);
        Span<double> pre = scratch.Slice(0, Chunk * m);
        Span<double> backward = scratch.Slice(Chunk * m, Chunk * m);
        Span<double> xT = scratch.Slice(2 * Chunk * m, Chunk * d);
        Span<double> chunkGradient = scratch.Slice(2 * Chunk * m + Chunk * d, d * m);
        Span<double> gWT = scratch.Slice(2 * Chunk * m + Chunk * d + d * m, d * m);
        gWT.Clear();
        double sse = 0, gC0 = 0;
        int n = y.Length;
        for (int start = 0; start < n; start += Chunk)
        {
            int count = Math.Min(Chunk, n - start);
            ReadOnlySpan<double> xs = x.Slice(start * d, count * d);
            Span<double> z = pre.Slice(0, count * m);
            if (m > 0) Projection.Project(xs, d, wT, m, z); // m = 0: only the linear part (every neuron was left to it)
            for (int j = 0; j < count; j++)
            {
                Span<double> zj = z.Slice(j * m, m);
                Span<double> row = backward.Slice(j * m, m);
                ReadOnlySpan<double> xj = xs.Slice(j * d, d);
                TensorPrimitives.Add(zj, b, zj);
                TensorPrimitives.Max(zj, 0.0, row);                       // h = relu(pre)
                double e = TensorPrimitives.Dot<double>(row, a) + c0 + TensorPrimitives.Dot(c, xj) - y[start + j];
                sse += e * e;
                // dL/da += e h; dL/dc0 += e; dL/dc += e x.
                TensorPrimitives.MultiplyAdd(row, e, gA, gA);
                gC0 += e;
                TensorPrimitives.MultiplyAdd(xj, e, gC, gC);
                // G_j = e a o 1[pre > 0]: dL/db += G_j; row j of the chunk's G for dL/dW below.
                for (int i = 0; i < m; i++) row[i] = zj[i] > 0 ? e * a[i] : 0;
                TensorPrimitives.Add(gB, row, gB);
            }
            // dL/dW^T += X_chunk^T G_chunk, as the projection kernel applied to the transposed chunk.
            for (int j = 0; j < count; j++)
                for (int k = 0; k < d; k++) xT[k * count + j] = xs[j * d + k];
            if (m == 0) continue;
            Projection.Project(xT.Slice(0, d * count), count, backward.Slice(0, count * m), m, chunkGradient);
            TensorPrimitives.Add(gWT, chunkGradient, gWT);
        }
        Span<double> gW = g.Slice(0, m * d);
        for (int i = 0; i < m; i++)
            for (int k = 0; k < d; k++) gW[i * d + k] += gWT[k * m + i];
        g[m * d + 2 * m] += gC0;
        return sse;
    }
}
