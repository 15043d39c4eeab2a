using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// Samples held row by row (x: n x m) to the sample lanes' layout of <see cref="SampleLaneTensor"/>: each step of VL samples as m
/// vectors, feature i's where the caller's offsets put it.
/// </summary>
internal static class LaneTranspose
{
    /// <summary>
    /// to[offsets[i] + s step + lane] = x[(s VL + lane) m + i]: the samples as m vectors a step of VL samples, feature i's where
    /// offsets[i] says (z_i's vector in a step of <see cref="SampleLaneTensor"/>); lanes past the samples are zero. Each whole step's
    /// 8 x 8 blocks of samples and features go through registers (8 loads, 24 shuffles, 8 stores instead of 64 scalar stores;
    /// float32 steps take two blocks); the features past the last block and a partial last step one by one. A copy, so the same
    /// values either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(ReadOnlySpan<T> x, int m, int samples, Span<T> to, ReadOnlySpan<int> offsets, int step)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        nint vl = Vector512<T>.Count, d = m;
        int steps = (samples + (int)vl - 1) / (int)vl;
        if (offsets.Length < m || samples < 0 || x.Length < (long)samples * m) throw new ArgumentException("x or the offsets are too short.");
        for (int i = 0; i < m; i++)
            if (offsets[i] < 0 || (steps > 0 && to.Length < offsets[i] + (long)(steps - 1) * step + vl))
                throw new ArgumentException("The destination is too short.", nameof(to));
        ref T xr = ref MemoryMarshal.GetReference(x), tr = ref MemoryMarshal.GetReference(to);
        ref int at = ref MemoryMarshal.GetReference(offsets);
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
                        Transpose8x8(ref Unsafe.As<T, double>(ref Unsafe.Add(ref xr, k * d + i)), d, ref Unsafe.As<T, double>(ref ts),
                            ref Unsafe.Add(ref at, i));
                    }
                    else
                    {
                        // 16 samples a step: two 8 x 8 blocks, each feature's first and second 8 lanes
                        ref float ts32 = ref Unsafe.As<T, float>(ref ts);
                        Transpose8x8(ref Unsafe.As<T, float>(ref Unsafe.Add(ref xr, k * d + i)), d, ref ts32, ref Unsafe.Add(ref at, i));
                        Transpose8x8(ref Unsafe.As<T, float>(ref Unsafe.Add(ref xr, (k + 8) * d + i)), d, ref Unsafe.Add(ref ts32, 8),
                            ref Unsafe.Add(ref at, i));
                    }
                }
                for (nint i = blocked; i < d; i++)
                {
                    ref T ti = ref Unsafe.Add(ref ts, Unsafe.Add(ref at, i));
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
                ref T ti = ref Unsafe.Add(ref ts, Unsafe.Add(ref at, i));
                if (live < vl) Vector512<T>.Zero.StoreUnsafe(ref ti);
                for (nint lane = 0; lane < live; lane++) Unsafe.Add(ref ti, lane) = Unsafe.Add(ref xr, (k + lane) * d + i);
            }
        }
    }

    /// <summary>
    /// to[at[c] + r] = rows[r stride + c] for r, c &lt; 8 in float32 (half of a step's lanes): the 256-bit transpose, unpacking pairs
    /// of rows, then shuffling 64-bit pairs (0x44: elements 0, 1 of each operand, 0xEE: 2, 3) and exchanging 128-bit halves.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref float rows, nint stride, ref float to, ref int at)
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
        Avx.Permute2x128(a0, b0, 0x20).StoreUnsafe(ref to, (nuint)at);
        Avx.Permute2x128(a1, b1, 0x20).StoreUnsafe(ref to, (nuint)Unsafe.Add(ref at, 1));
        Avx.Permute2x128(a2, b2, 0x20).StoreUnsafe(ref to, (nuint)Unsafe.Add(ref at, 2));
        Avx.Permute2x128(a3, b3, 0x20).StoreUnsafe(ref to, (nuint)Unsafe.Add(ref at, 3));
        Avx.Permute2x128(a0, b0, 0x31).StoreUnsafe(ref to, (nuint)Unsafe.Add(ref at, 4));
        Avx.Permute2x128(a1, b1, 0x31).StoreUnsafe(ref to, (nuint)Unsafe.Add(ref at, 5));
        Avx.Permute2x128(a2, b2, 0x31).StoreUnsafe(ref to, (nuint)Unsafe.Add(ref at, 6));
        Avx.Permute2x128(a3, b3, 0x31).StoreUnsafe(ref to, (nuint)Unsafe.Add(ref at, 7));
    }

    /// <summary>
    /// to[at[c] + r] = rows[r stride + c] for r, c &lt; 8: unpack pairs of rows, then gather 128-bit chunks twice (vshuff64x2 with
    /// 0x88 takes chunks 0 and 2 of each operand, 0xDD chunks 1 and 3).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref double rows, nint stride, ref double to, ref int at)
    {
        Vector512<double> r0 = Vector512.LoadUnsafe(ref rows), r1 = Vector512.LoadUnsafe(ref rows, (nuint)stride),
            r2 = Vector512.LoadUnsafe(ref rows, (nuint)(2 * stride)), r3 = Vector512.LoadUnsafe(ref rows, (nuint)(3 * stride)),
            r4 = Vector512.LoadUnsafe(ref rows, (nuint)(4 * stride)), r5 = Vector512.LoadUnsafe(ref rows, (nuint)(5 * stride)),
            r6 = Vector512.LoadUnsafe(ref rows, (nuint)(6 * stride)), r7 = Vector512.LoadUnsafe(ref rows, (nuint)(7 * stride));
        // even features from the low unpacks, odd from the high
        Vector512<double> l01 = Avx512F.UnpackLow(r0, r1), l23 = Avx512F.UnpackLow(r2, r3), l45 = Avx512F.UnpackLow(r4, r5),
            l67 = Avx512F.UnpackLow(r6, r7), h01 = Avx512F.UnpackHigh(r0, r1), h23 = Avx512F.UnpackHigh(r2, r3),
            h45 = Avx512F.UnpackHigh(r4, r5), h67 = Avx512F.UnpackHigh(r6, r7);
        Vector512<double> a = Avx512F.Shuffle4x128(l01, l23, 0x88), b = Avx512F.Shuffle4x128(l45, l67, 0x88); // features 0, 4
        Vector512<double> c = Avx512F.Shuffle4x128(l01, l23, 0xDD), e = Avx512F.Shuffle4x128(l45, l67, 0xDD); // features 2, 6
        Avx512F.Shuffle4x128(a, b, 0x88).StoreUnsafe(ref to, (nuint)at);
        Avx512F.Shuffle4x128(a, b, 0xDD).StoreUnsafe(ref to, (nuint)Unsafe.Add(ref at, 4));
        Avx512F.Shuffle4x128(c, e, 0x88).StoreUnsafe(ref to, (nuint)Unsafe.Add(ref at, 2));
        Avx512F.Shuffle4x128(c, e, 0xDD).StoreUnsafe(ref to, (nuint)Unsafe.Add(ref at, 6));
        a = Avx512F.Shuffle4x128(h01, h23, 0x88); b = Avx512F.Shuffle4x128(h45, h67, 0x88); // features 1, 5
        c = Avx512F.Shuffle4x128(h01, h23, 0xDD); e = Avx512F.Shuffle4x128(h45, h67, 0xDD); // features 3, 7
        Avx512F.Shuffle4x128(a, b, 0x88).StoreUnsafe(ref to, (nuint)Unsafe.Add(ref at, 1));
        Avx512F.Shuffle4x128(a, b, 0xDD).StoreUnsafe(ref to, (nuint)Unsafe.Add(ref at, 5));
        Avx512F.Shuffle4x128(c, e, 0x88).StoreUnsafe(ref to, (nuint)Unsafe.Add(ref at, 3));
        Avx512F.Shuffle4x128(c, e, 0xDD).StoreUnsafe(ref to, (nuint)Unsafe.Add(ref at, 7));
    }
}
