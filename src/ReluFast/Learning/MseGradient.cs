using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ReluFast.Moments;
using ReluFast.Moments.Kernels;

namespace ReluFast.Learning;

/// <summary>
/// The squared-error kernel of refinement, shared by the in-memory objective (<see cref="SimdMseObjective"/>) and the
/// streamed pass over all samples (<see cref="MseGradientWorker{T}"/>): for f(x) = a^T relu(W x + b) + c0 + &lt;c, x&gt;
/// over the flat parameters [W (m x d), b (m), a (m), c0, c (d)] it returns sum_j e_j^2 over a block and adds
/// sum_j e_j grad f(x_j) (the gradient of sum_j e_j^2 / 2) into a gradient buffer, with e_j = f(x_j) - y_j.
/// </summary>
/// <remarks>
/// A chunk of samples goes through four kernels, none of them a call per sample: the projection z = W x (<see cref="Projection"/>),
/// two row reductions for the output and the linear part (<see cref="RowSums"/>), one pass over the rows that forms
/// G_j = e_j a o 1[z_j + b &gt; 0] and sum_j e_j relu(z_j + b), and one <see cref="PrefixGemm"/> for the rest of the gradient:
/// with A_j = [x_j, 1] and B_j = [G_j, e_j], sum_j A_j B_j^T holds dL/dW^T (x against G), dL/dc (x against e), dL/db (1 against
/// G) and dL/dc0 (1 against e), accumulated in double over the whole block.
/// </remarks>
internal static class MseGradient
{
    /// <summary>Samples per chunk: the chunk's pre-activations and rows stay in L1/L2 while its gradient is formed.</summary>
    public const int Chunk = 256;

    /// <summary>Number of parameters of a network with <paramref name="m"/> neurons on d inputs.</summary>
    public static int ParameterCount(int m, int d) => m * d + 2 * m + 1 + d;

    /// <summary>Index of the output layer's first parameter (a, then c0 and c) in the flat layout [W (m x d), b (m), a (m), c0, c (d)].</summary>
    public static int OutputLayerStart(int m, int d) => m * d + m;

    /// <summary>Scratch doubles <see cref="Accumulate"/> needs.</summary>
    public static int ScratchLength(int m, int d) => SumsLength(m, d) + PreparedLength(m, d) + SumsScratchLength(m, d);

    /// <summary>
    /// Row strides: of A = [x, 1] (a multiple of 4, <see cref="PrefixGemm"/>'s row unit), of the pre-activations (the neurons padded
    /// to whole panels with zero rows of W, b and a, whose G and relu are 0: no tails) and of B = [G, e] (whole panels).
    /// </summary>
    private static (int Rows, int Neurons, int Columns) Shape(int m, int d)
    {
        int panel = PrefixGemm.PanelWidth<double>();
        return (Simd.RoundUp(d + 1, 4), Simd.RoundUp(m, panel), Simd.RoundUp(m + 1, panel));
    }

    /// <summary>W^T (d x m row-major) of the flat parameters: the projection kernel's layout.</summary>
    public static void Transpose(ReadOnlySpan<double> p, int m, int d, Span<double> wT) => Transpose(p, m, d, wT, m);

    /// <summary>W^T into rows of <paramref name="columns"/> &gt;= m entries (the columns past m are left as they are).</summary>
    private static void Transpose(ReadOnlySpan<double> p, int m, int d, Span<double> wT, int columns)
    {
        for (int i = 0; i < m; i++)
            for (int k = 0; k < d; k++) wT[k * columns + i] = p[i * d + k];
    }

    /// <summary>
    /// Sum of squared errors over the block (x: n x d row-major, y: n); adds sum_j e_j grad f(x_j) into
    /// <paramref name="g"/> (<see cref="ParameterCount"/> entries). <paramref name="scratch"/> has <see cref="ScratchLength"/>
    /// entries. Does not allocate. (<see cref="Prepare"/>, <see cref="AccumulateSums"/> and <see cref="Fold"/> in one call.)
    /// </summary>
    public static double Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> p, int m, int d, Span<double> g,
        Span<double> scratch)
    {
        if (p.Length != ParameterCount(m, d) || g.Length != p.Length)
            throw new ArgumentException($"Expected {ParameterCount(m, d)} parameters and gradient entries for m = {m}, d = {d}.");
        if (scratch.Length < ScratchLength(m, d)) throw new ArgumentException($"scratch needs {ScratchLength(m, d)} entries.", nameof(scratch));
        int sums = SumsLength(m, d), prepared = PreparedLength(m, d);
        Span<double> state = scratch[..sums], parameters = scratch.Slice(sums, prepared);
        Prepare(p, m, d, parameters);
        state.Clear();
        double sse = AccumulateSums(x, y, parameters, m, d, state, scratch[(sums + prepared)..]);
        Fold(state, m, d, g);
        return sse;
    }

    /// <summary>Entries of <see cref="Prepare"/>'s layout of the parameters.</summary>
    public static int PreparedLength(int m, int d)
    {
        var (rows, neurons, _) = Shape(m, d);
        return d * neurons + 2 * neurons + rows;
    }

    /// <summary>
    /// Entries of the sums <see cref="AccumulateSums"/> adds into: sum_j [x_j, 1] [G_j, e_j]^T (rows x columns of
    /// <see cref="Shape"/>), then sum_j e_j relu(z_j + b) (one per padded neuron).
    /// </summary>
    public static int SumsLength(int m, int d)
    {
        var (rows, neurons, columns) = Shape(m, d);
        return rows * columns + neurons;
    }

    /// <summary>
    /// The flat parameters p in the kernels' layout: W^T (d x mp) and b, a padded to mp neurons with zeros, then the linear part
    /// [c, c0, 0 ...] as one form on the rows [x_j, 1, 0 ...] (<see cref="PreparedLength"/> entries): once per set of parameters,
    /// however many blocks <see cref="AccumulateSums"/> then takes.
    /// </summary>
    public static void Prepare(ReadOnlySpan<double> p, int m, int d, Span<double> prepared)
    {
        if (p.Length != ParameterCount(m, d)) throw new ArgumentException($"Expected {ParameterCount(m, d)} parameters for m = {m}, d = {d}.");
        var (s, mp, _) = Shape(m, d);
        prepared = prepared[..PreparedLength(m, d)];
        prepared.Clear();
        Transpose(p, m, d, prepared[..(d * mp)], mp);
        p.Slice(m * d, m).CopyTo(prepared.Slice(d * mp, mp));
        p.Slice(m * d + m, m).CopyTo(prepared.Slice(d * mp + mp, mp));
        Span<double> linear = prepared.Slice(d * mp + 2 * mp, s);
        p.Slice(m * d + 2 * m + 1, d).CopyTo(linear);
        linear[d] = p[m * d + 2 * m];
    }

    /// <summary>Scratch doubles <see cref="AccumulateSums"/> needs.</summary>
    public static int SumsScratchLength(int m, int d)
    {
        var (rows, neurons, columns) = Shape(m, d);
        return Chunk * (rows + neurons + columns + 2);
    }

    /// <summary>
    /// Sum of squared errors over the block (x: n x d row-major, y: n) at the <paramref name="prepared"/> parameters; adds the
    /// block's sums (<see cref="SumsLength"/>) into <paramref name="sums"/>, which <see cref="Fold"/> turns into the gradient.
    /// Does not allocate.
    /// </summary>
    public static double AccumulateSums(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> prepared, int m, int d,
        Span<double> sums, Span<double> scratch)
    {
        if (prepared.Length < PreparedLength(m, d) || sums.Length != SumsLength(m, d) || scratch.Length < SumsScratchLength(m, d))
            throw new ArgumentException($"Expected {PreparedLength(m, d)} prepared parameters, {SumsLength(m, d)} sums and " +
                $"{SumsScratchLength(m, d)} scratch entries.");
        var (s, mp, t) = Shape(m, d);
        ReadOnlySpan<double> wT = prepared[..(d * mp)], b = prepared.Slice(d * mp, mp), a = prepared.Slice(d * mp + mp, mp);
        ReadOnlySpan<double> linear = prepared.Slice(d * mp + 2 * mp, s);
        Span<double> rowsA = scratch[..(Chunk * s)], z = scratch.Slice(Chunk * s, Chunk * mp), rowsB = scratch.Slice(Chunk * (s + mp), Chunk * t);
        Span<double> e = scratch.Slice(Chunk * (s + mp + t), Chunk), output = scratch.Slice(Chunk * (s + mp + t + 1), Chunk);
        Span<double> products = sums[..(s * t)], gA = sums.Slice(s * t, mp);
        Span<int> rowEnds = stackalloc int[t / PrefixGemm.PanelWidth<double>()];
        rowEnds.Fill(s);
        double sse = 0;
        int n = y.Length;
        for (int start = 0; start < n; start += Chunk)
        {
            int count = Math.Min(Chunk, n - start);
            ReadOnlySpan<double> xs = x.Slice(start * d, count * d);
            Span<double> zs = z.Slice(0, count * mp), es = e.Slice(0, count), outs = output.Slice(0, count);
            CopyRows(xs, d, rowsA, s, count);
            // e_j = a^T relu(W x_j + b) + <[c, c0], [x_j, 1]> - y_j (m = 0: only the linear part, every neuron was left to it)
            if (m > 0)
            {
                Projection.Project<double>(xs, d, wT, mp, zs);
                RowSums.Run<double, ReluOutputTerm<double>>(zs, mp, b, a, outs);
            }
            else
            {
                outs.Clear();
            }
            RowSums.Run<double, LinearFormTerm<double>>(rowsA.Slice(0, count * s), s, linear, default, es);
            TensorPrimitives.Add(es, outs, es);
            TensorPrimitives.Subtract(es, y.Slice(start, count), es);
            sse += TensorPrimitives.SumOfSquares<double>(es);
            Backward(zs, b, a, es, m, mp, rowsB.Slice(0, count * t), t, gA);
            PrefixGemm.Run<double>(rowsA.Slice(0, count * s), s, rowsB.Slice(0, count * t), t, count, rowEnds, products, t);
        }
        return sse;
    }

    /// <summary>Adds the gradient sum_j e_j grad f(x_j) that <paramref name="sums"/> (<see cref="AccumulateSums"/>) hold into g.</summary>
    public static void Fold(ReadOnlySpan<double> sums, int m, int d, Span<double> g)
    {
        var (s, mp, t) = Shape(m, d);
        ReadOnlySpan<double> gA = sums.Slice(s * t, mp);
        // sums = sum_j [x_j, 1] [G_j, e_j]^T: rows k < d are x_k, row d the constant; columns i < m are G, column m is e
        for (int k = 0; k < d; k++)
        {
            for (int i = 0; i < m; i++) g[i * d + k] += sums[k * t + i];
            g[m * d + 2 * m + 1 + k] += sums[k * t + m];
        }
        for (int i = 0; i < m; i++)
        {
            g[m * d + i] += sums[d * t + i];
            g[m * d + m + i] += gA[i];
        }
        g[m * d + 2 * m] += sums[d * t + m];
    }

    /// <summary>Rows of A = [x_j, 1, 0 ...] (stride s) for the first <paramref name="count"/> samples of x (n x d).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyRows(ReadOnlySpan<double> x, int d, Span<double> rowsA, int s, int count)
    {
        ref double xr = ref MemoryMarshal.GetReference(x);
        ref double ar = ref MemoryMarshal.GetReference(rowsA);
        int vl = Vector512<double>.Count;
        bool wide = Simd.WidthBits >= 512;
        for (int j = 0; j < count; j++)
        {
            ref double from = ref Unsafe.Add(ref xr, (nint)j * d);
            ref double to = ref Unsafe.Add(ref ar, (nint)j * s);
            int k = 0;
            if (wide)
                for (; k + vl <= d; k += vl) Vector512.LoadUnsafe(ref from, (nuint)k).StoreUnsafe(ref to, (nuint)k);
            for (; k < d; k++) Unsafe.Add(ref to, k) = Unsafe.Add(ref from, k);
            Unsafe.Add(ref to, d) = 1;
            for (k = d + 1; k < s; k++) Unsafe.Add(ref to, k) = 0;
        }
    }

    /// <summary>
    /// Row j of B (stride t) = [e_j a o 1[z_j + b &gt; 0], e_j, 0 ...] for every sample of the chunk (z, b and a padded to mp
    /// neurons with zeros), and gA += e_j relu(z_j + b): relu'(0) = 0, so a neuron exactly at its kink takes no gradient, as
    /// libtorch's relu.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Backward(ReadOnlySpan<double> z, ReadOnlySpan<double> b, ReadOnlySpan<double> a, ReadOnlySpan<double> e, int m,
        int mp, Span<double> rowsB, int t, Span<double> gA)
    {
        int width = Simd.WidthBits;
        ref double br = ref MemoryMarshal.GetReference(b);
        ref double ar = ref MemoryMarshal.GetReference(a);
        ref double gr = ref MemoryMarshal.GetReference(gA);
        for (int j = 0; j < e.Length; j++)
        {
            double ej = e[j];
            ref double zj = ref Unsafe.Add(ref MemoryMarshal.GetReference(z), (nint)j * mp);
            ref double rj = ref Unsafe.Add(ref MemoryMarshal.GetReference(rowsB), (nint)j * t);
            if (width >= 512)
            {
                var ev = Vector512.Create(ej);
                for (int i = 0; i < mp; i += Vector512<double>.Count)
                {
                    var h = Vector512.Max(Vector512.LoadUnsafe(ref zj, (nuint)i) + Vector512.LoadUnsafe(ref br, (nuint)i), Vector512<double>.Zero);
                    Simd.Fma(ev, h, Vector512.LoadUnsafe(ref gr, (nuint)i)).StoreUnsafe(ref gr, (nuint)i);
                    Vector512.ConditionalSelect(Vector512.GreaterThan(h, Vector512<double>.Zero), ev * Vector512.LoadUnsafe(ref ar, (nuint)i),
                        Vector512<double>.Zero).StoreUnsafe(ref rj, (nuint)i);
                }
            }
            else if (width >= 256)
            {
                var ev = Vector256.Create(ej);
                for (int i = 0; i < mp; i += Vector256<double>.Count)
                {
                    var h = Vector256.Max(Vector256.LoadUnsafe(ref zj, (nuint)i) + Vector256.LoadUnsafe(ref br, (nuint)i), Vector256<double>.Zero);
                    Simd.Fma(ev, h, Vector256.LoadUnsafe(ref gr, (nuint)i)).StoreUnsafe(ref gr, (nuint)i);
                    Vector256.ConditionalSelect(Vector256.GreaterThan(h, Vector256<double>.Zero), ev * Vector256.LoadUnsafe(ref ar, (nuint)i),
                        Vector256<double>.Zero).StoreUnsafe(ref rj, (nuint)i);
                }
            }
            else
            {
                for (int i = 0; i < mp; i++)
                {
                    double h = Math.Max(Unsafe.Add(ref zj, i) + Unsafe.Add(ref br, i), 0);
                    Unsafe.Add(ref gr, i) = Math.FusedMultiplyAdd(ej, h, Unsafe.Add(ref gr, i));
                    Unsafe.Add(ref rj, i) = h > 0 ? ej * Unsafe.Add(ref ar, i) : 0;
                }
            }
            // column m (a padded neuron's zero, or the first column past the neurons) carries e_j; the rest of the row is zero
            Unsafe.Add(ref rj, m) = ej;
            for (int i = Math.Max(mp, m + 1); i < t; i++) Unsafe.Add(ref rj, i) = 0;
        }
    }
}
