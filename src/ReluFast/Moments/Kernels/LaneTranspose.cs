using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// Samples held row by row (x: n x m) to the sample lanes' layout of <see cref="SampleLaneTensor"/>: each step of VL samples as m
/// vectors, the features in consecutive vectors of each step.
/// </summary>
internal static class LaneTranspose
{
    /// <summary>
    /// to[s step + i VL + lane] = x[(s VL + lane) m + i]: the samples as m vectors a step of VL samples, the features in
    /// consecutive vectors from each step's start (z_i's vector in a step of <see cref="SampleLaneTensor"/>); lanes past the
    /// samples are zero. Each whole step's 8 x 8 blocks of samples and features go through registers (8 loads, 24 shuffles, 8
    /// stores instead of 64 scalar stores; float32 steps take two blocks); the features past the last block and a partial last step
    /// one by one. The stores take their addresses from registers (the same permutes storing through offsets loaded from an
    /// array took twice as long on a Zen 5: docs/passes.md, "The control variate's quadratic form on the lanes"). A copy, so the
    /// same values either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(ReadOnlySpan<T> x, int m, int samples, Span<T> to, int step) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nint vl = Vector512<T>.Count, d = m;
        if (m < 0) throw new ArgumentException("m is negative.", nameof(m));
        RequireSteps(x, m, samples, to, step, (int)vl);
        ref T xr = ref MemoryMarshal.GetReference(x), tr = ref MemoryMarshal.GetReference(to);
        nint k = 0, blocked = typeof(T) == typeof(double) ? (Avx512F.IsSupported ? d & ~7 : 0) : Avx.IsSupported ? d & ~7 : 0;
        if (blocked > 0)
        {
            for (; k + vl <= samples; k += vl)
            {
                ref T ts = ref Unsafe.Add(ref tr, k / vl * step);
                for (nint i = 0; i < blocked; i += 8)
                {
                    if (typeof(T) == typeof(double))
                    {
                        Transpose8x8(ref Unsafe.As<T, double>(ref Unsafe.Add(ref xr, k * d + i)), d, ref Unsafe.As<T, double>(ref ts), i);
                    }
                    else
                    {
                        // 16 samples a step: two 8 x 8 blocks, each feature's first and second 8 lanes
                        ref float ts32 = ref Unsafe.As<T, float>(ref ts);
                        Transpose8x8(ref Unsafe.As<T, float>(ref Unsafe.Add(ref xr, k * d + i)), d, ref ts32, i, vl);
                        Transpose8x8(ref Unsafe.As<T, float>(ref Unsafe.Add(ref xr, (k + 8) * d + i)), d, ref Unsafe.Add(ref ts32, 8), i, vl);
                    }
                }
                for (nint i = blocked; i < d; i++)
                {
                    ref T ti = ref Unsafe.Add(ref ts, i * vl);
                    for (nint lane = 0; lane < vl; lane++) Unsafe.Add(ref ti, lane) = Unsafe.Add(ref xr, (k + lane) * d + i);
                }
            }
        }
        for (; k < samples; k += vl)
        {
            ref T ts = ref Unsafe.Add(ref tr, k / vl * step);
            nint live = Math.Min(vl, samples - k);
            for (nint i = 0; i < d; i++)
            {
                ref T ti = ref Unsafe.Add(ref ts, i * vl);
                if (live < vl) Vector512<T>.Zero.StoreUnsafe(ref ti);
                for (nint lane = 0; lane < live; lane++) Unsafe.Add(ref ti, lane) = Unsafe.Add(ref xr, (k + lane) * d + i);
            }
        }
    }

    /// <summary>
    /// The layout of 256-bit steps: to[s step + i VL + lane] = x[(s VL + lane) m + i] with VL = Vector256&lt;T&gt;.Count, the features
    /// in consecutive vectors from each step's start, lanes past the samples zero (machines without 512-bit vectors). Blocks of
    /// 4 x 4 (float64) or 8 x 8 (float32) samples and features through registers, the rest one value at a time. A copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run256<T>(ReadOnlySpan<T> x, int m, int samples, Span<T> to, int step) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nint vl = Vector256<T>.Count, d = m;
        if (m <= 0) throw new ArgumentException("m must be positive.", nameof(m));
        RequireSteps(x, m, samples, to, step, (int)vl);
        ref T xr = ref MemoryMarshal.GetReference(x), tr = ref MemoryMarshal.GetReference(to);
        nint k = 0, blocked = Avx.IsSupported ? d / vl * vl : 0;
        for (; k + vl <= samples; k += vl)
        {
            ref T ts = ref Unsafe.Add(ref tr, k / vl * step);
            for (nint i = 0; i < blocked; i += vl)
            {
                ref T rows = ref Unsafe.Add(ref xr, k * d + i);
                if (typeof(T) == typeof(double)) Transpose4x4(ref Unsafe.As<T, double>(ref rows), d, ref Unsafe.As<T, double>(ref ts), i);
                else Transpose8x8(ref Unsafe.As<T, float>(ref rows), d, ref Unsafe.As<T, float>(ref ts), i, vl);
            }
            for (nint i = blocked; i < d; i++)
                for (nint lane = 0; lane < vl; lane++) Unsafe.Add(ref ts, i * vl + lane) = Unsafe.Add(ref xr, (k + lane) * d + i);
        }
        for (; k < samples; k += vl)
        {
            ref T ts = ref Unsafe.Add(ref tr, k / vl * step);
            nint live = samples - k;
            for (nint i = 0; i < d; i++)
                for (nint lane = 0; lane < vl; lane++)
                    Unsafe.Add(ref ts, i * vl + lane) = lane < live ? Unsafe.Add(ref xr, (k + lane) * d + i) : T.Zero;
        }
    }

    /// <summary>x holds the samples' m features, and to their steps of m vectors of vl lanes, step entries apart.</summary>
    private static void RequireSteps<T>(ReadOnlySpan<T> x, int m, int samples, Span<T> to, int step, int vl)
    {
        if (samples < 0 || x.Length < (long)samples * m) throw new ArgumentException("x is too short.", nameof(x));
        if (step < m * vl) throw new ArgumentException("A step must hold the m features' vectors.", nameof(step));
        int steps = (samples + vl - 1) / vl;
        if (steps > 0 && m > 0 && to.Length < (long)(steps - 1) * step + m * vl)
            throw new ArgumentException("The destination is too short.", nameof(to));
    }

    /// <summary>
    /// to[(i + c) 4 + r] = rows[r stride + c] for r, c &lt; 4 (float64, 256-bit): unpack pairs of rows, then exchange 128-bit halves.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(ref double rows, nint stride, ref double to, nint i)
    {
        Vector256<double> r0 = Vector256.LoadUnsafe(ref rows), r1 = Vector256.LoadUnsafe(ref rows, (nuint)stride),
            r2 = Vector256.LoadUnsafe(ref rows, (nuint)(2 * stride)), r3 = Vector256.LoadUnsafe(ref rows, (nuint)(3 * stride));
        // t0 (features 0, 2 of rows 0, 1), t1 (1, 3 of rows 0, 1), t2 and t3 the same of rows 2, 3
        Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        ref double at = ref Unsafe.Add(ref to, i * 4);
        Avx.Permute2x128(t0, t2, 0x20).StoreUnsafe(ref at);
        Avx.Permute2x128(t1, t3, 0x20).StoreUnsafe(ref at, 4);
        Avx.Permute2x128(t0, t2, 0x31).StoreUnsafe(ref at, 8);
        Avx.Permute2x128(t1, t3, 0x31).StoreUnsafe(ref at, 12);
    }

    /// <summary>
    /// to[(i + c) VL + r] = rows[r stride + c] for r, c &lt; 8 in float32 (half of a step's lanes): the 256-bit transpose, unpacking pairs
    /// of rows, then shuffling 64-bit pairs (0x44: elements 0, 1 of each operand, 0xEE: 2, 3) and exchanging 128-bit halves.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref float rows, nint stride, ref float to, nint i, nint vl)
    {
        Vector256<float> r0 = Vector256.LoadUnsafe(ref rows), r1 = Vector256.LoadUnsafe(ref rows, (nuint)stride),
            r2 = Vector256.LoadUnsafe(ref rows, (nuint)(2 * stride)), r3 = Vector256.LoadUnsafe(ref rows, (nuint)(3 * stride)),
            r4 = Vector256.LoadUnsafe(ref rows, (nuint)(4 * stride)), r5 = Vector256.LoadUnsafe(ref rows, (nuint)(5 * stride)),
            r6 = Vector256.LoadUnsafe(ref rows, (nuint)(6 * stride)), r7 = Vector256.LoadUnsafe(ref rows, (nuint)(7 * stride));
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3),
            t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        // features (0 | 4), (1 | 5), (2 | 6), (3 | 7) of samples 0-3 and of samples 4-7
        Vector256<float> a0 = Avx.Shuffle(t0, t2, 0x44), a1 = Avx.Shuffle(t0, t2, 0xEE), a2 = Avx.Shuffle(t1, t3, 0x44),
            a3 = Avx.Shuffle(t1, t3, 0xEE), b0 = Avx.Shuffle(t4, t6, 0x44), b1 = Avx.Shuffle(t4, t6, 0xEE), b2 = Avx.Shuffle(t5, t7, 0x44),
            b3 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(a0, b0, 0x20).StoreUnsafe(ref to, (nuint)(i * vl));
        Avx.Permute2x128(a1, b1, 0x20).StoreUnsafe(ref to, (nuint)((i + 1) * vl));
        Avx.Permute2x128(a2, b2, 0x20).StoreUnsafe(ref to, (nuint)((i + 2) * vl));
        Avx.Permute2x128(a3, b3, 0x20).StoreUnsafe(ref to, (nuint)((i + 3) * vl));
        Avx.Permute2x128(a0, b0, 0x31).StoreUnsafe(ref to, (nuint)((i + 4) * vl));
        Avx.Permute2x128(a1, b1, 0x31).StoreUnsafe(ref to, (nuint)((i + 5) * vl));
        Avx.Permute2x128(a2, b2, 0x31).StoreUnsafe(ref to, (nuint)((i + 6) * vl));
        Avx.Permute2x128(a3, b3, 0x31).StoreUnsafe(ref to, (nuint)((i + 7) * vl));
    }

    /// <summary>
    /// to[(i + c) VL + r] = rows[r stride + c] for r, c &lt; 8: three rounds of eight two-source permutes (vpermt2pd), pairs of rows, then
    /// pairs of pairs, then halves. The unpacks and 128-bit shuffles this replaced took the same 24 operations and 2-3x the time on
    /// a Zen 5 (docs/passes.md, "The control variate's quadratic form on the lanes").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref double rows, nint stride, ref double to, nint i)
    {
        nint vl = Vector512<double>.Count;
        Vector512<double> r0 = Vector512.LoadUnsafe(ref rows), r1 = Vector512.LoadUnsafe(ref rows, (nuint)stride),
            r2 = Vector512.LoadUnsafe(ref rows, (nuint)(2 * stride)), r3 = Vector512.LoadUnsafe(ref rows, (nuint)(3 * stride)),
            r4 = Vector512.LoadUnsafe(ref rows, (nuint)(4 * stride)), r5 = Vector512.LoadUnsafe(ref rows, (nuint)(5 * stride)),
            r6 = Vector512.LoadUnsafe(ref rows, (nuint)(6 * stride)), r7 = Vector512.LoadUnsafe(ref rows, (nuint)(7 * stride));
        // vpermt2pd indices: 0-7 the first source's lanes, 8-15 the second's (constants, not static fields: a field's class-init
        // check made the JIT spill the eight rows to the stack)
        Vector512<long> even = Vector512.Create(0L, 8, 2, 10, 4, 12, 6, 14), odd = Vector512.Create(1L, 9, 3, 11, 5, 13, 7, 15);
        Vector512<long> low = Vector512.Create(0L, 1, 8, 9, 4, 5, 12, 13), high = Vector512.Create(2L, 3, 10, 11, 6, 7, 14, 15);
        // a: features (0, 2, 4, 6) or (1, 3, 5, 7) of two rows, interleaved
        Vector512<double> a0 = Avx512F.PermuteVar8x64x2(r0, even, r1), a1 = Avx512F.PermuteVar8x64x2(r0, odd, r1);
        Vector512<double> a2 = Avx512F.PermuteVar8x64x2(r2, even, r3), a3 = Avx512F.PermuteVar8x64x2(r2, odd, r3);
        Vector512<double> a4 = Avx512F.PermuteVar8x64x2(r4, even, r5), a5 = Avx512F.PermuteVar8x64x2(r4, odd, r5);
        Vector512<double> a6 = Avx512F.PermuteVar8x64x2(r6, even, r7), a7 = Avx512F.PermuteVar8x64x2(r6, odd, r7);
        // b: features (f, f + 4) of four rows: b0 (0, 4), b1 (1, 5), b2 (2, 6), b3 (3, 7) for rows 0-3, b4-b7 for rows 4-7
        Vector512<double> b0 = Avx512F.PermuteVar8x64x2(a0, low, a2), b1 = Avx512F.PermuteVar8x64x2(a1, low, a3);
        Vector512<double> b2 = Avx512F.PermuteVar8x64x2(a0, high, a2), b3 = Avx512F.PermuteVar8x64x2(a1, high, a3);
        Vector512<double> b4 = Avx512F.PermuteVar8x64x2(a4, low, a6), b5 = Avx512F.PermuteVar8x64x2(a5, low, a7);
        Vector512<double> b6 = Avx512F.PermuteVar8x64x2(a4, high, a6), b7 = Avx512F.PermuteVar8x64x2(a5, high, a7);
        Vector512<long> lower = Vector512.Create(0L, 1, 2, 3, 8, 9, 10, 11), upper = Vector512.Create(4L, 5, 6, 7, 12, 13, 14, 15);
        Avx512F.PermuteVar8x64x2(b0, lower, b4).StoreUnsafe(ref to, (nuint)(i * vl));
        Avx512F.PermuteVar8x64x2(b1, lower, b5).StoreUnsafe(ref to, (nuint)((i + 1) * vl));
        Avx512F.PermuteVar8x64x2(b2, lower, b6).StoreUnsafe(ref to, (nuint)((i + 2) * vl));
        Avx512F.PermuteVar8x64x2(b3, lower, b7).StoreUnsafe(ref to, (nuint)((i + 3) * vl));
        Avx512F.PermuteVar8x64x2(b0, upper, b4).StoreUnsafe(ref to, (nuint)((i + 4) * vl));
        Avx512F.PermuteVar8x64x2(b1, upper, b5).StoreUnsafe(ref to, (nuint)((i + 5) * vl));
        Avx512F.PermuteVar8x64x2(b2, upper, b6).StoreUnsafe(ref to, (nuint)((i + 6) * vl));
        Avx512F.PermuteVar8x64x2(b3, upper, b7).StoreUnsafe(ref to, (nuint)((i + 7) * vl));
    }

    /// <summary>
    /// Float64 steps to float32 steps of twice the samples: vector v of float32 step s is vector v of float64 steps 2s (lower lanes)
    /// and 2s + 1 (upper lanes), each value rounded to nearest; an odd last step is paired with zeros. Float64 steps are
    /// <paramref name="step"/> values apart, float32 steps 2 step (the same vectors a step), and the first <paramref name="vectors"/>
    /// vectors of each are narrowed: the float32 products of <see cref="ProjectedTensorAccumulator{T}"/> (docs/passes.md,
    /// "Pass 2's 3-tensors in float32 products").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void NarrowPairs(ReadOnlySpan<double> from, int step, int steps, int vectors, Span<float> to)
    {
        nuint vd = (nuint)Vector512<double>.Count, vs = (nuint)Vector512<float>.Count;
        if (steps < 0 || vectors < 0 || step < vectors * (int)vd || step % (int)vd != 0)
            throw new ArgumentException("A step must hold its vectors, in whole float64 vectors.", nameof(step));
        if (steps == 0 || vectors == 0) return;
        int pairs = (steps + 1) / 2;
        if (from.Length < (long)(steps - 1) * step + vectors * (int)vd || to.Length < 2L * (pairs - 1) * step + vectors * (int)vs)
            throw new ArgumentException("The steps do not fit the spans.");
        ref double f = ref MemoryMarshal.GetReference(from);
        ref float t = ref MemoryMarshal.GetReference(to);
        for (int s = 0; s < steps; s += 2)
        {
            ref double low = ref Unsafe.Add(ref f, (nint)s * step);
            ref float target = ref Unsafe.Add(ref t, (nint)s * step); // float32 step s / 2 starts (s / 2) 2 step floats in
            if (s + 1 < steps)
            {
                ref double high = ref Unsafe.Add(ref low, step);
                for (nuint v = 0; v < (nuint)vectors; v++)
                    Vector512.Narrow(Vector512.LoadUnsafe(ref low, v * vd), Vector512.LoadUnsafe(ref high, v * vd)).StoreUnsafe(ref target, v * vs);
            }
            else
            {
                for (nuint v = 0; v < (nuint)vectors; v++)
                    Vector512.Narrow(Vector512.LoadUnsafe(ref low, v * vd), Vector512<double>.Zero).StoreUnsafe(ref target, v * vs);
            }
        }
    }
}
