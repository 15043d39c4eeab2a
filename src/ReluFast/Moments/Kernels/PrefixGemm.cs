using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// The hot path of every moment pass (ALGORITHM.md section 4): C += A^T B over a tile of samples, where
/// row k of A and of B belong to sample k, restricted to a prefix of the rows of C in each column block.
/// Weighted Gram: A = c o X, B = X, rows up to the block's last column (upper triangle plus the diagonal
/// blocks). Projected 3-tensor: A = the pair features w z_i z_j (j-major), B = Z.
/// </summary>
/// <remarks>
/// Register-blocked micro-kernel over the samples: for 12 rows of C and two vectors of columns it keeps
/// 24 accumulators in registers, and per sample loads two vectors of B and broadcasts 12 scalars of A
/// (0.58 loads per FMA). Partial sums are kept in T for one tile of samples and then added to the
/// double totals in C.
/// </remarks>
internal static class PrefixGemm
{
    /// <summary>Width of a column block: two 512-bit vectors of T (the padding unit of every stride).</summary>
    public static int BlockWidth<T>() where T : unmanaged => Simd.PadUnit<T>();

    /// <summary>
    /// For each column block <c>q</c> (columns [q W, (q+1) W), W = <see cref="BlockWidth{T}"/>) and each row
    /// i &lt; rowEnds[q]: C[i, j] += sum over k &lt; samples of A[k, i] B[k, j]. rowEnds must be multiples of 4.
    /// </summary>
    public static void Run<T>(ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, int samples,
        ReadOnlySpan<int> rowEnds, Span<double> c, int strideC) where T : unmanaged
    {
        if (samples <= 0 || rowEnds.IsEmpty) return;
        int w = BlockWidth<T>();
        int columns = rowEnds.Length * w;
        int maxRows = 0;
        foreach (int r in rowEnds)
        {
            if (r < 0 || (r & 3) != 0) throw new ArgumentException("Row ends must be non-negative multiples of 4.", nameof(rowEnds));
            maxRows = Math.Max(maxRows, r);
        }
        if (maxRows == 0) return;
        if (strideA < maxRows || a.Length < (long)(samples - 1) * strideA + maxRows) throw new ArgumentException("A is too short.", nameof(a));
        if (strideB < columns || b.Length < (long)(samples - 1) * strideB + columns) throw new ArgumentException("B is too short.", nameof(b));
        if (strideC < columns || c.Length < (long)(maxRows - 1) * strideC + columns) throw new ArgumentException("C is too short.", nameof(c));

        ref T a0 = ref MemoryMarshal.GetReference(a);
        ref T b0 = ref MemoryMarshal.GetReference(b);
        ref double c0 = ref MemoryMarshal.GetReference(c);
        int width = Simd.WidthBits;
        for (int q = 0; q < rowEnds.Length; q++)
        {
            int j0 = q * w, rows = rowEnds[q], i = 0;
            if (width >= 512)
            {
                for (; i + 12 <= rows; i += 12)
                    Kernel512x12(ref Unsafe.Add(ref a0, i), strideA, ref Unsafe.Add(ref b0, j0), strideB, samples, ref Unsafe.Add(ref c0, (nint)i * strideC + j0), strideC);
                for (; i < rows; i += 4)
                    Kernel512x4(ref Unsafe.Add(ref a0, i), strideA, ref Unsafe.Add(ref b0, j0), strideB, samples, ref Unsafe.Add(ref c0, (nint)i * strideC + j0), strideC);
            }
            else if (width >= 256)
            {
                for (int h = 0; h < w; h += w / 2)
                    for (i = 0; i < rows; i += 4)
                        Kernel256x4(ref Unsafe.Add(ref a0, i), strideA, ref Unsafe.Add(ref b0, j0 + h), strideB, samples, ref Unsafe.Add(ref c0, (nint)i * strideC + j0 + h), strideC);
            }
            else
            {
                ScalarKernel(a, strideA, b, strideB, samples, i, rows, j0, w, c, strideC);
            }
        }
    }

    private static void ScalarKernel<T>(ReadOnlySpan<T> a, int strideA, ReadOnlySpan<T> b, int strideB, int samples,
        int rowStart, int rowEnd, int j0, int w, Span<double> c, int strideC) where T : unmanaged
    {
        for (int i = rowStart; i < rowEnd; i++)
        {
            Span<double> row = c.Slice(i * strideC + j0, w);
            for (int k = 0; k < samples; k++)
            {
                double aki = ToDouble(a[k * strideA + i]);
                ReadOnlySpan<T> bk = b.Slice(k * strideB + j0, w);
                for (int j = 0; j < w; j++) row[j] += aki * ToDouble(bk[j]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ToDouble<T>(T value) where T : unmanaged =>
        typeof(T) == typeof(double) ? Unsafe.As<T, double>(ref value) : Unsafe.As<T, float>(ref value);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512x12<T>(ref T a, nint strideA, ref T b, nint strideB, int samples, ref double c, nint strideC)
    {
        Vector512<T> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default, c3a = default, c3b = default, c4a = default, c4b = default, c5a = default, c5b = default, c6a = default, c6b = default, c7a = default, c7b = default, c8a = default, c8b = default, c9a = default, c9b = default, c10a = default, c10b = default, c11a = default, c11b = default;
        for (int k = 0; k < samples; k++)
        {
            Vector512<T> b0 = Vector512.LoadUnsafe(ref b);
            Vector512<T> b1 = Vector512.LoadUnsafe(ref b, (nuint)Vector512<T>.Count);
            Vector512<T> t;
            t = Vector512.Create(a); c0a = Simd.Fma(t, b0, c0a); c0b = Simd.Fma(t, b1, c0b);
            t = Vector512.Create(Unsafe.Add(ref a, 1)); c1a = Simd.Fma(t, b0, c1a); c1b = Simd.Fma(t, b1, c1b);
            t = Vector512.Create(Unsafe.Add(ref a, 2)); c2a = Simd.Fma(t, b0, c2a); c2b = Simd.Fma(t, b1, c2b);
            t = Vector512.Create(Unsafe.Add(ref a, 3)); c3a = Simd.Fma(t, b0, c3a); c3b = Simd.Fma(t, b1, c3b);
            t = Vector512.Create(Unsafe.Add(ref a, 4)); c4a = Simd.Fma(t, b0, c4a); c4b = Simd.Fma(t, b1, c4b);
            t = Vector512.Create(Unsafe.Add(ref a, 5)); c5a = Simd.Fma(t, b0, c5a); c5b = Simd.Fma(t, b1, c5b);
            t = Vector512.Create(Unsafe.Add(ref a, 6)); c6a = Simd.Fma(t, b0, c6a); c6b = Simd.Fma(t, b1, c6b);
            t = Vector512.Create(Unsafe.Add(ref a, 7)); c7a = Simd.Fma(t, b0, c7a); c7b = Simd.Fma(t, b1, c7b);
            t = Vector512.Create(Unsafe.Add(ref a, 8)); c8a = Simd.Fma(t, b0, c8a); c8b = Simd.Fma(t, b1, c8b);
            t = Vector512.Create(Unsafe.Add(ref a, 9)); c9a = Simd.Fma(t, b0, c9a); c9b = Simd.Fma(t, b1, c9b);
            t = Vector512.Create(Unsafe.Add(ref a, 10)); c10a = Simd.Fma(t, b0, c10a); c10b = Simd.Fma(t, b1, c10b);
            t = Vector512.Create(Unsafe.Add(ref a, 11)); c11a = Simd.Fma(t, b0, c11a); c11b = Simd.Fma(t, b1, c11b);
            a = ref Unsafe.Add(ref a, strideA);
            b = ref Unsafe.Add(ref b, strideB);
        }
        ref double row = ref c;
        Simd.AddTo(c0a, ref row); Simd.AddTo(c0b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c1a, ref row); Simd.AddTo(c1b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c2a, ref row); Simd.AddTo(c2b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c3a, ref row); Simd.AddTo(c3b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c4a, ref row); Simd.AddTo(c4b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c5a, ref row); Simd.AddTo(c5b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c6a, ref row); Simd.AddTo(c6b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c7a, ref row); Simd.AddTo(c7b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c8a, ref row); Simd.AddTo(c8b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c9a, ref row); Simd.AddTo(c9b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c10a, ref row); Simd.AddTo(c10b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c11a, ref row); Simd.AddTo(c11b, ref Unsafe.Add(ref row, Vector512<T>.Count));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512x4<T>(ref T a, nint strideA, ref T b, nint strideB, int samples, ref double c, nint strideC)
    {
        Vector512<T> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default, c3a = default, c3b = default;
        for (int k = 0; k < samples; k++)
        {
            Vector512<T> b0 = Vector512.LoadUnsafe(ref b);
            Vector512<T> b1 = Vector512.LoadUnsafe(ref b, (nuint)Vector512<T>.Count);
            Vector512<T> t;
            t = Vector512.Create(a); c0a = Simd.Fma(t, b0, c0a); c0b = Simd.Fma(t, b1, c0b);
            t = Vector512.Create(Unsafe.Add(ref a, 1)); c1a = Simd.Fma(t, b0, c1a); c1b = Simd.Fma(t, b1, c1b);
            t = Vector512.Create(Unsafe.Add(ref a, 2)); c2a = Simd.Fma(t, b0, c2a); c2b = Simd.Fma(t, b1, c2b);
            t = Vector512.Create(Unsafe.Add(ref a, 3)); c3a = Simd.Fma(t, b0, c3a); c3b = Simd.Fma(t, b1, c3b);
            a = ref Unsafe.Add(ref a, strideA);
            b = ref Unsafe.Add(ref b, strideB);
        }
        ref double row = ref c;
        Simd.AddTo(c0a, ref row); Simd.AddTo(c0b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c1a, ref row); Simd.AddTo(c1b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c2a, ref row); Simd.AddTo(c2b, ref Unsafe.Add(ref row, Vector512<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c3a, ref row); Simd.AddTo(c3b, ref Unsafe.Add(ref row, Vector512<T>.Count));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256x4<T>(ref T a, nint strideA, ref T b, nint strideB, int samples, ref double c, nint strideC)
    {
        Vector256<T> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default, c3a = default, c3b = default;
        for (int k = 0; k < samples; k++)
        {
            Vector256<T> b0 = Vector256.LoadUnsafe(ref b);
            Vector256<T> b1 = Vector256.LoadUnsafe(ref b, (nuint)Vector256<T>.Count);
            Vector256<T> t;
            t = Vector256.Create(a); c0a = Simd.Fma(t, b0, c0a); c0b = Simd.Fma(t, b1, c0b);
            t = Vector256.Create(Unsafe.Add(ref a, 1)); c1a = Simd.Fma(t, b0, c1a); c1b = Simd.Fma(t, b1, c1b);
            t = Vector256.Create(Unsafe.Add(ref a, 2)); c2a = Simd.Fma(t, b0, c2a); c2b = Simd.Fma(t, b1, c2b);
            t = Vector256.Create(Unsafe.Add(ref a, 3)); c3a = Simd.Fma(t, b0, c3a); c3b = Simd.Fma(t, b1, c3b);
            a = ref Unsafe.Add(ref a, strideA);
            b = ref Unsafe.Add(ref b, strideB);
        }
        ref double row = ref c;
        Simd.AddTo(c0a, ref row); Simd.AddTo(c0b, ref Unsafe.Add(ref row, Vector256<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c1a, ref row); Simd.AddTo(c1b, ref Unsafe.Add(ref row, Vector256<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c2a, ref row); Simd.AddTo(c2b, ref Unsafe.Add(ref row, Vector256<T>.Count)); row = ref Unsafe.Add(ref row, strideC);
        Simd.AddTo(c3a, ref row); Simd.AddTo(c3b, ref Unsafe.Add(ref row, Vector256<T>.Count));
    }
}
